"""County time: a county's today, months and periods are in its own time zone, not the
machine's (UTC here), with the clock frozen at the hours where the two disagree."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import DomainError
from gridgov.core.forms import service as forms
from gridgov.core.onboarding import counties
from gridgov.core.onboarding.manifest import ManifestError, apply_manifest, parse_manifest
from gridgov.core.tasks import counters, reporting, worker_day
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.county_time import CountyClock, Period, zone_named
from tests.core.forms.test_forms import EVERY_TYPE, VALID
from tests.factories import build_county

SHANGHAI = zone_named("Asia/Shanghai")
URUMQI = zone_named("Asia/Urumqi")  # UTC+6: two hours behind Beijing
# 17:30 UTC on 30 November is already 1 December in Beijing, still 30 November in Ürümqi.
EVENING_UTC = dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.UTC)
LATE_UTC = dt.datetime(2026, 11, 30, 23, 59, tzinfo=dt.UTC)


@pytest.mark.parametrize("moment", [EVENING_UTC, LATE_UTC], ids=["17:30", "23:59"])
def test_a_county_in_beijing_time_is_already_in_the_next_day_and_month(moment):
    with time_machine.travel(moment, tick=False):
        clock = CountyClock(SHANGHAI)
        assert clock.today() == dt.date(2026, 12, 1)
        assert clock.this_month() == Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31), SHANGHAI)


def test_a_county_in_another_zone_keeps_its_own_day():
    with time_machine.travel(EVENING_UTC, tick=False):
        assert CountyClock(URUMQI).today() == dt.date(2026, 11, 30)
        assert CountyClock(SHANGHAI).today() == dt.date(2026, 12, 1)
    with time_machine.travel(EVENING_UTC + dt.timedelta(hours=1), tick=False):
        assert CountyClock(URUMQI).today() == dt.date(2026, 12, 1)


def test_a_period_is_the_county_days_as_a_half_open_range_of_moments():
    december = Period.month(2026, 12, SHANGHAI)
    assert (december.first, december.last, december.days) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 31),
        31,
    )
    assert december.starts_at == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    assert december.ends_at == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)
    assert december.includes(EVENING_UTC)
    assert not december.includes(december.ends_at)
    assert Period.month(2026, 2, SHANGHAI).last == dt.date(2026, 2, 28)
    with pytest.raises(ValueError):
        Period(dt.date(2026, 12, 2), dt.date(2026, 12, 1), SHANGHAI)


def test_a_tenant_clock_follows_its_time_zone(app, session):
    county = build_county(session)
    assert county.tenant.time_zone == "Asia/Shanghai"
    counties.update_tenant(session, None, county.tenant, time_zone="Asia/Urumqi")
    with time_machine.travel(EVENING_UTC, tick=False):
        assert county.tenant.clock.today() == dt.date(2026, 11, 30)


def test_an_unknown_time_zone_is_refused_with_its_field(app, session):
    county = build_county(session)
    with pytest.raises(DomainError) as refused:
        counties.update_tenant(session, None, county.tenant, time_zone="Mars/Olympus")
    assert refused.value.field == "time_zone"
    assert county.tenant.time_zone == "Asia/Shanghai"


def test_a_task_reported_in_the_utc_evening_counts_in_the_countys_next_month(app, session):
    county = build_county(session)
    with time_machine.travel(EVENING_UTC, tick=False):
        task, _new = reporting.report_task(
            session,
            county.workers[0],
            scope_of(session, county.workers[0]),
            county.grids[0],
            reporting.Report(title="路灯不亮", category="民生事项"),
        )
    assert counters.share_of(task, 3, SHANGHAI).key[0] == dt.date(2026, 12, 1)
    stored_months = {key[1] for key in counters.stored(session)}
    assert stored_months == {dt.date(2026, 12, 1)}


def test_patrols_of_a_day_are_those_of_the_countys_day(app, session):
    county = build_county(session)
    worker, grid = county.workers[0], county.grids[0]
    for moment in (
        dt.datetime(2026, 11, 30, 15, 30, tzinfo=dt.UTC),  # 23:30 on 30 Nov in Beijing
        EVENING_UTC,  # 01:30 on 1 Dec
        dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC),  # 11:00 on 1 Dec
    ):
        with time_machine.travel(moment, tick=False):
            worker_day.check_in(session, worker, scope_of(session, worker), grid, place="菜市场")
    assert len(worker_day.patrols_of(session, worker, dt.date(2026, 12, 1))) == 2
    assert len(worker_day.patrols_of(session, worker, dt.date(2026, 11, 30))) == 1


def test_the_workers_log_of_the_countys_today_is_taken_in_the_utc_evening(app, session):
    county = build_county(session)
    worker = county.workers[0]
    with time_machine.travel(EVENING_UTC, tick=False):
        entry = worker_day.write_log(session, worker, dt.date(2026, 12, 1), "巡查两次，走访三户")
        assert entry.day == dt.date(2026, 12, 1)
        with pytest.raises(DomainError):
            worker_day.write_log(session, worker, dt.date(2026, 12, 2), "明天的日志")


def test_form_submissions_are_counted_by_the_countys_days(app, session):
    county = build_county(session)
    worker = county.workers[0]
    with app.test_request_context(), time_machine.travel(EVENING_UTC, tick=False):
        forms.submit_form(
            session, worker, EVERY_TYPE, module="fire_safety", node=county.grids[0], data=VALID
        )
    clock = county.tenant.clock
    december = clock.month_of(dt.date(2026, 12, 1))
    november = clock.month_of(dt.date(2026, 11, 1))
    count = forms.count_submissions
    assert count(session, EVERY_TYPE.code, user_id=worker.id, period=december) == 1
    assert count(session, EVERY_TYPE.code, user_id=worker.id, period=november) == 0


MANIFEST = """\
slug: kashi
name: 喀什县
levels: [县, 乡镇, 村, 网格]
time_zone: {zone}
"""


def test_a_manifest_sets_the_countys_time_zone_and_leaves_it_when_silent(app, session):
    apply_manifest(session, parse_manifest(MANIFEST.format(zone="Asia/Urumqi")))
    tenant = tenancy.get_by_slug(session, "kashi")
    assert tenant is not None and tenant.time_zone == "Asia/Urumqi"
    silent = MANIFEST.replace("time_zone: {zone}\n", "")
    apply_manifest(session, parse_manifest(silent))
    assert tenant.time_zone == "Asia/Urumqi"


def test_a_manifest_with_an_unknown_time_zone_is_refused_at_its_line(app, session):
    with pytest.raises(ManifestError) as refused:
        parse_manifest(MANIFEST.format(zone="Beijing"), source="kashi.yaml")
    assert "kashi.yaml:4" in str(refused.value)
    assert "时区" in str(refused.value)


def test_a_new_time_zone_counts_the_dashboards_months_again(app, session):
    county = build_county(session)
    with time_machine.travel(EVENING_UTC, tick=False):  # 1 December in Beijing, 30 Nov in Ürümqi
        reporting.report_task(
            session,
            county.workers[0],
            scope_of(session, county.workers[0]),
            county.grids[0],
            reporting.Report(title="路灯不亮", category="民生事项"),
        )
    assert {key[1] for key in counters.stored(session)} == {dt.date(2026, 12, 1)}
    counties.update_tenant(session, None, county.tenant, time_zone="Asia/Urumqi")
    assert {key[1] for key in counters.stored(session)} == {dt.date(2026, 11, 1)}
    assert counters.stored(session) == counters.recount(session)
