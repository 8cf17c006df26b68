"""Each core rule on a constructed November 2026 (county time, UTC+8; the clock frozen on
2 December): what it counts, what it leaves out, and the points.

November 2026 has 21 working days (Monday 2 … Monday 30, no holidays). The points are the
default scheme's (``assessment.rules.CORE_RULES``).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.assessment import leave
from gridgov.core.assessment.models import AssessmentLine, AssessmentSheet, LineStatus
from gridgov.core.assessment.run import score_month
from gridgov.core.db import pinned_clock
from gridgov.core.registry import service as registry
from gridgov.core.tasks import transitions
from gridgov.core.tasks.models import Rating, Source, TaskCard, TaskTransition, WorkerLog
from tests.core.assessment.conftest import MONTH, local

WORKDAYS = 21


def line_of(session, worker, code) -> AssessmentLine:
    sheet = session.scalar(
        select(AssessmentSheet).where(
            AssessmentSheet.month == MONTH, AssessmentSheet.user_id == worker.id
        )
    )
    assert sheet is not None, "no sheet"
    return next(line for line in sheet.lines if line.code == code)


def approve_leave(session, county, worker, first, last):
    request = leave.request_leave(session, worker, first, last, "家中有事")
    station = county.station_staff
    return leave.decide(session, station, scope_of(session, station), request, approve=True)


def test_patrols_count_two_a_day_on_duty_days_in_county_time(session, county, patrol):
    worker = county.workers[0]
    for minute in (0, 10, 20):  # three on Monday 9th: two count
        patrol(worker, local(9, 9, minute))
    patrol(worker, local(10, 9))
    patrol(worker, dt.datetime(2026, 11, 10, 23, 0, tzinfo=dt.UTC))  # 11th 07:00 in the county
    patrol(worker, dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC))  # 1 December in the county
    patrol(worker, local(7, 9))  # a Saturday: not a duty day
    score_month(session, MONTH)
    line = line_of(session, worker, "core.patrols")
    assert line.figures["done"] == 4
    assert line.figures["expected"] == 2 * WORKDAYS
    assert line.points == pytest.approx(round(12 * 4 / 42, 2))
    assert len(line.evidence["patrol"]) == 4


def test_approved_leave_lowers_the_patrols_and_logs_expected(session, county, patrol):
    worker = county.workers[0]
    approve_leave(session, county, worker, dt.date(2026, 11, 2), dt.date(2026, 11, 6))
    patrol(worker, local(3, 9))  # on leave: not counted
    patrol(worker, local(9, 9))
    session.add(WorkerLog(user_id=worker.id, day=dt.date(2026, 11, 9), text="巡查"))
    session.add(WorkerLog(user_id=worker.id, day=dt.date(2026, 11, 4), text="休假"))
    session.flush()
    score_month(session, MONTH)
    patrols = line_of(session, worker, "core.patrols")
    assert patrols.figures == {"done": 1, "expected": 32, "duty_days": 16, "leave_days": 5}
    logs = line_of(session, worker, "core.logs")
    assert logs.figures == {"written": 1, "expected": 16}
    assert logs.points == pytest.approx(round(5 / 16, 2))
    # Another worker, no leave: all 21 days expected.
    assert line_of(session, county.workers[1], "core.patrols").figures["expected"] == 42


def test_refused_leave_lowers_nothing(session, county):
    worker = county.workers[0]
    request = leave.request_leave(
        session, worker, dt.date(2026, 11, 2), dt.date(2026, 11, 6), "探亲"
    )
    station = county.station_staff
    leave.decide(
        session, station, scope_of(session, station), request, approve=False, note="人手不足"
    )
    score_month(session, MONTH)
    assert line_of(session, worker, "core.patrols").figures["expected"] == 42


def test_visits_against_the_households_of_the_workers_grids(session, county):
    worker, grid = county.workers[0], county.grids[0]
    households = []
    for n in range(4):
        dwelling = registry.create_dwelling(
            session, county.tenant, county.admin, grid=grid, address=f"幸福路{n}号"
        )
        households.append(registry.create_household(session, county.admin, dwelling=dwelling))
    with pinned_clock(local(28)):
        registry.record_visit(session, worker, households[0], notes="见到户主", visited_at=local(5))
        registry.record_visit(session, worker, households[0], notes="见到户主", visited_at=local(6))
        registry.record_visit(
            session, county.workers[1], households[1], notes="见到户主", visited_at=local(6)
        )
        registry.record_visit(
            session, worker, households[2], notes="见到户主", visited_at=local(20, month=10)
        )
    score_month(session, MONTH)
    line = line_of(session, worker, "core.visits")
    assert line.figures["households"] == 4
    assert line.figures["visited"] == 1  # twice the same household; another's; October's
    assert line.figures["rate"] == pytest.approx(0.25)
    assert line.points == pytest.approx(round(8 * 0.25 / 0.3, 2))
    assert len(line.evidence["visit"]) == 2
    # A worker with no households in their grids: the line does not apply.
    other = line_of(session, county.workers[2], "core.visits")
    assert other.status == LineStatus.NOT_APPLICABLE and other.points is None


def test_reports_count_those_the_station_took_up(session, county, report):
    worker, station = county.workers[0], county.station_staff
    taken = report(local(3))
    report(local(4))  # still waiting at the first stage: not valid (yet)
    report(local(20, month=10))  # October's
    with pinned_clock(local(5)):
        transitions.transition(
            session, station, scope_of(session, station), taken, "accept", transitions.Move()
        )
    score_month(session, MONTH)
    line = line_of(session, worker, "core.reports")
    assert line.figures == {"reported": 2, "valid": 1, "rate": 0.5}
    assert line.points == 1.0
    assert line.evidence == {"task": [taken.id]}
    assert session.get(AssessmentSheet, line.sheet_id).indicators["valid_report_rate"] == 0.5


def test_on_time_and_cards(session, county, report):
    worker, grid = county.workers[0], county.grids[0]
    punctual, late = report(local(3)), report(local(4))
    for task in (punctual, late):
        task.closed_at, task.is_open, task.state = local(12), False, "closed"
    session.add(
        TaskCard(
            task_id=late.id,
            color="red",
            state="reported",
            node_id=grid.id,
            due_at=local(4, 14),
            at=local(4, 15),
        )
    )
    session.add(
        TaskCard(
            task_id=late.id,
            color="yellow",
            state="reported",
            node_id=grid.id,
            due_at=local(4, 12),
            at=local(4, 13),
        )
    )
    session.flush()
    score_month(session, MONTH)
    on_time = line_of(session, worker, "core.on_time")
    assert on_time.figures == {"closed": 2, "on_time": 1, "rate": 0.5}
    assert on_time.points == 4.0  # 8 × 50 %
    cards = line_of(session, worker, "core.cards")
    assert cards.figures == {"yellow": 1, "red": 1, "deducted": 1.5}  # the defaults: 0.5 + 1
    assert cards.points == 3.5
    assert cards.evidence == {"task": [late.id]}


def test_missed_reports_are_problems_others_found_in_the_grid(session, county, report):
    worker = county.workers[0]
    report(local(3))
    found_by_resident = report(local(4), source=Source.RESIDENT.value)
    report(local(5), by=county.workers[1])  # another grid
    score_month(session, MONTH)
    line = line_of(session, worker, "core.missed")
    assert line.figures == {"missed": 1, "problems": 2, "rate": 0.5}
    assert line.points == 3.0  # 4 less one
    assert line.evidence == {"task": [found_by_resident.id]}


def test_satisfaction_of_the_month_evaluations(session, county, report):
    worker = county.workers[0]
    ratings = (Rating.SATISFIED, Rating.UNSATISFIED, Rating.BASIC)
    for n, rating in enumerate(ratings):
        task = report(local(3 + n))
        task.rating = rating.value
        session.add(
            TaskTransition(
                task_id=task.id,
                action="evaluate",
                from_state="closed",
                to_state="evaluated",
                actor_name="居民",
                node_id=task.node_id,
                at=local(10 + n),
            )
        )
    session.flush()
    score_month(session, MONTH)
    line = line_of(session, worker, "core.satisfaction")
    assert line.figures == {"rated": 3, "satisfied": 2, "rate": pytest.approx(2 / 3)}
    assert line.points == pytest.approx(round(4 * 2 / 3, 2))
    nobody = line_of(session, county.workers[1], "core.satisfaction")
    assert nobody.status == LineStatus.NOT_APPLICABLE


def test_data_updates_and_account_activity(session, county, patrol):
    worker = county.workers[0]
    with pinned_clock(local(9)):
        dwelling = registry.create_dwelling(
            session, county.tenant, worker, grid=county.grids[0], address="幸福路1号"
        )
        household = registry.create_household(session, worker, dwelling=dwelling)
    patrol(worker, local(9))
    score_month(session, MONTH)
    updates = line_of(session, worker, "core.data_updates")
    assert updates.figures == {"updates": 2}
    assert updates.points == 1.0
    assert updates.evidence == {"dwelling": [dwelling.id], "household": [household.id]}
    assert line_of(session, worker, "core.activity").points == 5.0
    idle = line_of(session, county.workers[1], "core.activity")
    assert idle.points == 0.0
    assert idle.figures == {"logins": 0, "used": False, "never_logged_in": True}
