"""Marshmallow schemas of the task API: what its endpoints accept and answer."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, pre_dump, validate, validates_schema

from gridgov.api.schemas import (
    ApiSchema,
    Id,
    NodeRefSchema,
    QueryArgsSchema,
    StoredFileSchema,
    failure_field,
    kept_until_field,
    latitude_field,
    longitude_field,
)
from gridgov.core.files import runs
from gridgov.core.i18n import _
from gridgov.core.tasks.models import Card, Rating, Source, Track

TRACKS = [t.value for t in Track]
RATINGS = [r.value for r in Rating]


class LinkSchema(ApiSchema):
    kind = fields.String(required=True, metadata={"description": "person, dwelling 或 site"})
    id = Id(
        required=True, attribute="ref_id", metadata={"description": "人口、房屋或单位场所的 id"}
    )


def _grid_or_place(data: dict[str, Any], grid_field: str) -> None:
    """A report names its grid, or gives the place it was made at (the grid is found by it)."""
    if data.get(grid_field) is None and (
        data.get("latitude") is None or data.get("longitude") is None
    ):
        raise ValidationError(str(_("请选择网格，或给出经纬度（按位置落到网格）")), grid_field)


class TaskReportSchema(ApiSchema):
    node_id = Id(
        load_default=None, metadata={"description": "所属网格；不填时按经纬度落到所在网格"}
    )
    category = fields.String(required=True, metadata={"description": "如 民生事项、矛盾纠纷"})
    title = fields.String(required=True, metadata={"maxLength": 200})
    description = fields.String(load_default="")
    track = fields.String(
        load_default=Track.GENERAL.value,
        metadata={"description": "general / coordinate / emergency"},
    )
    task_type = fields.String(load_default="default")
    source = fields.String(
        load_default=Source.PATROL.value,
        validate=validate.OneOf(
            [Source.PATROL.value, Source.DEPARTMENT.value, Source.SYSTEM.value]
        ),
    )
    location_text = fields.String(load_default="")
    latitude = latitude_field(load_default=None, allow_none=True)
    longitude = longitude_field(load_default=None, allow_none=True)
    priority = fields.Integer(load_default=2)
    deadline = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "事件总期限（须在将来）：各环节时限都不晚于它，过期即红牌"},
    )
    links = fields.List(fields.Nested(LinkSchema), load_default=list)
    file_ids = fields.List(Id(), load_default=list)
    idempotency_key = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "离线草稿的幂等键：重发同一个键不会产生第二个事件"},
    )

    @validates_schema
    def _placed(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _grid_or_place(data, "node_id")


class TaskIntakeSchema(ApiSchema):
    external_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "来件系统（如 12345 热线）的工单号：重复推送不会重复立案"},
    )
    node_code = fields.String(
        load_default=None, metadata={"description": "网格编码；不填时按经纬度落到所在网格"}
    )
    category = fields.String(required=True)
    title = fields.String(required=True, metadata={"maxLength": 200})
    description = fields.String(load_default="")
    track = fields.String(load_default=Track.COORDINATE.value)
    location_text = fields.String(load_default="")
    latitude = latitude_field(load_default=None, allow_none=True)
    longitude = longitude_field(load_default=None, allow_none=True)
    priority = fields.Integer(load_default=2)

    @validates_schema
    def _placed(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _grid_or_place(data, "node_code")


class TaskListArgsSchema(QueryArgsSchema):
    state = fields.String()
    category = fields.String()
    track = fields.String()
    card = fields.String(validate=validate.OneOf([c.value for c in Card]))
    is_open = fields.Boolean()
    is_supervised = fields.Boolean()
    node_id = Id(metadata={"description": "登记在该节点及以下的事件"})


class TransitionSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    action = fields.String(dump_only=True)
    from_state = fields.String(dump_only=True, allow_none=True)
    to_state = fields.String(dump_only=True)
    actor_id = fields.Integer(dump_only=True, allow_none=True)
    actor_name = fields.String(dump_only=True, allow_none=True)
    node_id = fields.Integer(dump_only=True)
    comment = fields.String(dump_only=True)
    file_ids = fields.List(fields.String(), dump_only=True)
    at = fields.DateTime(dump_only=True)


class TransitionRequestSchema(ApiSchema):
    action = fields.String(required=True, metadata={"description": "accept、dispatch、handle …"})
    comment = fields.String(load_default="")
    file_ids = fields.List(Id(), load_default=list)
    target_node_id = Id(load_default=None, allow_none=True)
    target_role = fields.String(load_default=None, allow_none=True)
    department_id = Id(load_default=None, allow_none=True)
    rating = fields.String(load_default=None, allow_none=True)


class CardSchema(ApiSchema):
    color = fields.String(dump_only=True, attribute="card.color")
    state = fields.String(dump_only=True, attribute="card.state")
    node_id = fields.Integer(dump_only=True, attribute="card.node_id")
    due_at = fields.DateTime(dump_only=True, attribute="card.due_at")
    at = fields.DateTime(dump_only=True, attribute="card.at")
    points = fields.Float(
        dump_only=True, metadata={"description": "考核扣分（按给牌时有效的规则表）"}
    )


class ActionSchema(ApiSchema):
    action = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    needs_comment = fields.Boolean(dump_only=True)
    answers_resident = fields.Boolean(
        dump_only=True, metadata={"description": "这一步的意见是给居民的答复：凭查询码可见"}
    )
    takes_rating = fields.Boolean(
        dump_only=True, metadata={"description": "这一步可带 rating（评价，或回访时听到的评价）"}
    )


class TaskSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True, metadata={"description": "查询码"})
    task_type = fields.String(dump_only=True)
    category = fields.String(dump_only=True)
    source = fields.String(dump_only=True)
    track = fields.String(dump_only=True)
    state = fields.String(dump_only=True)
    is_open = fields.Boolean(dump_only=True)
    node_id = fields.Integer(dump_only=True)
    current_node_id = fields.Integer(dump_only=True)
    assignee_role = fields.String(dump_only=True, allow_none=True)
    department_id = fields.Integer(dump_only=True, allow_none=True)
    title = fields.String(dump_only=True)
    description = fields.String(dump_only=True)
    location_text = fields.String(dump_only=True)
    latitude = fields.Float(dump_only=True, allow_none=True)
    longitude = fields.Float(dump_only=True, allow_none=True)
    priority = fields.Integer(dump_only=True)
    deadline = fields.DateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "事件总期限：各环节时限都不晚于它，过期即红牌"},
    )
    due_at = fields.DateTime(
        dump_only=True, allow_none=True, metadata={"description": "本环节办理时限"}
    )
    red_at = fields.DateTime(
        dump_only=True, allow_none=True, metadata={"description": "本环节何时给红牌"}
    )
    card = fields.String(dump_only=True)
    is_supervised = fields.Boolean(dump_only=True)
    rating = fields.String(dump_only=True, allow_none=True)
    reported_at = fields.DateTime(dump_only=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)


# What a task's detail holds beside the task; its other fields are the task's.
DETAIL_PARTS = frozenset(
    {"node", "current_node", "links", "actions", "history", "cards", "attachments"}
)


class TaskDetailSchema(TaskSchema):
    """A task's detail (``gridgov.core.tasks.detail.TaskDetail``): the task's own fields, then
    what the detail holds beside it."""

    rating_comment = fields.String(dump_only=True)
    external_id = fields.String(dump_only=True, allow_none=True)
    node = fields.Nested(NodeRefSchema, dump_only=True)
    current_node = fields.Nested(NodeRefSchema, dump_only=True)
    links = fields.List(fields.Nested(LinkSchema), dump_only=True)
    actions = fields.List(fields.Nested(ActionSchema), dump_only=True)
    history = fields.List(fields.Nested(TransitionSchema), dump_only=True)
    cards = fields.List(fields.Nested(CardSchema), dump_only=True)
    attachments = fields.List(fields.Nested(StoredFileSchema), dump_only=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        source = obj if attr in DETAIL_PARTS else obj.task
        return super().get_attribute(source, attr, default)


class SupervisionRequestSchema(ApiSchema):
    node_id = Id(required=True, metadata={"description": "督办的层级（县或乡镇）"})
    note = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)
    is_listed = fields.Boolean(load_default=False, metadata={"description": "挂牌督办"})


class SupervisionSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    task_id = fields.Integer(dump_only=True)
    node_id = fields.Integer(dump_only=True)
    note = fields.String(dump_only=True)
    due_at = fields.DateTime(dump_only=True)
    is_listed = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    ended_at = fields.DateTime(dump_only=True, allow_none=True)
    task = fields.Nested(TaskSchema, dump_only=True)


class NodeArgsSchema(QueryArgsSchema):
    node_id = Id(metadata={"description": "默认：调用者可见范围的最上层节点"})
    include_ended = fields.Boolean(load_default=False)


class DashboardArgsSchema(QueryArgsSchema):
    node_id = Id(metadata={"description": "默认：调用者可见范围的最上层节点"})
    first_month = fields.Date(
        load_default=None, metadata={"description": "上报月份起，如 2026-01-01"}
    )
    last_month = fields.Date(load_default=None)


class FigureSchema(ApiSchema):
    value = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    tasks = fields.Integer(dump_only=True)
    share = fields.Float(dump_only=True)


class DashboardSchema(ApiSchema):
    node = fields.Nested(NodeRefSchema, dump_only=True)
    total = fields.Integer(dump_only=True)
    closed = fields.Integer(dump_only=True)
    closing_rate = fields.Float(dump_only=True)
    average_handling_hours = fields.Float(dump_only=True, allow_none=True)  # none closed yet
    rated = fields.Integer(dump_only=True)
    satisfaction_rate = fields.Float(dump_only=True, allow_none=True)  # none rated yet
    overdue = fields.Integer(dump_only=True)
    by_category = fields.List(fields.Nested(FigureSchema), dump_only=True)
    by_state = fields.List(fields.Nested(FigureSchema), dump_only=True)
    by_track = fields.List(fields.Nested(FigureSchema), dump_only=True)
    by_level = fields.List(fields.Nested(FigureSchema), dump_only=True)
    by_rating = fields.List(fields.Nested(FigureSchema), dump_only=True)
    by_child = fields.List(fields.Nested(FigureSchema), dump_only=True)


class NotificationSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    task_id = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "None: about no one task (a sweep's cards told at once, a visit "
            "overdue); the message says all"
        },
    )
    kind = fields.String(dump_only=True)
    message = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    read_at = fields.DateTime(dump_only=True)


class NotificationArgsSchema(QueryArgsSchema):
    unread_only = fields.Boolean(load_default=False)


class PatrolSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    node_id = Id(required=True)
    at = fields.DateTime(dump_only=True)
    place = fields.String(load_default="")
    latitude = latitude_field(load_default=None, allow_none=True)
    longitude = longitude_field(load_default=None, allow_none=True)
    note = fields.String(load_default="")


class WorkerLogSchema(ApiSchema):
    day = fields.Date(dump_only=True)
    text = fields.String(required=True)
    updated_at = fields.DateTime(dump_only=True)


class TypeStateSchema(ApiSchema):
    name = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    is_open = fields.Boolean(dump_only=True)
    sla_hours = fields.Float(dump_only=True, allow_none=True, metadata={"description": "工作小时"})


class TaskTypeSchema(ApiSchema):
    name = fields.String(dump_only=True, metadata={"description": "default 或 <模块>.<类型>"})
    label = fields.String(dump_only=True)
    module = fields.String(dump_only=True, allow_none=True)
    public = fields.Boolean(dump_only=True, metadata={"description": "居民可在公开页面上报"})
    initial = fields.String(dump_only=True)
    categories = fields.List(fields.String(), dump_only=True)
    states = fields.List(fields.Nested(TypeStateSchema), dump_only=True)
    actions = fields.List(fields.Nested(ActionSchema), dump_only=True)


class TaskExportRequestSchema(ApiSchema):
    node_id = Id(load_default=None, metadata={"description": "默认：调用者可见范围的最上层节点"})
    card = fields.String(
        load_default=Card.RED.value,
        validate=validate.OneOf([Card.RED.value, Card.YELLOW.value]),
        metadata={"description": "red：红牌事件清单；yellow：黄牌事件清单"},
    )


class TaskExportSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    node_id = fields.Integer(dump_only=True)
    card = fields.String(dump_only=True)
    status = fields.String(
        dump_only=True,
        metadata={"description": "queued/running/done/failed/expired（文件已过保存期限并删除）"},
    )
    rows = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "导出的事件数"})
    error = failure_field()
    progress = fields.Function(
        runs.progress,
        dump_only=True,
        allow_none=True,
        metadata={"description": "进行中：done/total"},
    )
    is_ready = fields.Function(lambda e: e.file_id is not None, dump_only=True)
    file_kept_until = kept_until_field("file_id")
    created_at = fields.DateTime(dump_only=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)


class BulkTransitionRequestSchema(ApiSchema):
    task_ids = fields.List(
        Id(),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "最多 100 件"},
    )
    action = fields.String(
        required=True,
        validate=validate.OneOf(["accept", "dispatch"]),
        metadata={"description": "accept（受理）或 dispatch（交办）"},
    )
    comment = fields.String(load_default="")
    target_node_id = Id(load_default=None, allow_none=True)
    target_role = fields.String(load_default=None, allow_none=True)
    department_id = Id(load_default=None, allow_none=True)


class RefusalSchema(ApiSchema):
    task_id = fields.Integer(dump_only=True)
    message = fields.String(dump_only=True, metadata={"description": "为何未办理"})


class BulkResultSchema(ApiSchema):
    done = fields.List(fields.Integer(), dump_only=True, metadata={"description": "已办理的事件"})
    refused = fields.List(
        fields.Nested(RefusalSchema), dump_only=True, metadata={"description": "未办理的事件及原因"}
    )

    @pre_dump
    def _refusals_as_rows(self, result: Any, **_: Any) -> dict[str, Any]:
        # A BulkResult keeps its refusals by task id; the API lists them, documented above.
        refused = [{"task_id": i, "message": m} for i, m in result.refused.items()]
        return {"done": result.done, "refused": refused}
