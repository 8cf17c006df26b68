"""Revisit and evaluation: the resident's rating, and reopening what was not fixed."""

from __future__ import annotations

import pytest

from gridgov.core.errors import Conflict, DomainError
from gridgov.core.tasks import service as tasks


@pytest.fixture
def closed(county, report, act):
    task = report(track="coordinate")
    task = act(county.station_staff, task, "accept")
    task = act(county.station_staff, task, "handle", comment="已协调处理")
    return act(county.station_staff, task, "close")


def test_an_unsatisfied_rating_lets_the_station_reopen(session, county, act, closed):
    task = act(county.workers[0], closed, "revisit", comment="电话回访")
    task = tasks.evaluate_as_resident(session, task, "unsatisfied", "灯还是不亮")
    assert (task.state, task.rating, task.rating_comment) == (
        "evaluated",
        "unsatisfied",
        "灯还是不亮",
    )
    task = act(county.station_staff, task, "reopen", comment="重新派人修")
    assert (task.state, task.is_open, task.closed_at) == ("accepted", True, None)


def test_a_satisfied_task_cannot_be_reopened(session, county, act, closed):
    task = tasks.evaluate_as_resident(session, closed, "satisfied", "")
    with pytest.raises(Conflict):
        act(county.station_staff, task, "reopen", comment="再看看")


def test_a_task_is_rated_only_once(session, closed):
    task = tasks.evaluate_as_resident(session, closed, "basic", "")
    with pytest.raises(Conflict):
        tasks.evaluate_as_resident(session, task, "satisfied", "")


def test_a_rating_outside_the_three_is_refused(session, closed):
    with pytest.raises(DomainError) as refused:
        tasks.evaluate_as_resident(session, closed, "great", "")
    assert refused.value.field == "rating"
    assert closed.state == "closed"


def test_an_open_task_cannot_be_rated(session, report):
    with pytest.raises(Conflict):
        tasks.evaluate_as_resident(session, report(), "satisfied", "")
