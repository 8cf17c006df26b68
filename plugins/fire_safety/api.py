"""The module's API under ``/t/<slug>/api/v1/modules/fire_safety/``: the figures, the ledger
and one hazard, recording a hazard, submitting a checklist or a four-abilities check (their
findings filed at once), the sites' check statuses, fire leaders per community and the
county's announcements.

The host answers 404 where the county has not admitted the module (or for a pilot outside
its townships) and refuses writes while it is suspended; each view checks its token scope
and the caller's scope for every record (out of scope: 404). Steps of a hazard or a report
are taken through the core's ``POST /tasks/<id>/transitions``.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import fields, validate

from gridgov.sdk import county, registry
from gridgov.sdk.api import ApiSchema, Blueprint, Caller, current_caller, page_of, page_of_rows
from gridgov.sdk.caller import visible_node
from gridgov.sdk.county import clock_of, current_tenant, subtree
from gridgov.sdk.errors import DomainError
from gridgov.sdk.i18n import Localized
from gridgov.sdk.registry import Node
from gridgov.sdk.storage import db_session
from gridgov_plugins.fire_safety import figures, hazards, inspections
from gridgov_plugins.fire_safety.checklists import ABILITY_FORM, ITEMS, PATROL_FORMS, SITE_TYPES
from gridgov_plugins.fire_safety.models import Grade

api = Blueprint("fire_safety_api", __name__, description="消防安全模块")


def _caller() -> Caller:
    caller = current_caller()
    hazards.check_may_read(db_session(), caller.user)
    return caller


def _node(caller: Caller, node_id: int | None) -> Node | None:
    if node_id is None:
        return None
    return visible_node(db_session(), caller.scope, node_id)


# --- schemas ---------------------------------------------------------------------------------


class HazardCountsSchema(ApiSchema):
    found = fields.Integer()
    by_grade = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_grade_state = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer())
    )
    eliminated = fields.Integer()
    open = fields.Integer()
    major_open = fields.Integer()
    overdue = fields.Integer()
    on_time = fields.Integer()
    on_time_rate = fields.Float(allow_none=True)


class ChildHazardCountsSchema(HazardCountsSchema):
    node_id = fields.Integer()
    name = fields.String()


class FireFigureSchema(ApiSchema):
    code = fields.String()
    label = fields.String()
    label_en = fields.String()
    value = fields.Float()
    unit = fields.String()
    extra = fields.Dict()


class FireSummarySchema(ApiSchema):
    node_id = fields.Integer(allow_none=True)
    figures = fields.List(fields.Nested(FireFigureSchema))
    hazards = fields.Nested(HazardCountsSchema)
    by_child = fields.List(fields.Nested(ChildHazardCountsSchema))


class NodeQuerySchema(ApiSchema):
    node_id = fields.Integer(load_default=None)


class HazardSchema(ApiSchema):
    id = fields.Integer()
    task_id = fields.Integer()
    task_code = fields.String()
    state = fields.String()
    is_open = fields.Boolean()
    is_supervised = fields.Boolean()
    node_id = fields.Integer()
    site_id = fields.Integer(allow_none=True)
    site_type = fields.String()
    place = fields.String()
    item = fields.String()
    grade = fields.String()
    description = fields.String()
    found_on = fields.Date()
    deadline = fields.Date()
    is_overdue = fields.Boolean()
    rectified_on = fields.Date(allow_none=True)
    is_on_time = fields.Boolean()
    patrol_id = fields.Integer(allow_none=True)
    report_task_id = fields.Integer(allow_none=True)
    published_at = fields.DateTime(allow_none=True)


class LedgerQuerySchema(NodeQuerySchema):
    grade = fields.String(load_default=None, validate=validate.OneOf(list(Grade)))
    state = fields.String(load_default=None, validate=validate.OneOf(figures.HAZARD_STATES))
    site_id = fields.Integer(load_default=None)
    overdue = fields.Boolean(load_default=False)
    published = fields.Boolean(load_default=False)


class NewHazardSchema(ApiSchema):
    node_id = fields.Integer(required=True, metadata={"description": "所在网格"})
    place = fields.String(required=True, validate=validate.Length(min=1, max=200))
    item = fields.String(load_default="other", validate=validate.OneOf(list(ITEMS)))
    grade = fields.String(required=True, validate=validate.OneOf(list(Grade)))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    found_on = fields.Date(load_default=None)
    deadline = fields.Date(load_default=None)
    site_id = fields.Integer(load_default=None)
    site_type = fields.String(load_default="", validate=validate.OneOf(["", *SITE_TYPES]))
    photo_ids = fields.List(
        fields.Integer(),
        load_default=list,
        metadata={"description": "照片：先用 POST /tasks/files 上传，再给出编号"},
    )
    report_task_id = fields.Integer(load_default=None, metadata={"description": "来自哪条举报"})


class FireSubmissionSchema(ApiSchema):
    form = fields.String(required=True, validate=validate.OneOf([*PATROL_FORMS, ABILITY_FORM]))
    node_id = fields.Integer(required=True)
    site_id = fields.Integer(load_default=None)
    data = fields.Dict(required=True, metadata={"description": "表单各项，见 GET /forms/<code>"})


class FirePatrolSchema(ApiSchema):
    id = fields.Integer()
    submission_id = fields.Integer()
    site_type = fields.String()
    node_id = fields.Integer()
    site_id = fields.Integer(allow_none=True)
    place = fields.String()
    inspected_on = fields.Date()
    findings = fields.Integer()
    hazards = fields.List(fields.Nested(HazardSchema))


class AbilityCheckSchema(ApiSchema):
    id = fields.Integer()
    submission_id = fields.Integer()
    node_id = fields.Integer()
    site_id = fields.Integer(allow_none=True)
    place = fields.String()
    checked_on = fields.Date()
    passed = fields.Boolean()
    failed = fields.List(fields.String())
    is_revisit = fields.Boolean()
    previous_id = fields.Integer(allow_none=True)


class SiteStatusSchema(ApiSchema):
    latest = fields.Nested(AbilityCheckSchema)
    checks = fields.Integer()
    revisit_due_on = fields.Date(allow_none=True)
    is_revisit_due = fields.Boolean()


class CoverageSchema(ApiSchema):
    node_id = fields.Integer()
    name = fields.String()
    residents = fields.Integer()
    leaders = fields.Integer()
    target = fields.Integer()
    rate = fields.Float(allow_none=True)


# --- views -----------------------------------------------------------------------------------


def _counts(counts: figures.HazardCounts) -> dict[str, Any]:
    return {
        "found": counts.found,
        "by_grade": counts.by_grade,
        "by_state": counts.by_state,
        "by_grade_state": counts.by_grade_state,
        "eliminated": counts.eliminated,
        "open": counts.open,
        "major_open": counts.major_open,
        "overdue": counts.overdue,
        "on_time": counts.on_time,
        "on_time_rate": counts.on_time_rate,
    }


def _hazard(row: Any) -> dict[str, Any]:
    hazard, task = row
    today = clock_of(db_session()).today()
    return {
        **{column: getattr(hazard, column) for column in HAZARD_COLUMNS},
        "task_code": task.code,
        "state": task.state,
        "is_open": task.is_open,
        "is_supervised": task.is_supervised,
        "is_overdue": hazards.is_overdue(hazard, task, today),
        "is_on_time": hazards.is_on_time(hazard),
    }


HAZARD_COLUMNS = (
    "id",
    "task_id",
    "node_id",
    "site_id",
    "site_type",
    "place",
    "item",
    "grade",
    "description",
    "found_on",
    "deadline",
    "rectified_on",
    "patrol_id",
    "report_task_id",
    "published_at",
)


@api.route("/summary")
class Summary(MethodView):
    @api.requires("tasks:read")
    @api.arguments(NodeQuerySchema, location="query")
    @api.response(200, FireSummarySchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The module's figures for the caller's scope; with ``node_id``, per level below it"""
        caller = _caller()
        session = db_session()
        today = clock_of(db_session()).today()
        node = _node(caller, args["node_id"])
        answer: dict[str, Any] = {
            "node_id": node.id if node else None,
            "figures": figures.dashboard_figures(session, caller.scope, today),
            "hazards": _counts(figures.hazard_counts(session, caller.scope, today, node)),
            "by_child": [],
        }
        if node is not None:
            children = registry.children(session, node)
            by_child = figures.counts_by_child(session, caller.scope, today, node, children)
            answer["by_child"] = [
                {"node_id": c.id, "name": c.name, **_counts(by_child[c.id])} for c in children
            ]
        return answer


@api.route("/hazards")
class Hazards(MethodView):
    @api.requires("tasks:read")
    @api.arguments(LedgerQuerySchema, location="query")
    @api.response(200, HazardSchema(many=True))
    @api.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """整改台帐: hazards found in the caller's scope, open ones first by deadline"""
        caller = _caller()
        filters = hazards.LedgerFilter(
            node=_node(caller, args["node_id"]),
            grade=args["grade"],
            state=args["state"],
            site_id=args["site_id"],
            overdue=args["overdue"],
            published=args["published"],
        )
        query = hazards.ledger(caller.scope, filters, clock_of(db_session()).today())
        return [_hazard(row) for row in _rows(query, pagination_parameters)]

    @api.requires("tasks:write")
    @api.arguments(NewHazardSchema)
    @api.response(201, HazardSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Record a hazard found in a grid (a major one goes up to the county at once)"""
        caller = _caller()
        session = db_session()
        node = visible_node(session, caller.scope, data.pop("node_id"))
        hazard = hazards.record_hazard(
            session, caller.user, caller.scope, node, hazards.HazardInput(**data)
        )
        session.commit()
        return _hazard((hazard, hazards.task_of(session, hazard)))


def _rows(query: Any, pagination_parameters: Any) -> list[Any]:
    """One page of the ledger's (hazard, task) rows, counted and sliced in SQL."""
    return page_of_rows(query, pagination_parameters)


@api.route("/hazards/<int:hazard_id>")
class HazardById(MethodView):
    @api.requires("tasks:read")
    @api.response(200, HazardSchema)
    def get(self, hazard_id: int) -> dict[str, Any]:
        """One hazard (its steps: GET /tasks/<task_id>)"""
        caller = _caller()
        session = db_session()
        hazard = hazards.visible_hazard(session, caller.user, caller.scope, hazard_id)
        return _hazard((hazard, hazards.task_of(session, hazard)))


@api.route("/hazards/<int:hazard_id>/publish")
class Publish(MethodView):
    @api.requires("tasks:write")
    @api.response(200, HazardSchema)
    def post(self, hazard_id: int) -> dict[str, Any]:
        """向社会公告: publish a major hazard under listed supervision (county administrators)"""
        caller = _caller()
        session = db_session()
        hazard = hazards.visible_hazard(session, caller.user, caller.scope, hazard_id)
        hazards.publish_hazard(session, caller.user, caller.scope, hazard)
        session.commit()
        return _hazard((hazard, hazards.task_of(session, hazard)))


def _submit(caller: Caller, data: dict[str, Any]) -> Any:
    session = db_session()
    node = visible_node(session, caller.scope, data["node_id"])
    form = county.open_form(data["form"], node)
    made = inspections.submit(
        session, caller.user, caller.scope, node, form, data["data"], site_id=data["site_id"]
    )
    session.commit()
    return made


@api.route("/patrols")
class Patrols(MethodView):
    @api.requires("forms:read")
    @api.arguments(NodeQuerySchema, location="query")
    @api.response(200, FirePatrolSchema(many=True))
    @api.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """Patrols in the caller's scope, the latest first"""
        caller = _caller()
        query = inspections.patrols(caller.scope)
        node = _node(caller, args["node_id"])
        if node is not None:
            query = query.where(subtree(inspections.Patrol.filed_path, node.path))
        return page_of(query, pagination_parameters)

    @api.requires("forms:write")
    @api.arguments(FireSubmissionSchema)
    @api.response(201, FirePatrolSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Submit a hazard checklist; each finding is filed as a hazard at once

        Field errors of the checklist come under ``errors.json``.
        """
        caller = _caller()
        if data["form"] == ABILITY_FORM:
            raise _wrong_form()
        patrol = _submit(caller, data)
        rows = inspections.hazards_of_patrol(db_session(), patrol)
        return {
            **{c: getattr(patrol, c) for c in FirePatrolSchema().fields if c != "hazards"},
            "hazards": [_hazard(row) for row in rows],
        }


def _wrong_form() -> Exception:
    return DomainError(Localized("不是这个接口的表单", "Not a form of this endpoint"), field="form")


@api.route("/ability-checks")
class AbilityChecks(MethodView):
    @api.requires("forms:read")
    @api.response(200, SiteStatusSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """四个能力: each checked site with its latest check and when its re-visit is due"""
        caller = _caller()
        today = clock_of(db_session()).today()
        return [
            {
                "latest": status.latest,
                "checks": status.checks,
                "revisit_due_on": status.revisit_due_on,
                "is_revisit_due": status.is_revisit_due(today),
            }
            for status in inspections.site_statuses(db_session(), caller.scope)
        ]

    @api.requires("forms:write")
    @api.arguments(FireSubmissionSchema)
    @api.response(201, AbilityCheckSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Submit a four-abilities check of a site (a re-visit if its last check passed)"""
        caller = _caller()
        if data["form"] != ABILITY_FORM:
            raise _wrong_form()
        return _submit(caller, data)


@api.route("/leaders")
class Leaders(MethodView):
    @api.requires("registry:read")
    @api.response(200, CoverageSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """消防带头人: residents and fire leaders per community against the 1 % target"""
        caller = _caller()
        rows = figures.leader_coverage(
            db_session(), caller.scope, current_tenant(db_session()).grid_level
        )
        return [
            {
                "node_id": row.node.id,
                "name": row.node.name,
                "residents": row.residents,
                "leaders": row.leaders,
                "target": row.target,
                "rate": row.rate,
            }
            for row in rows
        ]


@api.route("/announcements")
class Announcements(MethodView):
    @api.requires("tasks:read")
    @api.response(200, HazardSchema(many=True))
    @api.paginate()
    def get(self, pagination_parameters: Any) -> list[dict[str, Any]]:
        """向社会公告: the major hazards the county published (for its website to show)"""
        caller = _caller()
        query = hazards.ledger(
            caller.scope, hazards.LedgerFilter(published=True), clock_of(db_session()).today()
        )
        return [_hazard(row) for row in _rows(query, pagination_parameters)]
