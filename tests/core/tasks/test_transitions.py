"""Taking transitions: each one allowed for the right role and place, refused otherwise; the
log is kept, escalation walks up, dispatch and return go where they should."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import Conflict, DomainError, Forbidden
from gridgov.core.tasks import reading, reporting, transitions
from gridgov.core.tasks.models import Notification, TaskTransitionIsAppendOnly
from tests.factories import UserFactory

# How to bring a task (reported by worker 0 in grid 0) to each state: (actor, action, move).
PATHS = {
    "reported": [],
    "accepted": [("station", "accept", {})],
    "dispatched": [("station", "accept", {}), ("station", "dispatch", {"target": "grid0"})],
    "handled": [
        ("station", "accept", {}),
        ("station", "dispatch", {"target": "grid0"}),
        ("worker0", "handle", {}),
    ],
    "closed": [
        ("station", "accept", {}),
        ("station", "dispatch", {"target": "grid0"}),
        ("worker0", "handle", {}),
        ("station", "close", {}),
    ],
}

# action, from state, allowed actor, refused for the role, refused for the place, end state
CASES = [
    ("accept", "reported", "station", "worker0", "other_station", "accepted"),
    ("escalate", "reported", "worker0", "volunteer", "worker1", "reported"),
    ("dispatch", "accepted", "station", "worker0", "other_station", "dispatched"),
    ("return", "dispatched", "worker0", "volunteer", "worker1", "accepted"),
    ("handle", "dispatched", "worker0", "volunteer", "worker1", "handled"),
    ("handle", "accepted", "station", "volunteer", "other_station", "handled"),
    ("close", "handled", "station", "worker0", "other_station", "closed"),
    ("resolve", "reported", "worker0", "station", "worker1", "closed"),
    ("revisit", "closed", "worker0", "volunteer", "other_station", "revisited"),
    ("evaluate", "closed", "station", "volunteer", "other_station", "evaluated"),
    ("reopen", "closed", "station", "worker0", "other_station", "accepted"),
]


@pytest.fixture
def actors(county):
    other_station = UserFactory(
        username="station-c1", role=Role.STATION_STAFF.value, nodes=[county.communities[1]]
    )
    return {
        "station": county.station_staff,
        "other_station": other_station,
        "worker0": county.workers[0],
        "worker1": county.workers[1],
        "volunteer": county.volunteer,
        "township": county.township_staff,
        "admin": county.admin,
    }


def bring_to(state, report, act, actors, county):
    task = report()
    for actor, action, move in PATHS[state]:
        if "target" in move:
            move = {"target_node": county.grids[0]}
        task = act(actors[actor], task, action, **move)
    assert task.state == state
    return task


def move_for(action, county):
    if action == "dispatch":
        return {"target_node": county.grids[0]}
    if action == "evaluate":
        return {"rating": "satisfied"}
    return {}


@pytest.mark.parametrize(("action", "start", "allowed", "wrong_role", "wrong_place", "end"), CASES)
def test_the_right_role_in_the_right_place_takes_the_transition(
    session, county, report, act, actors, action, start, allowed, wrong_role, wrong_place, end
):
    task = bring_to(start, report, act, actors, county)
    task = act(actors[allowed], task, action, **move_for(action, county))
    assert task.state == end
    entry = reading.history(session, task)[-1]
    assert (entry.action, entry.to_state, entry.actor_id) == (action, end, actors[allowed].id)


@pytest.mark.parametrize(("action", "start", "allowed", "wrong_role", "wrong_place", "end"), CASES)
def test_a_wrong_role_is_refused_and_nothing_changes(
    session, county, report, act, actors, action, start, allowed, wrong_role, wrong_place, end
):
    task = bring_to(start, report, act, actors, county)
    with pytest.raises(Forbidden):
        act(actors[wrong_role], task, action, **move_for(action, county))
    assert task.state == start


@pytest.mark.parametrize(("action", "start", "allowed", "wrong_role", "wrong_place", "end"), CASES)
def test_the_right_role_outside_its_part_of_the_hierarchy_is_refused(
    session, county, report, act, actors, action, start, allowed, wrong_role, wrong_place, end
):
    task = bring_to(start, report, act, actors, county)
    with pytest.raises(Forbidden):
        act(actors[wrong_place], task, action, **move_for(action, county))
    assert task.state == start


def test_escalation_walks_up_one_level_at_a_time_and_stops_at_the_top(
    session, county, report, act, actors
):
    task = report(track="coordinate")
    task = act(actors["worker0"], task, "escalate", comment="需要社区协调")
    assert task.current_node_id == county.communities[0].id
    task = act(actors["station"], task, "escalate", comment="社区解决不了")
    assert task.current_node_id == county.townships[0].id
    # The station no longer reaches the task: it waits above them now.
    with pytest.raises(Forbidden):
        act(actors["station"], task, "accept")
    task = act(actors["township"], task, "escalate", comment="报县里")
    assert task.current_node_id == county.top.id
    with pytest.raises(Conflict):
        act(actors["admin"], task, "escalate", comment="再往上")
    waiting = session.scalars(
        reading.waiting_on(session, county.admin, scope_of(session, county.admin))
    )
    assert task in list(waiting)


def test_each_level_sees_what_waits_on_it(session, county, report, act, actors):
    task = report()
    station = actors["station"]
    assert (
        list(session.scalars(reading.waiting_on(session, station, scope_of(session, station))))
        == []
    )
    act(actors["worker0"], task, "escalate", comment="上报社区")
    found = list(session.scalars(reading.waiting_on(session, station, scope_of(session, station))))
    assert found == [task]


def test_a_dispatched_task_returned_goes_back_to_the_dispatching_level(county, report, act, actors):
    task = bring_to("dispatched", report, act, actors, county)
    assert (task.current_node_id, task.assignee_role) == (county.grids[0].id, "grid_worker")
    task = act(actors["worker0"], task, "return", comment="不属于本网格")
    assert (task.current_node_id, task.assignee_role) == (county.communities[0].id, None)


def test_dispatch_outside_the_dispatchers_scope_is_refused(county, report, act, actors):
    task = bring_to("accepted", report, act, actors, county)
    with pytest.raises(DomainError) as refused:
        act(actors["station"], task, "dispatch", target_node=county.grids[4])
    assert refused.value.field == "target_node_id"


def test_an_action_the_state_does_not_allow_is_a_conflict(county, report, act, actors):
    task = report()
    with pytest.raises(Conflict):
        act(actors["station"], task, "close")


def test_an_action_that_needs_a_comment_refuses_an_empty_one(county, report, act, actors):
    task = report()
    with pytest.raises(DomainError) as refused:
        act(actors["worker0"], task, "escalate", comment=" ")
    assert refused.value.field == "comment"


def test_only_a_general_task_may_be_handled_and_closed_on_the_spot(county, report, act, actors):
    task = report(track="coordinate")
    with pytest.raises(Conflict):
        act(actors["worker0"], task, "resolve", comment="现场处理")
    general = report(track="general")
    assert act(actors["worker0"], general, "resolve", comment="现场处理").closed_at is not None


def test_an_emergency_notifies_the_level_above_at_once(session, county, report):
    task = report(track="emergency", category="突发事项", title="燃气泄漏")
    notified = session.scalars(
        select(Notification.user_id).where(Notification.task_id == task.id)
    ).all()
    assert county.station_staff.id in notified
    assert county.workers[0].id not in notified


def test_the_log_records_who_when_and_cannot_be_edited(session, county, report, act, actors):
    task = report()
    act(actors["station"], task, "accept", comment="已受理")
    log = reading.history(session, task)
    assert [(e.action, e.from_state, e.to_state) for e in log] == [
        ("report", None, "reported"),
        ("accept", "reported", "accepted"),
    ]
    assert log[1].actor_name == county.station_staff.name and log[1].comment == "已受理"
    log[1].comment = "改过"
    with pytest.raises(TaskTransitionIsAppendOnly):
        session.flush()
    session.rollback()


def test_a_report_resent_with_its_key_returns_the_first_task(session, county):
    first, created = reporting.report_task(
        session,
        county.workers[0],
        scope_of(session, county.workers[0]),
        county.grids[0],
        reporting.Report(category="民生事项", title="井盖缺失", idempotency_key="draft-1"),
    )
    again, created_again = reporting.report_task(
        session,
        county.workers[0],
        scope_of(session, county.workers[0]),
        county.grids[0],
        reporting.Report(category="民生事项", title="井盖缺失", idempotency_key="draft-1"),
    )
    assert (created, created_again, again.id) == (True, False, first.id)


def test_an_unknown_category_is_refused_on_its_field(report):
    with pytest.raises(DomainError) as refused:
        report(category="外星人")
    assert refused.value.field == "category"


def test_a_county_may_add_its_own_categories(session, county, report):
    county.tenant.settings = {**county.tenant.settings, "task_categories": ["环境卫生"]}
    assert report(category="环境卫生").category == "环境卫生"


def test_a_task_dispatched_to_a_department_is_for_its_officers(session, county, report, act):
    from gridgov.core.departments import service as departments

    fire = departments.create_department(
        session, county.admin, code="XF", name="县消防救援大队", node=county.top
    )
    officer = UserFactory(username="xf-officer", role=Role.DEPARTMENT_OFFICER.value)
    departments.add_officer(session, county.admin, fire, officer)
    task = act(county.station_staff, report(track="coordinate"), "accept")
    task = act(county.station_staff, task, "dispatch", department_id=fire.id)
    assert (task.department_id, task.current_node_id) == (fire.id, county.top.id)
    scope = scope_of(session, officer)
    assert reading.visible_task(session, officer, scope, task.id) is task
    assert list(session.scalars(reading.waiting_on(session, officer, scope))) == [task]
    notified = session.scalars(
        select(Notification.user_id).where(Notification.kind == "dispatched")
    )
    assert officer.id in list(notified)
    with pytest.raises(Forbidden):
        act(county.station_staff, task, "handle", comment="我来处理")
    task = act(officer, task, "handle", comment="已排除隐患")
    assert (task.state, task.department_id, task.current_node_id) == (
        "handled",
        None,
        county.communities[0].id,
    )


def test_a_station_accepts_several_tasks_at_once_and_learns_why_one_was_refused(
    session, county, report
):
    station = county.station_staff
    first, second = report(title="一"), report(node=county.grids[1], title="二")
    elsewhere = report(by=county.workers[2], node=county.grids[2], title="别社区")
    result = transitions.transition_many(
        session, station, scope_of(session, station), [first.id, second.id, elsewhere.id], "accept"
    )
    assert result.done == [first.id, second.id]
    assert result.refused == {elsewhere.id: "没有这个事件"}
    session.expire_all()
    assert (first.state, second.state, elsewhere.state) == ("accepted", "accepted", "reported")


def test_a_task_in_another_state_is_refused_in_a_bulk_accept_and_the_rest_go_through(
    session, county, report, act
):
    station = county.station_staff
    taken = act(station, report(title="已受理"), "accept")
    waiting = report(title="待受理")
    result = transitions.transition_many(
        session, station, scope_of(session, station), [taken.id, waiting.id], "accept"
    )
    assert result.done == [waiting.id]
    assert "不能受理" in result.refused[taken.id]


def test_several_tasks_are_dispatched_to_a_department_at_once(session, county, report, act):
    station = county.station_staff
    accepted = [
        act(station, report(title=f"第{i}件", track="coordinate"), "accept") for i in (1, 2)
    ]
    result = transitions.transition_many(
        session,
        station,
        scope_of(session, station),
        [task.id for task in accepted],
        "dispatch",
        transitions.Move(department_id=county.department.id),
    )
    assert result.done == [task.id for task in accepted]
    session.expire_all()
    assert {task.department_id for task in accepted} == {county.department.id}


def test_only_accept_and_dispatch_are_done_in_bulk(session, county, report):
    station = county.station_staff
    with pytest.raises(DomainError) as refused:
        transitions.transition_many(session, station, scope_of(session, station), [1], "close")
    assert refused.value.field == "action"


def _selects(session, run):
    seen = []

    def record(_conn, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        return run(), seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_task_read_under_its_lock_is_not_read_again_while_the_lock_is_held(
    session, county, report
):
    task = report()
    station = county.station_staff
    scope = scope_of(session, station)
    session.commit()
    locked = reading.visible_task(session, station, scope, task.id, for_update=True)
    assert reading.holds_lock(session, locked)
    again, selects = _selects(session, lambda: transitions.lock_task(session, locked))
    assert again is locked and selects == []
    # A lock taken in a savepoint rolled back is let go: the task is locked (read) again.
    session.commit()
    savepoint = session.begin_nested()
    reading.visible_task(session, station, scope, task.id, for_update=True)
    savepoint.rollback()
    assert not reading.holds_lock(session, locked)
    again, selects = _selects(session, lambda: transitions.lock_task(session, locked))
    assert len(selects) == 1
    if session.get_bind().dialect.name == "postgresql":  # SQLite locks the whole database
        assert "FOR UPDATE" in selects[0]
    assert reading.holds_lock(session, again)
    session.commit()  # and every lock ends with the transaction
    assert not reading.holds_lock(session, again)
    assert transitions.transition(session, station, scope, again, "accept").state == "accepted"
