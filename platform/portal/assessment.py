"""Assessment pages (考核): a grid worker's own sheet of a month with every line explained and
linked to the records counted; the sheets of a month in a reader's scope; starting a month's
run; leave requests (请销假); the manual scores (人工评分); the county's scheme (考核方案).
On a sheet the worker raises an objection (复核) on a line and the reviewers adjust lines and
answer objections; the list of the month's sheets is where the county locks the month.
Who may read or change what is the assessment services' rule; these pages only ask them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from gridgov.core import runtime
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.service import role_label
from gridgov.core.assessment import analysis, review, sheets
from gridgov.core.assessment import leave as leaves
from gridgov.core.assessment import run as runs_service
from gridgov.core.assessment import scheme as schemes
from gridgov.core.assessment.models import (
    AssessmentLine,
    AssessmentRun,
    AssessmentSheet,
    LeaveRequest,
    LeaveState,
    Objection,
    ObjectionState,
)
from gridgov.core.db import db_session, utcnow
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import runs
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _, current_locale
from gridgov.core.registry import access as registry_access
from gridgov.portal.assessment_forms import (
    AdjustForm,
    AnswerForm,
    DecisionForm,
    LeaveForm,
    LockForm,
    MonthForm,
    ObjectionForm,
    RunForm,
    SchemeForm,
    ScoresForm,
    SheetFilterForm,
)
from gridgov.portal.forms import show_domain_error
from gridgov.portal.paging import paginate
from gridgov.portal.shell import (
    bp,
    me,
    roles_required,
    run_change,
    scope_roots,
    user_scope,
    visible_node,
)
from gridgov.web import current_tenant, download_headers, id_or_none

READER_ROLES = sheets.READER_ROLES
RUNNER_ROLES = runs_service.RUNNER_ROLES
SCHEME_ROLES = frozenset({Role.COUNTY_ADMIN})
LEAVE_ROLES = leaves.READER_ROLES | {Role.GRID_WORKER}

STATUS_LABELS = {"scored": _("已计分"), "not_applicable": _("不适用"), "pending": _("待评分")}
SHEET_STATES = {"draft": _("草稿（可重新计算）"), "locked": _("已锁定")}
INDICATOR_LABELS = {
    "valid_report_rate": _("有效上报率"),
    "on_time_rate": _("按时办结率"),
    "missed_report_rate": _("漏报率"),
    "visit_rate": _("入户率"),
}
LEAVE_STATES = {
    LeaveState.REQUESTED.value: _("待审批"),
    LeaveState.APPROVED.value: _("已准假"),
    LeaveState.REFUSED.value: _("不准假"),
    LeaveState.ENDED.value: _("已销假"),
    LeaveState.CANCELLED.value: _("已撤回"),
}
# The records a line may have counted, in the reader's words; those with a page are linked.
EVIDENCE_KINDS = {
    "task": _("事件"),
    "patrol": _("巡查签到"),
    "log": _("工作日志"),
    "visit": _("入户走访"),
    "household": _("住户"),
    "person": _("人员"),
    "dwelling": _("房屋"),
    "compound": _("小区"),
    "building": _("楼栋"),
    "site": _("单位场所"),
    "rental": _("出租屋"),
    "manual_score": _("评分"),
    "spot_check": _("抽查"),
    "meeting": _("晨会"),
}
REGISTRY_PAGES = {
    "person": ("portal.person", "person_id"),
    "dwelling": ("portal.dwelling", "dwelling_id"),
    "compound": ("portal.compound", "compound_id"),
    "building": ("portal.building", "building_id"),
    "site": ("portal.site", "site_id"),
}
LINKS_SHOWN = 30
OBJECTION_STATES = {
    ObjectionState.OPEN.value: _("待答复"),
    ObjectionState.ESCALATED.value: _("超期已上报"),
    ObjectionState.ANSWERED.value: _("已答复"),
}
TREND_MONTHS = 12
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def percent(value: Any) -> str:
    """A rate (0 … 1) as the sheet shows it; none: a dash."""
    return "—" if value is None else f"{value * 100:.1f}%"


def points(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def month_of(form: MonthForm) -> str | None:
    """The month asked for (default: the county's last month), or None with the problem
    marked on the form."""
    if not form.month.data:
        form.month.data = sheets.previous_month(current_tenant().clock.today())
    try:
        return schemes.check_month(form.month.data)
    except DomainError as error:
        form.month.errors = [str(error.message)]
        return None


# --- a sheet ---------------------------------------------------------------------------------


@dataclass
class Evidence:
    """The records of one kind a line counted: links where the portal has their page."""

    label: str
    count: int
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.links) if self.links else 0


def _evidence(line: AssessmentLine) -> list[Evidence]:
    session = db_session()
    registry = registry_access.may_read(me())
    dwellings = sheets.evidence_dwellings(session, line.evidence or {})
    titles = sheets.task_titles(session, line.evidence or {})
    found = []
    for kind, ids in sorted((line.evidence or {}).items()):
        if not ids:
            continue
        # A module's own kind of record ("hazard" …) is not named here: it reads 记录.
        item = Evidence(str(EVIDENCE_KINDS.get(kind, _("记录"))), len(ids))
        for record_id in ids[:LINKS_SHOWN]:
            url = None
            text = f"#{record_id}"
            if kind == "task":
                url = url_for("portal.task", task_id=record_id)
                text = titles.get(record_id, text)
            elif registry and kind in REGISTRY_PAGES:
                endpoint, name = REGISTRY_PAGES[kind]
                url = url_for(endpoint, **{name: record_id})
            elif registry and record_id in dwellings.get(kind, {}):
                url = url_for("portal.dwelling", dwelling_id=dwellings[kind][record_id])
            if url is not None:
                item.links.append((text, url))
        found.append(item)
    return found


# A form that failed on the sheet: ("object" | "adjust", line id) or ("answer", objection id).
Failed = tuple[str, int, Any]


def _forms_of(
    sheet: AssessmentSheet, failed: Failed | None, refusals: list[str]
) -> tuple[dict[int, dict[str, Any]], dict[int, Any], list[Objection]]:
    """What a line shows of the review and which forms the reader gets on it: its
        adjustments and objections; the worker's objection form (the month open, none waiting on
        the line), a reviewer's adjustment form (after the lock: the county's correction) and
        their answer forms (an escalated objection: the township's or the county's). The problems
    of a failed form the reader is not offered (any more) go to ``refusals``."""
    session, user = db_session(), me()
    locked = runs_service.is_locked(session, sheet.month)
    own = sheet.user_id == user.id
    reviewer = not own and user.role in review.REVIEWER_ROLES
    may_adjust = reviewer and (not locked or user.role == Role.COUNTY_ADMIN)
    adjustments: dict[str, list[Any]] = defaultdict(list)
    for adjustment in review.adjustments_of(session, sheet):
        adjustments[adjustment.line].append(adjustment)
    objections = review.objections_of(session, sheet)
    by_line: dict[str, list[Objection]] = defaultdict(list)
    for objection in objections:
        by_line[objection.line].append(objection)

    placed = []

    def form(kind: str, key: int, cls: Any, prefix: str) -> Any:
        if failed is not None and failed[0] == kind and failed[1] == key:
            placed.append(failed[2])
            return failed[2]
        return cls(formdata=None, prefix=prefix)

    per_line: dict[int, dict[str, Any]] = {}
    for line in sheet.lines:
        waiting = any(o.state != ObjectionState.ANSWERED for o in by_line[line.code])
        per_line[line.id] = {
            "adjustments": adjustments[line.code],
            "objections": by_line[line.code],
            "object_form": (
                form("object", line.id, ObjectionForm, f"o{line.id}")
                if own and not locked and not waiting
                else None
            ),
            "adjust_form": (
                form("adjust", line.id, AdjustForm, f"j{line.id}")
                if may_adjust and line.status != "not_applicable"
                else None
            ),
        }
    answers = {}
    for objection in objections:
        if (
            reviewer
            and objection.state != ObjectionState.ANSWERED
            and (
                objection.state == ObjectionState.OPEN
                or user.role in (Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN)
            )
        ):
            answers[objection.id] = form("answer", objection.id, AnswerForm, f"a{objection.id}")
    if failed is not None and not placed:  # refused a form the reader is no longer offered
        refusals.extend(str(e) for errors in failed[2].errors.values() for e in errors)
    return per_line, answers, objections


def _trend(sheet: AssessmentSheet) -> list[analysis.TrendPoint]:
    """The worker's totals over the months up to the sheet's (a row of months)."""
    year, number = (int(p) for p in sheet.month.split("-"))
    index = year * 12 + number - 1 - (TREND_MONTHS - 1)
    first = f"{index // 12:04d}-{index % 12 + 1:02d}"
    return analysis.trend(db_session(), me(), user_scope(), sheet.user_id, first, sheet.month)


def _sheet_context(sheet: AssessmentSheet, failed: Failed | None = None) -> dict[str, Any]:
    refusals: list[str] = []
    per_line, answers, objections = _forms_of(sheet, failed, refusals)
    by_category = []
    for category in schemes.CATEGORIES:
        shown = []
        for line in sheet.lines:
            if line.category != category:
                continue
            shown.append(
                {
                    "line": line,
                    "label": sheets.line_label(line),
                    "detail": sheets.describe(line),
                    "status": str(STATUS_LABELS.get(line.status, line.status)),
                    "evidence": _evidence(line),
                    **per_line[line.id],
                }
            )
        if shown:
            by_category.append((str(schemes.CATEGORY_LABELS[category]), shown))
    indicators = [
        (str(label), percent((sheet.indicators or {}).get(name)))
        for name, label in INDICATOR_LABELS.items()
    ]
    return {
        "sheet": sheet,
        "by_category": by_category,
        "indicators": indicators,
        "state_label": str(SHEET_STATES.get(sheet.state, sheet.state)),
        "points": points,
        "answers": answers,
        "refusals": refusals,
        "objections": objections,
        "objection_states": OBJECTION_STATES,
        "is_overdue": lambda o: o.state == ObjectionState.OPEN and is_past(o.due_at),
        "trend": _trend(sheet),
        "locked": runs_service.is_locked(db_session(), sheet.month),
    }


def is_past(moment: dt.datetime) -> bool:
    """Whether ``moment`` (stored in UTC; SQLite gives it back naive) has passed."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)) < utcnow()


@bp.get("/assessment/mine")
@roles_required(frozenset({Role.GRID_WORKER}))
def my_assessment() -> Any:
    """我的考核: the worker's own sheet of a month (default: the county's last month)."""
    form = MonthForm(request.args)
    month = month_of(form)
    sheet = None
    if month is not None:
        session = db_session()
        found = session.scalar(sheets.list_sheets(session, me(), user_scope(), month).limit(1))
        if found is not None:
            sheet = sheets.get_sheet(session, me(), user_scope(), found.id)
    context = _sheet_context(sheet) if sheet is not None else {}
    page = render_template("assessment/mine.html", form=form, month=month, **context)
    return page, 200 if month is not None else 422


@bp.get("/assessment/sheets/<int:sheet_id>")
@login_required
def assessment_sheet(sheet_id: int) -> Any:
    """One sheet: its owner's, or a worker's in the reader's scope (else 404)."""
    return _sheet_page(_sheet(sheet_id))


def _sheet(sheet_id: int) -> AssessmentSheet:
    try:
        return sheets.get_sheet(db_session(), me(), user_scope(), sheet_id)
    except NotFound:
        abort(404)


def _sheet_page(sheet: AssessmentSheet, failed: Failed | None = None) -> Any:
    html = render_template("assessment/sheet.html", **_sheet_context(sheet, failed))
    return html, 200 if failed is None else 422


def _line(sheet: AssessmentSheet, line_id: int) -> AssessmentLine:
    line = next((row for row in sheet.lines if row.id == line_id), None)
    if line is None:
        abort(404)
    return line


def _validated(form: AdjustForm | AnswerForm) -> tuple[bool, float | None]:
    """Whether the form is fit to send to the service, and the points typed (none: None);
    points that are no number are marked on their field."""
    valid = form.validate()
    text = (form.points.data or "").strip()
    if not text:
        return valid, None
    try:
        return valid, float(text)
    except ValueError:
        form.points.errors = [*form.points.errors, str(_("应为数字"))]
        return False, None


@bp.post("/assessment/sheets/<int:sheet_id>/lines/<int:line_id>/objection")
@roles_required(frozenset({Role.GRID_WORKER}))
def raise_objection(sheet_id: int, line_id: int) -> Any:
    """复核: the worker disputes a line of their own sheet."""
    sheet = _sheet(sheet_id)
    line = _line(sheet, line_id)
    form = ObjectionForm(prefix=f"o{line.id}")

    def object_to() -> None:
        review.raise_objection(db_session(), me(), sheet, line.code, form.text.data or "")

    if not form.validate() or not run_change(form, object_to):
        return _sheet_page(sheet, ("object", line.id, form))
    flash(_("已提出复核，等待答复。"), "success")
    return redirect(url_for("portal.assessment_sheet", sheet_id=sheet.id))


@bp.post("/assessment/sheets/<int:sheet_id>/lines/<int:line_id>/adjustment")
@roles_required(review.REVIEWER_ROLES)
def adjust_line(sheet_id: int, line_id: int) -> Any:
    """A reviewer sets a line's points with a reason (after the lock: the county corrects)."""
    sheet = _sheet(sheet_id)
    line = _line(sheet, line_id)
    form = AdjustForm(prefix=f"j{line.id}")
    valid, value = _validated(form)

    def change() -> None:
        review.adjust(
            db_session(), me(), user_scope(), sheet, line.code, value or 0.0, form.reason.data
        )

    if not valid or not run_change(form, change):
        return _sheet_page(_sheet(sheet_id), ("adjust", line.id, form))
    flash(_("已调整。"), "success")
    return redirect(url_for("portal.assessment_sheet", sheet_id=sheet.id))


@bp.post("/assessment/objections/<int:objection_id>/answer")
@roles_required(review.REVIEWER_ROLES)
def answer_objection(objection_id: int) -> Any:
    """The answer to an objection, with new points for its line or without."""
    session = db_session()
    try:
        objection = review.get_objection(session, me(), user_scope(), objection_id)
    except NotFound:
        abort(404)
    sheet = _sheet(review.sheet_of(session, objection).id)
    form = AnswerForm(prefix=f"a{objection.id}")
    valid, value = _validated(form)

    def answer() -> None:
        review.answer_objection(
            session, me(), user_scope(), objection, form.answer.data or "", points=value
        )

    if not valid or not run_change(form, answer):
        return _sheet_page(_sheet(sheet.id), ("answer", objection_id, form))
    flash(_("已答复复核。"), "success")
    return redirect(url_for("portal.assessment_sheet", sheet_id=sheet.id))


# --- the sheets of a month -------------------------------------------------------------------


def _node_choices() -> list[tuple[str, str]]:
    """The nodes a reader may narrow the list to: their scope's roots and the levels above
    the grids under them (one worker per grid: a grid is one sheet)."""
    session = db_session()
    scope = user_scope()
    grid_level = current_tenant().grid_level
    nodes = list(
        session.scalars(
            select(Node)
            .where(scope.node_filter(), Node.level < grid_level, Node.retired_at.is_(None))
            .order_by(Node.path)
            .limit(500)
        )
    )
    seen = {n.id for n in nodes}
    nodes = [*(r for r in scope_roots() if r.id not in seen), *nodes]
    nodes.sort(key=lambda n: n.path)
    return [("", str(_("全部")))] + [(str(n.id), "\u00a0\u00a0" * n.level + n.name) for n in nodes]


@bp.get("/assessment/sheets")
@roles_required(READER_ROLES)
def assessment_sheets() -> Any:
    """考核表: the month's sheets in the reader's scope, paged, narrowed to a node; the
    county locks the month here."""
    return _sheets_page(SheetFilterForm(request.args))


def _node_of(form: SheetFilterForm) -> Node | None:
    node_id = id_or_none(form.node.data)
    return None if node_id is None else visible_node(node_id)


def _sheets_page(form: SheetFilterForm, lock_form: LockForm | None = None) -> Any:
    form.node.choices = _node_choices()
    month = month_of(form)
    session = db_session()
    node = _node_of(form)
    page = None
    locked = False
    if month is not None:
        query = sheets.list_sheets(session, me(), user_scope(), month, node=node)
        args = {"month": month, **({"node": node.id} if node else {})}
        page = paginate(session, query, args=args)
        locked = runs_service.is_locked(session, month)
    grids = sheets.grid_names(session, page.items) if page else {}
    html = render_template(
        "assessment/sheets.html",
        form=form,
        page=page,
        month=month,
        grids=grids,
        locked=locked,
        lock_form=lock_form or LockForm(formdata=None, month=month),
    )
    status = 200 if month is not None and (lock_form is None or not lock_form.errors) else 422
    return html, status


@bp.post("/assessment/lock")
@roles_required(frozenset({Role.COUNTY_ADMIN}))
def lock_assessment_month() -> Any:
    """The county confirms and locks a month; what still stands in the way is shown."""
    lock_form = LockForm()
    month = (lock_form.month.data or "").strip()

    def lock() -> None:
        review.lock_month(db_session(), me(), month)

    if not lock_form.validate() or not run_change(lock_form, lock, {"month": ""}):
        return _sheets_page(SheetFilterForm(formdata=None, month=month), lock_form)
    flash(_("%(month)s 的考核已确认锁定，兑现期已开立。", month=month), "success")
    return redirect(url_for("portal.assessment_sheets", month=month))


@bp.get("/assessment/sheets.xlsx")
@roles_required(READER_ROLES)
def assessment_sheets_xlsx() -> Any:
    """The month's export: the sheets the reader may read, one row per worker."""
    form = SheetFilterForm(request.args)
    form.node.choices = _node_choices()
    month = month_of(form)
    if month is None:
        abort(404)
    node = _node_of(form)
    book = analysis.month_workbook(db_session(), me(), user_scope(), month, node=node)
    name = f"assessment-{month}{'-' + node.code if node else ''}.xlsx"
    return Response(book, mimetype=XLSX, headers=download_headers(name))


# --- runs ------------------------------------------------------------------------------------


def _runs_page(form: RunForm, status: int = 200) -> Any:
    session = db_session()
    everyone = me().role == Role.COUNTY_ADMIN
    recent = runs.recent(session, AssessmentRun, me(), everyone=everyone, limit=10)
    return render_template("assessment/runs.html", form=form, recent=recent), status


@bp.get("/assessment/runs")
@roles_required(RUNNER_ROLES)
def assessment_runs() -> Any:
    """计算: start the run of a month; the latest runs."""
    form = RunForm(formdata=None)
    form.month.data = sheets.previous_month(current_tenant().clock.today())
    return _runs_page(form)


@bp.post("/assessment/runs")
@roles_required(RUNNER_ROLES)
def start_assessment_run() -> Any:
    form = RunForm()
    started: list[AssessmentRun] = []

    def start() -> None:
        month = schemes.check_month((form.month.data or "").strip())
        started.append(runs_service.start_run(db_session(), me(), month))

    if not form.validate() or not run_change(form, start):
        return _runs_page(form, 422)
    return redirect(url_for("portal.assessment_run", run_id=started[0].id))


@bp.get("/assessment/runs/<int:run_id>")
@roles_required(RUNNER_ROLES)
def assessment_run(run_id: int) -> Any:
    """A run and how far it is (htmx asks again while it runs)."""
    try:
        found = runs.visible_run(
            db_session(), AssessmentRun, me(), run_id, everyone=me().role == Role.COUNTY_ADMIN
        )
    except NotFound:
        abort(404)
    return render_template(
        "assessment/run.html",
        run=found,
        progress=runs.progress(found),
        failure=runs.failure(found),
    )


# --- leave -----------------------------------------------------------------------------------


def _leave(leave_id: int) -> LeaveRequest:
    try:
        return leaves.visible_leave(db_session(), me(), user_scope(), leave_id)
    except NotFound:
        abort(404)


def _leave_page(
    form: LeaveForm | None = None,
    failed: tuple[int, DecisionForm] | None = None,
    status: int = 200,
) -> Any:
    session, user = db_session(), me()
    which = request.args.get("state", "")
    state = which if which in LEAVE_STATES else None
    if user.role != Role.GRID_WORKER and which == "" and request.method == "GET":
        state = LeaveState.REQUESTED.value  # a decider opens on what waits for them
    elif which == "all":
        state = None
    query = leaves.list_leave(session, user, user_scope(), state=state)
    page = paginate(session, query, args={"state": which or (state or "all")})
    decisions = {}
    if user.role in leaves.DECIDER_ROLES:
        for item in page.items:
            if item.state == LeaveState.REQUESTED:
                decisions[item.id] = (
                    failed[1]
                    if failed and failed[0] == item.id
                    else DecisionForm(formdata=None, prefix=f"leave{item.id}")
                )
    today = current_tenant().clock.today()
    html = render_template(
        "assessment/leave.html",
        form=form or (LeaveForm(formdata=None) if user.role == Role.GRID_WORKER else None),
        page=page,
        names=leaves.names_of(session, page.items),
        state_labels=LEAVE_STATES,
        shown_state=state,
        decisions=decisions,
        step_form=FlaskForm(),
        may_cancel=lambda item: (
            item.user_id == user.id
            and (
                item.state == LeaveState.REQUESTED
                or (item.state == LeaveState.APPROVED and item.first_day > today)
            )
        ),
        may_report_back=lambda item: (
            item.user_id == user.id
            and item.state == LeaveState.APPROVED
            and item.first_day <= today
        ),
    )
    return html, status


@bp.get("/assessment/leave")
@roles_required(LEAVE_ROLES)
def assessment_leave() -> Any:
    """请销假: a worker's requests and the form to ask; the requests of a decider's workers."""
    return _leave_page()


@bp.post("/assessment/leave")
@roles_required(frozenset({Role.GRID_WORKER}))
def request_leave() -> Any:
    form = LeaveForm()

    def ask() -> None:
        leaves.request_leave(
            db_session(), me(), form.first_day.data, form.last_day.data, form.reason.data or ""
        )

    if not form.validate() or not run_change(form, ask):
        return _leave_page(form, status=422)
    flash(_("请假申请已提交，等待审批。"), "success")
    return redirect(url_for("portal.assessment_leave"))


@bp.post("/assessment/leave/<int:leave_id>/<step>")
@roles_required(LEAVE_ROLES)
def leave_step(leave_id: int, step: str) -> Any:
    """撤回, 销假 (the worker) or 审批 (the station, township or county)."""
    found = _leave(leave_id)
    session = db_session()
    if step == "decide":
        if me().role not in leaves.DECIDER_ROLES:
            abort(403)  # a supervisor reads the requests; the station and above decide
        form = DecisionForm(prefix=f"leave{leave_id}")
        approve = form.decision.data == "approve"

        def decide() -> None:
            leaves.decide(
                session, me(), user_scope(), found, approve=approve, note=form.note.data or ""
            )

        if not form.validate() or not run_change(form, decide):
            return _leave_page(failed=(leave_id, form), status=422)
        flash(_("已准假。") if approve else _("已不准假。"), "success")
        return redirect(url_for("portal.assessment_leave"))
    steps = {"cancel": leaves.cancel, "report-back": leaves.report_back}
    if step not in steps:
        abort(404)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    if not run_change(form, lambda: steps[step](session, me(), found)):
        for message in form.form_errors:
            flash(message, "error")
        return redirect(url_for("portal.assessment_leave"))
    flash(_("已撤回请假。") if step == "cancel" else _("已销假。"), "success")
    return redirect(url_for("portal.assessment_leave"))


# --- manual scores ---------------------------------------------------------------------------


@dataclass
class ScoreCell:
    """One worker's cell on one manual line: what was typed, what is stored, the problem."""

    points: str = ""
    name: str = ""
    error: str = ""
    given: list[Any] = field(default_factory=list)  # the stored scores, by scorer


def _scores_page(
    month: str | None,
    form: MonthForm,
    scores_form: ScoresForm | None = None,
    typed: Mapping[tuple[int, str], ScoreCell] | None = None,
    status: int = 200,
) -> Any:
    session, user = db_session(), me()
    lines, page, cells, locked = [], None, {}, False
    if month is not None:
        lines = sheets.lines_scored_by(sheets.scheme_in_force(session, month), user)
        locked = runs_service.is_locked(session, month)
    if lines:
        page = paginate(session, sheets.workers_in_scope(user_scope()), rows=True)
        page = replace(page, args={"month": month})
        ids = [worker.id for worker, _path in page.items]
        stored = sheets.scores_of(session, month or "", ids, [line.code for line in lines])
        for worker_id in ids:
            for line in lines:
                key = (worker_id, line.code)
                cell = (typed or {}).get(key) or ScoreCell()
                cell.given = stored.get(key, [])
                if not typed and line.code not in sheets.NAMED_SCORER_LINES:
                    own = [s for s in cell.given if s.scorer == user.username]
                    cell.points = f"{own[0].points:g}" if own else ""
                cells[key] = cell
    html = render_template(
        "assessment/scores.html",
        form=form,
        month=month,
        lines=lines,
        labels={line.code: sheets.line_label(line) for line in lines},
        page=page,
        cells=cells,
        named=sheets.NAMED_SCORER_LINES,
        locked=locked,
        scores_form=scores_form or ScoresForm(formdata=None, month=month),
    )
    return html, status


@bp.get("/assessment/scores")
@roles_required(schemes.SCORER_ROLES)
def assessment_scores() -> Any:
    """人工评分: the workers in scope × the manual lines the user's role scores, one form."""
    form = MonthForm(request.args)
    month = month_of(form)
    return _scores_page(month, form, status=200 if month is not None else 422)


@bp.post("/assessment/scores")
@roles_required(schemes.SCORER_ROLES)
def save_assessment_scores() -> Any:
    scores_form = ScoresForm()
    form = MonthForm(formdata=None, month=scores_form.month.data)
    month = month_of(form)
    if not scores_form.validate() or month is None:
        return _scores_page(month, form, scores_form, status=422)
    session, user = db_session(), me()
    lines = sheets.lines_scored_by(sheets.scheme_in_force(session, month), user)
    worker_ids = [i for v in request.form.getlist("workers") if (i := id_or_none(v)) is not None]
    typed: dict[tuple[int, str], ScoreCell] = {}
    entries = []
    for worker_id in worker_ids:
        for line in lines:
            cell = ScoreCell(
                points=(request.form.get(f"s-{worker_id}-{line.code}") or "").strip(),
                name=(request.form.get(f"n-{worker_id}-{line.code}") or "").strip(),
            )
            typed[(worker_id, line.code)] = cell
            if not cell.points:
                continue
            try:
                value = float(cell.points)
            except ValueError:
                cell.error = str(_("应为数字"))
                continue
            if line.code in sheets.NAMED_SCORER_LINES and not cell.name:
                cell.error = str(_("请填写评分人姓名"))
                continue
            entries.append((worker_id, line.code, value, cell))
    if any(cell.error for cell in typed.values()):
        scores_form.form_errors.append(str(_("有分数未能保存，请按标出的格子修改")))
        return _scores_page(month, form, scores_form, typed, 422)
    try:
        for worker_id, code, value, cell in entries:
            worker = session.get(User, worker_id)
            if worker is None:
                raise NotFound(_("没有这个网格员"))
            try:
                sheets.record_score(
                    session, user, user_scope(), worker, month, code, value, scorer=cell.name
                )
            except DomainError as error:
                cell.error = str(error.message)
                raise
        session.commit()
    except DomainError as error:
        session.rollback()
        if not any(cell.error for cell in typed.values()):
            scores_form.form_errors.append(str(error.message))
        scores_form.form_errors.append(str(_("有分数未能保存，请按标出的格子修改")))
        return _scores_page(month, form, scores_form, typed, 422)
    flash(_("已保存 %(n)d 个分数。", n=len(entries)), "success")
    return redirect(url_for("portal.assessment_scores", month=month, page=request.args.get("page")))


# --- the scheme ------------------------------------------------------------------------------

LINE_FIELDS = ("rule", "key", "label", "category", "points", "params")
BLANK_LINES = 3
BLANK_BANDS = 2
SETTINGS = ("floating_share", "monthly_salary", "objection_days", "payout_days")


@dataclass
class Row:
    """A row of the scheme form's lines or bands: what was typed and the problems in it."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def _number(text: str) -> Any:
    """A typed number as a number; anything else as typed, for the scheme to refuse."""
    try:
        return float(text)
    except ValueError:
        return text


def _line_row(line: schemes.Line) -> Row:
    manual = line.source == "manual"
    return Row(
        {
            "rule": "manual" if manual else line.code,
            "key": line.code.split(".", 1)[1] if manual else "",
            "label": line.label,
            "category": line.category,
            "points": f"{line.points:g}",
            "scored_by": list(line.scored_by),
            "params": ", ".join(f"{k}={v:g}" for k, v in line.params.items()),
            "title": sheets.line_label(line),  # the folded row's name, in the reader's language
        }
    )


def _scheme_rows(scheme: schemes.Scheme) -> tuple[list[Row], list[Row]]:
    lines = [_line_row(line) for line in scheme.lines]
    bands = [
        Row({"minimum": f"{b.minimum:g}", "pay_percent": f"{b.pay_percent:g}"})
        for b in scheme.bands
    ]
    return lines, bands


def _fill_settings(form: SchemeForm, scheme: schemes.Scheme) -> None:
    for category in schemes.CATEGORIES:
        getattr(form, f"w_{category}").data = f"{scheme.weights[category]:g}"
    form.floating_share.data = f"{scheme.floating_share:g}"
    salary = scheme.monthly_salary
    form.monthly_salary.data = "" if salary is None else f"{salary:g}"
    form.objection_days.data = str(scheme.objection_days)
    form.payout_period.data = scheme.payout_period
    form.payout_days.data = str(scheme.payout_days)


def _read_scheme(form: SchemeForm) -> tuple[dict[str, Any], list[Row], list[Row], list[int], bool]:
    """The scheme typed into the form as the scheme's dictionary; the rows as shown; for each
    line given, the row it came from; and whether a cell could not be read."""
    values: dict[str, Any] = {
        "weights": {
            c: _number((getattr(form, f"w_{c}").data or "").strip()) for c in schemes.CATEGORIES
        },
        "payout_period": form.payout_period.data or "month",
    }
    for name in SETTINGS:
        text = (getattr(form, name).data or "").strip()
        if text:
            values[name] = _number(text)
        elif name == "monthly_salary":
            values[name] = None
    problems = False
    lines: list[Row] = []
    given: list[dict[str, Any]] = []
    line_rows: list[int] = []
    count = min(request.form.get("lines", type=int) or 0, schemes.MAX_LINES + BLANK_LINES)
    for i in range(count):
        typed = {name: (request.form.get(f"l-{i}-{name}") or "").strip() for name in LINE_FIELDS}
        typed["scored_by"] = request.form.getlist(f"l-{i}-scored_by")
        row = Row(typed)
        lines.append(row)
        if not typed["rule"] or request.form.get(f"l-{i}-remove"):
            continue  # a blank row, or a line taken out
        manual = typed["rule"] == "manual"
        params: dict[str, Any] = {}
        for pair in filter(None, (p.strip() for p in typed["params"].split(","))):
            name, _sep, number = pair.partition("=")
            try:
                params[name.strip()] = float(number)
            except ValueError:
                row.errors["params"] = str(_("应写作 名称=数值，多个以逗号分隔"))
                problems = True
        line: dict[str, Any] = {
            "code": f"manual.{typed['key']}" if manual else typed["rule"],
            "category": typed["category"],
            "points": _number(typed["points"]) if typed["points"] else None,
        }
        if manual:
            line.update(label=typed["label"], scored_by=typed["scored_by"])
        if params:
            line["params"] = params
        given.append(line)
        line_rows.append(i)
    values["lines"] = given
    bands: list[Row] = []
    values["bands"] = []
    band_count = min(request.form.get("bands", type=int) or 0, 20)
    for i in range(band_count):
        typed = {
            n: (request.form.get(f"b-{i}-{n}") or "").strip() for n in ("minimum", "pay_percent")
        }
        bands.append(Row(typed))
        if any(typed.values()):
            values["bands"].append({n: _number(v) if v else None for n, v in typed.items()})
    return values, lines, bands, line_rows, problems


def _show_problems(
    form: SchemeForm,
    problems: Mapping[str, str],
    lines: list[Row],
    bands: list[Row],
    line_rows: list[int],
) -> dict[str, str]:
    """Put the scheme's problems next to their fields and rows; those of the lines and bands
    as a whole are returned (shown above their tables)."""
    overall: dict[str, str] = {}
    band_rows = [i for i, row in enumerate(bands) if any(row.values.values())]
    for key, message in problems.items():
        parts = key.split(".")
        if parts[0] == "weights" and len(parts) == 2:
            getattr(form, f"w_{parts[1]}").errors = [message]
        elif parts[0] in ("lines", "bands") and len(parts) >= 2 and parts[1].isdigit():
            rows, shown = (lines, line_rows) if parts[0] == "lines" else (bands, band_rows)
            index = int(parts[1])
            if index < len(shown):
                name = parts[2] if len(parts) > 2 else "rule"
                rows[shown[index]].errors["rule" if name == "code" else name] = message
        elif parts[0] in ("weights", "lines", "bands"):
            overall[parts[0]] = message
        elif parts[0] in form._fields:
            form._fields[parts[0]].errors = [message]
        else:
            form.form_errors.append(message)
    return overall


def _scheme_page(
    form: SchemeForm,
    lines: list[Row],
    bands: list[Row],
    overall: Mapping[str, str] | None = None,
    status: int = 200,
) -> Any:
    session = db_session()
    rules = runs_service.catalogue()
    current = this_month()
    in_force = schemes.version_for(session, current)
    shown_lines = lines + [Row({}) for _blank in range(BLANK_LINES)]
    shown_bands = bands + [Row({}) for _blank in range(BLANK_BANDS)]
    html = render_template(
        "assessment/scheme.html",
        form=form,
        lines=shown_lines,
        bands=shown_bands,
        overall=overall or {},
        versions=schemes.versions(session),
        in_force=in_force,
        rules=[(code, _rule_choice(info)) for code, info in rules.items()],
        categories=[(c, str(schemes.CATEGORY_LABELS[c])) for c in schemes.CATEGORIES],
        scorer_roles=[(r.value, role_label(r.value)) for r in schemes.SCORER_ROLES],
    )
    return html, status


def this_month() -> str:
    today = current_tenant().clock.today()
    return f"{today.year:04d}-{today.month:02d}"


def _rule_label(info: schemes.RuleInfo) -> str:
    return info.label_en if current_locale().startswith("en") else str(info.label)


def _rule_choice(info: schemes.RuleInfo) -> str:
    """A rule as the scheme's picker offers it: its label, a module's with the module's title
    (two modules may name their lines alike)."""
    module = runtime.current().plugins.module(info.code.partition(".")[0])
    if module is None:
        return _rule_label(info)
    english = current_locale().startswith("en")
    title = (module.info.title_en or module.info.title) if english else module.info.title
    return f"{_rule_label(info)} · {title}"


@bp.get("/assessment/scheme")
@roles_required(SCHEME_ROLES)
def assessment_scheme() -> Any:
    """考核方案: the versions, the one in force, and the form for a new version (filled with
    the one in force this month)."""
    scheme = sheets.scheme_in_force(db_session(), this_month())
    form = SchemeForm(formdata=None)
    form.first_month.data = this_month()
    _fill_settings(form, scheme)
    lines, bands = _scheme_rows(scheme)
    return _scheme_page(form, lines, bands)


@bp.post("/assessment/scheme")
@roles_required(SCHEME_ROLES)
def save_assessment_scheme() -> Any:
    form = SchemeForm()
    values, lines, bands, line_rows, unreadable = _read_scheme(form)
    if not form.validate() or unreadable:
        if unreadable:
            form.form_errors.append(str(_("考核方案有误，请按标出的地方修改")))
        return _scheme_page(form, lines, bands, status=422)
    session = db_session()
    before = len(schemes.versions(session))
    try:
        parsed = schemes.parse_scheme(values, runs_service.catalogue())
        version = schemes.set_scheme(
            session,
            me(),
            parsed,
            first_month=(form.first_month.data or "").strip(),
            source="portal",
            note=form.note.data or "",
        )
        session.commit()
    except schemes.SchemeRefused as refused:
        session.rollback()
        overall = _show_problems(form, refused.problems, lines, bands, line_rows)
        form.form_errors.append(str(_("考核方案有误，请按标出的地方修改")))
        return _scheme_page(form, lines, bands, overall, 422)
    except DomainError as error:
        session.rollback()
        show_domain_error(form, error)
        return _scheme_page(form, lines, bands, status=422)
    if len(schemes.versions(session)) == before:
        flash(_("方案没有变化，仍为第 %(n)d 版。", n=version.number), "info")
    else:
        flash(
            _(
                "已保存为考核方案第 %(n)d 版，自 %(month)s 起生效。",
                n=version.number,
                month=version.first_month,
            ),
            "success",
        )
    return redirect(url_for("portal.assessment_scheme"))


@bp.get("/assessment/scheme/versions/<int:number>")
@roles_required(SCHEME_ROLES)
def assessment_scheme_version(number: int) -> Any:
    """One version of the scheme as it was set."""
    session = db_session()
    version = next((v for v in schemes.versions(session) if v.number == number), None)
    if version is None:
        abort(404)
    rules = runs_service.catalogue()
    scheme = schemes.scheme_of(version, rules)
    labels = {line.code: sheets.line_label(line) for line in scheme.lines}
    return render_template(
        "assessment/scheme_version.html",
        version=version,
        scheme=scheme,
        labels=labels,
        category_labels={c: str(schemes.CATEGORY_LABELS[c]) for c in schemes.CATEGORIES},
        band_labels=[
            b.label(scheme.bands[i - 1] if i else None) for i, b in enumerate(scheme.bands)
        ],
        role_label=role_label,
    )
