"""Schemas of the assessment API: the scheme, runs, sheets with their lines and evidence,
reviews (adjustments, objections), human inputs, leave, meetings, payouts and rankings."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from gridgov.api.schemas import ApiSchema, Id, QueryArgsSchema
from gridgov.core.assessment import sheets
from gridgov.core.assessment.models import LeaveState, SatisfactionAnswer
from gridgov.core.files import runs
from gridgov.core.i18n import _

MONTH = validate.Regexp(
    r"^(20|21)\d{2}-(0[1-9]|1[0-2])$", error=str(_("月份应写作 YYYY-MM，例如 2026-11"))
)
PERIOD = validate.Regexp(
    r"^(20|21)\d{2}-((0[1-9]|1[0-2])|Q[1-4])$", error=str(_("兑现期应写作 YYYY-MM 或 YYYY-Qn"))
)
TEXT = validate.Length(max=2000)


def month_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=MONTH, metadata={"description": "YYYY-MM（本县时间）"}, **kwargs)


# --- the scheme ------------------------------------------------------------------------------


class RuleInfoSchema(ApiSchema):
    code = fields.String(dump_only=True)
    label = fields.Function(lambda r: str(r.label), dump_only=True)
    label_en = fields.String(dump_only=True)
    category = fields.String(dump_only=True)
    max_points = fields.Float(dump_only=True, metadata={"description": "默认方案中的分值"})


class SchemeVersionSchema(ApiSchema):
    number = fields.Integer(dump_only=True, allow_none=True)
    first_month = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "自该月起生效"}
    )
    source = fields.String(dump_only=True, metadata={"description": "default/portal/api/manifest"})
    note = fields.String(dump_only=True)
    created_by_name = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True, allow_none=True)
    scheme = fields.Dict(
        attribute="definition",
        dump_only=True,
        metadata={"description": "weights, lines, bands, floating_share, monthly_salary …"},
    )


class SchemeArgsSchema(QueryArgsSchema):
    month = month_field(required=True)


class SchemeInSchema(ApiSchema):
    first_month = month_field(required=True)
    note = fields.String(load_default="", validate=TEXT)
    scheme = fields.Dict(
        required=True,
        metadata={
            "description": "weights {integrity, ability, diligence, results} 合计 100；lines "
            "[{code, category, points, label?, scored_by?, params?}]；bands [{minimum, "
            "pay_percent}]；floating_share；monthly_salary；objection_days；payout_period "
            "month/quarter；payout_days"
        },
    )


# --- runs and sheets -------------------------------------------------------------------------


class RunInSchema(ApiSchema):
    month = month_field(required=True)


class RunSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    month = fields.String(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "queued/running/done/failed"})
    sheets = fields.Integer(dump_only=True, allow_none=True)
    error = fields.Function(runs.failure, dump_only=True, allow_none=True)
    progress = fields.Function(runs.progress, dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)


class SheetArgsSchema(QueryArgsSchema):
    month = month_field(required=True)
    node_id = Id(metadata={"description": "只列此节点之下的网格员"})


class SheetSummarySchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    month = fields.String(dump_only=True)
    user_id = fields.Integer(dump_only=True)
    user_name = fields.String(dump_only=True)
    node_id = fields.Integer(dump_only=True, allow_none=True)
    state = fields.String(dump_only=True, metadata={"description": "draft 待确认 / locked 已锁定"})
    total = fields.Float(dump_only=True)
    band = fields.String(dump_only=True)
    pay_percent = fields.Float(dump_only=True)
    floating_amount = fields.Float(dump_only=True, allow_none=True)
    indicators = fields.Dict(
        dump_only=True,
        metadata={
            "description": "valid_report_rate, on_time_rate, missed_report_rate, "
            "visit_rate, awareness_rate …（0–1，null：无数据）"
        },
    )
    pending_lines = fields.Integer(dump_only=True)
    computed_at = fields.DateTime(dump_only=True)


class LineSchema(ApiSchema):
    code = fields.String(dump_only=True)
    category = fields.String(dump_only=True)
    source = fields.String(dump_only=True, metadata={"description": "core、manual 或模块名"})
    label = fields.Function(sheets.line_label, dump_only=True)
    status = fields.String(
        dump_only=True, metadata={"description": "scored/not_applicable/pending"}
    )
    points = fields.Float(dump_only=True, allow_none=True)
    computed_points = fields.Float(dump_only=True, allow_none=True)
    max_points = fields.Float(dump_only=True)
    adjusted = fields.Function(lambda line: line.adjustment_id is not None, dump_only=True)
    detail = fields.Function(sheets.describe, dump_only=True)
    figures = fields.Dict(dump_only=True)
    evidence = fields.Function(
        lambda line: {kind: len(ids) for kind, ids in line.evidence.items()},
        dump_only=True,
        metadata={"description": "各类记录的条数；记录本身见 …/evidence?line="},
    )


class AdjustmentSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    line = fields.String(dump_only=True)
    points_before = fields.Float(dump_only=True, allow_none=True)
    points = fields.Float(dump_only=True)
    reason = fields.String(dump_only=True)
    objection_id = fields.Integer(dump_only=True, allow_none=True)
    after_lock = fields.Boolean(dump_only=True)
    made_by_name = fields.String(dump_only=True)
    made_at = fields.DateTime(dump_only=True)


class ObjectionSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    month = fields.String(dump_only=True)
    user_id = fields.Integer(dump_only=True)
    line = fields.String(dump_only=True)
    text = fields.String(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": "open/escalated/answered"})
    raised_at = fields.DateTime(dump_only=True)
    due_at = fields.DateTime(dump_only=True)
    escalated_at = fields.DateTime(dump_only=True, allow_none=True)
    answer = fields.String(dump_only=True, allow_none=True)
    upheld = fields.Boolean(dump_only=True, allow_none=True)
    answered_by_name = fields.String(dump_only=True, allow_none=True)
    answered_at = fields.DateTime(dump_only=True, allow_none=True)


class SheetSchema(SheetSummarySchema):
    scheme_number = fields.Integer(dump_only=True)
    lines = fields.List(fields.Nested(LineSchema), dump_only=True)
    adjustments = fields.List(fields.Nested(AdjustmentSchema), dump_only=True)
    objections = fields.List(fields.Nested(ObjectionSchema), dump_only=True)


class EvidenceArgsSchema(QueryArgsSchema):
    line = fields.String(required=True, validate=validate.Length(max=127))


class EvidenceSchema(ApiSchema):
    kind = fields.String(dump_only=True, metadata={"description": "task, patrol, log, visit …"})
    id = fields.Integer(dump_only=True)
    at = fields.Raw(dump_only=True, allow_none=True)
    summary = fields.String(dump_only=True)
    href = fields.String(dump_only=True, allow_none=True, metadata={"description": "该记录的 API"})


class AdjustInSchema(ApiSchema):
    line = fields.String(required=True, validate=validate.Length(max=127))
    points = fields.Float(required=True)
    reason = fields.String(required=True, validate=TEXT)


class ObjectionInSchema(ApiSchema):
    line = fields.String(required=True, validate=validate.Length(max=127))
    text = fields.String(required=True, validate=TEXT)


class AnswerInSchema(ApiSchema):
    answer = fields.String(required=True, validate=TEXT)
    points = fields.Float(
        load_default=None, allow_none=True, metadata={"description": "给出则该项改为此分"}
    )


# --- human inputs ----------------------------------------------------------------------------


class ScoreInSchema(ApiSchema):
    month = month_field(required=True)
    user_id = Id(required=True)
    line = fields.String(required=True, validate=validate.Length(max=127))
    points = fields.Float(required=True)
    scorer = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "代为录入时评分人的姓名（如居民代表）"},
    )
    note = fields.String(load_default="", validate=TEXT)


class ScoreSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    month = fields.String(dump_only=True)
    user_id = fields.Integer(dump_only=True)
    line = fields.String(dump_only=True)
    scorer = fields.String(dump_only=True)
    points = fields.Float(dump_only=True)
    note = fields.String(dump_only=True)
    entered_by_name = fields.String(dump_only=True)
    entered_at = fields.DateTime(dump_only=True)


class SpotCheckInSchema(ApiSchema):
    user_id = Id(required=True)
    household_id = Id(load_default=None, allow_none=True)
    resident = fields.String(load_default="", validate=validate.Length(max=100))
    knows_worker = fields.Boolean(required=True)
    was_visited = fields.Boolean(required=True)
    satisfaction = fields.String(
        required=True, validate=validate.OneOf([s.value for s in SatisfactionAnswer])
    )
    note = fields.String(load_default="", validate=TEXT)


class SpotCheckSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    user_id = fields.Integer(dump_only=True)
    household_id = fields.Integer(dump_only=True, allow_none=True)
    resident = fields.String(dump_only=True)
    knows_worker = fields.Boolean(dump_only=True)
    was_visited = fields.Boolean(dump_only=True)
    satisfaction = fields.String(dump_only=True)
    note = fields.String(dump_only=True)
    at = fields.DateTime(dump_only=True)
    checked_by_name = fields.String(dump_only=True)


class MeetingInSchema(ApiSchema):
    node_id = Id(required=True, metadata={"description": "站点（社区）节点"})
    day = fields.Date(required=True)
    present = fields.List(Id(), required=True, metadata={"description": "出席的网格员 id"})
    note = fields.String(load_default="", validate=TEXT)


class AttendanceSchema(ApiSchema):
    user_id = fields.Integer(dump_only=True)
    present = fields.Boolean(dump_only=True)


class MeetingSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    node_id = fields.Integer(dump_only=True)
    day = fields.Date(dump_only=True)
    note = fields.String(dump_only=True)
    recorded_by_name = fields.String(dump_only=True)
    attendance = fields.List(fields.Nested(AttendanceSchema), dump_only=True)


class LogCommentInSchema(ApiSchema):
    text = fields.String(required=True, validate=TEXT)


class LogCommentSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    log_id = fields.Integer(dump_only=True)
    text = fields.String(dump_only=True)
    author_name = fields.String(dump_only=True)
    at = fields.DateTime(dump_only=True)


# --- leave -----------------------------------------------------------------------------------


class LeaveInSchema(ApiSchema):
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)
    reason = fields.String(required=True, validate=TEXT)


class LeaveDecisionSchema(ApiSchema):
    approve = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=TEXT)


class LeaveSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    user_id = fields.Integer(dump_only=True)
    first_day = fields.Date(dump_only=True)
    last_day = fields.Date(dump_only=True)
    reason = fields.String(dump_only=True)
    state = fields.String(
        dump_only=True, metadata={"description": "/".join(s.value for s in LeaveState)}
    )
    decided_by_name = fields.String(dump_only=True, allow_none=True)
    decided_at = fields.DateTime(dump_only=True, allow_none=True)
    decision_note = fields.String(dump_only=True)
    ended_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


# --- the worker's month ----------------------------------------------------------------------


class WorkerMonthArgsSchema(QueryArgsSchema):
    month = month_field(required=True)


class WorkerDaySchema(ApiSchema):
    day = fields.Date(dump_only=True)
    is_workday = fields.Boolean(dump_only=True)
    on_leave = fields.Boolean(dump_only=True)
    patrols = fields.Function(
        lambda d: [{"id": p.id, "at": p.at.isoformat(), "place": p.place} for p in d.patrols],
        dump_only=True,
    )
    log = fields.Function(
        lambda d: (
            None
            if d.log is None
            else {
                "id": d.log.id,
                "text": d.log.text,
                "comments": [{"text": c.text, "author_name": c.author_name} for c in d.comments],
            }
        ),
        dump_only=True,
    )
    meeting = fields.Boolean(
        dump_only=True, allow_none=True, metadata={"description": "null：当日无晨会"}
    )
    reported = fields.Function(lambda d: [t.id for t in d.reported], dump_only=True)


class WorkerMonthSchema(ApiSchema):
    user_id = fields.Function(lambda m: m.worker.id, dump_only=True)
    name = fields.Function(lambda m: m.worker.name, dump_only=True)
    patrols = fields.Integer(dump_only=True)
    logs = fields.Integer(dump_only=True)
    leave_days = fields.Integer(dump_only=True)
    days = fields.List(fields.Nested(WorkerDaySchema), dump_only=True)
    leave = fields.List(fields.Nested(LeaveSchema), dump_only=True)


# --- lock, payout, rankings ------------------------------------------------------------------


class PayoutPeriodSchema(ApiSchema):
    period = fields.String(dump_only=True)
    at = fields.DateTime(dump_only=True)
    by_name = fields.String(dump_only=True)
    due_on = fields.Date(dump_only=True, allow_none=True)
    payout_state = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "pending 待兑现 / paid 已兑现"}
    )
    paid_on = fields.Date(dump_only=True, allow_none=True)
    amount = fields.Float(dump_only=True, allow_none=True)
    is_overdue = fields.Boolean(dump_only=True)


class PaidInSchema(ApiSchema):
    paid_on = fields.Date(required=True)


class RankingArgsSchema(QueryArgsSchema):
    month = month_field(required=True)
    level = fields.Integer(
        load_default=None, allow_none=True, metadata={"description": "按此层级的节点分组"}
    )
    node_id = Id()


class GroupSchema(ApiSchema):
    node_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    workers = fields.Integer(dump_only=True)
    average = fields.Float(dump_only=True)
    best = fields.Float(dump_only=True, allow_none=True)
    worst = fields.Float(dump_only=True, allow_none=True)
    bands = fields.Dict(dump_only=True)


class RankingSchema(ApiSchema):
    month = fields.String(dump_only=True)
    level = fields.Integer(dump_only=True, allow_none=True)
    workers = fields.List(fields.Nested(SheetSummarySchema), dump_only=True)
    groups = fields.List(fields.Nested(GroupSchema), dump_only=True)
    distribution = fields.Dict(dump_only=True)
    bands = fields.Dict(dump_only=True)


class TrendArgsSchema(QueryArgsSchema):
    first_month = month_field(required=True)
    last_month = month_field(required=True)


class TrendPointSchema(ApiSchema):
    month = fields.String(dump_only=True)
    total = fields.Float(dump_only=True)
    band = fields.String(dump_only=True)
    state = fields.String(dump_only=True)
