"""The task API: report, list and follow tasks, take transitions, attach photos, supervise,
dashboards (JSON and .xlsx), notifications, patrols and daily logs, and the intake endpoint
other systems (a 12345 hotline) post to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Response, request, send_file
from flask.views import MethodView

from gridgov.api import access
from gridgov.api.access import Caller, current_caller
from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.api.schemas import StoredFileSchema
from gridgov.api.tasks_schemas import (
    BulkResultSchema,
    BulkTransitionRequestSchema,
    DashboardArgsSchema,
    DashboardSchema,
    NodeArgsSchema,
    NotificationArgsSchema,
    NotificationSchema,
    PatrolSchema,
    SupervisionRequestSchema,
    SupervisionSchema,
    TaskDetailSchema,
    TaskExportRequestSchema,
    TaskExportSchema,
    TaskIntakeSchema,
    TaskListArgsSchema,
    TaskReportSchema,
    TaskSchema,
    TaskTypeSchema,
    TransitionRequestSchema,
    TransitionSchema,
    WorkerLogSchema,
)
from gridgov.core.db import db_session
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind
from gridgov.core.hierarchy import locate as locating
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tasks import dashboard as dashboards
from gridgov.core.tasks import (
    exports,
    notifications,
    reading,
    reporting,
    supervision,
    transitions,
    worker_day,
)
from gridgov.core.tasks.counters import Months
from gridgov.core.tasks.detail import TaskDetail, detail_of, task_detail
from gridgov.core.tasks.models import Source, Task, TaskExport
from gridgov.core.tasks.workflow import TransitionRule
from gridgov.web import current_tenant, download_headers

blp = ApiBlueprint(
    "tasks",
    __name__,
    url_prefix="/t/<slug>/api/v1/tasks",
    description="事件：上报、受理、交办、处置、办结、回访、评价；督办、红黄牌、统计、外部来件",
)

ATTACHMENT_KINDS = {FileKind.IMAGE, FileKind.PDF, FileKind.OFFICE, FileKind.SPREADSHEET}


def visible(task_id: int) -> Task:
    caller = current_caller()
    return reading.visible_task(db_session(), caller.user, caller.scope, task_id)


def _report_from(data: dict[str, Any], source: str | None = None) -> reporting.Report:
    return reporting.Report(
        category=data["category"],
        title=data["title"],
        description=data.get("description", ""),
        track=data["track"],
        source=source or data["source"],
        task_type=data.get("task_type", "default"),
        location_text=data.get("location_text", ""),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        priority=data["priority"],
        deadline=data.get("deadline"),
        links=[(link["kind"], link["ref_id"]) for link in data.get("links", [])],
        idempotency_key=data.get("idempotency_key"),
        external_id=data.get("external_id"),
        file_ids=data.get("file_ids", []),
    )


def _top_node(caller: Caller, node_id: int | None) -> Node:
    """The node a list or dashboard is for: the one asked for, or the caller's first root."""
    session = db_session()
    if node_id is not None:
        return access.visible_node(session, caller, node_id)
    roots = access.visible_roots(session, caller)
    if not roots:
        raise NotFound(_("没有可查看的节点"))
    return roots[0]


@blp.route("")
class Tasks(MethodView):
    @blp.requires("tasks:read")
    @blp.arguments(TaskListArgsSchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Task]:
        """The tasks the caller sees, most urgent first

        Filed in or waiting in the caller's part of the hierarchy, or dispatched to their
        department. Filter by state, category, track, card, is_open, is_supervised, node_id.
        """
        session, caller = db_session(), current_caller()
        node = access.visible_node(session, caller, args["node_id"]) if "node_id" in args else None
        filters = reading.TaskFilter(**{k: v for k, v in args.items() if k != "node_id"}, node=node)
        return page_of(
            reading.visible_tasks(session, caller.user, caller.scope, filters),
            pagination_parameters,
        )

    @blp.requires("tasks:write")
    @blp.arguments(TaskReportSchema)
    @blp.response(201, TaskDetailSchema)
    @blp.alt_response(200, schema=TaskDetailSchema, description="已上报过（同一幂等键）")
    def post(self, data: dict[str, Any]) -> Any:
        """Report a task

        With an ``idempotency_key`` (an offline draft's), sending it again answers 200 with the
        task the first send created, never a second task. The key is the caller's own: another
        user's equal key makes their own task, and the caller's key sent again with another
        grid, type, category, track, title or description answers 409. Photos: upload them
        first (``POST /tasks/files``) and give their ids in ``file_ids``.
        """
        session, caller = db_session(), current_caller()
        if data["node_id"] is None:
            node = _grid_at(session, caller, data)
        else:
            node = access.visible_node(session, caller, data["node_id"])
        report = _report_from(data)
        task, created = reporting.report_task(session, caller.user, caller.scope, node, report)
        detail = detail_of(session, caller.user, caller.scope, task)  # in the report's transaction
        session.commit()
        return detail, 201 if created else 200


def _grid_at(session: Any, caller: Caller, data: dict[str, Any]) -> Node:
    """The grid a report given by its place belongs to (the one whose boundary holds it), if
    the caller reports there; else a DomainError on ``latitude`` saying why."""
    try:
        grid = locating.locate(session, data["latitude"], data["longitude"])
    except NotFound as outside:
        raise DomainError(_("%(why)s：请选择网格", why=outside.message), field="latitude") from None
    if not caller.scope.contains(grid):
        raise DomainError(
            _("这个位置在%(grid)s，不在你的管辖范围内：请选择网格", grid=grid.name),
            field="latitude",
        )
    return grid


@blp.route("/intake")
class Intake(MethodView):
    @blp.requires("tasks:intake")
    @blp.arguments(TaskIntakeSchema)
    @blp.response(201, TaskSchema)
    @blp.alt_response(200, schema=TaskSchema, description="已接收过（同一 external_id）")
    def post(self, data: dict[str, Any]) -> Any:
        """Receive a task from another system (a 12345 hotline)

        Idempotent by ``external_id`` per calling system (the token's user): posting the same
        case again answers 200 with the task made the first time, the same id with other
        content 409; another system's equal id is another case. The grid is given by its code.
        """
        session, caller = db_session(), current_caller()
        if data["node_code"] is None:
            node = _grid_at(session, caller, data)
        else:
            found = hierarchy.get_node_by_code(session, data["node_code"])
            if found is None or not caller.scope.contains(found):
                raise NotFound(_("没有编码为 %(c)s 的网格", c=data["node_code"]), field="node_code")
            node = found
        report = _report_from(
            {**data, "source": Source.HOTLINE.value, "task_type": "default"},
            source=Source.HOTLINE.value,
        )
        task, created = reporting.report_task(session, caller.user, caller.scope, node, report)
        session.commit()
        return task, 201 if created else 200


@blp.route("/files")
class TaskFiles(MethodView):
    @blp.requires("tasks:write")
    @blp.uploads(ATTACHMENT_KINDS)
    @blp.response(201, StoredFileSchema)
    def post(self) -> Any:
        """Upload a photo or document (multipart field ``file``) to attach to a report

        Answers ``{"id": …}``; the type is judged from the content, and the size is bounded.
        """
        session, caller = db_session(), current_caller()
        upload = request.files.get("file")
        if upload is None:
            raise DomainError(_("请选择要上传的文件"), field="file")
        stored = files.store_file(
            session,
            caller.user,
            name=upload.filename or "file",
            data=upload.stream,
            kinds=ATTACHMENT_KINDS,
            purpose="task_attachment",
            field="file",
        )
        session.commit()
        return stored


@dataclass(frozen=True)
class TaskTypeView:
    name: str
    label: str
    module: str | None
    public: bool
    initial: str
    categories: list[str]
    states: list[dict[str, Any]]
    actions: list[TransitionRule]


@blp.route("/types")
class TaskTypes(MethodView):
    @blp.requires("tasks:read")
    @blp.response(200, TaskTypeSchema(many=True))
    def get(self) -> list[TaskTypeView]:
        """The task types the caller can report, with categories, states and SLAs

        The core's default cycle and those of the department modules the county admitted
        (for a pilot: where the caller's scope reaches it). ``category`` and ``task_type`` of a
        report take these values.
        """
        session, caller = db_session(), current_caller()
        tenant = current_tenant()
        return [
            TaskTypeView(
                name=t.name,
                label=str(t.label),
                module=t.module,
                public=t.public,
                initial=t.initial,
                categories=reading.categories(tenant, t),
                states=[
                    {
                        "name": s.name,
                        "label": str(s.label),
                        "is_open": s.is_open,
                        "sla_hours": s.sla_hours,
                    }
                    for s in t.states
                ],
                actions=[r for a in t.actions for r in t.rules(a)[:1]],
            )
            for t in reading.usable_types(session, caller.scope)
        ]


@blp.route("/mine")
class MyTasks(MethodView):
    @blp.requires("tasks:read")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[Task]:
        """A grid worker's open tasks, by deadline"""
        caller = current_caller()
        query = reading.my_tasks(db_session(), caller.user, caller.scope)
        return page_of(query, pagination_parameters)


@blp.route("/waiting")
class Waiting(MethodView):
    @blp.requires("tasks:read")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[Task]:
        """The tasks the caller can move on now at their own level (or department), by deadline"""
        session, caller = db_session(), current_caller()
        return page_of(
            reading.waiting_on(session, caller.user, caller.scope), pagination_parameters
        )


@blp.route("/overdue")
class Overdue(MethodView):
    @blp.requires("tasks:read")
    @blp.arguments(NodeArgsSchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Task]:
        """Open tasks with a red card in a node's subtree, most overdue first"""
        caller = current_caller()
        node = _top_node(caller, args.get("node_id"))
        readable = reading.visible_filter(db_session(), caller.user, caller.scope)
        return page_of(dashboards.overdue_tasks(node, readable), pagination_parameters)


@blp.route("/<int:task_id>")
class TaskById(MethodView):
    @blp.requires("tasks:read")
    @blp.response(200, TaskDetailSchema)
    def get(self, task_id: int) -> TaskDetail:
        """A task with its log, cards, attachments and the actions the caller may take"""
        caller = current_caller()
        return task_detail(db_session(), caller.user, caller.scope, task_id)


@blp.route("/<int:task_id>/transitions")
class Transitions(MethodView):
    @blp.requires("tasks:read")
    @blp.response(200, TransitionSchema(many=True))
    @blp.paginate()
    def get(self, task_id: int, pagination_parameters: Any) -> list[Any]:
        """The task's log, oldest first"""
        return page_of(reading.history(db_session(), visible(task_id)), pagination_parameters)

    @blp.requires("tasks:write")
    @blp.arguments(TransitionRequestSchema)
    @blp.response(200, TaskDetailSchema)
    def post(self, data: dict[str, Any], task_id: int) -> TaskDetail:
        """Take an action on the task (accept, dispatch, handle, close, escalate, return …)

        403 when the caller's role or level may not take it; 409 when the task's state does
        not allow it.
        """
        session, caller = db_session(), current_caller()
        task = reading.visible_task(session, caller.user, caller.scope, task_id, for_update=True)
        target = None
        if data["target_node_id"] is not None:
            target = access.visible_node(session, caller, data["target_node_id"])
        move = transitions.Move(
            comment=data["comment"],
            file_ids=data["file_ids"],
            target_node=target,
            target_role=data["target_role"],
            department_id=data["department_id"],
            rating=data["rating"],
        )
        task = transitions.transition(
            session, caller.user, caller.scope, task, data["action"], move
        )
        reporting.attach_own_files(session, caller.user, task, data["file_ids"])
        # The answer is read before the commit, in the step's own transaction: after it, a
        # new transaction would begin (and be told the county again) only for these reads.
        detail = detail_of(session, caller.user, caller.scope, task)
        session.commit()
        return detail


@blp.route("/bulk-transitions")
class BulkTransitions(MethodView):
    @blp.requires("tasks:write")
    @blp.arguments(BulkTransitionRequestSchema)
    @blp.response(200, BulkResultSchema)
    def post(self, data: dict[str, Any]) -> transitions.BulkResult:
        """Accept or dispatch several tasks at once (triage at a level)

        Each task is tried on its own: ``refused`` names those that were not moved and why.
        """
        session, caller = db_session(), current_caller()
        target = None
        if data["target_node_id"] is not None:
            target = access.visible_node(session, caller, data["target_node_id"])
        move = transitions.Move(
            comment=data["comment"],
            target_node=target,
            target_role=data["target_role"],
            department_id=data["department_id"],
        )
        result = transitions.transition_many(
            session, caller.user, caller.scope, data["task_ids"], data["action"], move
        )
        session.commit()
        return result


@blp.route("/<int:task_id>/attachments/<int:file_id>")
class Attachment(MethodView):
    @blp.requires("tasks:read")
    @blp.response(200, schema=None)
    def get(self, task_id: int, file_id: int) -> Response:
        """Download one of the task's files"""
        stored = reading.attachment(db_session(), visible(task_id), file_id)
        return send_file(
            files.file_path(stored), mimetype=stored.content_type, download_name=stored.name
        )


@blp.route("/<int:task_id>/supervision")
class TaskSupervision(MethodView):
    @blp.requires("tasks:write")
    @blp.arguments(SupervisionRequestSchema)
    @blp.response(201, SupervisionSchema)
    def post(self, data: dict[str, Any], task_id: int) -> Any:
        """Put the task under supervision (督办; ``is_listed``: 挂牌督办)

        County administrators and township staff, at a node of their own scope.
        """
        session, caller = db_session(), current_caller()
        task = visible(task_id)
        node = access.visible_node(session, caller, data["node_id"])
        order = supervision.supervise(
            session,
            caller.user,
            caller.scope,
            task,
            node=node,
            note=data["note"],
            due_at=data["due_at"],
            is_listed=data["is_listed"],
        )
        session.commit()
        return order


@blp.route("/supervision")
class Supervisions(MethodView):
    @blp.requires("tasks:read")
    @blp.arguments(NodeArgsSchema, location="query")
    @blp.response(200, SupervisionSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """The supervision list of a level (and the levels below), open ones first"""
        caller = current_caller()
        node = _top_node(caller, args.get("node_id"))
        query = supervision.supervision_list(
            db_session(), caller.user, caller.scope, node, include_ended=args["include_ended"]
        )
        return page_of(query, pagination_parameters)


@blp.route("/dashboard")
class Dashboard(MethodView):
    @blp.requires("tasks:read")
    @blp.arguments(DashboardArgsSchema, location="query")
    @blp.response(200, DashboardSchema)
    def get(self, args: dict[str, Any]) -> dashboards.Dashboard:
        """Counts and shares by category, state, track, level and child node; closing rate,
        average handling time, satisfaction rate and red cards, for a node's subtree"""
        return _dashboard(args)


@blp.route("/dashboard.xlsx")
class DashboardWorkbook(MethodView):
    @blp.requires("tasks:read")
    @blp.arguments(DashboardArgsSchema, location="query")
    @blp.response(200, schema=None)
    def get(self, args: dict[str, Any]) -> Response:
        """Every figure of the dashboard as an .xlsx workbook"""
        board = _dashboard(args)
        return Response(
            dashboards.to_xlsx(board),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=download_headers(f"tasks-{board.node.code}.xlsx"),
        )


@blp.route("/exports")
class TaskExports(MethodView):
    @blp.requires("tasks:write")
    @blp.arguments(TaskExportRequestSchema)
    @blp.response(202, TaskExportSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Export the red- or yellow-card list of a node's subtree to .xlsx, in the background

        Follow it with GET /tasks/exports/{export_id}; download the file once ``is_ready``.
        """
        session, caller = db_session(), current_caller()
        node = _top_node(caller, data["node_id"])
        return exports.start_export(session, caller.user, caller.scope, node, data["card"])


@blp.route("/exports/<int:export_id>")
class TaskExportById(MethodView):
    @blp.requires("tasks:read")
    @blp.response(200, TaskExportSchema)
    def get(self, export_id: int) -> Any:
        """An export of the caller's: its status, progress while it runs, rows once done"""
        return runs.visible_run(db_session(), TaskExport, current_caller().user, export_id)


@blp.route("/exports/<int:export_id>/file")
class TaskExportFile(MethodView):
    @blp.requires("tasks:read")
    @blp.response(200, schema=None)
    def get(self, export_id: int) -> Response:
        """Download an export's .xlsx (404 while it is not written yet)"""
        session = db_session()
        export = runs.visible_run(session, TaskExport, current_caller().user, export_id)
        stored = runs.output_file(session, export)
        return send_file(
            files.file_path(stored), mimetype=stored.content_type, download_name=stored.name
        )


def _dashboard(args: dict[str, Any]) -> dashboards.Dashboard:
    node = _top_node(current_caller(), args.get("node_id"))
    period = Months(first=args.get("first_month"), last=args.get("last_month"))
    return dashboards.dashboard(db_session(), current_tenant(), reading.registry(), node, period)


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.requires("tasks:read")
    @blp.arguments(NotificationArgsSchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """The caller's notifications (cards, emergencies, dispatches), newest first

        A sweep that cards more than three of the caller's tasks in one colour tells them
        once: how many, and the first reported (``task_id`` null); the card lists
        (``GET /tasks?card=yellow``) give them all."""
        query = notifications.notifications(
            db_session(), current_caller().user, unread_only=args["unread_only"]
        )
        return page_of(query, pagination_parameters)


@blp.route("/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    @blp.requires("tasks:write")
    @blp.response(200, NotificationSchema)
    def post(self, notification_id: int) -> Any:
        """Mark one of the caller's notifications read"""
        session = db_session()
        found = notifications.mark_read(session, current_caller().user, notification_id)
        session.commit()
        return found


@blp.route("/patrols")
class Patrols(MethodView):
    @blp.requires("tasks:read")
    @blp.response(200, PatrolSchema(many=True))
    def get(self) -> list[Any]:
        """The caller's patrols today (一日双巡)"""
        today = current_tenant().clock.today()
        return worker_day.patrols_of(db_session(), current_caller().user, today)

    @blp.requires("tasks:write")
    @blp.arguments(PatrolSchema)
    @blp.response(201, PatrolSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Check in a patrol now, with the place"""
        session, caller = db_session(), current_caller()
        node = access.visible_node(session, caller, data["node_id"])
        patrol = worker_day.check_in(
            session,
            caller.user,
            caller.scope,
            node,
            place=data["place"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            note=data["note"],
        )
        session.commit()
        return patrol


@blp.route("/logs/<day>")
class WorkerLogs(MethodView):
    @blp.requires("tasks:read")
    @blp.response(200, WorkerLogSchema)
    def get(self, day: str) -> Any:
        """The caller's daily log (网格员日志) of a day (YYYY-MM-DD)"""
        entry = worker_day.log_of(db_session(), current_caller().user, _day(day))
        if entry is None:
            raise NotFound(_("这一天还没有日志"))
        return entry

    @blp.requires("tasks:write")
    @blp.arguments(WorkerLogSchema)
    @blp.response(200, WorkerLogSchema)
    def put(self, data: dict[str, Any], day: str) -> Any:
        """Write the caller's daily log of a day (YYYY-MM-DD)"""
        session = db_session()
        entry = worker_day.write_log(session, current_caller().user, _day(day), data["text"])
        session.commit()
        return entry


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise NotFound(_("日期格式应为 YYYY-MM-DD")) from None
