"""The dispute figures ("上报矛盾纠纷 733 条，协助处理 1404 条": reported, handled, resolved within
the grid %), the early-warning list and the assessment lines, each counted from the cases in
the viewer's scope or of the assessed worker."""

from __future__ import annotations

import pytest

from gridgov.core import runtime
from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.admission.activation import hooks_for
from gridgov.core.plugins.hookspecs import ScoringContext
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.disputes import service
from tests.factories import build_county
from tests.plugins.disputes.factories import admit_disputes, close, officer_of, refer, report, step

TODAY = CountyClock.of(None).today()  # the test counties' today


@pytest.fixture
def county(app, session):
    county = build_county(session)
    admit_disputes(session, county)
    return county


def figures_by_code(session, scope):
    return {f.code: f.value for f in service.dashboard_figures(session, scope)}


def test_figures_count_reported_handled_and_resolved_within_the_grid(session, county):
    on_the_spot = report(session, county)
    close(session, county.workers[0], on_the_spot)
    by_office = report(session, county)
    step(session, county.station_staff, by_office, "confirm")
    step(session, county.station_staff, by_office, "escalate")
    refer(session, county.township_staff, by_office)
    close(session, officer_of(session, county), by_office)
    report(session, county)
    dismissed = report(session, county)
    step(session, county.station_staff, dismissed, "dismiss")

    found = figures_by_code(session, Scope(everything=True))
    assert found["disputes.reported"] == 3
    assert found["disputes.handled"] == 2
    assert found["disputes.resolved_rate"] == 100.0
    assert found["disputes.in_grid_rate"] == 50.0
    assert found["disputes.open"] == 1


def test_figures_are_those_of_the_viewers_scope(session, county):
    report(session, county, grid=0)
    report(session, county, grid=2)
    assert (
        figures_by_code(session, scope_of(session, county.station_staff))["disputes.reported"] == 1
    )
    assert (
        figures_by_code(session, scope_of(session, county.township_staff))["disputes.reported"] == 2
    )


def test_hook_dashboard_figures_answers_only_for_a_county_that_admitted_the_module(app, session):
    county = build_county(session)
    scope = Scope(everything=True)
    assert hooks_for().dashboard_figures(session=session, tenant=county.tenant, scope=scope) == []
    admit_disputes(session, county)
    codes = [
        f.code
        for f in hooks_for().dashboard_figures(session=session, tenant=county.tenant, scope=scope)
    ]
    assert "disputes.in_grid_rate" in codes


def test_early_warnings_list_open_high_risk_and_petition_prone_disputes(session, county):
    wages = report(session, county, title="欠薪", risk_level="high", people_involved=18)
    petition = report(session, county, title="拆迁", petition_risk=True, people_involved=40)
    report(session, county, title="漏水")
    settled = report(session, county, title="已调解", risk_level="high")
    close(session, county.workers[0], settled)
    admin = county.admin
    rows = session.execute(service.early_warnings(session, admin, scope_of(session, admin))).all()
    assert [case.id for case, _task in rows] == [petition.id, wages.id]
    assert figures_by_code(session, Scope(everything=True))["disputes.warnings"] == 2


def context(session, county, user):
    period = county.tenant.clock.period(TODAY.replace(day=1), TODAY)
    return ScoringContext(session, county.tenant.id, user.id, period)


def rule(code):
    return next(r for r in runtime.current().plugins.scoring_rules() if r.code == code)


def test_scoring_gives_a_point_per_real_dispute_reported(session, county):
    worker = county.workers[0]
    report(session, county)
    report(session, county)
    dismissed = report(session, county)
    step(session, county.station_staff, dismissed, "dismiss")
    found = rule("disputes.reported").result(context(session, county, worker))
    assert found.points == 2.0
    assert dismissed.task_id not in found.evidence["task"] and len(found.evidence["task"]) == 2
    assert found.detail == "上报矛盾纠纷 2 件"


def test_scoring_gives_a_point_per_dispute_resolved_within_the_workers_grid(session, county):
    worker = county.workers[0]
    close(session, worker, report(session, county))
    close(session, worker, report(session, county), outcome="failed", referral="court")
    other = report(session, county, grid=1)
    close(session, county.workers[1], other)
    assert rule("disputes.in_grid").score(context(session, county, worker)) == 1.0


def test_scoring_gives_half_a_point_per_follow_up_visit(session, county):
    worker = county.workers[0]
    for _ in range(3):
        case = report(session, county)
        close(session, worker, case)
        service.record_follow_up(
            session,
            worker,
            scope_of(session, worker),
            case,
            visited_on=TODAY,
            is_kept=True,
            note="已履行",
        )
    found = rule("disputes.follow_ups").result(context(session, county, worker))
    assert found.points == 1.5 and len(found.evidence["task"]) == 3


def test_scoring_caps_reported_disputes_at_five_points(session, county):
    for _ in range(7):
        report(session, county)
    assert rule("disputes.reported").score(context(session, county, county.workers[0])) == 5.0


def test_a_dispute_of_five_people_or_more_is_an_early_warning_whatever_its_risk(session, county):
    group = report(session, county, title="五户", people_involved=5)
    report(session, county, title="四人", people_involved=4)
    admin = county.admin
    rows = session.execute(service.early_warnings(session, admin, scope_of(session, admin))).all()
    assert [case.id for case, _task in rows] == [group.id]


def test_follow_ups_fall_due_for_agreements_reached_until_someone_visits(session, county):
    worker = county.workers[0]
    settled = report(session, county, title="已调解")
    close(session, worker, settled)
    failed = report(session, county, title="未调成")
    close(session, worker, failed, outcome="failed", referral="court")
    visited = report(session, county, title="已回访")
    close(session, worker, visited)
    service.record_follow_up(
        session,
        worker,
        scope_of(session, worker),
        visited,
        visited_on=TODAY,
        is_kept=True,
        note="已履行",
    )
    rows = session.execute(service.follow_ups_due(session, worker, scope_of(session, worker)))
    assert [case.id for case, _task in rows] == [settled.id]
