"""The dashboard's figures as a user reads them: the average handling time of closed tasks."""

from __future__ import annotations

import datetime as dt

from gridgov.core.db import pinned_clock
from gridgov.core.tasks import dashboard as dashboards
from gridgov.core.tasks import reading
from gridgov.core.tenancy.service import current_tenant

START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def test_the_average_handling_time_is_the_mean_of_the_closed_tasks_durations(
    session, county, report, act
):
    for hours in (3, 5):
        with pinned_clock(START):
            task = report()
        with pinned_clock(START + dt.timedelta(hours=hours)):
            act(county.workers[0], task, "resolve", comment="现场处理")
    with pinned_clock(START):
        report()  # still open: no part of the average
    board = dashboards.dashboard(session, current_tenant(session), reading.registry(), county.top)
    assert board.closed == 2
    assert board.average_handling_hours == 4.0


def test_the_average_handling_time_is_none_without_a_closed_task(session, county, report):
    report()
    board = dashboards.dashboard(session, current_tenant(session), reading.registry(), county.top)
    assert board.average_handling_hours is None


def test_states_of_different_types_with_one_label_are_one_figure():
    figures = [
        dashboards.Figure("accepted", "已受理", 3, 0.3),
        dashboards.Figure("dispatched", "已交办", 5, 0.5),
        dashboards.Figure("received", "已受理", 2, 0.2),  # a dispute's 已受理
    ]
    merged = dashboards._merged(figures)
    assert [(f.value, f.label, f.tasks) for f in merged] == [
        ("accepted,received", "已受理", 5),
        ("dispatched", "已交办", 5),
    ]
    assert merged[0].share == 0.5
