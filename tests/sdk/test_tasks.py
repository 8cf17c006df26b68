"""The SDK's use cases check what the core's API and portal check: ``tasks.report`` refuses a
reporter outside their scope or of a role that does not report, before anything is filed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gridgov.sdk import tasks
from gridgov.sdk.caller import scope_of
from gridgov.sdk.errors import Forbidden, NotFound
from gridgov.sdk.tasks import Report, Task
from tests.factories import build_county


@pytest.fixture
def county(session):
    return build_county(session)


def _report() -> Report:
    return Report(category="民生事项", title="路灯不亮")


def _tasks(session) -> int:
    return session.scalar(select(func.count(Task.id)))


def test_a_worker_reports_in_their_own_grid(session, county):
    worker = county.workers[0]
    task, created = tasks.report(
        session, worker, scope_of(session, worker), county.grids[0], _report()
    )
    assert (created, task.reporter_id, task.node_id) == (True, worker.id, county.grids[0].id)


def test_a_worker_cannot_report_in_another_workers_grid(session, county):
    worker = county.workers[0]
    with pytest.raises(NotFound) as refused:
        tasks.report(session, worker, scope_of(session, worker), county.grids[5], _report())
    assert refused.value.field == "node_id"
    assert _tasks(session) == 0


def test_the_audit_administrator_cannot_report(session, county):
    auditor = county.auditor
    with pytest.raises(Forbidden):
        tasks.report(session, auditor, scope_of(session, auditor), county.grids[0], _report())
    assert _tasks(session) == 0


def test_without_a_scope_the_reporters_own_is_checked(session, county):
    with pytest.raises(NotFound):
        tasks.report(session, county.workers[0], None, county.grids[5], _report())
    assert _tasks(session) == 0
