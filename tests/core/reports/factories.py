"""A county's March 2024 with known tasks, for the period report's tests (core, API, portal)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.departments import service as departments
from gridgov.core.registry import service as registry
from gridgov.core.tasks import cards, reporting, transitions
from gridgov.core.tenancy.county_time import Period
from tests.factories import County, UserFactory, build_county

BEIJING = ZoneInfo("Asia/Shanghai")
MONDAY_9 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=BEIJING)
MARCH = Period.month(2024, 3, BEIJING)


def at(hours: float) -> dt.datetime:
    return MONDAY_9 + dt.timedelta(hours=hours)


def build_march(session: Session) -> County:
    """Six tasks around March 2024 in a county of two townships.

    In grid 0 (township 0): A (patrol) dispatched to the fire brigade, handled at once, closed;
    B (a resident's) dispatched, red-carded, handled late, closed; C (hotline) dispatched,
    returned, then handled by the station and closed; E (patrol) dispatched and still waiting
    with a red card; F (a resident's, reported in February) closed on 4 March. In grid 4
    (township 1): D (a resident's, 治安防控) open, yellow then red. One household visit in grid 0.
    """
    county = build_county(session)
    brigade = county.department
    officer = UserFactory(
        username="xf-officer", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.top]
    )
    departments.add_officer(session, None, brigade, officer)
    station = county.station_staff

    def act(user, task, action, hours, **move):
        move.setdefault("comment", "已处理")
        with time_machine.travel(at(hours), tick=False):
            return transitions.transition(
                session, user, scope_of(session, user), task, action, transitions.Move(**move)
            )

    def report(hours, source="patrol", node=None, category="民生事项", by=None):
        with time_machine.travel(at(hours), tick=False):
            task, _new = reporting.file_task(
                session,
                by,
                node or county.grids[0],
                reporting.Report(category=category, title="事件", source=source),
            )
        return task

    f = report(-24 * 6, source="resident")  # 27 February
    act(station, f, "accept", 0.5)
    act(station, f, "handle", 0.5)
    act(station, f, "close", 0.5)
    a = report(0, by=county.workers[0])
    b = report(0, source="resident")
    c = report(0, source="hotline")
    e = report(0, by=county.workers[0])
    report(0, source="resident", node=county.grids[4], category="治安防控")  # D
    for task in (a, b, c, e):
        act(station, task, "accept", 1)
        act(station, task, "dispatch", 1, department_id=brigade.id)
    act(officer, a, "handle", 2)
    act(station, a, "close", 2.5)
    act(officer, c, "return", 2, comment="不属本部门职责")
    act(station, c, "handle", 3)
    act(station, c, "close", 3)
    cards.sweep_cards(session, at(3.5))  # D: yellow
    cards.sweep_cards(session, dt.datetime(2024, 3, 13, 12, tzinfo=BEIJING))  # B, D, E: red
    act(officer, b, "handle", 24 * 10)  # 14 March, late
    act(station, b, "close", 24 * 10)
    dwelling = registry.create_dwelling(
        session, county.tenant, county.admin, grid=county.grids[0], address="幸福路 1 号"
    )
    household = registry.create_household(session, county.admin, dwelling=dwelling)
    registry.record_visit(
        session, county.workers[0], household, notes="见到户主", visited_at=at(30)
    )
    registry.record_visit(  # in February: not this period's
        session, county.workers[0], household, notes="见到户主", visited_at=at(-24 * 10)
    )
    session.flush()
    county.officer = officer  # type: ignore[attr-defined]
    return county
