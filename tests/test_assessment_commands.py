"""``gridgov assessment run`` scores a county's month with a progress bar; ``escalate`` (cron)
escalates objections past their deadline."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import func, select

from gridgov.core.assessment import review
from gridgov.core.assessment.models import AssessmentRun, AssessmentSheet, Objection, ObjectionState
from gridgov.core.db import set_tenant
from tests.factories import build_county

NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in the county


def test_run_scores_the_month_and_records_the_run(session, app):
    county = build_county(session)
    session.commit()
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(
            args=["assessment", "run", "--tenant", "changshan", "--month", "2026-11"]
        )
    assert result.exit_code == 0, result.output
    assert f"changshan 2026-11: {len(county.workers)} sheets" in result.output
    set_tenant(session, county.tenant.id)
    assert session.scalar(select(func.count(AssessmentSheet.id))) == len(county.workers)
    (run,) = session.scalars(select(AssessmentRun))
    assert run.status == "done" and run.sheets == len(county.workers)


def test_run_refuses_a_bad_or_future_month_and_an_unknown_county(session, app):
    build_county(session)
    session.commit()
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        bad = runner.invoke(args=["assessment", "run", "--tenant", "changshan", "--month", "11"])
        future = runner.invoke(
            args=["assessment", "run", "--tenant", "changshan", "--month", "2027-01"]
        )
        nowhere = runner.invoke(
            args=["assessment", "run", "--tenant", "nowhere", "--month", "2026-11"]
        )
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
    assert future.exit_code == 1 and "还没有开始" in future.output
    assert nowhere.exit_code == 1


def test_escalate_marks_overdue_objections(session, app):
    county = build_county(session)
    with time_machine.travel(NOW, tick=False):
        from gridgov.core.assessment.run import score_month

        score_month(session, "2026-11")
        sheet = session.scalar(
            select(AssessmentSheet).where(AssessmentSheet.user_id == county.workers[0].id)
        )
        objection_id = review.raise_objection(
            session, county.workers[0], sheet, "core.logs", "有误"
        ).id
    session.commit()
    with time_machine.travel(NOW + dt.timedelta(days=7), tick=False):
        result = app.test_cli_runner().invoke(args=["assessment", "escalate"])
    assert result.exit_code == 0, result.output
    assert "changshan: 1 escalated" in result.output
    set_tenant(session, county.tenant.id)
    objection = session.get(Objection, objection_id, populate_existing=True)
    assert objection.state == ObjectionState.ESCALATED
