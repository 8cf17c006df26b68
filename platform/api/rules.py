"""The county's own rule table (stage limits, card thresholds, escalation, card points) and
its work calendar overrides: every member of staff may read them, county administrators
change them. A change to the rule table is a new version; the versions stay readable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask.views import MethodView

from gridgov.api.access import current_caller
from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.api.rules_schemas import (
    CalendarArgsSchema,
    CalendarDaySchema,
    DefaultStageSchema,
    RuleTableInSchema,
    RuleVersionSchema,
    RuleVersionSummarySchema,
)
from gridgov.core.db import db_session
from gridgov.core.errors import DomainError
from gridgov.core.i18n import _
from gridgov.core.tasks import calendar, reading, rules
from gridgov.core.tasks.models import CalendarDay, TaskRuleVersion
from gridgov.web import current_tenant

blp = ApiBlueprint(
    "task_rules",
    __name__,
    url_prefix="/t/<slug>/api/v1/task-rules",
    description="本县规则表：办理时限、红黄牌、自动上报与扣分（按事件类型、类别、层级、环节）",
)
calendar_blp = ApiBlueprint(
    "work_calendar",
    __name__,
    url_prefix="/t/<slug>/api/v1/work-calendar",
    description="本县工作日历：地方节假日与调休上班日",
)


@dataclass(frozen=True)
class VersionView:
    """A version (or the empty table of a county that has none) with its rows."""

    version: TaskRuleVersion | None
    is_current: bool
    rules: list[dict[str, Any]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.version, name) if self.version is not None else None

    @property
    def note(self) -> str:
        return self.version.note if self.version is not None else ""


def _view(version: TaskRuleVersion | None, *, with_rules: bool = True) -> VersionView:
    session = db_session()
    current = rules.current_version(session)
    found = rules.rules_of(session, version) if version is not None and with_rules else []
    return VersionView(
        version,
        is_current=version is current,
        rules=[rules.RuleSpec.of(r).as_dict() for r in found],
    )


@blp.route("")
class RuleTable(MethodView):
    @blp.requires("rules:read")
    @blp.response(200, RuleVersionSchema)
    def get(self) -> VersionView:
        """The rule table in force (number null and no rules: the engine's defaults hold)"""
        return _view(rules.current_version(db_session()))

    @blp.requires("rules:write")
    @blp.arguments(RuleTableInSchema)
    @blp.response(200, RuleVersionSchema)
    def put(self, data: dict[str, Any]) -> VersionView:
        """Replace the rule table (county administrators): a new version unless it is the same"""
        session, caller = db_session(), current_caller()
        version = rules.replace_rules(
            session,
            caller.user,
            current_tenant(),
            reading.registry(),
            [rules.RuleSpec(**row) for row in data["rules"]],
            source="api",
            note=data["note"],
        )
        session.commit()
        return _view(version)


@blp.route("/versions")
class RuleVersions(MethodView):
    @blp.requires("rules:read")
    @blp.response(200, RuleVersionSummarySchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[VersionView]:
        """Every version of the rule table, newest first: who changed it, when and why"""
        session = db_session()
        found = page_of(rules.versions(session), pagination_parameters)
        return [_view(v, with_rules=False) for v in found]


@blp.route("/versions/<int:number>")
class RuleVersionByNumber(MethodView):
    @blp.requires("rules:read")
    @blp.response(200, RuleVersionSchema)
    def get(self, number: int) -> VersionView:
        """One version of the rule table with its rows"""
        return _view(rules.get_version(db_session(), number))


@blp.route("/defaults")
class EngineDefaults(MethodView):
    @blp.requires("rules:read")
    @blp.response(200, DefaultStageSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The engine's settings of every open stage: what holds where the table says nothing"""
        usable = reading.usable_types(db_session())
        return [
            {
                "task_type": d.task_type.name,
                "state": d.state,
                "label": str(d.label),
                "hours": d.rule.hours,
                "yellow_percent": d.rule.yellow_percent,
                "red_percent": d.rule.red_percent,
                "escalate": d.rule.escalate,
                "yellow_points": d.rule.yellow_points,
                "red_points": d.rule.red_points,
            }
            for d in rules.engine_defaults(usable)
        ]


@calendar_blp.route("")
class WorkCalendar(MethodView):
    @calendar_blp.requires("rules:read")
    @calendar_blp.arguments(CalendarArgsSchema, location="query")
    @calendar_blp.response(200, CalendarDaySchema(many=True))
    def get(self, args: dict[str, Any]) -> list[CalendarDay]:
        """The county's own days off and working days (the national calendar holds elsewhere)"""
        return calendar.calendar_days(db_session(), args["year"])


@calendar_blp.route("/<day>")
class WorkCalendarDay(MethodView):
    @calendar_blp.requires("rules:write")
    @calendar_blp.arguments(CalendarDaySchema)
    @calendar_blp.response(200, CalendarDaySchema)
    def put(self, data: dict[str, Any], day: str) -> CalendarDay:
        """Make a day a working day or a day off (county administrators)"""
        session = db_session()
        found = calendar.set_calendar_day(
            session,
            current_caller().user,
            _day(day),
            is_workday=data["is_workday"],
            note=data["note"],
        )
        session.commit()
        return found

    @calendar_blp.requires("rules:write")
    @calendar_blp.response(204)
    def delete(self, day: str) -> None:
        """Drop the county's own setting of a day: the national calendar holds again"""
        session = db_session()
        calendar.remove_calendar_day(session, current_caller().user, _day(day))
        session.commit()


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError(_("日期格式应为 2026-10-01"), field="day") from None
