"""Who a task waits on: each level's waiting list holds exactly the tasks it can move on now,
after each step of the coordination and emergency cycles; a supervisor's list holds the
revisits of their grids, not the open tasks they cannot touch."""

from __future__ import annotations

import pytest

from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.departments import service as departments
from gridgov.core.tasks import reading, transitions
from tests.factories import UserFactory

ROLES = ("worker0", "worker1", "supervisor", "station", "township", "admin", "officer")


@pytest.fixture
def people(session, county):
    """Staff of every level, and an officer of 城管 (a department serving township 0)."""
    department = departments.create_department(
        session, None, code="CG", name="第0镇城管中队", node=county.townships[0]
    )
    officer = UserFactory(
        username="chengguan", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.townships[0]]
    )
    departments.add_officer(session, None, department, officer)
    return {
        "worker0": county.workers[0],
        "worker1": county.workers[1],
        "supervisor": county.supervisor,
        "station": county.station_staff,
        "township": county.township_staff,
        "admin": county.admin,
        "officer": officer,
        "department": department,
    }


@pytest.fixture
def waiting(session, people):
    """Who has ``task`` waiting: the roles whose list holds it; each of them can act on it."""

    def _waiting(task) -> set[str]:
        found = set()
        for name in ROLES:
            user = people[name]
            scope = scope_of(session, user)
            listed = list(session.scalars(reading.waiting_on(session, user, scope)))
            for each in listed:
                assert transitions.allowed_actions(session, user, scope, each), (name, each.state)
            if task in listed:
                found.add(name)
        return found

    return _waiting


def test_a_coordination_task_waits_on_the_station_at_once_then_on_each_level_it_reaches(
    county, report, act, people, waiting
):
    task = report(track="coordinate", title="楼道堆物需协调")
    # 报上一级 is the worker's; 受理 the community station's — not the township's or county's.
    assert waiting(task) == {"worker0", "station"}
    task = act(people["station"], task, "accept")
    assert waiting(task) == {"station"}
    task = act(people["station"], task, "dispatch", department_id=people["department"].id)
    assert waiting(task) == {"officer"}
    task = act(people["officer"], task, "handle", comment="已清理")
    assert waiting(task) == {"station"}
    task = act(people["station"], task, "close")
    # 回访 is done in the grid: its worker and its supervisor.
    assert waiting(task) == {"worker0", "supervisor"}
    task = act(people["supervisor"], task, "revisit", comment="居民认可")
    assert waiting(task) == {"worker0", "supervisor"}
    task = act(people["worker0"], task, "evaluate", rating="satisfied")
    assert waiting(task) == set()


def test_an_emergency_waits_on_the_level_above_at_once(county, report, act, people, waiting):
    task = report(track="emergency", category="突发事项", title="燃气泄漏")
    assert waiting(task) == {"worker0", "station"}
    task = act(people["station"], task, "accept")
    assert waiting(task) == {"station"}
    task = act(people["station"], task, "escalate", comment="报街道")
    assert waiting(task) == {"township"}
    task = act(people["township"], task, "escalate", comment="报县应急")
    assert waiting(task) == {"admin"}
    task = act(people["admin"], task, "accept")
    assert waiting(task) == {"admin"}
    task = act(people["admin"], task, "dispatch", target_node=county.grids[0])
    assert waiting(task) == {"worker0"}
    task = act(people["worker0"], task, "handle", comment="已关阀")
    assert waiting(task) == {"admin"}


def test_a_general_task_stays_with_the_grid_worker_until_they_send_it_up(
    county, report, act, people, waiting
):
    task = report(track="general")
    assert waiting(task) == {"worker0"}
    task = act(people["worker0"], task, "escalate", comment="处理不了")
    # the station's to accept now; the worker may still settle it on the spot (现场处置)
    assert waiting(task) == {"station", "worker0"}


def test_a_supervisors_list_is_the_revisits_of_their_grids_not_open_tasks(
    session, county, report, act, people
):
    supervisor = people["supervisor"]
    scope = scope_of(session, supervisor)
    report(track="general")
    report(by=county.workers[1], node=county.grids[1], track="coordinate")
    assert list(session.scalars(reading.waiting_on(session, supervisor, scope))) == []
    closed = act(people["worker0"], report(track="general", title="井盖松动"), "resolve")
    assert list(session.scalars(reading.waiting_on(session, supervisor, scope))) == [closed]


def test_an_unsatisfied_rating_waits_on_the_station_to_reopen(county, report, act, people, waiting):
    task = report(track="coordinate")
    task = act(people["station"], task, "accept")
    task = act(people["station"], task, "handle", comment="已修")
    task = act(people["station"], task, "close")
    task = act(people["worker0"], task, "evaluate", rating="unsatisfied")
    assert waiting(task) == {"station"}
    task = act(people["station"], task, "reopen", comment="居民不满意")
    assert waiting(task) == {"station"}


def test_a_task_in_another_community_waits_on_its_own_station_only(county, report, people, waiting):
    task = report(by=county.workers[2], node=county.grids[2], track="coordinate")
    assert waiting(task) == set()  # community 1 has no station staff in this county
