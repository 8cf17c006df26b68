"""The county a module works in: the tenant, its clock (county days, months and periods), and
whether the county admitted the module — where, for which department, and open for new work."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridgov.core.admission import activation as _activation
from gridgov.core.admission import service as _admission
from gridgov.core.db import current_tenant_id, pinned_clock
from gridgov.core.departments.models import Department
from gridgov.core.forms.definitions import FormDefinition
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.tenancy.county_time import CountyClock, Period
from gridgov.core.tenancy.models import Tenant
from gridgov.core.tenancy.service import clock_of, current_tenant

__all__ = [
    "CountyClock",
    "Period",
    "Tenant",
    "check_open_for_work",
    "clock_of",
    "current_tenant",
    "current_tenant_id",
    "module_department",
    "open_form",
    "pilot_paths",
    "pinned_clock",
    "subtree",
]


def module_department(session: Session, module: str) -> Department | None:
    """The department the county admitted ``module`` for (in review, approved, suspended or,
    failing those, the latest application); None when it was never applied for."""
    held = _admission.holding_admission(session, module) or _admission.latest_admission(
        session, module
    )
    return held.department if held is not None else None


def pilot_paths(session: Session, module: str) -> tuple[str, ...] | None:
    """The paths of the townships a pilot of ``module`` runs in (试点先行), or None when the
    module is not a pilot here (live county-wide, or not held at all)."""
    held = _admission.holding_admission(session, module)
    if held is None or not held.is_pilot:
        return None
    return tuple(pilot.node.path for pilot in held.pilot_nodes)


def check_open_for_work(session: Session, module: str, node: Node | None = None) -> None:
    """Refuse new work for ``module`` (at ``node``) unless it is live there: Conflict while
    the county has it suspended or withdrawn, NotFound where it was never admitted."""
    _admission.check_open_for_work(session, module, node)


def open_form(code: str, node: Node) -> FormDefinition:
    """The declared form with this code, if its module takes new work at ``node`` (else
    NotFound or Conflict, as ``check_open_for_work``)."""
    _module, form = _activation.open_form(code, node)
    return form
