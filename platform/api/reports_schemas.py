"""Schemas of the period report API (期间报表)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from gridgov.api.admission_schemas import DepartmentRefSchema
from gridgov.api.forms_schemas import ModuleFigureSchema
from gridgov.api.schemas import ApiSchema, Id, NodeRefSchema, QueryArgsSchema
from gridgov.core.errors import DomainError
from gridgov.core.reports import service as reports
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, CountyClock, zone_named


class PeriodReportArgsSchema(QueryArgsSchema):
    node_id = Id(metadata={"description": "默认：调用者可见范围的最上层节点"})
    first = fields.Date(
        data_key="from",
        load_default=None,
        metadata={"description": "开始日期（含），县的日历日，如 2026-01-01；与 to 同时给出"},
    )
    last = fields.Date(
        data_key="to",
        load_default=None,
        metadata={"description": "结束日期（含），如 2026-03-31；都不给：本月"},
    )

    @validates_schema
    def _both_ends_in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        # The rule lives in the service; the clock only matters when neither end is given.
        try:
            reports.period_between(
                CountyClock(zone_named(DEFAULT_TIME_ZONE)), data.get("first"), data.get("last")
            )
        except DomainError as error:
            raise ValidationError(str(error.message), field_name=error.field or "_schema") from None


class PeriodSchema(ApiSchema):
    first = fields.Date(data_key="from", dump_only=True)
    last = fields.Date(data_key="to", dump_only=True)
    days = fields.Integer(dump_only=True)
    time_zone = fields.Function(lambda period: period.zone.key, dump_only=True)


class CategoryFigureSchema(ApiSchema):
    category = fields.String(attribute="value", dump_only=True)
    tasks = fields.Integer(dump_only=True)
    share = fields.Float(dump_only=True)


class CardFiguresSchema(ApiSchema):
    yellow = fields.Integer(dump_only=True, metadata={"description": "期间发出的黄牌"})
    red = fields.Integer(dump_only=True)
    yellow_open = fields.Integer(dump_only=True, metadata={"description": "其中事件仍未办结"})
    red_open = fields.Integer(dump_only=True)


class DepartmentFiguresSchema(ApiSchema):
    department = fields.Nested(DepartmentRefSchema, dump_only=True)
    received = fields.Integer(dump_only=True, metadata={"description": "收到交办"})
    handled = fields.Integer(dump_only=True, metadata={"description": "办理完毕（结果已反馈）"})
    on_time = fields.Integer(dump_only=True, metadata={"description": "其中未出红牌"})
    overdue = fields.Integer(
        dump_only=True, metadata={"description": "超时办理的，加上期间收到、仍在办且已出红牌的"}
    )
    returned = fields.Integer(dump_only=True, metadata={"description": "退回或报上一级"})
    on_time_rate = fields.Float(dump_only=True, allow_none=True)


class SourceFiguresSchema(ApiSchema):
    source = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    received = fields.Integer(dump_only=True)
    handled = fields.Integer(dump_only=True, metadata={"description": "其中现已办结"})


class ServedSchema(ApiSchema):
    tasks = fields.Integer(dump_only=True, metadata={"description": "期间办结的居民事件"})
    visits = fields.Integer(dump_only=True, metadata={"description": "期间入户走访"})
    total = fields.Integer(dump_only=True, metadata={"description": "服务居民人次"})


class ModuleFiguresSchema(ApiSchema):
    module = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    title_en = fields.String(dump_only=True)
    figures = fields.List(fields.Nested(ModuleFigureSchema), dump_only=True)


class PeriodReportSchema(ApiSchema):
    node = fields.Nested(NodeRefSchema, dump_only=True)
    period = fields.Nested(PeriodSchema, dump_only=True)
    reported = fields.Integer(dump_only=True, metadata={"description": "期间上报的事件"})
    closed = fields.Integer(dump_only=True, metadata={"description": "其中现已办结"})
    closing_rate = fields.Float(dump_only=True, allow_none=True)
    by_category = fields.List(fields.Nested(CategoryFigureSchema), dump_only=True)
    cards = fields.Nested(CardFiguresSchema, dump_only=True)
    departments = fields.List(fields.Nested(DepartmentFiguresSchema), dump_only=True)
    sources = fields.List(fields.Nested(SourceFiguresSchema), dump_only=True)
    served = fields.Nested(ServedSchema, dump_only=True)
    modules = fields.List(fields.Nested(ModuleFiguresSchema), dump_only=True)
