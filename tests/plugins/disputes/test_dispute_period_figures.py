"""The module's figures in a period report: disputes reported in the period, and how many of
them are handled and resolved by now."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from gridgov.core.accounts.scope import Scope
from gridgov.core.admission.activation import hooks_for
from gridgov.core.reports import service as reports
from tests.factories import build_county
from tests.plugins.disputes.factories import admit_disputes, close, report

BEIJING = ZoneInfo("Asia/Shanghai")


def test_hook_period_figures_count_the_disputes_reported_in_the_period(session):
    with time_machine.travel(dt.datetime(2026, 12, 20, 10, tzinfo=BEIJING), tick=False):
        county = build_county(session)
        admit_disputes(session, county)
        report(session, county)  # last year
    with time_machine.travel(dt.datetime(2027, 1, 10, 10, tzinfo=BEIJING), tick=False):
        close(session, county.workers[0], report(session, county))
        report(session, county)
    with time_machine.travel(dt.datetime(2027, 1, 20, 10, tzinfo=BEIJING), tick=False):
        this_year = county.tenant.clock.this_year()
        subtree = Scope(paths=(county.top.path,))
        found = hooks_for(subtree).period_figures(
            session=session, tenant=county.tenant, scope=subtree, period=this_year
        )
    by_code = {f.code: f.value for f in found}
    assert (by_code["disputes.reported"], by_code["disputes.resolved"]) == (2, 1)
    assert by_code["disputes.open"] == 1


def test_a_pilot_township_reports_disputes_and_the_other_township_does_not(session):
    with time_machine.travel(dt.datetime(2027, 1, 10, 10, tzinfo=BEIJING), tick=False):
        county = build_county(session)
        admit_disputes(session, county, pilot=True)
        report(session, county)
        month = county.tenant.clock.this_month()
        pilot = reports.module_figures(session, county.tenant, county.townships[0], month)
        other = reports.module_figures(session, county.tenant, county.townships[1], month)
    assert [m.module for m in pilot] == ["disputes"]
    assert other == []
