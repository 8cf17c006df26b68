"""A dispute waits on each level of the dispute grid in turn — the group leader's confirmation
first — and its case is read only by the staff on its path and the justice office the county
admitted the module for."""

from __future__ import annotations

import pytest

from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.departments import service as departments
from gridgov.core.errors import NotFound
from gridgov.core.tasks import reading, transitions
from gridgov_plugins.disputes import service
from tests.factories import UserFactory, build_county
from tests.plugins.disputes.factories import admit_disputes, close, officer_of, refer, report, step


@pytest.fixture
def county(app, session):
    county = build_county(session)
    admit_disputes(session, county)
    return county


@pytest.fixture
def people(session, county):
    brigade = UserFactory(
        username="xiaofang", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.top]
    )
    departments.add_officer(session, None, county.department, brigade)  # 消防救援大队
    return {
        "worker0": county.workers[0],
        "supervisor": county.supervisor,
        "station": county.station_staff,
        "township": county.township_staff,
        "admin": county.admin,
        "office": officer_of(session, county),
        "brigade": brigade,
        "volunteer": county.volunteer,
        "auditor": county.auditor,
    }


def waiting(session, people, case) -> set[str]:
    task = service.task_of(session, case)
    found = set()
    for name, user in people.items():
        scope = scope_of(session, user)
        if task in session.scalars(reading.waiting_on(session, user, scope)):
            assert transitions.allowed_actions(session, user, scope, task), name
            found.add(name)
    return found


def test_a_dispute_waits_on_the_group_leader_at_once_then_on_each_level(session, county, people):
    case = report(session, county, by=county.volunteer)
    # 组长确认 (or 核实不属实) at the station; the unit's worker may settle it on the spot.
    assert waiting(session, people, case) == {"station", "worker0"}
    step(session, people["station"], case, "confirm")
    assert waiting(session, people, case) == {"station"}
    step(session, people["station"], case, "escalate", "社区调解不了")
    assert waiting(session, people, case) == {"township"}
    refer(session, people["township"], case)
    assert waiting(session, people, case) == {"office"}
    close(session, people["office"], case)
    assert waiting(session, people, case) == {"worker0"}  # 回访 in the unit


def test_a_case_is_read_by_the_staff_on_its_path_and_the_justice_office_only(
    session, county, people
):
    case = report(session, county)
    step(session, people["station"], case, "confirm")
    step(session, people["station"], case, "escalate", "社区调解不了")
    refer(session, people["township"], case)
    readers = set()
    for name, user in people.items():
        try:
            service.visible_case(session, user, scope_of(session, user), case.id)
        except NotFound:
            continue
        readers.add(name)
    assert readers == {"worker0", "station", "township", "admin", "office"}
    cases = {
        name: [
            c.id
            for c, _t in session.execute(
                service.visible_cases(session, user, scope_of(session, user))
            )
        ]
        for name, user in people.items()
    }
    assert cases["office"] == [case.id]
    assert cases["brigade"] == cases["auditor"] == cases["volunteer"] == []
    assert cases["supervisor"] == []
