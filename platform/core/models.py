"""Every core model, imported in one place so that ``Base.metadata`` knows all tables
(Alembic, the schema tests and ``create_all`` rely on this)."""

from gridgov.core.accounts.models import ApiToken, Operator, OperatorToken, User
from gridgov.core.admission.models import (
    Admission,
    AdmissionEvent,
    AdmissionFile,
    AdmissionPilotNode,
)
from gridgov.core.assessment.models import (
    Adjustment,
    AssessmentLine,
    AssessmentPeriod,
    AssessmentRun,
    AssessmentScheme,
    AssessmentSheet,
    LeaveRequest,
    LogComment,
    ManualScore,
    Meeting,
    MeetingAttendance,
    Objection,
    SpotCheck,
)
from gridgov.core.audit import chain  # noqa: F401  (links audit events as they are flushed)
from gridgov.core.audit.models import AuditChain, AuditEvent
from gridgov.core.departments.models import Department, DepartmentOfficer
from gridgov.core.files.models import StoredFile
from gridgov.core.forms.models import FormSubmission, FormVersion
from gridgov.core.hierarchy.models import Assignment, Node, NodeLineage, NodeVersion
from gridgov.core.maps.models import NodeOutline
from gridgov.core.onboarding.models import AppliedManifest
from gridgov.core.plugins.models import PeriodicJobRun
from gridgov.core.registry.models import (
    Building,
    Compound,
    Dwelling,
    ExportRun,
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
    "Adjustment",
    "Admission",
    "AdmissionEvent",
    "AdmissionFile",
    "AdmissionPilotNode",
    "ApiToken",
    "AppliedManifest",
    "AssessmentLine",
    "AssessmentPeriod",
    "AssessmentRun",
    "AssessmentScheme",
    "AssessmentSheet",
    "Assignment",
    "AuditChain",
    "AuditEvent",
    "Building",
    "Compound",
    "Department",
    "DepartmentOfficer",
    "Dwelling",
    "ExportRun",
    "FormSubmission",
    "FormVersion",
    "Household",
    "ImportRun",
    "LeaveRequest",
    "LogComment",
    "ManualScore",
    "Meeting",
    "MeetingAttendance",
    "Node",
    "NodeLineage",
    "NodeOutline",
    "NodeVersion",
    "Objection",
    "Operator",
    "OperatorToken",
    "PeriodicJobRun",
    "Person",
    "PersonTag",
    "RecordChange",
    "Rental",
    "RentalOccupant",
    "Site",
    "SpotCheck",
    "StoredFile",
    "Tenant",
    "User",
    "Visit",
    "task_models",
]
