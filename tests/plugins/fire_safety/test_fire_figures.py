"""The module's figures ("排查处理消防安全隐患367起"): hazards by grade and state, rectified on
time, overdue, per level below a node, residents' reports and fire leaders, for the viewer's
scope only; and the dashboard hook that hands them to the county's dashboard."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.admission.activation import hooks_for
from gridgov.core.registry import service as registry
from gridgov.core.registry.service import PersonInput
from gridgov.core.registry.synthetic import people
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.fire_safety import figures
from tests.plugins.fire_safety.test_fire_reports import resident_report

TODAY = CountyClock.of(None).today()
EVERYTHING = Scope(everything=True)


@pytest.fixture
def five(session, county, record, act):
    """Five hazards: in grid 0 one eliminated on time, one eliminated late, one overdue and one
    major open (listed); in township 1 one awaiting its re-check."""
    on_time = record(place="按期")
    act(county.workers[0], on_time, "rectify", "已整改")
    act(county.station_staff, on_time, "pass", "合格")
    found = TODAY - dt.timedelta(days=20)
    late = record(place="逾期", found_on=found, deadline=found + dt.timedelta(days=3))
    act(county.workers[0], late, "rectify", "已整改")
    act(county.station_staff, late, "pass", "合格")
    record(place="超期", found_on=found, deadline=found + dt.timedelta(days=3))
    act(county.admin, record(place="重大", grade="major"), "list", "挂牌督办")
    far = record(by=county.admin, node=county.grids[4], place="二镇")
    act(county.admin, far, "rectify", "已整改")


def test_hazards_are_counted_by_grade_and_state(session, five):
    counts = figures.hazard_counts(session, EVERYTHING, TODAY)
    assert counts.found == 5
    assert counts.by_grade == {"general": 4, "major": 1}
    assert counts.by_state == {"rectifying": 2, "rechecking": 1, "closed": 2}
    assert counts.by_grade_state["general"] == {"rectifying": 1, "rechecking": 1, "closed": 2}
    assert (counts.eliminated, counts.open, counts.major_open) == (2, 3, 1)


def test_rectified_on_time_counts_the_late_and_the_overdue_against_it(session, five):
    counts = figures.hazard_counts(session, EVERYTHING, TODAY)
    assert (counts.on_time, counts.overdue) == (1, 1)
    assert counts.on_time_rate == pytest.approx(1 / 3)  # 1 on time of 2 eliminated + 1 overdue


def test_nothing_due_yet_has_no_on_time_rate(session, county, record):
    record()
    assert figures.hazard_counts(session, EVERYTHING, TODAY).on_time_rate is None


def test_a_viewer_counts_only_their_own_part_of_the_county(session, county, five):
    worker = county.workers[4]
    counts = figures.hazard_counts(session, scope_of(session, worker), TODAY)
    assert (counts.found, counts.by_state["rechecking"]) == (1, 1)
    assert figures.hazard_counts(session, scope_of(session, county.workers[1]), TODAY).found == 0


def test_per_level_each_township_counts_what_was_found_below_it(session, county, five):
    by_child = figures.counts_by_child(session, EVERYTHING, TODAY, county.top, county.townships)
    first, second = (by_child[t.id] for t in county.townships)
    assert (first.found, first.eliminated, first.overdue, first.major_open) == (4, 2, 1, 1)
    assert (second.found, second.by_state["rechecking"]) == (1, 1)


def test_residents_reports_are_counted_by_how_far_they_went(session, county, officer, act):
    done = resident_report(session, county.grids[0])
    for action, comment in (
        ("investigate", ""),
        ("confirm", "属实"),
        ("reward", "奖励"),
        ("answer", "已反馈"),
    ):
        act(officer, done, action, comment)
    resident_report(session, county.grids[1])
    reports = figures.report_counts(session, EVERYTHING)
    assert (reports.received, reports.confirmed, reports.rewarded, reports.answered) == (
        2,
        1,
        1,
        1,
    )
    assert figures.report_counts(session, scope_of(session, county.workers[1])).received == 1


def add_residents(session, county, grid, count, seed):
    made = []
    for resident in people(count, seed=seed):
        made.append(
            registry.create_person(
                session,
                county.tenant,
                None,
                PersonInput(name=resident.name, id_number=resident.id_number),
                grid=grid,
            )
        )
    return made


def test_fire_leaders_cover_each_community_against_one_in_a_hundred(session, county):
    first = add_residents(session, county, county.grids[0], 150, seed=1)
    add_residents(session, county, county.grids[2], 20, seed=2)
    registry.tag_person(
        session, None, first[0], figures.LEADER_TAG, catalogue={figures.LEADER_TAG: figures.LEADER}
    )
    rows = {row.node.id: row for row in figures.leader_coverage(session, EVERYTHING, 3)}
    assert len(rows) == len(county.communities)
    full = rows[county.communities[0].id]
    assert (full.residents, full.leaders, full.target) == (150, 1, 2)
    assert full.rate == pytest.approx(0.5)
    other = rows[county.communities[1].id]
    assert (other.residents, other.leaders, other.target, other.rate) == (20, 0, 1, 0.0)
    assert rows[county.communities[2].id].rate is None  # nobody lives there: nothing to cover
    assert figures.leader_count(session, EVERYTHING) == 1


def test_a_grid_worker_sees_the_coverage_of_their_own_grid(session, county):
    add_residents(session, county, county.grids[0], 5, seed=3)
    rows = figures.leader_coverage(session, scope_of(session, county.workers[0]), 3)
    assert [(row.node.id, row.residents) for row in rows] == [(county.grids[0].id, 5)]


def test_in_a_three_level_county_the_villages_are_the_communities():
    assert figures.community_level(2) == 2
    assert figures.community_level(3) == 2


def test_hook_dashboard_figures_give_the_countys_totals(session, county, five):
    found = hooks_for().dashboard_figures(session=session, tenant=county.tenant, scope=EVERYTHING)
    by_code = {f.code: f for f in found}
    assert by_code["fire_safety.hazards"].value == 5
    assert by_code["fire_safety.hazards"].extra["by_grade"] == {"general": 4, "major": 1}
    assert by_code["fire_safety.eliminated"].value == 2
    assert by_code["fire_safety.major_open"].value == 1
    assert by_code["fire_safety.on_time_rate"].value == pytest.approx(33.3)
    assert by_code["fire_safety.overdue"].value == 1
    assert by_code["fire_safety.hazards"].unit == "起"
