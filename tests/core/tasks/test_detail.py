"""The task detail: one read model of what a task's page and its API answer show."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import NotFound
from gridgov.core.tasks import cards, reporting
from gridgov.core.tasks.detail import task_detail
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, zone_named

MONDAY_9 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=zone_named(DEFAULT_TIME_ZONE))
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)


def detail(session, user, task):
    return task_detail(session, user, scope_of(session, user), task.id)


def test_the_detail_holds_where_the_task_lies_its_log_files_and_cards(session, county, act):
    worker = county.workers[0]
    with time_machine.travel(MONDAY_9, tick=False):
        task, _created = reporting.report_task(
            session,
            worker,
            scope_of(session, worker),
            county.grids[0],
            reporting.Report(category="矛盾纠纷", title="楼上漏水", track="coordinate"),
            uploads=[reporting.Upload("现场.png", PNG)],
        )
        act(worker, task, "escalate", comment="报社区")
    cards.sweep_cards(session, MONDAY_9 + dt.timedelta(days=3))
    seen = detail(session, county.station_staff, task)
    assert seen.task == task and str(seen.state_label) == "已上报"
    assert (seen.node, seen.current_node) == (county.grids[0], county.communities[0])
    assert [entry.action for entry in seen.history] == ["report", "escalate"]
    assert [photo.name for photo in seen.attachments] == ["现场.png"]
    assert [(given.card.color, given.points) for given in seen.cards] == [("red", 1.0)]


def test_the_steps_offered_are_the_readers_own(session, county, report):
    task = report(track="coordinate")
    worker = detail(session, county.workers[0], task)
    station = detail(session, county.station_staff, task)
    assert "accept" not in [rule.action for rule in worker.actions]
    assert "accept" in [rule.action for rule in station.actions]


def test_supervision_is_offered_to_the_county_and_townships_on_an_open_task_only(
    session, county, report, act
):
    task = report()
    assert detail(session, county.admin, task).may_supervise
    assert not detail(session, county.workers[0], task).may_supervise
    act(county.workers[0], task, "resolve")
    assert not detail(session, county.admin, task).may_supervise


def test_a_task_the_user_does_not_read_has_no_detail(session, county, report):
    task = report()
    with pytest.raises(NotFound):
        detail(session, county.workers[1], task)
