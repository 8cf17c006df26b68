"""Marshmallow schemas of the county's rule table and work calendar API."""

from __future__ import annotations

from marshmallow import fields, validate

from gridgov.api.schemas import ApiSchema, QueryArgsSchema


def _optional_integer(description: str) -> fields.Integer:
    return fields.Integer(
        load_default=None, allow_none=True, strict=True, metadata={"description": description}
    )


def _optional_number(description: str) -> fields.Float:
    return fields.Float(
        load_default=None, allow_none=True, allow_nan=False, metadata={"description": description}
    )


def _optional_text(description: str, length: int) -> fields.String:
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=length),
        metadata={"description": description},
    )


class TaskRuleSchema(ApiSchema):
    """One row: where it applies (null: any) and what it sets (null: the next rule's)."""

    task_type = _optional_text("事件类型，如 default、disputes.case；null：所有类型", 64)
    category = _optional_text("事件类别，如 民生事项；null：所有类别", 64)
    level = _optional_integer("事件所在层级（0 为最高一级）；null：所有层级")
    state = _optional_text("办理环节，如 reported、dispatched；null：所有环节", 32)
    hours = _optional_number("本环节办理时限（工作小时），须指定环节")
    yellow_percent = _optional_integer("用去时限的百分之几给黄牌（引擎默认 80）")
    red_percent = _optional_integer("用去时限的百分之几给红牌（引擎默认 100）")
    escalate = fields.Boolean(
        load_default=None, allow_none=True, metadata={"description": "红牌事件是否自动报上级"}
    )
    escalate_to_level = _optional_integer("自动上报到哪一级（0 为最高一级）；null：上一级")
    yellow_points = _optional_number("每张黄牌考核扣分（引擎默认 0.5）")
    red_points = _optional_number("每张红牌考核扣分（引擎默认 1）")


class RuleTableInSchema(ApiSchema):
    rules = fields.List(fields.Nested(TaskRuleSchema), required=True)
    note = fields.String(
        load_default="", validate=validate.Length(max=500), metadata={"description": "修改说明"}
    )


class RuleVersionSummarySchema(ApiSchema):
    number = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "版本号"})
    source = fields.String(dump_only=True, allow_none=True)
    note = fields.String(dump_only=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_by_name = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True, allow_none=True)
    is_current = fields.Boolean(dump_only=True)


class RuleVersionSchema(RuleVersionSummarySchema):
    rules = fields.List(fields.Nested(TaskRuleSchema), dump_only=True)


class DefaultStageSchema(ApiSchema):
    task_type = fields.String(dump_only=True)
    state = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    hours = fields.Float(dump_only=True, allow_none=True)
    yellow_percent = fields.Integer(dump_only=True)
    red_percent = fields.Integer(dump_only=True)
    escalate = fields.Boolean(dump_only=True)
    yellow_points = fields.Float(dump_only=True)
    red_points = fields.Float(dump_only=True)


class CalendarArgsSchema(QueryArgsSchema):
    year = fields.Integer(
        load_default=None, validate=validate.Range(2000, 2100), metadata={"description": "年份"}
    )


class CalendarDaySchema(ApiSchema):
    day = fields.Date(dump_only=True)
    is_workday = fields.Boolean(required=True, metadata={"description": "true：上班；false：放假"})
    note = fields.String(load_default="", validate=validate.Length(max=100))
