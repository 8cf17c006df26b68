"""Revisit and evaluation: the resident's rating, and reopening what was not fixed."""

from __future__ import annotations

import pytest

from gridgov.core.errors import Conflict, DomainError
from gridgov.core.tasks import public, reading, reporting, transitions
from gridgov.core.tasks.models import Notification


@pytest.fixture
def closed(county, report, act):
    task = report(track="coordinate")
    task = act(county.station_staff, task, "accept")
    task = act(county.station_staff, task, "handle", comment="已协调处理")
    return act(county.station_staff, task, "close")


def test_an_unsatisfied_rating_lets_the_station_reopen(session, county, act, closed):
    task = act(county.workers[0], closed, "revisit", comment="电话回访")
    task = transitions.evaluate_as_resident(session, task, "unsatisfied", "灯还是不亮")
    assert (task.state, task.rating, task.rating_comment) == (
        "evaluated",
        "unsatisfied",
        "灯还是不亮",
    )
    task = act(county.station_staff, task, "reopen", comment="重新派人修")
    assert (task.state, task.is_open, task.closed_at) == ("accepted", True, None)


def test_a_satisfied_task_cannot_be_reopened(session, county, act, closed):
    task = transitions.evaluate_as_resident(session, closed, "satisfied", "")
    with pytest.raises(Conflict):
        act(county.station_staff, task, "reopen", comment="再看看")


def test_a_task_is_rated_only_once(session, closed):
    task = transitions.evaluate_as_resident(session, closed, "basic", "")
    with pytest.raises(Conflict):
        transitions.evaluate_as_resident(session, task, "satisfied", "")


def test_a_rating_outside_the_three_is_refused(session, closed):
    with pytest.raises(DomainError) as refused:
        transitions.evaluate_as_resident(session, closed, "great", "")
    assert refused.value.field == "rating"
    assert closed.state == "closed"


def test_an_open_task_cannot_be_rated(session, report):
    with pytest.raises(Conflict):
        transitions.evaluate_as_resident(session, report(), "satisfied", "")


@pytest.fixture
def reopening(county):
    """The county sends a 不满意 task back by itself."""
    settings = {**county.tenant.settings, transitions.REOPEN_ON_UNSATISFIED_SETTING: True}
    county.tenant.settings = settings


def test_a_rating_given_with_the_revisit_is_stored_in_the_same_call(session, county, act, closed):
    task = act(county.workers[0], closed, "revisit", comment="电话回访，居民满意", rating="basic")
    assert (task.state, task.rating) == ("evaluated", "basic")
    assert [e.action for e in reading.history(session, task)][-2:] == ["revisit", "evaluate"]
    assert public.tracking(session, task).rating == "基本满意"
    with pytest.raises(Conflict):
        transitions.evaluate_as_resident(session, task, "satisfied", "")


def test_a_revisit_without_a_rating_leaves_the_rating_to_the_resident(session, county, act, closed):
    task = act(county.workers[0], closed, "revisit", comment="电话无人接听")
    assert (task.state, task.rating) == ("revisited", None)
    assert public.tracking(session, task).may_rate


@pytest.mark.parametrize("action", ["close", "accept"])
def test_a_rating_on_a_step_that_cannot_take_one_is_refused_naming_the_field(
    session, county, act, report, action
):
    task = report(track="coordinate")
    if action == "close":
        task = act(county.station_staff, task, "accept")
        task = act(county.station_staff, task, "handle", comment="已修")
    with pytest.raises(DomainError) as refused:
        act(county.station_staff, task, action, rating="satisfied")
    assert refused.value.field == "rating"
    assert task.rating is None


def test_a_revisit_with_a_rating_outside_the_three_changes_nothing(session, county, act, closed):
    with pytest.raises(DomainError) as refused:
        act(county.workers[0], closed, "revisit", comment="回访", rating="great")
    assert refused.value.field == "rating"
    assert (closed.state, closed.rating) == ("closed", None)


def test_unsatisfied_reopens_by_itself_where_the_county_says_so(
    session, county, act, closed, reopening
):
    task = transitions.evaluate_as_resident(session, closed, "unsatisfied", "灯还是不亮")
    assert (task.state, task.is_open, task.rating) == ("accepted", True, "unsatisfied")
    last = reading.history(session, task)[-1]
    assert (last.action, last.actor_id, last.actor_name) == ("reopen", None, "系统")
    assert task.current_node_id == county.communities[0].id
    told = session.query(Notification).filter_by(task_id=task.id, kind="reopened").all()
    assert county.station_staff.id in {n.user_id for n in told}
    task = act(county.station_staff, task, "handle", comment="换了灯泡")
    assert task.state == "handled"


def test_unsatisfied_heard_at_the_revisit_reopens_too(session, county, act, closed, reopening):
    task = act(county.workers[0], closed, "revisit", comment="回访", rating="unsatisfied")
    assert [e.action for e in reading.history(session, task)][-3:] == [
        "revisit",
        "evaluate",
        "reopen",
    ]
    assert (task.state, task.is_open) == ("accepted", True)


def test_unsatisfied_does_not_reopen_without_the_setting(session, closed):
    task = transitions.evaluate_as_resident(session, closed, "unsatisfied", "灯还是不亮")
    assert (task.state, task.is_open) == ("evaluated", False)


def test_a_satisfied_rating_never_reopens(session, closed, reopening):
    task = transitions.evaluate_as_resident(session, closed, "satisfied", "")
    assert task.state == "evaluated"


def test_a_residents_task_is_not_closed_without_an_answer_for_them(session, county, act):
    task = public.report_as_resident(
        session,
        county.grids[0],
        reporting.Report(category="民生事项", title="楼道灯坏了", track="coordinate"),
    )
    task = act(county.station_staff, task, "accept")
    task = act(county.station_staff, task, "handle", comment="已换灯管")
    with pytest.raises(DomainError) as refused:
        act(county.station_staff, task, "close", comment=" ")
    assert refused.value.field == "comment"
    task = act(county.station_staff, task, "close", comment="灯已修好")
    assert public.tracking(session, task).answer == "灯已修好"
