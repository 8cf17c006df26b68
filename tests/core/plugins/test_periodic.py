"""Periodic jobs of modules run in the counties that admitted them, at most once per their
interval, and stop when the county suspends the module."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core import runtime
from gridgov.core.admission import service as admission
from gridgov.core.admission.periodic import enqueue_due_jobs
from gridgov.core.db import tenant_scope, utcnow
from gridgov.core.plugins.hookspecs import ModuleInfo, PeriodicJob, hookimpl
from gridgov.core.plugins.manager import get_plugin_host
from tests.core.admission.factories import ITEMS, add_department
from tests.factories import build_county

HOUR = dt.timedelta(hours=1)


class Reminder:
    """A module whose hourly job notes the county it ran in."""

    def __init__(self) -> None:
        self.ran_in: list[int] = []

    @hookimpl
    def gridgov_module_info(self):
        return ModuleInfo(name="reminder", title="提醒", department="测试", version="0")

    @hookimpl
    def gridgov_periodic_jobs(self):
        return [PeriodicJob("reminder.hourly", "每小时提醒", "Hourly", HOUR, self.remind)]

    def remind(self, session, tenant_id):
        self.ran_in.append(tenant_id)


@pytest.fixture
def reminder(session, use_plugins):
    reminder = Reminder()
    use_plugins(get_plugin_host(load_entrypoints=False, plugins=(reminder,)))
    return reminder


def test_hook_periodic_jobs_run_hourly_in_the_admitting_county_only(app, session, reminder):
    other = build_county(session, "baishui")
    county = build_county(session, "changshan")
    with app.test_request_context():
        department, officer = add_department(session, county)
        a = admission.apply_for_module(
            session,
            officer,
            runtime.current().plugins,
            department=department,
            module="reminder",
            items=ITEMS,
        )
        admission.approve_admission(
            session, county.admin, a, meeting_date=dt.date(2026, 5, 8), minutes="同意"
        )
        session.commit()
        host, now = runtime.current().plugins, utcnow()
        assert enqueue_due_jobs(session, host, now) == ["changshan reminder.hourly"]
        assert enqueue_due_jobs(session, host, now + HOUR / 2) == []
        assert enqueue_due_jobs(session, host, now + HOUR) == ["changshan reminder.hourly"]
        with tenant_scope(session, county.tenant.id):
            admission.suspend_admission(session, county.admin, a, reason="整顿")
            session.commit()
        assert enqueue_due_jobs(session, host, now + 3 * HOUR) == []
    assert reminder.ran_in == [county.tenant.id, county.tenant.id]
    assert other.tenant.id not in reminder.ran_in
