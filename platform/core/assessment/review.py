"""After the run: the supervisor reviews and may adjust a line with a reason; the worker may
raise an objection (复核) on a line, which the supervisor answers by the county's deadline or
it escalates; the county confirms and locks the month, after which nothing changes unless the
county makes an explicit, audited correction; and the payout (待兑现 → 已兑现) is tracked
against the date the county promised.

Every step is audited; an adjustment is also kept (``Adjustment``) so a re-run of a month not
yet locked keeps it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.assessment import scheme as schemes
from gridgov.core.assessment.inputs import checked_text
from gridgov.core.assessment.models import (
    LOCK,
    PAYOUT,
    Adjustment,
    AssessmentPeriod,
    AssessmentScheme,
    AssessmentSheet,
    LineStatus,
    Objection,
    ObjectionState,
    PayoutState,
    SheetState,
)
from gridgov.core.assessment.run import is_locked
from gridgov.core.assessment.sheets import may_read
from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.i18n import _
from gridgov.core.tasks.notifications import notify_users
from gridgov.core.tenancy.service import current_tenant

MAX_TEXT = 2000
# Who reviews a sheet (adjusts, answers objections) before the month is locked.
REVIEWER_ROLES = frozenset(
    {Role.SUPERVISOR, Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN}
)


def _period(session: Session, kind: str, period: str) -> AssessmentPeriod | None:
    return session.scalar(
        select(AssessmentPeriod).where(
            AssessmentPeriod.kind == kind, AssessmentPeriod.period == period
        )
    )


def scheme_of_sheet(session: Session, sheet: AssessmentSheet) -> schemes.Scheme:
    from gridgov.core.assessment.run import catalogue

    version = session.get(AssessmentScheme, sheet.scheme_id)
    assert version is not None
    return schemes.scheme_of(version, catalogue())


def refresh_totals(session: Session, sheet: AssessmentSheet) -> None:
    """Recompute the sheet's total, band and floating amount from its lines as they stand."""
    from gridgov.core.assessment.run import total_of

    scheme = scheme_of_sheet(session, sheet)
    lines = []
    for line in sheet.lines:
        scheme_line = scheme.line(line.code) or schemes.Line(
            line.code, line.category, line.max_points
        )
        lines.append((scheme_line, line.points, LineStatus(line.status)))
    sheet.total = total_of(scheme, lines)
    sheet.band, sheet.pay_percent = scheme.band_of(sheet.total)
    sheet.floating_amount = scheme.floating_amount(sheet.pay_percent)
    sheet.pending_lines = sum(line.status == LineStatus.PENDING for line in sheet.lines)


# --- adjusting a line ------------------------------------------------------------------------


def adjust(
    session: Session,
    actor: User,
    scope: Scope,
    sheet: AssessmentSheet,
    line_code: str,
    points: float,
    reason: str,
    *,
    objection: Objection | None = None,
) -> Adjustment:
    """Set a line's points with a reason. Before the lock: a reviewer of the worker (the
    supervisor, station, township or county). After it: only the county, as a correction
    marked so (the month is otherwise final)."""
    locked = is_locked(session, sheet.month)
    if (
        actor.role not in REVIEWER_ROLES
        or not may_read(actor, scope, sheet)
        or sheet.user_id == actor.id
    ):
        raise Forbidden(_("您不能调整这张考核表"))
    if locked and actor.role != Role.COUNTY_ADMIN:
        raise Conflict(_("%(month)s 的考核已锁定，只有县级可以更正", month=sheet.month))
    line = next((row for row in sheet.lines if row.code == line_code), None)
    if line is None:
        raise DomainError(_("这张考核表没有这一项"), field="line")
    if line.status == LineStatus.NOT_APPLICABLE:
        raise DomainError(_("这一项对该网格员不适用，不能调整"), field="line")
    if (
        isinstance(points, bool)
        or not isinstance(points, int | float)
        or not 0 <= points <= line.max_points
    ):
        raise DomainError(
            _("分数应在 0 到 %(max)s 之间", max=f"{line.max_points:g}"), field="points"
        )
    reason = checked_text(reason, "reason", max_length=MAX_TEXT, required=_("请填写理由"))
    adjustment = Adjustment(
        month=sheet.month,
        user_id=sheet.user_id,
        line=line_code,
        points_before=line.points,
        points=round(float(points), 2),
        reason=reason,
        objection_id=objection.id if objection else None,
        after_lock=locked,
        made_by_id=actor.id,
        made_by_name=actor.name,
    )
    session.add(adjustment)
    session.flush()
    line.points, line.status, line.adjustment_id = (
        adjustment.points,
        LineStatus.SCORED.value,
        adjustment.id,
    )
    before = sheet.total
    refresh_totals(session, sheet)
    session.flush()
    if locked:  # a correction: the payout still to be made follows it (a paid one is history)
        payout = _period(session, PAYOUT, payout_period_of(session, sheet.month))
        if payout is not None and payout.payout_state == PayoutState.PENDING:
            _open_payout(session, actor, sheet.month)
    audit.record(
        session,
        actor,
        "assessment.correct" if locked else "assessment.adjust",
        "assessment_sheet",
        sheet.id,
        before={"line": line_code, "points": adjustment.points_before, "total": before},
        after={
            "line": line_code,
            "points": adjustment.points,
            "total": sheet.total,
            "reason": reason,
        },
    )
    return adjustment


def adjustments_of(session: Session, sheet: AssessmentSheet) -> list[Adjustment]:
    """Every adjustment of the sheet's worker and month, oldest first (the sheet's history)."""
    return list(
        session.scalars(
            select(Adjustment)
            .where(Adjustment.month == sheet.month, Adjustment.user_id == sheet.user_id)
            .order_by(Adjustment.id)
        )
    )


# --- objections (复核) -----------------------------------------------------------------------


def raise_objection(
    session: Session, worker: User, sheet: AssessmentSheet, line_code: str, text: str
) -> Objection:
    """The worker disputes a line of their own sheet; the answer is due within the county's
    ``objection_days`` (calendar days, to the end of the county's day)."""
    if sheet.user_id != worker.id:
        raise Forbidden(_("只能对自己的考核表提出复核"))
    if is_locked(session, sheet.month):
        raise Conflict(_("%(month)s 的考核已锁定，不能再提出复核", month=sheet.month))
    if not any(line.code == line_code for line in sheet.lines):
        raise DomainError(_("这张考核表没有这一项"), field="line")
    text = checked_text(text, "text", max_length=MAX_TEXT, required=_("请写明复核理由"))
    waiting = session.scalar(
        select(Objection.id).where(
            Objection.month == sheet.month,
            Objection.user_id == worker.id,
            Objection.line == line_code,
            Objection.state != ObjectionState.ANSWERED.value,
        )
    )
    if waiting is not None:
        raise Conflict(_("这一项已有复核在办"), field="line")
    clock = current_tenant(session).clock
    days = scheme_of_sheet(session, sheet).objection_days
    due = clock.end_of_day(clock.today() + dt.timedelta(days=days))
    objection = Objection(
        month=sheet.month,
        user_id=worker.id,
        line=line_code,
        text=text,
        state=ObjectionState.OPEN.value,
        due_at=due,
    )
    session.add(objection)
    session.flush()
    audit.record(
        session,
        worker,
        "assessment.object",
        "assessment_objection",
        objection.id,
        after={"month": sheet.month, "line": line_code, "due_at": due.isoformat()},
    )
    notify_users(
        session,
        None,
        "assessment.objection",
        _("%(name)s 对 %(month)s 考核提出复核", name=worker.name, month=sheet.month),
        _reviewers_of(session, worker.id, {Role.SUPERVISOR, Role.STATION_STAFF}),
    )
    return objection


def objections_of(session: Session, sheet: AssessmentSheet) -> list[Objection]:
    return list(
        session.scalars(
            select(Objection)
            .where(Objection.month == sheet.month, Objection.user_id == sheet.user_id)
            .order_by(Objection.id)
        )
    )


def answer_objection(
    session: Session,
    actor: User,
    scope: Scope,
    objection: Objection,
    answer: str,
    *,
    points: float | None = None,
) -> Objection:
    """Answer an objection; with ``points`` the line is changed to them (an adjustment that
    names the objection), without it the line stands. An escalated objection is answered by
    the township or the county."""
    sheet = sheet_of(session, objection)
    if (
        actor.role not in REVIEWER_ROLES
        or not may_read(actor, scope, sheet)
        or actor.id == objection.user_id
    ):
        raise Forbidden(_("您不能答复这条复核"))
    if objection.state == ObjectionState.ANSWERED:
        raise Conflict(_("这条复核已答复"))
    if objection.state == ObjectionState.ESCALATED and actor.role not in (
        Role.TOWNSHIP_STAFF,
        Role.COUNTY_ADMIN,
    ):
        raise Forbidden(_("这条复核已超期上报，由乡镇或县级答复"))
    answer = checked_text(answer, "answer", max_length=MAX_TEXT, required=_("请填写答复"))
    if points is not None:
        adjust(session, actor, scope, sheet, objection.line, points, answer, objection=objection)
    objection.state = ObjectionState.ANSWERED.value
    objection.answer, objection.upheld = answer, points is not None
    objection.answered_by_id, objection.answered_by_name = actor.id, actor.name
    objection.answered_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "assessment.answer",
        "assessment_objection",
        objection.id,
        after={"upheld": objection.upheld, "answer": answer},
    )
    notify_users(
        session,
        None,
        "assessment.answer",
        _("您对 %(month)s 考核的复核已答复", month=objection.month),
        [objection.user_id],
    )
    return objection


def sheet_of(session: Session, objection: Objection) -> AssessmentSheet:
    sheet = session.scalar(
        select(AssessmentSheet)
        .options(selectinload(AssessmentSheet.lines))
        .where(
            AssessmentSheet.month == objection.month, AssessmentSheet.user_id == objection.user_id
        )
    )
    if sheet is None:
        raise NotFound(_("没有这张考核表"))
    return sheet


def get_objection(session: Session, actor: User, scope: Scope, objection_id: int) -> Objection:
    objection = session.get(Objection, objection_id)
    if objection is None or objection.tenant_id != current_tenant(session).id:
        raise NotFound(_("没有这条复核"))
    if objection.user_id != actor.id and not may_read(actor, scope, sheet_of(session, objection)):
        raise NotFound(_("没有这条复核"))
    return objection


def escalate_overdue(session: Session, now: dt.datetime | None = None) -> int:
    """Escalate the objections not answered by their deadline: the township staff and the
    county administrators are told (a periodic job); the number escalated."""
    now = now or utcnow()
    overdue = list(
        session.scalars(
            select(Objection).where(
                Objection.state == ObjectionState.OPEN.value, Objection.due_at < now
            )
        )
    )
    for objection in overdue:
        objection.state, objection.escalated_at = ObjectionState.ESCALATED.value, now
        worker = session.get(User, objection.user_id)
        audit.record(
            session,
            None,
            "assessment.escalate",
            "assessment_objection",
            objection.id,
            after={"due_at": objection.due_at.isoformat()},
        )
        notify_users(
            session,
            None,
            "assessment.escalated",
            _("%(name)s 的考核复核超期未答复，已上报", name=worker.name if worker else ""),
            _reviewers_of(session, objection.user_id, {Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN}),
        )
    session.flush()
    return len(overdue)


def _reviewers_of(session: Session, worker_id: int, roles: set[Role]) -> list[int]:
    """Active users of ``roles`` attached to one of the worker's grids or a node above it (the
    county's administrators: all of them)."""
    grid_paths = session.scalars(
        select(Node.path)
        .join(Assignment, Assignment.node_id == Node.id)
        .where(Assignment.user_id == worker_id)
    )
    # "/1/5/23/" lies under "/1/", "/1/5/" and itself.
    above = {path[: i + 1] for path in grid_paths for i, c in enumerate(path) if c == "/" and i}
    attached = select(Assignment.user_id).join(Node, Node.id == Assignment.node_id)
    return list(
        session.scalars(
            select(User.id).where(
                User.role.in_([r.value for r in roles]),
                User.is_active.is_(True),
                or_(
                    User.role == Role.COUNTY_ADMIN.value,
                    User.id.in_(attached.where(Node.path.in_(sorted(above)))),
                ),
            )
        )
    )


# --- locking the month and paying out --------------------------------------------------------


def lock_month(session: Session, actor: User | None, month: str) -> AssessmentPeriod:
    """The county confirms ``month``: its sheets are locked for good, and the payout of the
    month (or of its quarter) is opened, due ``payout_days`` after the period. Refused while a
    line is still to be scored or an objection is unanswered."""
    if actor is not None and actor.role != Role.COUNTY_ADMIN:
        raise Forbidden(_("只有县级管理员可以确认并锁定考核"))
    schemes.check_month(month)
    if is_locked(session, month):
        raise Conflict(_("%(month)s 的考核已锁定", month=month), field="month")
    sheets = session.scalar(
        select(func.count(AssessmentSheet.id)).where(AssessmentSheet.month == month)
    )
    if not sheets:
        raise Conflict(_("%(month)s 还没有计算考核", month=month), field="month")
    pending = session.scalar(
        select(func.count(AssessmentSheet.id)).where(
            AssessmentSheet.month == month, AssessmentSheet.pending_lines > 0
        )
    )
    if pending:
        raise Conflict(_("还有 %(n)d 名网格员有待评分的项目", n=pending), field="month")
    unanswered = session.scalar(
        select(func.count(Objection.id)).where(
            Objection.month == month, Objection.state != ObjectionState.ANSWERED.value
        )
    )
    if unanswered:
        raise Conflict(_("还有 %(n)d 条复核未答复", n=unanswered), field="month")
    name = actor.name if actor else "system"
    lock = AssessmentPeriod(
        kind=LOCK, period=month, by_id=actor.id if actor else None, by_name=name
    )
    session.add(lock)
    session.execute(
        update(AssessmentSheet)
        .where(AssessmentSheet.month == month)
        .values(state=SheetState.LOCKED.value)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    payout = _open_payout(session, actor, month)
    audit.record(
        session,
        actor,
        "assessment.lock",
        "assessment_period",
        lock.id,
        after={"month": month, "sheets": sheets, "payout": payout.period},
    )
    return lock


def payout_period_of(session: Session, month: str) -> str:
    """The payout period ``month`` is paid in: itself, or its quarter (``YYYY-Qn``)."""
    from gridgov.core.assessment.run import scheme_version

    version = scheme_version(session, month)
    if version.definition.get("payout_period", "month") == "quarter":
        year, number = month.split("-")
        return f"{year}-Q{(int(number) - 1) // 3 + 1}"
    return month


def months_of(period: str) -> list[str]:
    if "-Q" in period:
        year, quarter = period.split("-Q")
        first = (int(quarter) - 1) * 3 + 1
        return [f"{year}-{m:02d}" for m in range(first, first + 3)]
    return [period]


def _open_payout(session: Session, actor: User | None, month: str) -> AssessmentPeriod:
    from gridgov.core.assessment.run import month_period, scheme_version

    period = payout_period_of(session, month)
    last = month_period(session, months_of(period)[-1]).last
    days = int(scheme_version(session, month).definition.get("payout_days", 15))
    payout = _period(session, PAYOUT, period)
    if payout is None:
        payout = AssessmentPeriod(
            kind=PAYOUT,
            period=period,
            by_id=actor.id if actor else None,
            by_name=actor.name if actor else "system",
            due_on=last + dt.timedelta(days=days),
            payout_state=PayoutState.PENDING.value,
        )
        session.add(payout)
    payout.amount = round(
        session.scalar(
            select(func.coalesce(func.sum(AssessmentSheet.floating_amount), 0.0)).where(
                AssessmentSheet.month.in_(months_of(period)),
                AssessmentSheet.state == SheetState.LOCKED.value,
            )
        )
        or 0.0,
        2,
    )
    session.flush()
    return payout


def mark_paid(session: Session, actor: User, period: str, paid_on: dt.date) -> AssessmentPeriod:
    """Finance paid the period's floating pay (已兑现) on ``paid_on``. Every month of the
    period must be locked."""
    if actor.role != Role.COUNTY_ADMIN:
        raise Forbidden(_("只有县级管理员可以登记兑现"))
    payout = _period(session, PAYOUT, period)
    if payout is None:
        raise NotFound(_("没有这个兑现期"), field="period")
    if payout.payout_state == PayoutState.PAID:
        raise Conflict(_("这一期已兑现"), field="period")
    open_months = [m for m in months_of(period) if not is_locked(session, m)]
    if open_months:
        raise Conflict(
            _("%(months)s 的考核还没有锁定", months="、".join(open_months)), field="period"
        )
    if paid_on > current_tenant(session).clock.today():
        raise DomainError(_("兑现日期不能晚于今天"), field="paid_on")
    payout.payout_state, payout.paid_on = PayoutState.PAID.value, paid_on
    session.flush()
    audit.record(
        session,
        actor,
        "assessment.paid",
        "assessment_period",
        payout.id,
        after={"period": period, "paid_on": paid_on.isoformat(), "amount": payout.amount},
    )
    return payout


def payout_of(session: Session, period: str) -> AssessmentPeriod | None:
    """The payout period ``period`` (YYYY-MM or YYYY-Qn), or None if none was opened."""
    return _period(session, PAYOUT, period)


def payouts(session: Session) -> Select[Any]:
    """SELECT of the county's payout periods, newest first."""
    return (
        select(AssessmentPeriod)
        .where(AssessmentPeriod.kind == PAYOUT)
        .order_by(AssessmentPeriod.period.desc())
    )


def overdue_payouts(session: Session) -> list[AssessmentPeriod]:
    """Payouts still pending after the date the county promised (for the county dashboard)."""
    today = current_tenant(session).clock.today()
    return list(
        session.scalars(
            select(AssessmentPeriod)
            .where(
                AssessmentPeriod.kind == PAYOUT,
                AssessmentPeriod.payout_state == PayoutState.PENDING.value,
                AssessmentPeriod.due_on < today,
            )
            .order_by(AssessmentPeriod.due_on)
        )
    )
