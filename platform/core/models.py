"""Every core model, imported in one place so that ``Base.metadata`` knows all tables
(Alembic, the schema tests and ``create_all`` rely on this)."""

from gridgov.core.accounts.models import ApiToken, Assignment, Operator, OperatorToken, User
from gridgov.core.audit.models import AuditEvent
from gridgov.core.departments.models import Department, DepartmentOfficer
from gridgov.core.files.models import StoredFile
from gridgov.core.hierarchy.models import Node, NodeLineage, NodeVersion
from gridgov.core.registry.models import (
    Building,
    Compound,
    Dwelling,
    Household,
    ImportRun,
    Person,
    PersonTag,
    RecordChange,
    Rental,
    RentalOccupant,
    Site,
    Visit,
)
from gridgov.core.tasks import models as task_models
from gridgov.core.tenancy.models import Tenant

__all__ = [
    "ApiToken",
    "Assignment",
    "AuditEvent",
    "Building",
    "Compound",
    "Department",
    "DepartmentOfficer",
    "Dwelling",
    "Household",
    "ImportRun",
    "Node",
    "NodeLineage",
    "NodeVersion",
    "Operator",
    "OperatorToken",
    "Person",
    "PersonTag",
    "RecordChange",
    "Rental",
    "RentalOccupant",
    "Site",
    "StoredFile",
    "Tenant",
    "User",
    "Visit",
    "task_models",
]
