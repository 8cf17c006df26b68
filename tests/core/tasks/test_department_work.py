"""A department officer works the tasks dispatched to their department — reads them, handles,
sends them up (报上一级) or back (退回), and keeps reading what they handled — and not the
other tasks under the node they are assigned to; another department's officer does not see
them."""

from __future__ import annotations

import pytest

from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.departments import service as departments
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.tasks import cards, reading, supervision, transitions
from tests.factories import UserFactory


@pytest.fixture
def chengguan(session, county):
    """城管 (serving the county), its officer assigned to the county's top node."""
    department = departments.create_department(
        session, None, code="CG", name="县城管局", node=county.top
    )
    officer = UserFactory(username="cg", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.top])
    departments.add_officer(session, None, department, officer)
    return department, officer


@pytest.fixture
def shuili(session, county):
    """Another department (水利) whose officer is assigned to the county's top node too."""
    department = departments.create_department(
        session, None, code="SL", name="县水利局", node=county.top
    )
    officer = UserFactory(username="sl", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.top])
    departments.add_officer(session, None, department, officer)
    return department, officer


@pytest.fixture
def dispatched(county, report, act, chengguan):
    """A coordination task the station accepted and dispatched to 城管."""
    task = report(track="coordinate", title="占道经营")
    task = act(county.station_staff, task, "accept")
    return act(county.station_staff, task, "dispatch", department_id=chengguan[0].id)


def reads(session, user, task) -> bool:
    scope = scope_of(session, user)
    try:
        reading.visible_task(session, user, scope, task.id)
    except NotFound:
        return False
    listed = task in session.scalars(
        reading.visible_tasks(session, user, scope, reading.TaskFilter())
    )
    assert listed, "a task one can open is in one's list"
    return True


def test_the_officer_reads_and_may_handle_escalate_or_return_their_departments_task(
    session, dispatched, chengguan
):
    _department, officer = chengguan
    assert reads(session, officer, dispatched)
    actions = transitions.allowed_actions(session, officer, scope_of(session, officer), dispatched)
    assert {rule.action for rule in actions} == {"handle", "return", "escalate"}
    assert dispatched in session.scalars(
        reading.waiting_on(session, officer, scope_of(session, officer))
    )


def test_the_officer_does_not_read_other_tasks_under_their_node(session, report, chengguan):
    _department, officer = chengguan
    assert not reads(session, officer, report(track="coordinate", title="楼道堆物"))


def test_another_departments_officer_neither_reads_nor_moves_it(session, act, dispatched, shuili):
    _department, officer = shuili
    assert not reads(session, officer, dispatched)
    with pytest.raises(Forbidden):
        act(officer, dispatched, "handle", comment="越权")
    assert dispatched not in session.scalars(
        reading.waiting_on(session, officer, scope_of(session, officer))
    )


@pytest.fixture
def desk_officer(session, chengguan):
    """An officer of 城管 assigned to no node: they read what the department is given."""
    officer = UserFactory(username="cg-desk", role=Role.DEPARTMENT_OFFICER.value, nodes=[])
    departments.add_officer(session, None, chengguan[0], officer)
    return officer


def test_after_handling_it_the_officer_still_reads_it(
    session, county, act, dispatched, desk_officer
):
    officer = desk_officer
    task = act(officer, dispatched, "handle", comment="已清理")
    assert (task.state, task.department_id, task.current_node_id) == (
        "handled",
        None,
        county.communities[0].id,
    )
    assert reads(session, officer, task)
    assert transitions.allowed_actions(session, officer, scope_of(session, officer), task) == []
    assert task not in session.scalars(
        reading.waiting_on(session, officer, scope_of(session, officer))
    )


def test_a_department_that_cannot_solve_it_sends_it_to_the_level_above_the_dispatcher(
    session, county, act, dispatched, chengguan
):
    _department, officer = chengguan
    task = act(officer, dispatched, "escalate", comment="需街道统筹")
    assert (task.state, task.department_id, task.current_node_id) == (
        "reported",
        None,
        county.townships[0].id,
    )
    town = county.township_staff
    assert task in session.scalars(reading.waiting_on(session, town, scope_of(session, town)))
    assert reads(session, officer, task)


def test_a_department_may_send_it_back_to_the_dispatcher(
    session, county, act, dispatched, desk_officer
):
    task = act(desk_officer, dispatched, "return", comment="不属于城管职责")
    assert (task.state, task.current_node_id) == ("accepted", county.communities[0].id)
    assert reads(session, desk_officer, task)
    station = county.station_staff
    assert task in session.scalars(reading.waiting_on(session, station, scope_of(session, station)))


def test_no_list_shows_an_officer_the_tasks_at_their_node_that_are_not_their_departments(
    session, county, report, act, chengguan
):
    """My tasks, the red-card list and the supervision list keep to what the officer reads,
    like the task list: a task sent up to the county's top node, red and supervised, is none
    of 城管's business."""
    import datetime as dt

    import time_machine

    from gridgov.core.db import utcnow
    from gridgov.core.tasks import dashboard as dashboards

    _department, officer = chengguan
    task = report(track="coordinate", title="邻里噪音")
    for who in (county.workers[0], county.station_staff, county.township_staff):
        task = act(who, task, "escalate")  # 报上一级, up to the county
    assert task.current_node_id == county.top.id
    with time_machine.travel(utcnow() + dt.timedelta(days=30)):
        cards.sweep_cards(session)
    supervision.supervise(
        session,
        county.admin,
        scope_of(session, county.admin),
        task,
        node=county.top,
        note="限期办结",
        due_at=utcnow() + dt.timedelta(days=3),
    )
    admin_scope = scope_of(session, county.admin)
    readable = reading.visible_filter(session, county.admin, admin_scope)
    assert task in session.scalars(dashboards.overdue_tasks(county.top, readable))
    listed = supervision.supervision_list(session, county.admin, admin_scope, county.top)
    assert [s.task_id for s in session.scalars(listed)] == [task.id]

    scope = scope_of(session, officer)
    assert task not in session.scalars(reading.my_tasks(session, officer, scope))
    hidden = reading.visible_filter(session, officer, scope)
    assert task not in session.scalars(dashboards.overdue_tasks(county.top, hidden))
    listed = supervision.supervision_list(session, officer, scope, county.top)
    assert list(session.scalars(listed)) == []
