"""What the portal's review pages list: a reviewer's objections (复核) in their scope, those
waiting first; the latest spot checks (抽查) of the workers in a scope."""

from __future__ import annotations

import datetime as dt

from gridgov.core.accounts.scope import scope_of
from gridgov.core.assessment import records, review, sheets
from gridgov.core.assessment.models import AssessmentSheet
from gridgov.core.assessment.run import score_month
from gridgov.core.db import pinned_clock
from tests.core.assessment.conftest import MONTH, local


def sheet_of(session, worker) -> AssessmentSheet:
    return session.scalar(
        sheets.list_sheets(session, worker, scope_of(session, worker), MONTH).limit(1)
    )


def listed(session, user) -> list[tuple[str, str]]:
    query = sheets.objections_in_scope(session, user, scope_of(session, user))
    return [(o.text, o.state) for o, _sheet in session.execute(query).all()]


def test_a_reviewer_lists_the_objections_in_scope_escalated_then_open_then_answered(
    session, county
):
    score_month(session, MONTH)
    first, second, elsewhere = county.workers[0], county.workers[1], county.workers[5]
    answered = review.raise_objection(session, first, sheet_of(session, first), "core.logs", "甲")
    review.raise_objection(session, second, sheet_of(session, second), "core.logs", "乙")
    late = review.raise_objection(session, first, sheet_of(session, first), "core.patrols", "丙")
    review.raise_objection(session, elsewhere, sheet_of(session, elsewhere), "core.logs", "丁")
    supervisor = county.supervisor
    review.answer_objection(session, supervisor, scope_of(session, supervisor), answered, "维持")
    review.escalate_overdue(session, late.due_at + dt.timedelta(minutes=1))
    for objection in (answered, late):
        session.refresh(objection)
    assert listed(session, supervisor) == [
        ("乙", "escalated"),  # every open one escalated at once: soonest due first
        ("丙", "escalated"),
        ("甲", "answered"),
    ]
    assert len(listed(session, county.admin)) == 4
    assert sheets.objections_waiting(session, supervisor, scope_of(session, supervisor)) == 2
    assert sheets.objections_waiting(session, county.admin, scope_of(session, county.admin)) == 3
    assert listed(session, first) == []  # a worker reviews nobody


def test_the_latest_spot_checks_are_those_of_the_workers_in_scope(session, county):
    station = county.station_staff
    for worker, day in ((county.workers[0], 3), (county.workers[1], 5)):
        with pinned_clock(local(day)):
            records.record_spot_check(
                session,
                county.admin,
                scope_of(session, county.admin),
                user_id=worker.id,
                knows_worker=True,
                was_visited=False,
                satisfaction="basic",
            )
    with pinned_clock(local(4)):
        records.record_spot_check(
            session,
            county.admin,
            scope_of(session, county.admin),
            user_id=county.workers[6].id,
            knows_worker=False,
            was_visited=False,
            satisfaction="unsatisfied",
        )
    mine = records.recent_spot_checks(session, scope_of(session, station))
    assert [c.user_id for c in mine] == [county.workers[1].id, county.workers[0].id]
    everyone = records.recent_spot_checks(session, scope_of(session, county.admin), limit=2)
    assert [c.user_id for c in everyone] == [county.workers[1].id, county.workers[6].id]
