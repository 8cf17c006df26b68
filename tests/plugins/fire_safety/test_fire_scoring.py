"""The module's lines of the monthly assessment of grid workers (考核): patrols done against
those expected, hazards found, and hazards in the worker's grids rectified on time."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.admission.activation import hooks_for
from gridgov.core.forms import service as forms
from gridgov.core.plugins.hookspecs import ScoringContext
from gridgov.core.registry import service as registry
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.fire_safety import inspections
from tests.plugins.fire_safety.test_fire_patrols import SHOP, shop_checklist

TODAY = CountyClock.of(None).today()
START = TODAY - dt.timedelta(days=29)


def rules():
    return {rule.code: rule for rule in hooks_for().scoring_rules()}


def score(session, county, code, worker, start=START, end=TODAY):
    period = county.tenant.clock.period(start, end)
    context = ScoringContext(session, county.tenant.id, worker.id, period)
    return rules()[code].score(context)


def patrol(session, county, worker, grid, days_ago=0):
    submission = forms.submit_form(
        session,
        worker,
        SHOP,
        module="fire_safety",
        node=grid,
        data=shop_checklist(inspected_on=(TODAY - dt.timedelta(days=days_ago)).isoformat()),
    )
    return inspections.process_patrol(session, submission)


def test_hook_scoring_rules_are_the_modules_three_lines(session, county):
    assert {code: r.max_points for code, r in rules().items() if code.startswith("fire_")} == {
        "fire_safety.patrols": 5,
        "fire_safety.hazards_found": 3,
        "fire_safety.rectified_on_time": 2,
    }


def test_patrol_points_are_the_share_of_expected_patrols_done(session, county):
    worker, grid = county.workers[0], county.grids[0]
    for name in ("甲", "乙", "丙", "丁"):
        registry.create_site(session, county.tenant, None, grid=grid, name=name, kind="shop")
    patrol(session, county, worker, grid)
    patrol(session, county, worker, grid, days_ago=5)
    patrol(session, county, worker, grid, days_ago=60)  # before the period
    assert score(session, county, "fire_safety.patrols", worker) == pytest.approx(2.5)


def test_the_county_may_fix_the_patrols_expected(session, county):
    county.tenant.settings = {"fire_safety": {"patrols_per_month": 1}}
    worker = county.workers[0]
    patrol(session, county, worker, county.grids[0])
    patrol(session, county, worker, county.grids[0])
    assert score(session, county, "fire_safety.patrols", worker) == 5  # capped at the maximum


def test_a_worker_with_no_patrol_scores_nothing_for_patrols(session, county):
    assert score(session, county, "fire_safety.patrols", county.workers[1]) == 0


def test_half_a_point_per_hazard_found_up_to_three(session, county, record):
    worker = county.workers[0]
    record()
    record(found_on=TODAY - dt.timedelta(days=3))
    assert score(session, county, "fire_safety.hazards_found", worker) == 1
    for _ in range(6):
        record()
    assert score(session, county, "fire_safety.hazards_found", worker) == 3
    assert score(session, county, "fire_safety.hazards_found", county.workers[1]) == 0


def test_on_time_points_are_the_share_of_due_hazards_rectified_by_their_deadline(
    session, county, record, act
):
    worker = county.workers[0]
    found = TODAY - dt.timedelta(days=10)
    in_time = record(deadline=TODAY + dt.timedelta(days=1))
    act(worker, in_time, "rectify", "已整改")
    act(county.station_staff, in_time, "pass", "合格")
    record(found_on=found, deadline=found + dt.timedelta(days=2))  # still open: late
    period_end = TODAY + dt.timedelta(days=1)
    assert score(
        session, county, "fire_safety.rectified_on_time", worker, end=period_end
    ) == pytest.approx(1.0)


def test_full_on_time_points_when_nothing_fell_due(session, county, record):
    record()  # due in a week, after the period
    assert score(session, county, "fire_safety.rectified_on_time", county.workers[0]) == 2
