"""Assessment pages around the sheets (考核): the objections (复核) a reviewer answers, the
payouts (兑现) the county tracks and exports, the month's rankings, one worker's days of a
month (网格员日常) with the station's comments on logs, the station's morning meetings (晨会)
and the spot checks of residents (抽查). The assessment services decide who may do what."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from gridgov.core.accounts.models import Role, User
from gridgov.core.assessment import analysis, records, review, sheets
from gridgov.core.assessment import run as runs_service
from gridgov.core.assessment.models import (
    AssessmentPeriod,
    AssessmentSheet,
    ObjectionState,
    PayoutState,
)
from gridgov.core.db import db_session
from gridgov.core.errors import NotFound
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tasks.models import WorkerLog
from gridgov.portal.assessment import (
    OBJECTION_STATES,
    XLSX,
    is_past,
    month_of,
    points,
    this_month,
)
from gridgov.portal.assessment_forms import (
    SATISFACTION_CHOICES,
    CommentForm,
    MeetingForm,
    MonthForm,
    PaidForm,
    RankingForm,
    SpotCheckForm,
)
from gridgov.portal.paging import paginate
from gridgov.portal.shell import (
    bp,
    level_label,
    me,
    roles_required,
    run_change,
    user_scope,
    visible_node,
)
from gridgov.web import current_tenant, download_headers, id_or_none

PAYOUT_ROLES = frozenset({Role.COUNTY_ADMIN})
WORKER_DAY_ROLES = records.CHECKER_ROLES | {Role.GRID_WORKER}
PAYOUT_STATES = {PayoutState.PENDING.value: _("待兑现"), PayoutState.PAID.value: _("已兑现")}
SATISFACTION_LABELS = {choice.value: choice.label for choice in SATISFACTION_CHOICES}
RANKED_SHOWN = 100


# --- 复核 ----------------------------------------------------------------------------------------


@bp.get("/assessment/objections")
@roles_required(review.REVIEWER_ROLES)
def assessment_objections() -> Any:
    """复核: the objections of the reviewer's workers, those waiting first."""
    session = db_session()
    page = paginate(session, sheets.objections_in_scope(session, me(), user_scope()), rows=True)
    labels = {}
    for objection, sheet in page.items:
        line = next((row for row in sheet.lines if row.code == objection.line), None)
        labels[objection.id] = sheets.line_label(line) if line is not None else objection.line
    return render_template(
        "assessment/objections.html",
        page=page,
        labels=labels,
        states=OBJECTION_STATES,
        is_overdue=lambda o: o.state == ObjectionState.OPEN and is_past(o.due_at),
    )


# --- 兑现 ----------------------------------------------------------------------------------------


def _payouts_page(failed: tuple[int, PaidForm] | None = None) -> Any:
    session = db_session()
    page = paginate(session, review.payouts(session))
    today = current_tenant().clock.today()
    forms = {}
    for payout in page.items:
        if payout.payout_state == PayoutState.PENDING:
            forms[payout.id] = (
                failed[1]
                if failed and failed[0] == payout.id
                else PaidForm(formdata=None, prefix=f"p{payout.id}", paid_on=today)
            )
    html = render_template(
        "assessment/payouts.html",
        page=page,
        forms=forms,
        states=PAYOUT_STATES,
        is_overdue=lambda p: p.payout_state == PayoutState.PENDING and p.due_on < today,
        points=points,
    )
    return html, 200 if failed is None else 422


def _payout(period: str) -> AssessmentPeriod:
    found = review.payout_of(db_session(), period)
    if found is None:
        abort(404)
    return found


@bp.get("/assessment/payouts")
@roles_required(PAYOUT_ROLES)
def assessment_payouts() -> Any:
    """兑现: the payout periods with their amount, due date and state; mark one paid."""
    return _payouts_page()


@bp.post("/assessment/payouts/<period>/paid")
@roles_required(PAYOUT_ROLES)
def mark_payout_paid(period: str) -> Any:
    payout = _payout(period)
    form = PaidForm(prefix=f"p{payout.id}")

    def paid() -> None:
        review.mark_paid(db_session(), me(), period, form.paid_on.data)

    if not form.validate() or not run_change(form, paid, {"period": ""}):
        return _payouts_page((payout.id, form))
    flash(_("%(period)s 已登记兑现。", period=period), "success")
    return redirect(url_for("portal.assessment_payouts"))


@bp.get("/assessment/payouts/<period>.xlsx")
@roles_required(PAYOUT_ROLES)
def assessment_payout_xlsx(period: str) -> Any:
    """The finance export of a payout period: worker, month, total, band, amount."""
    payout = _payout(period)
    book = analysis.payout_workbook(db_session(), me(), user_scope(), payout.period)
    return Response(book, mimetype=XLSX, headers=download_headers(f"payout-{period}.xlsx"))


# --- 排名 ----------------------------------------------------------------------------------------


def _level_choices() -> list[tuple[str, str]]:
    """Group by the levels between the county and the grids (township, community …)."""
    tenant = current_tenant()
    names = tenant.level_names
    return [("", str(_("不分组")))] + [
        (str(i), level_label(names[i]) if i < len(names) else str(i))
        for i in range(1, tenant.grid_level)
    ]


@bp.get("/assessment/ranking")
@roles_required(sheets.READER_ROLES)
def assessment_ranking() -> Any:
    """排名: the month's workers ranked, grouped by a level, the distribution and the bands."""
    form = RankingForm(request.args)
    form.level.choices = _level_choices()
    month = month_of(form)
    level = id_or_none(form.level.data)
    if level is not None and str(level) not in {value for value, _label in form.level.choices}:
        level = None
        form.level.data = ""
    found = None
    if month is not None:
        found = analysis.ranking(db_session(), me(), user_scope(), month, level=level)
    charts = (
        {
            "distribution": {
                "labels": list(found.distribution),
                "values": list(found.distribution.values()),
            }
        }
        if found
        else {}
    )
    html = render_template(
        "assessment/ranking.html",
        form=form,
        month=month,
        ranking=found,
        shown=RANKED_SHOWN,
        charts=json.dumps(charts, ensure_ascii=False),
        points=points,
    )
    return html, 200 if month is not None else 422


# --- 网格员日常 ----------------------------------------------------------------------------------


def _worker_month_page(
    user_id: int, month_form: MonthForm, failed: tuple[int, CommentForm] | None = None
) -> Any:
    if not month_form.month.data:
        month_form.month.data = this_month()
    month = month_of(month_form)
    if month is None:
        return render_template("assessment/worker_month.html", form=month_form, days=None), 422
    session = db_session()
    period = runs_service.month_period(session, month)
    try:
        found = records.worker_month(session, me(), user_scope(), user_id, period)
    except NotFound:
        abort(404)
    may_comment = me().role in records.STATION_ROLES | {Role.SUPERVISOR}
    comment_forms = {}
    if may_comment:
        for day in found.days:
            if day.log is not None:
                comment_forms[day.log.id] = (
                    failed[1]
                    if failed and failed[0] == day.log.id
                    else CommentForm(formdata=None, prefix=f"c{day.log.id}")
                )
    sheet = session.scalar(
        sheets.list_sheets(session, me(), user_scope(), month).where(
            AssessmentSheet.user_id == user_id
        )
    )
    html = render_template(
        "assessment/worker_month.html",
        form=month_form,
        month=month,
        found=found,
        days=[d for d in found.days if d.day <= current_tenant().clock.today()],
        comment_forms=comment_forms,
        sheet=sheet,
    )
    return html, 200 if failed is None else 422


@bp.get("/assessment/workers/<int:user_id>/month")
@roles_required(WORKER_DAY_ROLES)
def assessment_worker_month(user_id: int) -> Any:
    """网格员日常: one worker's days of a month — workday or leave, patrols, the daily log and
    its comments, the morning meeting, the tasks reported."""
    return _worker_month_page(user_id, MonthForm(request.args))


@bp.post("/assessment/logs/<int:log_id>/comments")
@roles_required(records.STATION_ROLES | {Role.SUPERVISOR})
def comment_worker_log(log_id: int) -> Any:
    """The station (or the supervisor) comments on a worker's daily log."""
    session = db_session()
    log = session.get(WorkerLog, log_id)
    if log is None:
        abort(404)
    user_id, month = log.user_id, f"{log.day.year:04d}-{log.day.month:02d}"
    form = CommentForm(prefix=f"c{log_id}")

    def comment() -> None:
        records.comment_log(session, me(), user_scope(), log_id, form.text.data or "")

    if not form.validate() or not run_change(form, comment):
        return _worker_month_page(user_id, MonthForm(formdata=None, month=month), (log_id, form))
    flash(_("已点评。"), "success")
    return redirect(
        url_for("portal.assessment_worker_month", user_id=user_id, month=month)
        + f"#day-{log.day.isoformat()}"
    )


# --- 晨会 ----------------------------------------------------------------------------------------


def _stations() -> list[Node]:
    """The nodes in scope whose workers meet in the morning: the level above the grids."""
    level = current_tenant().grid_level - 1
    return list(
        db_session().scalars(
            select(Node)
            .where(user_scope().node_filter(), Node.level == level, Node.retired_at.is_(None))
            .order_by(Node.path)
            .limit(500)
        )
    )


def _meetings_page(
    node_id: int | None, month: str | None, form: MeetingForm | None = None, status: int = 200
) -> Any:
    stations = _stations()
    if not stations:
        abort(404)
    node = visible_node(node_id) if node_id is not None else stations[0]
    session = db_session()
    month = month or this_month()
    month_form = MonthForm(formdata=None, month=month)
    month = month_of(month_form) or this_month()
    workers = records.station_workers(session, node)
    if form is None:
        form = MeetingForm(formdata=None, node=node.id, day=current_tenant().clock.today())
    present = {int(v) for v in request.form.getlist("present") if v.isdigit()}
    found = records.meetings_of(session, node, runs_service.month_period(session, month))
    names = {w.id: w.name for w in workers}
    missing = {a.user_id for m in found for a in m.attendance} - set(names)
    if missing:
        names.update(session.execute(select(User.id, User.name).where(User.id.in_(missing))).all())
    html = render_template(
        "assessment/meetings.html",
        stations=stations,
        node=node,
        month=month,
        form=form,
        workers=workers,
        present=present,
        meetings=found,
        names=names,
    )
    return html, status


@bp.get("/assessment/meetings")
@roles_required(records.STATION_ROLES)
def assessment_meetings() -> Any:
    """晨会: pick the day, tick who attended; the month's meetings of the station."""
    return _meetings_page(id_or_none(request.args.get("node")), request.args.get("month"))


@bp.post("/assessment/meetings")
@roles_required(records.STATION_ROLES)
def record_assessment_meeting() -> Any:
    form = MeetingForm()
    node_id = id_or_none(form.node.data)
    if node_id is None:
        abort(404)
    node = visible_node(node_id)
    present = {int(v) for v in request.form.getlist("present") if v.isdigit()}

    def record() -> None:
        records.record_meeting(
            db_session(), me(), user_scope(), node, form.day.data, present, note=form.note.data
        )

    if not form.validate() or not run_change(form, record, {"node_id": "", "present": ""}):
        return _meetings_page(node.id, None, form, 422)
    day: dt.date = form.day.data
    flash(_("已登记 %(day)s 的晨会。", day=day.isoformat()), "success")
    return redirect(
        url_for("portal.assessment_meetings", node=node.id, month=f"{day.year:04d}-{day.month:02d}")
    )


# --- 抽查 ----------------------------------------------------------------------------------------


def _spot_checks_page(form: SpotCheckForm | None = None, status: int = 200) -> Any:
    session = db_session()
    workers = session.execute(sheets.workers_in_scope(user_scope()).limit(500)).all()
    form = form or SpotCheckForm(formdata=None)
    form.user_id.choices = [("", str(_("请选择")))] + [
        (str(worker.id), worker.name) for worker, _path in workers
    ]
    recent = records.recent_spot_checks(session, user_scope())
    names = dict(
        session.execute(
            select(User.id, User.name).where(User.id.in_({c.user_id for c in recent}))
        ).all()
    )
    html = render_template(
        "assessment/spot_checks.html",
        form=form,
        recent=recent,
        names=names,
        satisfaction=SATISFACTION_LABELS,
    )
    return html, status


@bp.get("/assessment/spot-checks")
@roles_required(records.CHECKER_ROLES)
def assessment_spot_checks() -> Any:
    """抽查: the form for asking a resident about their grid worker; the latest checks."""
    return _spot_checks_page()


@bp.post("/assessment/spot-checks")
@roles_required(records.CHECKER_ROLES)
def record_assessment_spot_check() -> Any:
    form = SpotCheckForm()
    form.user_id.choices = []

    def record() -> None:
        user_id = id_or_none(form.user_id.data)
        if user_id is None:
            raise NotFound(_("没有这个网格员"), field="user_id")
        records.record_spot_check(
            db_session(),
            me(),
            user_scope(),
            user_id=user_id,
            knows_worker=form.knows_worker.data == "yes",
            was_visited=form.was_visited.data == "yes",
            satisfaction=form.satisfaction.data or "",
            resident=form.resident.data or "",
            note=form.note.data or "",
        )

    if not form.validate() or not run_change(form, record):
        return _spot_checks_page(form, 422)
    flash(_("已登记抽查。"), "success")
    return redirect(url_for("portal.assessment_spot_checks"))
