"""The module's API, served under ``/t/<slug>/api/v1/modules/civil_affairs/``: the care
register and a person's care record, their details, visits, assistance and errands, the steps
of an errand, who is due and overdue per level and per grid worker, and the figures. Built
like the core's API (``gridgov.sdk.api``); phones masked, no ID number and no birth date (the
age instead); the rules are the service's."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import fields, validate

from gridgov.sdk import tasks
from gridgov.sdk.api import (
    ApiSchema,
    Blueprint,
    Caller,
    QueryArgsSchema,
    current_caller,
    page_of,
    page_of_rows,
)
from gridgov.sdk.caller import scope_roots, visible_node
from gridgov.sdk.county import clock_of
from gridgov.sdk.errors import NotFound
from gridgov.sdk.i18n import Localized
from gridgov.sdk.registry import Person
from gridgov.sdk.storage import db_session
from gridgov.sdk.tasks import Task
from gridgov_plugins.civil_affairs import service
from gridgov_plugins.civil_affairs.models import (
    AllowanceStatus,
    Assistance,
    AssistanceKind,
    Condition,
    DisabilityCategory,
    DisabilityLevel,
    Errand,
    ErrandKind,
)

api = Blueprint("civil_affairs_api", __name__, description="民政特殊人群关爱模块")

READ, WRITE = "tasks:read", "tasks:write"


def _one_of(values: Any) -> validate.OneOf:
    choices = [str(value) for value in values]
    return validate.OneOf(choices, error="取值无效，可选：" + "、".join(choices))


def _text(limit: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(max=limit), **kwargs)


# --- schemas ---------------------------------------------------------------------------------


class CareQuerySchema(QueryArgsSchema):
    tag = fields.String(load_default=None, validate=_one_of(service.CARE_TAGS))
    name = fields.String(
        load_default=None,
        validate=validate.Length(max=50),
        metadata={"description": "姓名开头；不接受身份证号或电话"},
    )


class CareRecordInSchema(ApiSchema):
    disability_category = fields.String(
        load_default=None, allow_none=True, validate=_one_of(DisabilityCategory)
    )
    disability_level = fields.String(
        load_default=None, allow_none=True, validate=_one_of(DisabilityLevel)
    )
    allowance_status = fields.String(
        load_default=None, allow_none=True, validate=_one_of(AllowanceStatus)
    )
    allowance_review_on = fields.Date(load_default=None, allow_none=True)
    illness = _text(200, load_default="")
    note = _text(2000, load_default="")


class CareVisitInSchema(ApiSchema):
    visited_on = fields.Date(required=True)
    condition = fields.String(required=True, validate=_one_of(Condition))
    needs = _text(2000, load_default="")
    follow_up = _text(2000, load_default="")
    needs_follow_up = fields.Boolean(load_default=False)


class AssistanceInSchema(ApiSchema):
    kind = fields.String(required=True, validate=_one_of(AssistanceKind))
    what = _text(200, required=True)
    given_on = fields.Date(required=True)
    given_by = _text(100, required=True)
    amount = fields.Decimal(
        load_default=None, allow_none=True, places=2, as_string=True, allow_nan=False
    )
    quantity = fields.Integer(load_default=None, allow_none=True)
    to_household = fields.Boolean(load_default=False)


class ErrandInSchema(ApiSchema):
    kind = fields.String(required=True, validate=_one_of(ErrandKind))
    title = _text(200, required=True)
    description = _text(2000, load_default="")
    idempotency_key = _text(100, load_default=None, allow_none=True)


class ErrandQuerySchema(QueryArgsSchema):
    open = fields.Boolean(load_default=None, metadata={"description": "true 在办，false 已结"})


class ErrandStepInSchema(ApiSchema):
    action = fields.String(required=True, validate=_one_of(service.ERRAND_STEPS))
    comment = _text(2000, load_default="")
    rating = fields.String(
        load_default=None,
        allow_none=True,
        validate=_one_of(service.RATING_LABELS),
        metadata={"description": "confirm 时居民的评价"},
    )


class DueQuerySchema(QueryArgsSchema):
    grid_id = fields.Integer(load_default=None, allow_none=True)


class LevelQuerySchema(QueryArgsSchema):
    node_id = fields.Integer(
        load_default=None, allow_none=True, metadata={"description": "默认：调用者的辖区顶层"}
    )


class CarePersonSchema(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    age = fields.Integer(allow_none=True, metadata={"description": "不给出生日期"})
    sex = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "脱敏：138********"})
    node_id = fields.Integer()
    tags = fields.List(fields.String())


class CareRecordSchema(ApiSchema):
    disability_category = fields.String(allow_none=True)
    disability_level = fields.String(allow_none=True)
    allowance_status = fields.String(allow_none=True)
    allowance_review_on = fields.Date(allow_none=True)
    illness = fields.String()
    note = fields.String()


class CareVisitSchema(ApiSchema):
    id = fields.Integer()
    visited_on = fields.Date()
    condition = fields.String()
    needs = fields.String()
    follow_up = fields.String()
    needs_follow_up = fields.Boolean()
    is_on_time = fields.Boolean()


class AssistanceSchema(ApiSchema):
    id = fields.Integer()
    person_id = fields.Integer(allow_none=True)
    household_id = fields.Integer(allow_none=True)
    kind = fields.String()
    what = fields.String()
    amount = fields.Decimal(allow_none=True, as_string=True)
    quantity = fields.Integer(allow_none=True)
    given_on = fields.Date()
    given_by = fields.String()


class ErrandSchema(ApiSchema):
    id = fields.Integer()
    task_id = fields.Integer()
    code = fields.String(metadata={"description": "查询码：居民凭此查询和确认"})
    title = fields.String()
    kind = fields.String()
    person_id = fields.Integer(allow_none=True)
    state = fields.String()
    state_label = fields.String()
    is_open = fields.Boolean()
    rating = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    done_at = fields.DateTime(allow_none=True)


class ErrandDetailSchema(ErrandSchema):
    description = fields.String()
    actions = fields.List(fields.String(), metadata={"description": "调用者现在可以采取的步骤"})


class CareDetailSchema(CarePersonSchema):
    record = fields.Nested(CareRecordSchema, allow_none=True)
    visits = fields.List(fields.Nested(CareVisitSchema))
    assistance = fields.List(fields.Nested(AssistanceSchema))
    errands = fields.List(fields.Nested(ErrandSchema))


class DueEntrySchema(ApiSchema):
    person_id = fields.Integer()
    name = fields.String()
    node_id = fields.Integer()
    tag = fields.String()
    due_on = fields.Date(allow_none=True, metadata={"description": "null：从未走访"})
    is_overdue = fields.Boolean()


class DueCountSchema(ApiSchema):
    node_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    due = fields.Integer()
    overdue = fields.Integer()
    worker = fields.String(allow_none=True)


class WorkerDueSchema(ApiSchema):
    user_id = fields.Integer(allow_none=True, metadata={"description": "null：网格空缺"})
    worker = fields.String(allow_none=True)
    node_id = fields.Integer()
    grid = fields.String()
    due = fields.Integer()
    overdue = fields.Integer()


class CivilAffairsFigureSchema(ApiSchema):
    code = fields.String()
    label = fields.String()
    label_en = fields.String()
    value = fields.Float()
    unit = fields.String()


# --- answers ---------------------------------------------------------------------------------


def _person(caller: Caller, person_id: int) -> Person:
    return service.visible_person(db_session(), caller.user, caller.scope, person_id)


def _errand(caller: Caller, errand_id: int) -> Errand:
    return service.visible_errand(db_session(), caller.user, caller.scope, errand_id)


def person_summary(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "age": service.age_of(db_session(), person),
        "sex": person.sex,
        "phone": service.masked_phone(person),
        "node_id": person.node_id,
        "tags": service.care_tags(person),
    }


def errand_summary(errand: Errand, task: Task) -> dict[str, Any]:
    return {
        "id": errand.id,
        "task_id": task.id,
        "code": task.code,
        "title": task.title,
        "kind": errand.kind,
        "person_id": errand.person_id,
        "state": task.state,
        "state_label": tasks.state_label(task),
        "is_open": task.is_open,
        "rating": task.rating,
        "due_at": task.due_at,
        "done_at": errand.done_at,
    }


def errand_detail(errand: Errand, caller: Caller) -> dict[str, Any]:
    session = db_session()
    task = service.task_of(session, errand)
    return {
        **errand_summary(errand, task),
        "description": task.description,
        "actions": [
            rule.action for rule in tasks.allowed_actions(session, caller.user, caller.scope, task)
        ],
    }


def _assistance(given: Assistance) -> dict[str, Any]:
    return {
        "id": given.id,
        "person_id": given.person_id,
        "household_id": given.household_id,
        "kind": given.kind,
        "what": given.what,
        "amount": given.amount,
        "quantity": given.quantity,
        "given_on": given.given_on,
        "given_by": given.given_by,
    }


def care_detail(person: Person) -> dict[str, Any]:
    session = db_session()
    return {
        **person_summary(person),
        "record": service.record_of(session, person),
        "visits": service.visits_of(session, person),
        "assistance": [_assistance(a) for a in service.assistance_of(session, person)],
        "errands": [errand_summary(e, t) for e, t in service.errands_of(session, person)],
    }


# --- views -----------------------------------------------------------------------------------


@api.route("/people")
class People(MethodView):
    @api.requires(READ)
    @api.arguments(CareQuerySchema, location="query")
    @api.response(200, CarePersonSchema(many=True))
    @api.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """The care register: people with the special-population tags the caller sees"""
        caller = current_caller()
        query = service.care_people(
            db_session(), caller.user, caller.scope, tag=args["tag"], text=args["name"]
        )
        return [person_summary(p) for p in page_of(query, pagination_parameters)]


@api.route("/people/<int:person_id>")
class PersonById(MethodView):
    @api.requires(READ)
    @api.response(200, CareDetailSchema)
    def get(self, person_id: int) -> dict[str, Any]:
        """A person's care record: details, visits, assistance and errands"""
        return care_detail(_person(current_caller(), person_id))


@api.route("/people/<int:person_id>/record")
class Record(MethodView):
    @api.requires(WRITE)
    @api.arguments(CareRecordInSchema)
    @api.alt_response(409, response="CONFLICT")
    @api.response(200, CareDetailSchema)
    def put(self, data: dict[str, Any], person_id: int) -> dict[str, Any]:
        """Keep the details a tag cannot hold: disability, allowance, illness"""
        caller = current_caller()
        person = _person(caller, person_id)
        service.save_record(
            db_session(), caller.user, caller.scope, person, service.RecordInput(**data)
        )
        db_session.commit()
        return care_detail(person)


@api.route("/people/<int:person_id>/visits")
class Visits(MethodView):
    @api.requires(WRITE)
    @api.arguments(CareVisitInSchema)
    @api.alt_response(409, response="CONFLICT")
    @api.response(201, CareDetailSchema)
    def post(self, data: dict[str, Any], person_id: int) -> dict[str, Any]:
        """Record a care visit (also the household visit in the registry)"""
        caller = current_caller()
        person = _person(caller, person_id)
        service.record_care_visit(
            db_session(), caller.user, caller.scope, person, service.VisitInput(**data)
        )
        db_session.commit()
        return care_detail(person)


@api.route("/people/<int:person_id>/assistance")
class PersonAssistance(MethodView):
    @api.requires(WRITE)
    @api.arguments(AssistanceInSchema)
    @api.alt_response(409, response="CONFLICT")
    @api.response(201, CareDetailSchema)
    def post(self, data: dict[str, Any], person_id: int) -> dict[str, Any]:
        """Record goods, money or a service given to the person or their household"""
        caller = current_caller()
        person = _person(caller, person_id)
        service.record_assistance(
            db_session(), caller.user, caller.scope, person, service.AssistanceInput(**data)
        )
        db_session.commit()
        return care_detail(person)


@api.route("/people/<int:person_id>/errands")
class PersonErrands(MethodView):
    @api.requires(WRITE)
    @api.arguments(ErrandInSchema)
    @api.alt_response(409, response="CONFLICT")
    @api.response(201, ErrandDetailSchema)
    def post(self, data: dict[str, Any], person_id: int) -> dict[str, Any]:
        """File an errand the person asked for (居民事务代办)"""
        caller = current_caller()
        person = _person(caller, person_id)
        errand = service.request_errand(
            db_session(), caller.user, caller.scope, person, service.ErrandInput(**data)
        )
        db_session.commit()
        return errand_detail(errand, caller)


@api.route("/assistance")
class AssistanceList(MethodView):
    @api.requires(READ)
    @api.response(200, AssistanceSchema(many=True))
    @api.paginate()
    def get(self, pagination_parameters: Any) -> list[dict[str, Any]]:
        """Assistance given in the caller's scope, newest first"""
        caller = current_caller()
        query = service.visible_assistance(db_session(), caller.user, caller.scope)
        return [_assistance(a) for a, _p in page_of_rows(query, pagination_parameters)]


@api.route("/errands")
class Errands(MethodView):
    @api.requires(READ)
    @api.arguments(ErrandQuerySchema, location="query")
    @api.response(200, ErrandSchema(many=True))
    @api.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """The errands the caller sees, open first"""
        caller = current_caller()
        query = service.visible_errands(
            db_session(), caller.user, caller.scope, is_open=args["open"]
        )
        return [errand_summary(e, t) for e, t in page_of_rows(query, pagination_parameters)]


@api.route("/errands/<int:errand_id>")
class ErrandById(MethodView):
    @api.requires(READ)
    @api.response(200, ErrandDetailSchema)
    def get(self, errand_id: int) -> dict[str, Any]:
        """One errand and the steps the caller may take"""
        caller = current_caller()
        return errand_detail(_errand(caller, errand_id), caller)


@api.route("/errands/<int:errand_id>/steps")
class ErrandSteps(MethodView):
    @api.requires(WRITE)
    @api.arguments(ErrandStepInSchema)
    @api.alt_response(409, response="CONFLICT")
    @api.response(200, ErrandDetailSchema)
    def post(self, data: dict[str, Any], errand_id: int) -> dict[str, Any]:
        """A step of an errand

        accept, done (the comment is the answer the resident reads), cancel, confirm (the
        resident's ``rating``), reopen.
        """
        caller = current_caller()
        errand = _errand(caller, errand_id)
        service.take_errand_step(db_session(), caller.user, caller.scope, errand, **data)
        db_session.commit()
        return errand_detail(errand, caller)


@api.route("/due")
class Due(MethodView):
    @api.requires(READ)
    @api.arguments(DueQuerySchema, location="query")
    @api.response(200, DueEntrySchema(many=True))
    @api.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """People due for a visit within a week or overdue, the most overdue first"""
        caller = current_caller()
        session = db_session()
        if args["grid_id"] is not None:
            visible_node(session, caller.scope, args["grid_id"])
        entries = service.due_list(
            session,
            caller.user,
            caller.scope,
            today=clock_of(session).today(),
            grid_id=args["grid_id"],
        )
        return [
            {
                "person_id": e.person.id,
                "name": e.person.name,
                "node_id": e.person.node_id,
                "tag": e.tag,
                "due_on": e.due_on,
                "is_overdue": e.is_overdue,
            }
            for e in page_of(entries, pagination_parameters)
        ]


@api.route("/levels")
class Levels(MethodView):
    @api.requires(READ)
    @api.arguments(LevelQuerySchema, location="query")
    @api.response(200, DueCountSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Due and overdue visits under each child of a node (its grids: with their workers)"""
        caller = current_caller()
        session = db_session()
        service.check_may_read(session, caller.user)
        if args["node_id"] is not None:
            node = visible_node(session, caller.scope, args["node_id"])
        else:
            roots = scope_roots(session, caller.scope)
            if not roots:
                raise NotFound(Localized("您的查看范围为空", "Your scope is empty"))
            node = roots[0]
        rows = service.counts_by_level(
            session, caller.user, caller.scope, node, today=clock_of(session).today()
        )
        return [
            {
                "node_id": r.node.id,
                "code": r.node.code,
                "name": r.node.name,
                "due": r.due,
                "overdue": r.overdue,
                "worker": r.worker,
            }
            for r in rows
        ]


@api.route("/workers")
class Workers(MethodView):
    @api.requires(READ)
    @api.response(200, WorkerDueSchema(many=True))
    @api.paginate()
    def get(self, pagination_parameters: Any) -> list[dict[str, Any]]:
        """Due and overdue visits per grid and its worker, the most overdue first"""
        caller = current_caller()
        session = db_session()
        rows = service.counts_by_worker(
            session, caller.user, caller.scope, today=clock_of(session).today()
        )
        return [
            {
                "user_id": r.worker.id if r.worker else None,
                "worker": r.worker.name if r.worker else None,
                "node_id": r.grid.id,
                "grid": r.grid.name,
                "due": r.due,
                "overdue": r.overdue,
            }
            for r in page_of(rows, pagination_parameters)
        ]


@api.route("/figures")
class Figures(MethodView):
    @api.requires(READ)
    @api.response(200, CivilAffairsFigureSchema(many=True))
    def get(self) -> list[Any]:
        """The module's figures of the caller's scope"""
        caller = current_caller()
        service.check_may_read(db_session(), caller.user)
        return service.dashboard_figures(db_session(), caller.scope)
