"""``gridgov tasks sweep`` and ``recount`` as cron runs them."""

from __future__ import annotations

import datetime as dt

import time_machine

from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import set_tenant
from gridgov.core.tasks import counters, reporting
from gridgov.core.tasks.models import Task
from tests.factories import build_county


def test_sweep_cards_the_overdue_tasks_of_each_county(session, app):
    county = build_county(session)
    with time_machine.travel(dt.datetime(2024, 3, 4, 1, 0, tzinfo=dt.UTC), tick=False):
        task, _ = reporting.report_task(
            session,
            county.workers[0],
            scope_of(session, county.workers[0]),
            county.grids[0],
            reporting.Report(category="民生事项", title="垃圾堆放"),
        )
    session.commit()
    result = app.test_cli_runner().invoke(args=["tasks", "sweep"])
    assert result.exit_code == 0, result.output
    assert "changshan: 0 yellow, 1 red" in result.output
    set_tenant(session, county.tenant.id)
    assert session.get(Task, task.id, populate_existing=True).card == "red"


def test_recount_rebuilds_the_counters(session, app):
    county = build_county(session)
    reporting.report_task(
        session,
        county.workers[0],
        scope_of(session, county.workers[0]),
        county.grids[0],
        reporting.Report(category="民生事项", title="噪音"),
    )
    kept = counters.stored(session)
    session.commit()
    result = app.test_cli_runner().invoke(args=["tasks", "recount", "--tenant", "changshan"])
    assert result.exit_code == 0, result.output
    assert "changshan: 4 counter rows" in result.output
    set_tenant(session, county.tenant.id)
    assert counters.stored(session) == kept


def test_an_unknown_county_is_an_error(app, session):
    result = app.test_cli_runner().invoke(args=["tasks", "sweep", "--tenant", "nowhere"])
    assert result.exit_code == 1
