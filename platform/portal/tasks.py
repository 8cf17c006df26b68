"""Task pages: lists (mine, waiting on my level, everything I see), reporting with a photo,
a task with its log and the steps the user may take, supervision, the grid worker's day
(patrols, daily log) and the dashboard with its charts and .xlsx export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.service import ROLE_LABELS
from gridgov.core.db import db_session
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind
from gridgov.core.hierarchy import locate as locating
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.i18n import _
from gridgov.core.tasks import dashboard as dashboards
from gridgov.core.tasks import exports, public, reading, reporting, transitions, worker_day
from gridgov.core.tasks import supervision as supervising
from gridgov.core.tasks.detail import task_detail
from gridgov.core.tasks.models import Task, TaskExport
from gridgov.core.tasks.workflow import DEFAULT_TYPE, STAFF_ABOVE_GRID, TaskType
from gridgov.portal.paging import paginate
from gridgov.portal.shell import (
    bp,
    me,
    roles_required,
    run_change,
    safe_next,
    scope_roots,
    user_scope,
    visible_node,
)
from gridgov.portal.tasks_forms import (
    ActionForm,
    BulkForm,
    ExportForm,
    LogForm,
    NoticeBoardForm,
    PatrolForm,
    ReportForm,
    SupervisionForm,
)
from gridgov.web import current_tenant, download_headers, id_or_none, id_value

LISTS = {"mine": _("我的事件"), "waiting": _("待本级办理"), "all": _("全部可见事件")}
# A supervisor (督导员) handles no task: what waits on them is the revisit of closed ones and
# their rating, so their list is named for that.
SUPERVISOR_WAITING = _("待回访、评价")


def lists_for(user: User) -> dict[str, Any]:
    """The task lists offered to ``user``, each named for what it holds for their role."""
    if user.role == Role.SUPERVISOR:
        return {**LISTS, "waiting": SUPERVISOR_WAITING}
    return LISTS


def _visible_task(task_id: int, *, for_update: bool = False) -> Task:
    try:
        return reading.visible_task(
            db_session(), me(), user_scope(), task_id, for_update=for_update
        )
    except NotFound:
        abort(404)


@bp.get("/tasks")
@login_required
def task_list() -> Any:
    default = "mine" if me().role == Role.GRID_WORKER else "waiting"
    return _render_list(request.args.get("list", default))


def _render_list(which: str, bulk: BulkForm | None = None, status: int = 200) -> Any:
    session, user = db_session(), me()
    args = {"list": which}
    if which == "mine":
        query = reading.my_tasks(session, user, user_scope())
    elif which == "waiting":
        query = reading.waiting_on(session, user, user_scope())
    else:
        which = args["list"] = "all"
        card = request.args.get("card") or None
        query = reading.visible_tasks(
            session,
            user,
            user_scope(),
            reading.TaskFilter(card=card, is_open=True if card else None),
        )
        if card:
            args["card"] = card
    page = paginate(session, query, args=args)
    if which != "mine" and user.role in STAFF_ABOVE_GRID and page.items and scope_roots():
        bulk = bulk or BulkForm(formdata=None)
        _offer_targets(bulk, scope_roots()[0])
    else:
        bulk = None
    page_html = render_template(
        "tasks/list.html",
        page=page,
        which=which,
        lists=lists_for(user),
        state_label=state_label,
        bulk=bulk,
    )
    return page_html, status


@bp.post("/tasks/bulk")
@login_required
def bulk_act() -> Any:
    """Accept or dispatch the ticked tasks of a list at once."""
    form = BulkForm()
    task_ids = [i for v in request.form.getlist("task_ids") if (i := id_or_none(v)) is not None]
    session = db_session()
    results: list[transitions.BulkResult] = []

    def take() -> None:
        target, department_id = None, None
        if form.action.data == "dispatch":
            target, department_id = _picked_target(form.target.data or "")
        move = transitions.Move(
            comment=form.comment.data or "",
            target_node=target,
            target_role=(form.target_role.data or None) if target is not None else None,
            department_id=department_id,
        )
        action = form.action.data or ""
        results.append(
            transitions.transition_many(session, me(), user_scope(), task_ids, action, move)
        )

    back = "all" if request.form.get("list") == "all" else "waiting"
    aliases = {"target_node_id": "target", "department_id": "target", "task_ids": ""}
    if not form.validate() or not run_change(form, take, aliases):
        return _render_list(back, form, 422)
    result = results[0]
    if result.done:
        flash(_("已办理 %(n)d 件事件", n=len(result.done)), "success")
    for task_id, why in result.refused.items():
        flash(_("事件 %(id)d 未办理：%(why)s", id=task_id, why=why), "error")
    return redirect(url_for("portal.task_list", list=back))


def state_label(task: Task) -> str:
    """A task's state in words (its type's label), for lists and the home page."""
    return str(reading.registry().get(task.task_type).state(task.state).label)


# A module's categories are offered as "<task type>::<category>" in groups named after their
# type; the core's stay plain, so the common case posts just the category.
TYPE_SEPARATOR = "::"


def category_choices(types: list[TaskType]) -> Any:
    """Choices for a category select: the core type's categories, then a group per module."""
    tenant = current_tenant()
    choices: dict[str, list[tuple[str, str]]] = {}
    for task_type in types:
        if task_type.module is None:
            options = [(c, c) for c in reading.categories(tenant, task_type)]
        else:
            prefix = f"{task_type.name}{TYPE_SEPARATOR}"
            options = [(prefix + c, c) for c in reading.categories(tenant, task_type)]
        choices[str(task_type.label)] = options
    if len(choices) == 1:
        return next(iter(choices.values()))
    return choices


def type_and_category(value: str) -> tuple[str, str]:
    """The task type and category a category select posted."""
    task_type, separator, category = (value or "").rpartition(TYPE_SEPARATOR)
    return (task_type if separator else DEFAULT_TYPE), category


def _report_form() -> ReportForm:
    form = ReportForm()
    session = db_session()
    grids = _reporting_nodes(session)
    form.node.choices = [(node.id, node.name) for node in grids]
    form.category.choices = category_choices(reading.usable_types(session, user_scope()))
    return form


def _reporting_nodes(session: Any) -> list[Node]:
    """The grids a user files under: their own grids, else the nodes they work at."""
    nodes = list(
        session.scalars(
            select(Node)
            .join(Assignment, Assignment.node_id == Node.id)
            .where(Assignment.user_id == me().id, Node.retired_at.is_(None))
            .order_by(Node.code)
        )
    )
    return nodes or scope_roots()


@bp.route("/tasks/new", methods=["GET", "POST"])
@login_required
def new_task() -> Any:
    form = _report_form()
    if me().role == Role.AUDIT_ADMIN:
        abort(404)
    if not form.is_submitted():
        return render_template("tasks/new.html", form=form)
    if not form.validate():
        return render_template("tasks/new.html", form=form), 422
    session = db_session()
    made: dict[str, Task] = {}

    def report() -> None:
        node = visible_node(form.node.data)
        task_type, category = type_and_category(form.category.data)
        task, _created = reporting.report_task(
            session,
            me(),
            user_scope(),
            node,
            reporting.Report(
                task_type=task_type,
                category=category,
                title=form.title.data or "",
                description=form.description.data or "",
                track=form.track.data,
                location_text=form.location_text.data or "",
                latitude=form.latitude.data,
                longitude=form.longitude.data,
                idempotency_key=form.idempotency_key.data or None,
            ),
            uploads=_uploads(form.photo.data),
        )
        made["task"] = task

    # The draft's key and the phone's position are hidden fields: what is wrong with them goes
    # on top.
    hidden = {"idempotency_key": "", "latitude": "", "longitude": ""}
    if not run_change(form, report, {"node_id": "node", "file": "photo", **hidden}):
        return render_template("tasks/new.html", form=form), 422
    return redirect(url_for("portal.task", task_id=made["task"].id))


@bp.get("/tasks/locate")
@login_required
def locate_grid() -> Any:
    """The grid a phone's position lies in, for the report form to suggest (JSON): its id,
    name and whether the user reports there; 404 with a message outside every grid."""
    latitude = request.args.get("lat", type=float)
    longitude = request.args.get("lng", type=float)
    if latitude is None or longitude is None:
        return jsonify(message=str(_("经度和纬度须同时填写"))), 422
    session = db_session()
    try:
        grid = locating.locate(session, latitude, longitude)
    except DomainError as refused:
        return jsonify(message=str(refused.message)), refused.status
    reporting_here = any(node.id == grid.id for node in _reporting_nodes(session))
    return jsonify(id=grid.id, name=grid.name, reports_here=reporting_here)


def stored_photo(actor: User | None, upload: Any, purpose: str = "task_attachment") -> Any:
    """The uploaded photo stored (its type judged from the content, its size bounded), or
    None when no file was chosen."""
    if not upload or not upload.filename:
        return None
    return files.store_file(
        db_session(),
        actor,
        name=upload.filename,
        data=upload.stream,
        kinds={FileKind.IMAGE},
        purpose=purpose,
        field="photo",
    )


def _uploads(upload: Any) -> list[reporting.Upload]:
    """The photo sent with a report, if one was chosen."""
    if not upload or not upload.filename:
        return []
    return [reporting.Upload(name=upload.filename, data=upload.stream)]


def _attach_upload(task: Task, upload: Any) -> None:
    stored = stored_photo(me(), upload)
    if stored is not None:
        reporting.attach_file(db_session(), me(), task, stored)


def _render_task(
    task_id: int,
    failed: ActionForm | None = None,
    status: int = 200,
    supervise_form: SupervisionForm | None = None,
) -> Any:
    """The task page; a refused form (a step's, or the 督办 form) comes back as typed, its
    problem marked."""
    session = db_session()
    try:
        detail = task_detail(session, me(), user_scope(), task_id)
    except NotFound:
        abort(404)
    forms = {}
    for rule in detail.actions:
        form = failed if failed is not None and failed.action.data == rule.action else None
        forms[rule.action] = form or ActionForm(formdata=None, action=rule.action)
    if "dispatch" in forms:
        _offer_targets(forms["dispatch"], detail.current_node, detail.task.filed_path)
    page = render_template(
        "tasks/task.html",
        task=detail.task,
        state_label=detail.state_label,
        node=detail.node,
        current_node=detail.current_node,
        rules=detail.actions,
        forms=forms,
        history=detail.history,
        action_label=detail.task_type.action_label,
        cards=detail.cards,
        photos=detail.attachments,
        supervise=(supervise_form or SupervisionForm(formdata=None))
        if detail.may_supervise
        else None,
        location=_location(detail.task, detail.node),
    )
    return page, status


def _location(task: Task, node: Node) -> dict[str, str] | None:
    """What the task page's small map draws: the task's point and its grid's outline (the
    tiles of the county's server are left out here: the point within its grid says where)."""
    if task.latitude is None or task.longitude is None:
        return None
    return {
        "point": f"{task.latitude},{task.longitude}",
        "outline": json.dumps(node.boundary, ensure_ascii=False) if node.boundary else "",
    }


def _offer_targets(form: ActionForm | BulkForm, node: Node, filed_path: str | None = None) -> None:
    """The dispatch picker of the level ``node``: itself and the levels below it, the
    departments serving the task's grid (or the level's area), and the role that takes it at a
    node (default: by the level)."""
    targets = transitions.dispatch_targets(db_session(), user_scope(), node, filed_path)
    levels, departments = str(_("本级及下级")), str(_("职能部门"))
    form.target.choices = [
        SelectChoice("", _("请选择交办对象")),
        *(SelectChoice(f"node:{n.id}", n.name, optgroup=levels) for n in targets.nodes),
        *(
            SelectChoice(f"department:{d.id}", d.name, optgroup=departments)
            for d in targets.departments
        ),
    ]
    form.target_role.choices = [
        SelectChoice("", _("按层级默认（网格员、社区工作站或乡镇）")),
        *(SelectChoice(role, ROLE_LABELS[role]) for role in targets.roles),
    ]


def _picked_target(value: str) -> tuple[Node | None, int | None]:
    """The node or the department id a picker value names; another county's is unknown."""
    kind, _sep, ref = value.partition(":")
    number = id_or_none(ref)
    if kind == "department" and number is not None:
        return None, number
    if kind == "node" and number is not None:
        node = db_session().get(Node, number)
        if node is not None:
            return node, None
        raise DomainError(_("没有这个节点"), field="target_node_id")
    raise DomainError(_("请选择交办给哪个节点或部门"), field="target_node_id")


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int) -> Any:
    return _render_task(task_id)


@bp.post("/tasks/<int:task_id>/act")
@login_required
def act(task_id: int) -> Any:
    found = _visible_task(task_id, for_update=True)
    form = ActionForm()
    if not form.validate():
        return _render_task(task_id, form, 422)
    session = db_session()
    takes_rating = reading.registry().get(found.task_type).takes_rating(form.action.data)

    def take() -> None:
        target, department_id = None, None
        if form.action.data == "dispatch":
            target, department_id = _picked_target(form.target.data or "")
        move = transitions.Move(
            comment=form.comment.data or "",
            target_node=target,
            target_role=(form.target_role.data or None) if target is not None else None,
            department_id=department_id,
            rating=(form.rating.data or None) if takes_rating else None,
        )
        done = transitions.transition(session, me(), user_scope(), found, form.action.data, move)
        _attach_upload(done, form.photo.data)

    aliases = {"target_node_id": "target", "department_id": "target", "file": "photo"}
    if not run_change(form, take, aliases):
        return _render_task(task_id, form, 422)
    back = form.next.data
    if back and safe_next(back) == back:
        return redirect(back)  # the module page the step was taken on
    return redirect(url_for("portal.task", task_id=task_id))


@bp.post("/tasks/<int:task_id>/supervise")
@login_required
def supervise(task_id: int) -> Any:
    found = _visible_task(task_id)
    form = SupervisionForm()
    session = db_session()
    if form.validate():
        node = scope_roots()[0] if scope_roots() else None

        def put() -> None:
            if node is None:
                raise NotFound(_("没有这个节点"))
            supervising.supervise(
                session,
                me(),
                user_scope(),
                found,
                node=node,
                note=form.note.data or "",
                due_at=form.due_at.data.replace(tzinfo=current_tenant().clock.zone),
            )

        if run_change(form, put):
            return redirect(url_for("portal.task", task_id=task_id))
    return _render_task(task_id, status=422, supervise_form=form)


@bp.get("/tasks/<int:task_id>/files/<int:file_id>")
@login_required
def task_file(task_id: int, file_id: int) -> Response:
    try:
        stored = reading.attachment(db_session(), _visible_task(task_id), file_id)
    except NotFound:
        abort(404)
    return send_file(
        files.file_path(stored), mimetype=stored.content_type, download_name=stored.name
    )


@bp.get("/tasks/sw.js")
def task_worker() -> Response:
    """The service worker, served under /tasks/ so that its scope covers the task pages."""
    response = send_file(
        Path(current_app.static_folder or "") / "js" / "tasks-sw.js",
        mimetype="text/javascript",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/tasks/supervision")
@login_required
def supervision() -> Any:
    roots = scope_roots()
    if not roots:
        abort(404)
    node = visible_node(request.args.get("node", roots[0].id, type=id_value))
    session = db_session()
    query = supervising.supervision_list(session, me(), user_scope(), node).limit(200)
    found = list(session.scalars(query))
    return render_template("tasks/supervision.html", node=node, supervisions=found)


@bp.route("/tasks/day", methods=["GET", "POST"])
@login_required
def my_day() -> Any:
    session, user = db_session(), me()
    today = current_tenant().clock.today()
    patrol_form, log_form = PatrolForm(prefix="patrol"), LogForm(prefix="log")
    status = 200
    if request.method == "POST":
        grids = _reporting_nodes(session)
        if "patrol-place" in request.form:
            valid = patrol_form.validate()
            if valid and not grids:
                patrol_form.form_errors.append(str(_("您没有负责的网格，不能在此签到。")))
            elif valid:
                stored = run_change(
                    patrol_form,
                    lambda: worker_day.check_in(
                        session,
                        user,
                        user_scope(),
                        grids[0],
                        place=patrol_form.place.data or "",
                        note=patrol_form.note.data or "",
                    ),
                )
                if stored:
                    flash(
                        _("已签到：%(place)s", place=patrol_form.place.data or grids[0].name),
                        "success",
                    )
                    return redirect(url_for("portal.my_day"))
            status = 422
        else:
            if log_form.validate() and run_change(
                log_form,
                lambda: worker_day.write_log(session, user, today, log_form.text.data or ""),
            ):
                flash(_("今天的工作日志已保存。"), "success")
                return redirect(url_for("portal.my_day"))
            status = 422
    entry = worker_day.log_of(session, user, today)
    if entry is not None and not log_form.text.data:
        log_form.text.data = entry.text
    page = render_template(
        "tasks/day.html",
        patrols=worker_day.patrols_of(session, user, today),
        patrol_form=patrol_form,
        log_form=log_form,
        today=today,
    )
    return page, status


@bp.route("/tasks/notice-board", methods=["GET", "POST"])
@roles_required(public.NOTICE_BOARD_ROLES)
def my_notice_board() -> Any:
    session, user = db_session(), me()
    form = NoticeBoardForm()
    grids = _reporting_nodes(session)
    if form.is_submitted():

        def save() -> None:
            photo = stored_photo(user, form.photo.data, "notice_board_photo")
            public.set_notice_board(session, user, shows_phone=form.shows_phone.data, photo=photo)

        if form.validate() and run_change(form, save, {"file": "photo"}):
            return redirect(url_for("portal.my_notice_board"))
        status = 422
    else:
        status = 200
        if grids:
            form.shows_phone.data = public.notice_board(session, grids[0]).phone is not None
    boards = [public.notice_board(session, grid) for grid in grids]
    return render_template("tasks/notice_board.html", form=form, boards=boards), status


def _board() -> dashboards.Dashboard:
    roots = scope_roots()
    if not roots:
        abort(404)
    node = visible_node(request.args.get("node", roots[0].id, type=id_value))
    return dashboards.dashboard(db_session(), current_tenant(), reading.registry(), node)


@bp.get("/tasks/dashboard")
@login_required
def task_dashboard() -> Any:
    board = _board()
    return _render_dashboard(board, ExportForm(formdata=None, node=board.node.id))


def _render_dashboard(board: dashboards.Dashboard, export_form: ExportForm, status: int = 200):
    charts = {
        name: {"labels": [f.label for f in figures], "values": [f.tasks for f in figures]}
        for name, figures in (
            ("category", board.by_category),
            ("state", board.by_state),
            ("track", board.by_track),
            ("child", board.by_child),
        )
    }
    page = render_template(
        "tasks/dashboard.html",
        board=board,
        charts=json.dumps(charts, ensure_ascii=False),
        overdue=list(
            db_session().scalars(
                dashboards.overdue_tasks(
                    board.node, reading.visible_filter(db_session(), me(), user_scope())
                ).limit(20)
            )
        ),
        export_form=export_form,
        card_lists=exports.CARD_LISTS,
    )
    return page, status


@bp.get("/tasks/dashboard.xlsx")
@login_required
def task_dashboard_xlsx() -> Response:
    board = _board()
    return Response(
        dashboards.to_xlsx(board),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=download_headers(f"tasks-{board.node.code}.xlsx"),
    )


@bp.post("/tasks/exports")
@login_required
def request_export() -> Any:
    """Queue the export of a card list; its page follows the job."""
    form = ExportForm()
    node = visible_node(request.form.get("node", type=id_value) or 0)
    session = db_session()
    asked: list[TaskExport] = []

    def ask() -> None:
        card = form.card.data or ""
        asked.append(exports.start_export(session, me(), user_scope(), node, card))

    if not form.validate() or not run_change(form, ask, {"card": "", "node_id": ""}):
        board = dashboards.dashboard(session, current_tenant(), reading.registry(), node)
        return _render_dashboard(board, form, 422)
    return redirect(url_for("portal.task_export", export_id=asked[0].id))


def _my_export(export_id: int) -> Any:
    try:
        return runs.visible_run(db_session(), TaskExport, me(), export_id)
    except NotFound:
        abort(404)


@bp.get("/tasks/exports/<int:export_id>")
@login_required
def task_export(export_id: int) -> Any:
    export = _my_export(export_id)
    return render_template(
        "tasks/export.html",
        export=export,
        node=hierarchy.get_node(db_session(), export.node_id),
        title=exports.CARD_LISTS[export.card],
        progress=runs.progress(export),
    )


@bp.get("/tasks/exports/<int:export_id>/file")
@login_required
def task_export_file(export_id: int) -> Response:
    session = db_session()
    try:
        stored = runs.output_file(session, _my_export(export_id))
    except NotFound:
        abort(404)
    return send_file(
        files.file_path(stored),
        mimetype=stored.content_type,
        download_name=stored.name,
        as_attachment=True,
    )
