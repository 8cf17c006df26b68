"""The module's figures in a period report: "排查火灾隐患X起、已整改Y起" for this year counts
the hazards found this year (in county days) and how many of them are rectified by now."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.admission.activation import hooks_for
from gridgov.core.reports import service as reports
from gridgov.core.tasks import transitions
from gridgov_plugins.fire_safety import hazards
from tests.factories import build_county
from tests.plugins.fire_safety.conftest import admit, finding

# 20 January 2027, 08:00 in Beijing — still 19 January in UTC.
FROZEN = dt.datetime(2027, 1, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def rectified(session, county, hazard):
    task = hazards.task_of(session, hazard)
    for user, action in ((county.workers[0], "rectify"), (county.station_staff, "pass")):
        transitions.transition(
            session, user, scope_of(session, user), task, action, transitions.Move(comment="已整改")
        )


def test_hook_period_figures_count_this_years_hazards_and_those_rectified(session):
    with time_machine.travel(FROZEN, tick=False):
        county = build_county(session)
        admit(session, county)
        worker = county.workers[0]

        def record(found_on, node=None):
            return hazards.record_hazard(
                session,
                worker,
                scope_of(session, worker),
                node or county.grids[0],
                finding(found_on=found_on, deadline=found_on + dt.timedelta(days=7)),
            )

        rectified(session, county, record(dt.date(2026, 12, 20)))  # last year
        rectified(session, county, record(dt.date(2027, 1, 5)))
        record(dt.date(2027, 1, 15))
        this_year = county.tenant.clock.this_year()
        subtree = Scope(paths=(county.top.path,))
        found = hooks_for(subtree).period_figures(
            session=session, tenant=county.tenant, scope=subtree, period=this_year
        )
        by_code = {f.code: f.value for f in found}
        assert by_code["fire_safety.hazards_found"] == 2
        assert by_code["fire_safety.hazards_rectified"] == 1
        assert by_code["fire_safety.hazards_open"] == 1
        (module,) = reports.module_figures(session, county.tenant, county.top, this_year)
        assert module.module == "fire_safety" and module.title == "消防安全"
        last_year = reports.module_figures(
            session, county.tenant, county.top, reports.shortcuts(county.tenant.clock)[-1].period
        )
        assert {f.code: f.value for f in last_year[0].figures}["fire_safety.hazards_found"] == 1


def test_a_county_that_did_not_admit_the_module_has_no_fire_figures_in_its_report(session):
    with time_machine.travel(FROZEN, tick=False):
        county = build_county(session)
        this_year = county.tenant.clock.this_year()
        assert reports.module_figures(session, county.tenant, county.top, this_year) == []
