"""The module's assessment lines (visits on time under 勤, errands done under 绩) and its
figures: the dashboard's (people in care, due and overdue now) and a period report's in the
seeds' words (完善…档案信息 N 条, 服务居民 N 人次)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.admission.activation import hooks_for
from gridgov.core.plugins.hookspecs import ScoringContext
from gridgov_plugins.civil_affairs import service
from tests.plugins.civil_affairs.conftest import cared_person, errand, step, visit

BEIJING = ZoneInfo("Asia/Shanghai")
NOV_20 = dt.datetime(2026, 11, 20, 12, tzinfo=BEIJING)


def rules():
    return {rule.code: rule for rule in hooks_for().scoring_rules()}


def result(session, county, code, worker, month=(2026, 11)):
    first = dt.date(*month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    context = ScoringContext(
        session, county.tenant.id, worker.id, county.tenant.clock.period(first, last)
    )
    return rules()[code].result(context)


def test_hook_scoring_rules_are_the_modules_two_lines(session, county):
    lines = {code: (r.max_points, r.category) for code, r in rules().items()}
    assert lines["civil_affairs.visits"] == (5, "diligence")
    assert lines["civil_affairs.errands"] == (5, "results")


def test_visits_on_time_score_half_a_point_each_and_late_ones_nothing(session, county):
    worker = county.workers[0]
    with time_machine.travel(NOV_20, tick=False):
        person = cared_person(session, county)
        visit(session, worker, person, dt.date(2026, 10, 1))  # first: late (never visited)
        visit(session, worker, person, dt.date(2026, 10, 28))  # on time, but in October
        on_time = visit(session, worker, person, dt.date(2026, 11, 10))
        on_time_2 = visit(session, worker, person, dt.date(2026, 11, 19))
        other = cared_person(session, county, name="示例乙")
        visit(session, worker, other, dt.date(2026, 11, 5))  # never visited before: late
    found = result(session, county, "civil_affairs.visits", worker)
    assert found.points == 1.0
    assert found.evidence == {
        "visit": sorted([on_time.household_visit_id, on_time_2.household_visit_id])
    }
    assert result(session, county, "civil_affairs.visits", county.workers[1]).points == 0


def test_errands_done_in_the_month_score_a_point_each(session, county):
    worker = county.workers[0]
    with time_machine.travel(dt.datetime(2026, 10, 30, 12, tzinfo=BEIJING), tick=False):
        person = cared_person(session, county)
        october = errand(session, worker, person, "十月的代办")
        step(session, worker, october, "accept")
        step(session, worker, october, "done")
    with time_machine.travel(NOV_20, tick=False):
        done = errand(session, worker, person)
        step(session, worker, done, "accept")
        step(session, worker, done, "done")
        step(session, worker, done, "confirm", rating="satisfied")
        still_open = errand(session, worker, person, "未办完")
        step(session, worker, still_open, "accept")
    found = result(session, county, "civil_affairs.errands", worker)
    assert (found.points, found.evidence) == (1.0, {"task": [done.task_id]})
    assert result(session, county, "civil_affairs.errands", worker, (2026, 10)).points == 1.0


def test_hook_period_figures_count_the_periods_records_visits_assistance_and_errands(
    session, county
):
    worker = county.workers[0]
    with time_machine.travel(dt.datetime(2026, 10, 15, 12, tzinfo=BEIJING), tick=False):
        person = cared_person(session, county, tag="hardship")
        visit(session, worker, person, dt.date(2026, 10, 15))  # October: outside the period
    with time_machine.travel(NOV_20, tick=False):
        service.save_record(
            session,
            worker,
            scope_of(session, worker),
            person,
            service.RecordInput(allowance_status="receiving"),
        )
        visit(session, worker, person, dt.date(2026, 11, 10))
        service.record_assistance(
            session,
            worker,
            scope_of(session, worker),
            person,
            service.AssistanceInput(
                kind="money",
                what="临时救助金",
                given_on=dt.date(2026, 11, 12),
                given_by="民政局",
                amount="800",
            ),
        )
        done = errand(session, worker, person)
        step(session, worker, done, "accept")
        step(session, worker, done, "done")
        month = county.tenant.clock.this_month()
        subtree = Scope(paths=(county.top.path,))
        found = hooks_for(subtree).period_figures(
            session=session, tenant=county.tenant, scope=subtree, period=month
        )
    by_code = {f.code: f for f in found}
    assert by_code["civil_affairs.records"].label.startswith("完善空巢老人、困难群众")
    assert by_code["civil_affairs.records"].value == 1
    assert by_code["civil_affairs.visits"].value == 1
    assert by_code["civil_affairs.on_time_rate"].value == 100.0
    assert by_code["civil_affairs.assistance"].value == 1
    assert by_code["civil_affairs.money"].value == 800.0
    assert by_code["civil_affairs.errands_done"].value == 1
    assert (by_code["civil_affairs.served"].value, by_code["civil_affairs.served"].unit) == (
        3,
        "人次",
    )


def test_hook_dashboard_figures_give_the_register_and_the_overdue_visits_of_the_scope(
    session, county
):
    with time_machine.travel(NOV_20, tick=False):
        cared_person(session, county, grid=0, name="示例甲")
        visited = cared_person(session, county, grid=0, name="示例乙")
        visit(session, county.workers[0], visited, dt.date(2026, 10, 25))  # due in 5 days
        cared_person(session, county, grid=7, name="示例丙")  # township 1
        township = Scope(paths=(county.townships[0].path,))
        shown = hooks_for(township).dashboard_figures(
            session=session, tenant=county.tenant, scope=township
        )
    by_code = {f.code: f.value for f in shown}
    assert by_code["civil_affairs.in_care"] == 2
    assert by_code["civil_affairs.overdue"] == 1
    assert by_code["civil_affairs.due"] == 1
