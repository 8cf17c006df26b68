"""The sheet after the run: bands at their edges, the scheme's versions, manual scores,
adjustments and objections (audited), escalation, the lock (nothing changes after it), the
payout, and who reads which sheet."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.assessment import records, review, scheme, sheets
from gridgov.core.assessment.models import (
    AssessmentSheet,
    LineStatus,
    ObjectionState,
    PayoutState,
    SheetState,
)
from gridgov.core.assessment.run import catalogue, scheme_version, score_month, start_run, total_of
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import pinned_clock
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.tasks.models import Notification
from tests.core.assessment.conftest import MONTH, NOW, local


def sheet_of(session, worker, month=MONTH) -> AssessmentSheet:
    return session.scalar(
        select(AssessmentSheet).where(
            AssessmentSheet.month == month, AssessmentSheet.user_id == worker.id
        )
    )


def actions(session, prefix="assessment."):
    return [
        e.action
        for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
        if e.action.startswith(prefix)
    ]


@pytest.mark.parametrize(
    ("total", "band", "percent"),
    [
        (69.99, "<70", 0),
        (70, "70–80", 80),
        (79.99, "70–80", 80),
        (80, "80–90", 90),
        (89.99, "80–90", 90),
        (89.995, "≥90", 100),  # rounded to two decimals first: 90.0
        (90, "≥90", 100),
        (100, "≥90", 100),
        (0, "<70", 0),
    ],
)
def test_band_edges(session, total, band, percent):
    default = scheme.default_scheme(catalogue().values())
    assert default.band_of(total) == (band, percent)


def test_floating_amount_is_the_share_of_salary_paid_by_band(session):
    found = scheme.parse_scheme(
        {**scheme.default_scheme(catalogue().values()).as_dict(), "monthly_salary": 3000},
        catalogue(),
    )
    assert found.floating_amount(100) == 600.0  # 20 % of 3000
    assert found.floating_amount(90) == 540.0
    assert found.floating_amount(0) == 0.0


def test_category_weights_fill_with_the_lines_that_apply():
    lines = {
        "a": scheme.Line("core.patrols", "diligence", 10),
        "b": scheme.Line("fire_safety.patrols", "diligence", 10),
        "c": scheme.Line("manual.supervisor", "integrity", 10, "督导", ("supervisor",)),
    }
    s = scheme.Scheme(
        {"integrity": 50, "ability": 0, "diligence": 50, "results": 0}, tuple(lines.values())
    )
    scored, na = LineStatus.SCORED, LineStatus.NOT_APPLICABLE
    # Both diligence lines apply: 15 of 20 → 37.5 of 50; integrity 10 of 10 → 50.
    assert (
        total_of(s, [(lines["a"], 5, scored), (lines["b"], 10, scored), (lines["c"], 10, scored)])
        == 87.5
    )
    # The module's line does not apply: core 5 of 10 → 25 of 50.
    assert (
        total_of(s, [(lines["a"], 5, scored), (lines["b"], None, na), (lines["c"], 10, scored)])
        == 75.0
    )


def test_a_scheme_is_refused_with_every_problem_named(session):
    values = scheme.default_scheme(catalogue().values()).as_dict()
    values["weights"] = {"integrity": 20, "ability": 15, "diligence": 35, "results": 35}
    values["lines"][0]["points"] = 0
    values["lines"].append({"code": "nosuch.rule", "category": "results", "points": 5})
    values["bands"] = [{"minimum": 90, "pay_percent": 100}, {"minimum": 60, "pay_percent": 50}]
    with pytest.raises(scheme.SchemeRefused) as refused:
        scheme.parse_scheme(values, catalogue())
    problems = refused.value.problems
    assert "合计应为 100" in problems["weights"]
    assert "lines.0.points" in problems
    assert f"lines.{len(values['lines']) - 1}.code" in problems
    assert problems["bands"] == "最低一档应从 0 分起"


def test_a_month_is_scored_with_the_scheme_in_force_that_month(session, county):
    admin = county.admin
    default = scheme.default_scheme(catalogue().values()).as_dict()
    scheme.set_scheme(
        session,
        admin,
        scheme.parse_scheme(default, catalogue()),
        first_month="2026-01",
        source="api",
    )
    changed = {**default, "monthly_salary": 3000.0}
    second = scheme.set_scheme(
        session,
        admin,
        scheme.parse_scheme(changed, catalogue()),
        first_month="2026-12",
        source="api",
    )
    assert scheme_version(session, "2026-11").number == 1
    assert scheme_version(session, "2026-12") is second
    score_month(session, MONTH)
    assert sheet_of(session, county.workers[0]).floating_amount is None  # no salary in v1
    with pytest.raises(Forbidden):
        scheme.set_scheme(
            session,
            county.station_staff,
            scheme.parse_scheme(changed, catalogue()),
            first_month="2027-01",
            source="api",
        )


def test_manual_scores_are_averaged_and_entered_only_by_their_scorers(session, county):
    worker, supervisor, station = county.workers[0], county.supervisor, county.station_staff
    s_scope, st_scope = scope_of(session, supervisor), scope_of(session, station)
    sheets.record_score(session, supervisor, s_scope, worker, MONTH, "manual.supervisor", 9)
    sheets.record_score(
        session, station, st_scope, worker, MONTH, "manual.representatives", 4, scorer="张代表"
    )
    sheets.record_score(
        session, station, st_scope, worker, MONTH, "manual.representatives", 5, scorer="李代表"
    )
    with pytest.raises(Forbidden):
        sheets.record_score(session, station, st_scope, worker, MONTH, "manual.supervisor", 9)
    with pytest.raises(DomainError) as bad:
        sheets.record_score(session, supervisor, s_scope, worker, MONTH, "manual.supervisor", 11)
    assert bad.value.field == "points"
    with pytest.raises(NotFound):  # the supervisor's grids are 0 and 1
        sheets.record_score(
            session, supervisor, s_scope, county.workers[5], MONTH, "manual.supervisor", 9
        )
    score_month(session, MONTH)
    sheet = sheet_of(session, worker)
    lines = {line.code: line for line in sheet.lines}
    assert lines["manual.supervisor"].points == 9
    assert lines["manual.representatives"].points == 4.5
    assert lines["manual.community"].status == LineStatus.PENDING
    assert sheet.pending_lines == 1


def test_adjustments_and_answers_are_audited_and_survive_a_rerun(session, county):
    worker, supervisor = county.workers[0], county.supervisor
    scope = scope_of(session, supervisor)
    score_month(session, MONTH)
    sheet = sheet_of(session, worker)
    review.adjust(session, supervisor, scope, sheet, "core.patrols", 10, "巡查记录补录")
    assert {line.code: line.points for line in sheet.lines}["core.patrols"] == 10
    objection = review.raise_objection(session, worker, sheet, "core.logs", "日志都写了")
    assert session.scalar(
        select(Notification).where(
            Notification.user_id == supervisor.id, Notification.kind == "assessment.objection"
        )
    )
    review.answer_objection(session, supervisor, scope, objection, "核实后补分", points=5)
    assert objection.state == ObjectionState.ANSWERED and objection.upheld
    assert actions(session) == [
        "assessment.scheme",
        "assessment.adjust",
        "assessment.object",
        "assessment.adjust",
        "assessment.answer",
    ]
    score_month(session, MONTH)  # data changed or not: the adjustments hold
    rerun = {line.code: line for line in sheet_of(session, worker).lines}
    assert rerun["core.patrols"].points == 10 and rerun["core.patrols"].computed_points == 0
    assert rerun["core.logs"].points == 5
    with pytest.raises(Forbidden):  # a worker does not adjust (not even their own)
        review.adjust(
            session,
            worker,
            scope_of(session, worker),
            sheet_of(session, worker),
            "core.logs",
            5,
            "自评",
        )


def test_an_unanswered_objection_escalates_after_the_county_deadline(session, county):
    worker = county.workers[0]
    score_month(session, MONTH)
    objection = review.raise_objection(
        session, worker, sheet_of(session, worker), "core.patrols", "巡查次数不对"
    )
    # Five days by default, to the end of the county's day: 7 December 23:59:59 (UTC+8).
    assert objection.due_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date() == dt.date(
        2026, 12, 7
    )
    assert review.escalate_overdue(session, objection.due_at - dt.timedelta(minutes=1)) == 0
    assert review.escalate_overdue(session, objection.due_at + dt.timedelta(minutes=1)) == 1
    assert objection.state == ObjectionState.ESCALATED
    told = set(
        session.scalars(
            select(Notification.user_id).where(Notification.kind == "assessment.escalated")
        )
    )
    assert told == {county.township_staff.id, county.admin.id}
    with pytest.raises(Forbidden):  # escalated: the township or the county answers now
        review.answer_objection(
            session, county.supervisor, scope_of(session, county.supervisor), objection, "维持"
        )
    town = county.township_staff
    review.answer_objection(session, town, scope_of(session, town), objection, "维持原分")
    assert objection.state == ObjectionState.ANSWERED and objection.upheld is False


def test_a_locked_month_does_not_change_when_data_changes(session, county, patrol):
    worker, admin = county.workers[0], county.admin
    for n in (2, 3):
        sheets.record_score(
            session,
            county.supervisor,
            scope_of(session, county.supervisor),
            county.workers[n % 2],
            MONTH,
            "manual.supervisor",
            8,
        )
    with pytest.raises(Conflict):  # lines still to score
        review.lock_month(session, admin, MONTH)
    score_month(session, MONTH)
    _score_every_manual_line(session, county)
    score_month(session, MONTH)
    review.lock_month(session, admin, MONTH)
    before = sheet_of(session, worker)
    total, lines = before.total, {line.code: line.points for line in before.lines}
    assert before.state == SheetState.LOCKED
    patrol(worker, local(9, 9))  # data that would change the patrols line
    with pytest.raises(Conflict):
        score_month(session, MONTH)
    with pytest.raises(Conflict):
        start_run(session, admin, MONTH)
    session.expire_all()
    after = sheet_of(session, worker)
    assert after.total == total and {line.code: line.points for line in after.lines} == lines
    # A correction after the lock: the county's, audited as such.
    with pytest.raises(Conflict):
        review.adjust(
            session,
            county.supervisor,
            scope_of(session, county.supervisor),
            after,
            "core.patrols",
            1,
            "补录",
        )
    review.adjust(session, admin, scope_of(session, admin), after, "core.patrols", 12, "补录巡查")
    assert actions(session)[-1] == "assessment.correct"
    assert after.total > total
    with pytest.raises(Conflict):
        review.raise_objection(session, worker, after, "core.logs", "晚了")


def _score_every_manual_line(session, county):
    supervisor, station = county.supervisor, county.station_staff
    for worker in county.workers:
        sheet = sheet_of(session, worker)
        for line in sheet.lines:
            if line.status == LineStatus.PENDING:
                review.adjust(
                    session,
                    county.admin,
                    scope_of(session, county.admin),
                    sheet,
                    line.code,
                    line.max_points * 0.8,
                    "县级代评",
                )
    del supervisor, station


def test_lock_opens_the_payout_and_overdue_payouts_show(session, county):
    admin = county.admin
    score_month(session, MONTH)
    _score_every_manual_line(session, county)
    review.lock_month(session, admin, MONTH)
    (payout,) = session.scalars(review.payouts(session))
    assert payout.period == MONTH and payout.payout_state == PayoutState.PENDING
    assert payout.due_on == dt.date(2026, 12, 15)  # 15 days after the month by default
    assert review.overdue_payouts(session) == []
    with time_machine.travel(NOW + dt.timedelta(days=14), tick=False):
        assert review.overdue_payouts(session) == [payout]
        review.mark_paid(session, admin, MONTH, dt.date(2026, 12, 16))
        assert review.overdue_payouts(session) == []
    assert payout.payout_state == PayoutState.PAID and payout.paid_on == dt.date(2026, 12, 16)


def test_a_worker_reads_only_their_own_sheet_a_supervisor_only_their_workers(session, county):
    score_month(session, MONTH)
    worker, other, supervisor = county.workers[0], county.workers[5], county.supervisor
    mine = sheet_of(session, worker)
    assert sheets.get_sheet(session, worker, scope_of(session, worker), mine.id) is mine
    with pytest.raises(NotFound):
        sheets.get_sheet(session, worker, scope_of(session, worker), sheet_of(session, other).id)
    listed = session.scalars(sheets.list_sheets(session, worker, scope_of(session, worker), MONTH))
    assert [s.user_id for s in listed] == [worker.id]
    theirs = session.scalars(
        sheets.list_sheets(session, supervisor, scope_of(session, supervisor), MONTH)
    )
    assert {s.user_id for s in theirs} == {county.workers[0].id, county.workers[1].id}
    with pytest.raises(NotFound):
        sheets.get_sheet(
            session, supervisor, scope_of(session, supervisor), sheet_of(session, other).id
        )
    everyone = session.scalars(
        sheets.list_sheets(session, county.admin, scope_of(session, county.admin), MONTH)
    )
    assert len(list(everyone)) == len(county.workers)


def test_meetings_and_spot_checks(session, county):
    worker, station = county.workers[0], county.station_staff
    scope = scope_of(session, station)
    community = county.communities[0]
    for day in (2, 3, 4):
        present = {worker.id} if day != 4 else set()
        records.record_meeting(session, station, scope, community, dt.date(2026, 11, day), present)
    for knows, satisfaction in ((True, "satisfied"), (False, "unsatisfied"), (True, "basic")):
        with pinned_clock(local(20)):
            records.record_spot_check(
                session,
                station,
                scope,
                user_id=worker.id,
                knows_worker=knows,
                was_visited=knows,
                satisfaction=satisfaction,
                resident="居民",
            )
    with pytest.raises(NotFound):  # a worker of another community
        records.record_spot_check(
            session,
            station,
            scope,
            user_id=county.workers[7].id,
            knows_worker=True,
            was_visited=True,
            satisfaction="satisfied",
        )
    score_month(session, MONTH)
    lines = {line.code: line for line in sheet_of(session, worker).lines}
    assert lines["core.meetings"].figures == {"held": 3, "attended": 2}
    assert lines["core.awareness"].figures["rate"] == pytest.approx(2 / 3)
    assert lines["core.spot_satisfaction"].figures["satisfied"] == 2
    assert sheet_of(session, worker).indicators["spot_visit_rate"] == pytest.approx(2 / 3)


def test_a_correction_after_the_lock_updates_the_payout_still_to_be_made(session, county):
    admin = county.admin
    values = {**scheme.default_scheme(catalogue().values()).as_dict(), "monthly_salary": 3000}
    scheme.set_scheme(
        session, admin, scheme.parse_scheme(values, catalogue()), first_month=MONTH, source="api"
    )
    score_month(session, MONTH)
    _score_every_manual_line(session, county)
    review.lock_month(session, admin, MONTH)
    (payout,) = session.scalars(review.payouts(session))
    sheet = sheet_of(session, county.workers[0])
    assert payout.amount == sum(s.floating_amount for s in session.scalars(select(AssessmentSheet)))
    before = payout.amount
    for line in sheet.lines:  # full points on every line: the top band
        if line.status != LineStatus.NOT_APPLICABLE:
            review.adjust(
                session,
                admin,
                scope_of(session, admin),
                sheet,
                line.code,
                line.max_points,
                "复核更正",
            )
    assert sheet.pay_percent == 100 and sheet.floating_amount == 600.0
    assert payout.amount > before


def test_a_scheme_set_later_from_an_earlier_month_takes_over_the_default(session, county):
    score_month(session, MONTH)  # no scheme yet: the default is stored from November
    default = scheme_version(session, MONTH)
    assert default.source == "default" and default.first_month == MONTH
    values = {**scheme.default_scheme(catalogue().values()).as_dict(), "monthly_salary": 3000}
    county_scheme = scheme.set_scheme(
        session,
        county.admin,
        scheme.parse_scheme(values, catalogue()),
        first_month="2026-01",
        source="api",
    )
    assert scheme_version(session, MONTH) is county_scheme
    assert scheme_version(session, "2026-03") is county_scheme
    # Scoring an older month the county's scheme does not reach stores a default for it that
    # does not take over the months after.
    assert scheme_version(session, "2025-06").source == "default"
    assert scheme_version(session, MONTH) is county_scheme
