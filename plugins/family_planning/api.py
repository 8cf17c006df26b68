"""The module's API, served under ``/t/<slug>/api/v1/modules/family_planning/``: targets and
their follow-ups, the follow-ups due, births, entitlements with their steps and the lists of
who is due, and the figures. Built like the core's API (``gridgov.sdk.api``): marshmallow
schemas in and out, lists paged, every route in ``/api/openapi.json``; the rules are the
services'. People appear by name, sex and age only: no ID number, no phone, no birth date."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import fields, validate

from gridgov.sdk import county
from gridgov.sdk.api import ApiSchema, Blueprint, QueryArgsSchema, current_caller, page_of
from gridgov.sdk.county import clock_of
from gridgov.sdk.registry import PersonView, get_node
from gridgov.sdk.storage import db_session
from gridgov_plugins.family_planning import (
    access,
    births,
    entitlements,
    figures,
    follow_ups,
    targets,
)
from gridgov_plugins.family_planning.models import (
    Birth,
    Entitlement,
    EntitlementState,
    Scheme,
    Sex,
    SpecialKind,
    Target,
    TargetKind,
)

api = Blueprint("family_planning_api", __name__, description="计划生育模块")

READ, WRITE = "registry:read", "registry:write"


def _one_of(values: Any) -> validate.OneOf:
    choices = [str(value) for value in values]
    return validate.OneOf(choices, error="取值无效，可选：" + "、".join(choices))


# --- schemas ---------------------------------------------------------------------------------


class FpPersonSchema(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    sex = fields.String(allow_none=True)
    age = fields.Integer(allow_none=True, metadata={"description": "周岁（不给出生日期）"})


class FpTargetInSchema(ApiSchema):
    person_id = fields.Integer(required=True, metadata={"description": "人口库编号"})
    kind = fields.String(
        required=True,
        validate=_one_of([TargetKind.WOMAN, TargetKind.SPECIAL]),
        metadata={
            "description": "woman 育龄妇女、special 计生特殊家庭（新生儿家庭由出生登记产生）"
        },
    )
    special_kind = fields.String(load_default=None, allow_none=True, validate=_one_of(SpecialKind))
    recognised_on = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "认定日期"}
    )
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class FpTargetQuerySchema(QueryArgsSchema):
    kind = fields.String(load_default=None, validate=_one_of(TargetKind))


class FpTargetSchema(ApiSchema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    special_kind = fields.String(allow_none=True)
    recognised_on = fields.Date(allow_none=True)
    node_id = fields.Integer()
    household_id = fields.Integer(allow_none=True)
    found_on = fields.Date()
    is_handled = fields.Boolean(metadata={"description": "已随访"})
    person = fields.Nested(FpPersonSchema, allow_none=True)


class FpFollowUpSchema(ApiSchema):
    id = fields.Integer()
    target_id = fields.Integer()
    visited_on = fields.Date()
    due_on = fields.Date()
    is_on_time = fields.Boolean()
    visit_id = fields.Integer(allow_none=True)
    data = fields.Dict(metadata={"description": "随访表单内容"})


class FpTargetDetailSchema(FpTargetSchema):
    note = fields.String()
    follow_ups = fields.List(fields.Nested(FpFollowUpSchema))


class FpFollowUpInSchema(ApiSchema):
    data = fields.Dict(required=True, metadata={"description": "family_planning.follow_up 表单"})


class FpDueQuerySchema(QueryArgsSchema):
    grid_id = fields.Integer(load_default=None, allow_none=True)


class FpDueFollowUpSchema(ApiSchema):
    target_id = fields.Integer()
    kind = fields.String()
    person = fields.Nested(FpPersonSchema)
    node_id = fields.Integer()
    worker_name = fields.String(allow_none=True)
    due_on = fields.Date()
    is_overdue = fields.Boolean()


class FpBirthInSchema(ApiSchema):
    mother_id = fields.Integer(required=True)
    child_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    sex = fields.String(required=True, validate=_one_of(Sex))
    born_on = fields.Date(required=True)
    place_of_birth = fields.String(required=True, validate=validate.Length(min=1, max=200))
    certificate_number = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=32)
    )


class FpBirthSchema(ApiSchema):
    id = fields.Integer()
    household_id = fields.Integer()
    mother = fields.Nested(FpPersonSchema, allow_none=True)
    child_name = fields.String()
    sex = fields.String()
    born_on = fields.Date()
    place_of_birth = fields.String()
    certificate_number = fields.String(allow_none=True, metadata={"description": "只显示后四位"})
    child_id = fields.Integer(allow_none=True)
    node_id = fields.Integer()


class FpChildInSchema(ApiSchema):
    child_id = fields.Integer(required=True, metadata={"description": "孩子的人口库编号"})


class FpEntitlementInSchema(ApiSchema):
    person_id = fields.Integer(required=True)
    scheme = fields.String(required=True, validate=_one_of(Scheme))
    year = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(2000, 2100))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class FpEntitlementQuerySchema(QueryArgsSchema):
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))
    state = fields.String(load_default=None, validate=_one_of(EntitlementState))


class FpStepInSchema(ApiSchema):
    action = fields.String(required=True, validate=_one_of(["check", "approve", "refuse", "pay"]))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    amount = fields.Decimal(load_default=None, allow_none=True, places=2, as_string=True)
    paid_on = fields.Date(load_default=None, allow_none=True)


class FpEntitlementSchema(ApiSchema):
    id = fields.Integer()
    person = fields.Nested(FpPersonSchema, allow_none=True)
    year = fields.Integer()
    scheme = fields.String()
    scheme_label = fields.String()
    state = fields.String()
    state_label = fields.String()
    node_id = fields.Integer()
    amount = fields.String(allow_none=True, metadata={"description": "元"})
    paid_on = fields.Date(allow_none=True)
    refusal_reason = fields.String()
    applied_on = fields.Date()
    checked_on = fields.Date(allow_none=True)
    approved_on = fields.Date(allow_none=True)
    is_overdue = fields.Boolean()
    steps = fields.List(fields.String(), metadata={"description": "调用者现在可办理的步骤"})


class FpDueYearQuerySchema(QueryArgsSchema):
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))


class FpDueEntitlementSchema(ApiSchema):
    person = fields.Nested(FpPersonSchema, allow_none=True)
    node_id = fields.Integer()
    scheme = fields.String()
    year = fields.Integer()
    entitlement_id = fields.Integer(allow_none=True, metadata={"description": "空：尚未申请"})
    is_overdue = fields.Boolean()


class FpFigureSchema(ApiSchema):
    code = fields.String()
    label = fields.String()
    label_en = fields.String()
    value = fields.Float()
    unit = fields.String()


# --- answers ---------------------------------------------------------------------------------


def _person(view: PersonView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    today = clock_of(db_session()).today()
    return {"id": view.id, "name": view.name, "sex": view.sex, "age": view.age(today)}


def _target(target: Target, people: dict[int, PersonView]) -> dict[str, Any]:
    session = db_session()
    return {
        "id": target.id,
        "kind": target.kind,
        "kind_label": str(targets.KIND_LABELS[TargetKind(target.kind)]),
        "special_kind": target.special_kind,
        "recognised_on": target.recognised_on,
        "node_id": target.node_id,
        "household_id": target.household_id,
        "found_on": target.found_on,
        "is_handled": bool(follow_ups.follow_ups_of(session, target)),
        "person": _person(people.get(target.person_id)),
    }


def _target_detail(target: Target) -> dict[str, Any]:
    session = db_session()
    people = targets.people_of(session, [target])
    return {
        **_target(target, people),
        "note": target.note,
        "follow_ups": [
            {
                "id": f.id,
                "target_id": f.target_id,
                "visited_on": f.visited_on,
                "due_on": f.due_on,
                "is_on_time": f.is_on_time,
                "visit_id": f.visit_id,
                "data": follow_ups.submission_of(session, f),
            }
            for f in follow_ups.follow_ups_of(session, target)
        ],
    }


def _birth(birth: Birth, people: dict[int, PersonView]) -> dict[str, Any]:
    return {
        "id": birth.id,
        "household_id": birth.household_id,
        "mother": _person(people.get(birth.mother_id)),
        "child_name": birth.child_name,
        "sex": birth.sex,
        "born_on": birth.born_on,
        "place_of_birth": birth.place_of_birth,
        "certificate_number": births.masked_certificate(birth),
        "child_id": birth.child_id,
        "node_id": birth.node_id,
    }


def _entitlement(entitlement: Entitlement, people: dict[int, PersonView]) -> dict[str, Any]:
    session = db_session()
    caller = current_caller()
    today = clock_of(session).today()
    settings = county.current_tenant(session).settings or {}
    return {
        "id": entitlement.id,
        "person": _person(people.get(entitlement.person_id)),
        "year": entitlement.year,
        "scheme": entitlement.scheme,
        "scheme_label": str(entitlements.SCHEME_LABELS[Scheme(entitlement.scheme)]),
        "state": entitlement.state,
        "state_label": str(entitlements.STATE_LABELS[EntitlementState(entitlement.state)]),
        "node_id": entitlement.node_id,
        "amount": None if entitlement.amount is None else str(entitlement.amount),
        "paid_on": entitlement.paid_on,
        "refusal_reason": entitlement.refusal_reason,
        "applied_on": entitlement.applied_on,
        "checked_on": entitlement.checked_on,
        "approved_on": entitlement.approved_on,
        "is_overdue": entitlements.is_overdue(entitlement, settings, today),
        "steps": entitlements.steps_for(session, caller.user, entitlement),
    }


# --- views -----------------------------------------------------------------------------------


@api.route("/targets")
class Targets(MethodView):
    @api.requires(READ)
    @api.arguments(FpTargetQuerySchema, location="query")
    @api.response(200, FpTargetSchema(many=True))
    @api.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """The family-planning targets the caller sees, newest first"""
        caller = current_caller()
        session = db_session()

        access.check_may_read(session, caller.user)
        rows = page_of(targets.targets(caller.scope, kind=args["kind"]), pagination_parameters)
        people = targets.people_of(session, rows)
        return [_target(row, people) for row in rows]

    @api.requires(WRITE)
    @api.arguments(FpTargetInSchema)
    @api.response(201, FpTargetDetailSchema)
    @api.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register a person as a woman of child-bearing age or a special family"""
        caller = current_caller()
        session = db_session()
        target = targets.register_target(
            session, caller.user, caller.scope, targets.TargetInput(**data)
        )
        session.commit()
        return _target_detail(target)


@api.route("/targets/<int:target_id>")
class TargetById(MethodView):
    @api.requires(READ)
    @api.response(200, FpTargetDetailSchema)
    def get(self, target_id: int) -> dict[str, Any]:
        """One target with its follow-ups"""
        caller = current_caller()
        return _target_detail(
            targets.visible_target(db_session(), caller.user, caller.scope, target_id)
        )


@api.route("/targets/<int:target_id>/follow-ups")
class FollowUps(MethodView):
    @api.requires(WRITE)
    @api.arguments(FpFollowUpInSchema)
    @api.response(201, FpTargetDetailSchema)
    @api.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], target_id: int) -> dict[str, Any]:
        """File a follow-up of the target with the form ``family_planning.follow_up``

        The household visit is recorded in the registry too, so the schedule resets.
        """
        caller = current_caller()
        session = db_session()
        target = targets.visible_target(session, caller.user, caller.scope, target_id)
        form = county.open_form(follow_ups.FORM_CODE, get_node(session, target.node_id))
        follow_ups.file_follow_up(session, caller.user, caller.scope, target, form, data["data"])
        session.commit()
        return _target_detail(target)


@api.route("/follow-ups/due")
class DueFollowUps(MethodView):
    @api.requires(READ)
    @api.arguments(FpDueQuerySchema, location="query")
    @api.response(200, FpDueFollowUpSchema(many=True))
    @api.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Targets due for a follow-up by today, the most overdue first"""
        caller = current_caller()
        lines = targets.due_follow_ups(
            db_session(), caller.user, caller.scope, grid_id=args["grid_id"]
        )
        return [
            {
                "target_id": line.target.id,
                "kind": line.target.kind,
                "person": _person(line.person),
                "node_id": line.node_id,
                "worker_name": line.worker_name,
                "due_on": line.due_on,
                "is_overdue": line.is_overdue,
            }
            for line in page_of(lines, pagination_parameters)
        ]


@api.route("/births")
class Births(MethodView):
    @api.requires(READ)
    @api.response(200, FpBirthSchema(many=True))
    @api.paginate()
    def get(self, pagination_parameters: Any) -> list[dict[str, Any]]:
        """The births registered in the caller's scope, youngest first"""
        caller = current_caller()
        session = db_session()

        access.check_may_read(session, caller.user)
        rows = page_of(births.births(caller.scope), pagination_parameters)
        people = targets.people_of(session, rows)
        return [_birth(row, people) for row in rows]

    @api.requires(WRITE)
    @api.arguments(FpBirthInSchema)
    @api.response(201, FpBirthSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register a birth to a mother of the registry, in her household"""
        caller = current_caller()
        session = db_session()
        birth = births.register_birth(session, caller.user, caller.scope, births.BirthInput(**data))
        session.commit()
        return _birth(birth, targets.people_of(session, [birth]))


@api.route("/births/<int:birth_id>")
class BirthById(MethodView):
    @api.requires(READ)
    @api.response(200, FpBirthSchema)
    def get(self, birth_id: int) -> dict[str, Any]:
        """One birth"""
        caller = current_caller()
        session = db_session()
        birth = births.visible_birth(session, caller.user, caller.scope, birth_id)
        return _birth(birth, targets.people_of(session, [birth]))


@api.route("/births/<int:birth_id>/child")
class BirthChild(MethodView):
    @api.requires(WRITE)
    @api.arguments(FpChildInSchema)
    @api.response(200, FpBirthSchema)
    @api.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], birth_id: int) -> dict[str, Any]:
        """Link the birth to the child's own registry record"""
        caller = current_caller()
        session = db_session()
        birth = births.visible_birth(session, caller.user, caller.scope, birth_id)
        births.link_child(session, caller.user, caller.scope, birth, data["child_id"])
        session.commit()
        return _birth(birth, targets.people_of(session, [birth]))


@api.route("/entitlements")
class Entitlements(MethodView):
    @api.requires(READ)
    @api.arguments(FpEntitlementQuerySchema, location="query")
    @api.response(200, FpEntitlementSchema(many=True))
    @api.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """The reward and assistance entitlements the caller sees, newest first"""
        caller = current_caller()
        session = db_session()

        access.check_may_read(session, caller.user)
        query = entitlements.entitlements(caller.scope, year=args["year"], state=args["state"])
        rows = page_of(query, pagination_parameters)
        people = targets.people_of(session, rows)
        return [_entitlement(row, people) for row in rows]

    @api.requires(WRITE)
    @api.arguments(FpEntitlementInSchema)
    @api.response(201, FpEntitlementSchema)
    @api.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Apply for 奖励扶助 or 特别扶助 for a person and a year"""
        caller = current_caller()
        session = db_session()
        made = entitlements.apply_for(
            session, caller.user, caller.scope, entitlements.ApplicationInput(**data)
        )
        session.commit()
        return _entitlement(made, targets.people_of(session, [made]))


@api.route("/entitlements/<int:entitlement_id>")
class EntitlementById(MethodView):
    @api.requires(READ)
    @api.response(200, FpEntitlementSchema)
    def get(self, entitlement_id: int) -> dict[str, Any]:
        """One entitlement with the steps the caller may take"""
        caller = current_caller()
        session = db_session()
        found = entitlements.visible_entitlement(session, caller.user, caller.scope, entitlement_id)
        return _entitlement(found, targets.people_of(session, [found]))


@api.route("/entitlements/<int:entitlement_id>/steps")
class EntitlementSteps(MethodView):
    @api.requires(WRITE)
    @api.arguments(FpStepInSchema)
    @api.response(200, FpEntitlementSchema)
    @api.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], entitlement_id: int) -> dict[str, Any]:
        """Take a step: check (township), approve, refuse with a reason, pay (the office)"""
        caller = current_caller()
        session = db_session()
        found = entitlements.visible_entitlement(session, caller.user, caller.scope, entitlement_id)
        user, scope = caller.user, caller.scope
        action = data["action"]
        if action == "check":
            entitlements.check(session, user, scope, found)
        elif action == "approve":
            entitlements.approve(session, user, scope, found)
        elif action == "refuse":
            entitlements.refuse(session, user, scope, found, data["reason"])
        else:
            entitlements.record_payment(
                session, user, scope, found, amount=data["amount"], paid_on=data["paid_on"]
            )
        session.commit()
        return _entitlement(found, targets.people_of(session, [found]))


@api.route("/entitlements/due")
class DueEntitlements(MethodView):
    @api.requires(READ)
    @api.arguments(FpDueYearQuerySchema, location="query")
    @api.response(200, FpDueEntitlementSchema(many=True))
    @api.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Who is due an entitlement this year (or ``year``) and who is overdue"""
        caller = current_caller()
        session = db_session()
        due = entitlements.due_entitlements(session, caller.user, caller.scope, args["year"])
        shown = page_of(due, pagination_parameters)
        people = targets.people_of(session, shown)
        return [
            {
                "person": _person(people.get(d.person_id)),
                "node_id": d.node_id,
                "scheme": d.scheme,
                "year": d.year,
                "entitlement_id": d.entitlement.id if d.entitlement is not None else None,
                "is_overdue": d.is_overdue,
            }
            for d in shown
        ]


@api.route("/figures")
class Figures(MethodView):
    @api.requires(READ)
    @api.response(200, FpFigureSchema(many=True))
    def get(self) -> list[Any]:
        """The family-planning figures of the caller's scope"""
        caller = current_caller()
        session = db_session()

        access.check_may_read(session, caller.user)
        return figures.dashboard_figures(session, caller.scope)
