"""The transition log names the department a step concerned: the dispatch to it, and its
handling or return (the department's own record, read by the period reports)."""

from __future__ import annotations

from gridgov.core.accounts.models import Role
from gridgov.core.departments import service as departments
from gridgov.core.tasks import reading
from tests.factories import UserFactory


def test_dispatch_handle_and_return_steps_name_the_department(session, county, report, act):
    officer = UserFactory(username="xf", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.top])
    departments.add_officer(session, None, county.department, officer)
    handled, returned = report(), report(title="另一件")
    for task in (handled, returned):
        act(county.station_staff, task, "accept")
        act(county.station_staff, task, "dispatch", department_id=county.department.id)
    act(officer, handled, "handle")
    act(officer, returned, "return", comment="不属本部门")
    act(county.station_staff, handled, "close")
    steps = {
        task.id: [(t.action, t.department_id) for t in reading.history(session, task)]
        for task in (handled, returned)
    }
    brigade = county.department.id
    assert steps[handled.id] == [
        ("report", None),
        ("accept", None),
        ("dispatch", brigade),
        ("handle", brigade),
        ("close", None),
    ]
    assert steps[returned.id][-2:] == [("dispatch", brigade), ("return", brigade)]
