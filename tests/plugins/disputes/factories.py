"""A county where the justice office (司法所) of township 0 runs the dispute module, and a helper
to report a dispute through the module's service."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import service as admission
from gridgov.core.admission.models import Admission
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov_plugins.disputes import service
from gridgov_plugins.disputes.models import Case
from tests.core.admission.factories import ITEMS
from tests.factories import County, UserFactory


def add_office(session: Session, county: County) -> tuple[Department, User]:
    """城关司法所: a department serving township 0, with its officer."""
    office = departments.create_department(
        session, None, code="SFS", name="第0镇司法所", node=county.townships[0]
    )
    officer = UserFactory(
        username=f"{county.tenant.slug}-sifa",
        role=Role.DEPARTMENT_OFFICER.value,
        nodes=[county.townships[0]],
    )
    departments.add_officer(session, None, office, officer)
    session.flush()
    return office, officer


def admit_disputes(session: Session, county: County, *, pilot: bool = False) -> Admission:
    """The county admits the module for its justice office (as a pilot in township 0)."""
    office, officer = add_office(session, county)
    applied = admission.apply_for_module(
        session,
        officer,
        runtime.current().plugins,
        department=office,
        module=service.MODULE,
        items=ITEMS,
        requirements={"dispute_grid": "片格 2 个，网格组 4 个"},
    )
    return admission.approve_admission(
        session,
        county.admin,
        applied,
        meeting_date=dt.date(2026, 5, 8),
        minutes="同意",
        pilot_nodes=(county.townships[0],) if pilot else (),
    )


def officer_of(session: Session, county: County) -> User:
    office = departments.get_department_by_code(session, "SFS")
    return departments.officers(session, office)[0]


def report(
    session: Session, county: County, *, by: User | None = None, grid: int = 0, **fields
) -> Case:
    user = by or county.workers[grid]
    data = {"title": "楼上漏水", "kind": "neighbour", **fields}
    return service.report_case(
        session, user, scope_of(session, user), county.grids[grid], service.CaseInput(**data)
    )


def step(session: Session, user: User, case: Case, action: str, comment: str = "意见"):
    return service.take_step(session, user, scope_of(session, user), case, action, comment)


def refer(session: Session, user: User, case: Case, risk: str = "medium"):
    return service.refer_to_office(session, user, scope_of(session, user), case, "研判", risk)


def close(session: Session, user: User, case: Case, outcome: str = "resolved", **extra):
    return service.record_outcome(
        session, user, scope_of(session, user), case, outcome=outcome, note="已调解", **extra
    )
