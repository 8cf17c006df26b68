"""The dashboard counters, kept on every change, always equal a full recount of the tasks."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import DomainError
from gridgov.core.tasks import counters, reporting, transitions
from gridgov.core.tasks.models import Task

ACTIONS = [
    "accept",
    "escalate",
    "dispatch",
    "return",
    "handle",
    "close",
    "resolve",
    "revisit",
    "evaluate",
    "reopen",
]

steps = st.lists(
    st.tuples(
        st.sampled_from(["report", *ACTIONS]),
        st.integers(min_value=0, max_value=5),  # which task
        st.integers(min_value=0, max_value=7),  # which actor
        st.sampled_from(["satisfied", "basic", "unsatisfied"]),
    ),
    max_size=25,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_counters_equal_a_recount_after_any_sequence_of_transitions(session, county, steps):
    people = [
        county.admin,
        county.township_staff,
        county.station_staff,
        county.workers[0],
        county.workers[1],
        county.workers[2],
        county.supervisor,
        county.volunteer,
    ]
    made = []
    for action, which, who, rating in steps:
        actor = people[who]
        if action == "report" or not made:
            task, _created = reporting.report_task(
                session,
                county.workers[which % 3],
                scope_of(session, county.workers[which % 3]),
                county.grids[which % 3],
                reporting.Report(
                    category=["民生事项", "矛盾纠纷"][which % 2],
                    title="事件",
                    track=["general", "coordinate", "emergency"][who % 3],
                ),
            )
            made.append(task)
            continue
        task = made[which % len(made)]
        move = transitions.Move(comment="意见", rating=rating, target_node=county.grids[0])
        try:
            with session.begin_nested():
                transitions.transition(session, actor, scope_of(session, actor), task, action, move)
        except DomainError:
            session.refresh(task)
    assert counters.stored(session) == counters.recount(session)
    # Every task (of this example and the ones before it) counts once at the top node.
    figures = counters.breakdown(session, county.top.id)
    total = sum(n for _value, n, _s in figures["state"])
    assert all(sum(n for _v, n, _s in rows) == total for rows in figures.values())
    assert total == session.scalar(select(func.count(Task.id)))


def test_a_rebuild_reproduces_the_stored_counters(session, county, report, act):
    task = report()
    act(county.station_staff, task, "accept")
    report(track="emergency", node=county.grids[1], by=county.workers[1])
    kept = counters.stored(session)
    assert counters.rebuild(session) == len(kept)
    assert counters.stored(session) == kept
