"""The module's API, served under ``/t/<slug>/api/v1/modules/disputes/``: cases, their parties,
sessions, agreement, outcome and follow-ups, the steps of the dispute grid, the early-warning
list and the figures. Built like the core's API (``gridgov.sdk.api``): marshmallow schemas in
and out (all field errors at once, in Chinese), lists paged with ``page``/``page_size`` and
``X-Pagination``, every route in ``/api/openapi.json``; the rules are the service's."""

from __future__ import annotations

from typing import Any

from flask import request, send_file
from flask.views import MethodView
from marshmallow import fields, validate

from gridgov.sdk import files, tasks
from gridgov.sdk.api import (
    ApiSchema,
    Blueprint,
    Caller,
    QueryArgsSchema,
    current_caller,
    page_of_rows,
)
from gridgov.sdk.caller import visible_node
from gridgov.sdk.files import FileKind
from gridgov.sdk.storage import db_session
from gridgov.sdk.tasks import Task
from gridgov_plugins.disputes import service
from gridgov_plugins.disputes.models import Case, Kind, Risk

api = Blueprint("disputes_api", __name__, description="矛盾纠纷调解模块")

READ, WRITE = "tasks:read", "tasks:write"
SCAN_KINDS = {FileKind.PDF, FileKind.IMAGE}  # the signed agreement, scanned or photographed


def _one_of(values: Any) -> validate.OneOf:
    choices = [str(value) for value in values]
    return validate.OneOf(choices, error="取值无效，可选：" + "、".join(choices))


# --- schemas ---------------------------------------------------------------------------------


class PartyInSchema(ApiSchema):
    role = fields.String(required=True, metadata={"description": "applicant、respondent、other"})
    name = fields.String(load_default="", metadata={"description": "不在人口库时填写"})
    person_id = fields.Integer(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)


class CaseInSchema(ApiSchema):
    node_id = fields.Integer(required=True, metadata={"description": "所在网格（网格单元）"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, metadata={"description": "纠纷类型"})
    description = fields.String(load_default="")
    risk_level = fields.String(load_default="low")
    petition_risk = fields.Boolean(load_default=False)
    people_involved = fields.Integer(load_default=2)
    found_by = fields.String(load_default=None, allow_none=True)
    finder_name = fields.String(load_default="")
    location_text = fields.String(load_default="", validate=validate.Length(max=300))
    parties = fields.List(fields.Nested(PartyInSchema), load_default=list)
    idempotency_key = fields.String(load_default=None, allow_none=True)


class CaseQuerySchema(QueryArgsSchema):
    open = fields.Boolean(load_default=None, metadata={"description": "true 在办，false 已结"})
    kind = fields.String(load_default=None, validate=_one_of(Kind))
    risk_level = fields.String(load_default=None, validate=_one_of(Risk))


class SessionInSchema(ApiSchema):
    held_on = fields.Date(required=True)
    mediator = fields.String(required=True)
    attendees = fields.String(load_default="")
    notes = fields.String(required=True)


class AgreementInSchema(ApiSchema):
    text = fields.String(required=True)
    signed_on = fields.Date(required=True)


class StepInSchema(ApiSchema):
    action = fields.String(required=True, validate=_one_of([*service.STEPS, "dispatch"]))
    comment = fields.String(load_default="")
    risk_level = fields.String(
        load_default=None, allow_none=True, metadata={"description": "dispatch 时片长研判的风险"}
    )


class OutcomeInSchema(ApiSchema):
    outcome = fields.String(required=True, metadata={"description": "resolved、partly、failed"})
    referral = fields.String(load_default=None, allow_none=True)
    note = fields.String(required=True)


class FollowUpInSchema(ApiSchema):
    visited_on = fields.Date(required=True)
    is_kept = fields.Boolean(required=True)
    note = fields.String(required=True)


class CaseSchema(ApiSchema):
    id = fields.Integer()
    task_id = fields.Integer()
    code = fields.String(metadata={"description": "任务编号"})
    title = fields.String()
    state = fields.String()
    state_label = fields.String()
    is_open = fields.Boolean()
    node_id = fields.Integer()
    current_node_id = fields.Integer()
    kind = fields.String(allow_none=True)
    kind_label = fields.String(allow_none=True)
    risk_level = fields.String()
    petition_risk = fields.Boolean()
    people_involved = fields.Integer()
    found_by = fields.String(allow_none=True)
    finder_name = fields.String()
    outcome = fields.String(allow_none=True)
    referral = fields.String(allow_none=True)
    closed_level = fields.String(allow_none=True)
    card = fields.String(allow_none=True)
    reported_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)


class PartySchema(ApiSchema):
    id = fields.Integer()
    role = fields.String()
    name = fields.String()
    person_id = fields.Integer(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "脱敏：138****5678"})


class MediationSessionSchema(ApiSchema):
    id = fields.Integer()
    held_on = fields.Date()
    mediator = fields.String()
    attendees = fields.String()
    notes = fields.String()


class AgreementSchema(ApiSchema):
    text = fields.String()
    signed_on = fields.Date()
    has_scan = fields.Boolean()


class FollowUpSchema(ApiSchema):
    visited_on = fields.Date()
    is_kept = fields.Boolean()
    note = fields.String()


class CaseDetailSchema(CaseSchema):
    description = fields.String()
    outcome_note = fields.String(allow_none=True)
    parties = fields.List(fields.Nested(PartySchema))
    sessions = fields.List(fields.Nested(MediationSessionSchema))
    agreement = fields.Nested(AgreementSchema, allow_none=True)
    follow_ups = fields.List(fields.Nested(FollowUpSchema))
    actions = fields.List(fields.String(), metadata={"description": "调用者现在可以采取的步骤"})


class DisputeFigureSchema(ApiSchema):
    code = fields.String()
    label = fields.String()
    label_en = fields.String()
    value = fields.Float()
    unit = fields.String()


# --- answers ---------------------------------------------------------------------------------


def _case(caller: Caller, case_id: int) -> Case:
    return service.visible_case(db_session(), caller.user, caller.scope, case_id)


def _label(table: dict[Any, Any], value: str | None) -> str | None:
    return str(table[value]) if value in table else None


def case_summary(case: Case, task: Task) -> dict[str, Any]:
    """A case as the lists show it, with the state of its task."""
    return {
        "id": case.id,
        "task_id": task.id,
        "code": task.code,
        "title": task.title,
        "state": task.state,
        "state_label": tasks.state_label(task),
        "is_open": task.is_open,
        "node_id": task.node_id,
        "current_node_id": task.current_node_id,
        "kind": case.kind,
        "kind_label": _label(service.KIND_LABELS, case.kind),
        "risk_level": case.risk_level,
        "petition_risk": case.petition_risk,
        "people_involved": case.people_involved,
        "found_by": case.found_by,
        "finder_name": case.finder_name,
        "outcome": case.outcome,
        "referral": case.referral,
        "closed_level": case.closed_level,
        "card": task.card,
        "reported_at": task.reported_at,
        "due_at": task.due_at,
    }


def case_detail(case: Case, caller: Caller) -> dict[str, Any]:
    """A case with its parties (phones masked), sessions, agreement, follow-ups and the steps
    the caller may take."""
    session = db_session()
    task = service.task_of(session, case)
    signed = service.agreement(session, case)
    return {
        **case_summary(case, task),
        "description": task.description,
        "outcome_note": case.outcome_note,
        "parties": [
            {
                "id": p.id,
                "role": p.role,
                "name": p.name,
                "person_id": p.person_id,
                "phone": service.masked_phone(p),
            }
            for p in service.parties(session, case)
        ],
        "sessions": service.sessions(session, case),
        "agreement": None
        if signed is None
        else {
            "text": signed.text,
            "signed_on": signed.signed_on,
            "has_scan": signed.file_id is not None,
        },
        "follow_ups": service.follow_ups(session, case),
        "actions": [
            rule.action for rule in tasks.allowed_actions(session, caller.user, caller.scope, task)
        ],
    }


# --- views -----------------------------------------------------------------------------------


@api.route("/cases")
class Cases(MethodView):
    @api.requires(READ)
    @api.arguments(CaseQuerySchema, location="query")
    @api.response(200, CaseSchema(many=True))
    @api.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """The disputes the caller sees, most urgent first"""
        caller = current_caller()
        filters = service.CaseFilter(
            is_open=args["open"], kind=args["kind"], risk_level=args["risk_level"]
        )
        query = service.visible_cases(db_session(), caller.user, caller.scope, filters)
        return [case_summary(c, t) for c, t in page_of_rows(query, pagination_parameters)]

    @api.requires(WRITE)
    @api.arguments(CaseInSchema)
    @api.response(201, CaseDetailSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Report a dispute under a grid, with its parties"""
        caller = current_caller()
        session = db_session()
        node = visible_node(session, caller.scope, data.pop("node_id"))
        parties = [service.PartyInput(**p) for p in data.pop("parties")]
        case = service.report_case(
            session, caller.user, caller.scope, node, service.CaseInput(**data, parties=parties)
        )
        session.commit()
        return case_detail(case, caller)


@api.route("/cases/<int:case_id>")
class CaseById(MethodView):
    @api.requires(READ)
    @api.response(200, CaseDetailSchema)
    def get(self, case_id: int) -> dict[str, Any]:
        """One dispute with its parties (phones masked), sessions, agreement and follow-ups"""
        caller = current_caller()
        return case_detail(_case(caller, case_id), caller)


@api.route("/cases/<int:case_id>/parties")
class Parties(MethodView):
    @api.requires(WRITE)
    @api.arguments(PartyInSchema)
    @api.response(201, CaseDetailSchema)
    def post(self, data: dict[str, Any], case_id: int) -> dict[str, Any]:
        """Add a party: ``person_id`` of the registry, or ``name`` (and ``phone``) of an outsider"""
        caller = current_caller()
        case = _case(caller, case_id)
        service.add_party(db_session(), caller.user, caller.scope, case, service.PartyInput(**data))
        db_session.commit()
        return case_detail(case, caller)


@api.route("/cases/<int:case_id>/sessions")
class Sessions(MethodView):
    @api.requires(WRITE)
    @api.arguments(SessionInSchema)
    @api.response(201, CaseDetailSchema)
    def post(self, data: dict[str, Any], case_id: int) -> dict[str, Any]:
        """Record a mediation session"""
        caller = current_caller()
        case = _case(caller, case_id)
        service.record_session(db_session(), caller.user, case, service.SessionInput(**data))
        db_session.commit()
        return case_detail(case, caller)


@api.route("/cases/<int:case_id>/agreement")
class Agreement(MethodView):
    @api.requires(WRITE)
    @api.arguments(AgreementInSchema, location="json_or_form", content_type="multipart/form-data")
    @api.uploads(
        SCAN_KINDS,
        name="scan",
        required=False,
        fields={"text": {"type": "string"}, "signed_on": {"type": "string", "format": "date"}},
    )
    @api.response(201, CaseDetailSchema)
    def post(self, data: dict[str, Any], case_id: int) -> dict[str, Any]:
        """Record the agreement

        A multipart form with ``text``, ``signed_on`` and the signed ``scan`` (PDF or image),
        or JSON with ``text`` and ``signed_on`` only.
        """
        caller = current_caller()
        case = _case(caller, case_id)
        session = db_session()
        upload = request.files.get("scan")
        scan = None
        if upload is not None and upload.filename:
            scan = files.store_file(
                session,
                caller.user,
                name=upload.filename,
                data=upload.stream,
                kinds=SCAN_KINDS,
                purpose=service.FILE_PURPOSE,
                field="scan",
            )
        service.record_agreement(session, caller.user, case, scan=scan, **data)
        session.commit()
        return case_detail(case, caller)


@api.route("/cases/<int:case_id>/agreement/scan")
class AgreementScan(MethodView):
    @api.requires(READ)
    @api.response(200, {"format": "binary", "type": "string"}, content_type="application/pdf")
    def get(self, case_id: int) -> Any:
        """The signed scan of the agreement (PDF or image)"""
        caller = current_caller()
        stored = service.agreement_scan(db_session(), _case(caller, case_id))
        return send_file(
            files.file_path(stored), mimetype=stored.content_type, download_name=stored.name
        )


@api.route("/cases/<int:case_id>/steps")
class Steps(MethodView):
    @api.requires(WRITE)
    @api.arguments(StepInSchema)
    @api.response(200, CaseDetailSchema)
    def post(self, data: dict[str, Any], case_id: int) -> dict[str, Any]:
        """A step of the dispute grid

        confirm, dismiss, escalate, return, or ``dispatch`` to the justice office with the
        area leader's ``risk_level``.
        """
        caller = current_caller()
        case = _case(caller, case_id)
        session = db_session()
        if data["action"] == "dispatch":
            service.refer_to_office(
                session, caller.user, caller.scope, case, data["comment"], data["risk_level"]
            )
        else:
            service.take_step(
                session, caller.user, caller.scope, case, data["action"], data["comment"]
            )
        session.commit()
        return case_detail(case, caller)


@api.route("/cases/<int:case_id>/outcome")
class OutcomeView(MethodView):
    @api.requires(WRITE)
    @api.arguments(OutcomeInSchema)
    @api.response(200, CaseDetailSchema)
    def post(self, data: dict[str, Any], case_id: int) -> dict[str, Any]:
        """Close the dispute with its outcome (resolved, partly, failed + referral)"""
        caller = current_caller()
        case = _case(caller, case_id)
        service.record_outcome(db_session(), caller.user, caller.scope, case, **data)
        db_session.commit()
        return case_detail(case, caller)


@api.route("/cases/<int:case_id>/follow-ups")
class FollowUps(MethodView):
    @api.requires(WRITE)
    @api.arguments(FollowUpInSchema)
    @api.response(201, CaseDetailSchema)
    def post(self, data: dict[str, Any], case_id: int) -> dict[str, Any]:
        """Record a follow-up visit of a closed dispute"""
        caller = current_caller()
        case = _case(caller, case_id)
        service.record_follow_up(db_session(), caller.user, caller.scope, case, **data)
        db_session.commit()
        return case_detail(case, caller)


@api.route("/warnings")
class Warnings(MethodView):
    @api.requires(READ)
    @api.response(200, CaseSchema(many=True))
    @api.paginate()
    def get(self, pagination_parameters: Any) -> list[dict[str, Any]]:
        """Open disputes that could become group petitions (群体性上访)"""
        caller = current_caller()
        query = service.early_warnings(db_session(), caller.user, caller.scope)
        return [case_summary(c, t) for c, t in page_of_rows(query, pagination_parameters)]


@api.route("/figures")
class Figures(MethodView):
    @api.requires(READ)
    @api.response(200, DisputeFigureSchema(many=True))
    def get(self) -> list[Any]:
        """The dispute figures of the caller's scope"""
        return service.dashboard_figures(db_session(), current_caller().scope)
