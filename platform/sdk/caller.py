"""Who is acting: the user, their role, the subtrees they see (their scope), the departments,
and the access checks a module applies to its own records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gridgov.core.accounts.access import scope_roots, visible_node
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.accounts.service import (
    get_user,
    get_user_by_username,
    responsible_worker,
    staff_of,
)
from gridgov.core.departments import service as _departments
from gridgov.core.departments.models import Department
from gridgov.core.hierarchy.models import Assignment
from gridgov.core.registry.access import may_read as _may_read_registry

__all__ = [
    "Department",
    "Role",
    "Scope",
    "User",
    "assigned_node_ids",
    "departments_of",
    "get_user",
    "get_user_by_username",
    "may_read_registry",
    "path_filter",
    "responsible_worker",
    "scope_of",
    "scope_roots",
    "staff_of",
    "visible_node",
]


def assigned_node_ids(user_id: int) -> Select[Any]:
    """A SELECT of the ids of the nodes ``user_id`` is attached to (a grid worker's grids), to
    use in ``column.in_(...)``."""
    return select(Assignment.node_id).where(Assignment.user_id == user_id)


def departments_of(session: Session, user: User) -> list[Department]:
    """The departments ``user`` acts for as one of their officers (none for other roles): a
    module compares them with ``county.module_department`` to let only its own department's
    officers read its records."""
    return _departments.departments_of(session, user)


def path_filter(column: Any, scope: Scope) -> Any:
    """A WHERE clause keeping rows whose materialized-path ``column`` lies in ``scope``."""
    return scope.path_filter(column)


def may_read_registry(user: User) -> bool:
    """Whether ``user``'s role reads the registry of people and sites at all."""
    return _may_read_registry(user)
