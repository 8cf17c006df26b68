"""请销假: a grid worker asks, the station decides within its scope, the worker reports back
early (the days after no longer count as leave) or withdraws; every step is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.assessment import leave
from gridgov.core.assessment.models import LeaveState
from gridgov.core.assessment.run import leave_days, month_period
from gridgov.core.audit.models import AuditEvent
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound

DEC = dt.date(2026, 12, 1)


def ask(session, worker, first, last, reason="就医"):
    return leave.request_leave(session, worker, first, last, reason)


def test_ask_decide_and_report_back_early(session, county):
    worker, station = county.workers[0], county.station_staff
    request = ask(session, worker, DEC, DEC + dt.timedelta(days=4))  # 1 … 5 December
    with pytest.raises(Forbidden):  # a grid worker does not decide
        other = county.workers[4]
        leave.decide(session, other, scope_of(session, other), request, approve=True)
    leave.decide(session, station, scope_of(session, station), request, approve=True)
    assert request.state == LeaveState.APPROVED
    with pytest.raises(Conflict):
        leave.decide(
            session, station, scope_of(session, station), request, approve=False, note="重复"
        )
    leave.report_back(session, worker, request)  # back on the 2nd (the clock's today)
    assert request.state == LeaveState.ENDED and request.last_day == dt.date(2026, 12, 2)
    away = leave_days(session, month_period(session, "2026-12"))[worker.id]
    assert away == {dt.date(2026, 12, 1), dt.date(2026, 12, 2)}
    audited = [
        e.action
        for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
        if e.action.startswith("leave.")
    ]
    assert audited == ["leave.request", "leave.approve", "leave.end"]


def test_bad_requests_are_refused_with_the_field(session, county):
    worker = county.workers[0]
    with pytest.raises(DomainError) as backwards:
        ask(session, worker, DEC, DEC - dt.timedelta(days=1))
    assert backwards.value.field == "last_day"
    with pytest.raises(DomainError) as empty:
        ask(session, worker, DEC, DEC, reason="  ")
    assert empty.value.field == "reason"
    ask(session, worker, DEC, DEC + dt.timedelta(days=2))
    with pytest.raises(Conflict):  # overlapping days
        ask(session, worker, DEC + dt.timedelta(days=1), DEC + dt.timedelta(days=5))
    with pytest.raises(Forbidden):
        ask(session, county.station_staff, DEC, DEC)


def test_a_refusal_needs_a_reason_and_counts_no_days(session, county):
    worker, station = county.workers[0], county.station_staff
    request = ask(session, worker, DEC, DEC)
    with pytest.raises(DomainError) as bare:
        leave.decide(session, station, scope_of(session, station), request, approve=False)
    assert bare.value.field == "note"
    leave.decide(
        session, station, scope_of(session, station), request, approve=False, note="当天有检查"
    )
    assert worker.id not in leave_days(session, month_period(session, "2026-12"))


def test_withdraw_before_it_begins_and_who_sees_a_request(session, county):
    worker = county.workers[0]
    later = ask(session, worker, DEC + dt.timedelta(days=10), DEC + dt.timedelta(days=11))
    leave.cancel(session, worker, later)
    assert later.state == LeaveState.CANCELLED
    with pytest.raises(Conflict):
        leave.cancel(session, worker, later)
    with pytest.raises(NotFound):
        other = county.workers[1]
        leave.visible_leave(session, other, scope_of(session, other), later.id)
    station = county.station_staff
    assert leave.visible_leave(session, station, scope_of(session, station), later.id) is later
