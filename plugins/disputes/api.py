"""The module's API, served under ``/t/<slug>/api/v1/modules/disputes/``: cases, their parties,
sessions, agreement, outcome and follow-ups, the steps of the dispute grid, the early-warning
list and the figures. Thin views: parse with marshmallow, call one service, answer JSON (errors
in the platform's shape: the host's handlers turn DomainErrors and aborts into it)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, request, send_file
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from gridgov.api.access import Caller, visible_node
from gridgov.api.auth import authenticate_county_user
from gridgov.core.accounts.models import User
from gridgov.core.db import db_session
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind
from gridgov.core.tasks import reading, transitions
from gridgov.core.tasks.models import Task
from gridgov_plugins.disputes import service
from gridgov_plugins.disputes.models import Case

api = Blueprint("disputes_api", __name__)

READ, WRITE = "tasks:read", "tasks:write"
MAX_PAGE_SIZE = 200


class PartySchema(Schema):
    role = fields.String(required=True)
    name = fields.String(load_default="")
    person_id = fields.Integer(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)


class CaseSchema(Schema):
    node_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True)
    description = fields.String(load_default="")
    risk_level = fields.String(load_default="low")
    petition_risk = fields.Boolean(load_default=False)
    people_involved = fields.Integer(load_default=2)
    found_by = fields.String(load_default=None, allow_none=True)
    finder_name = fields.String(load_default="")
    location_text = fields.String(load_default="", validate=validate.Length(max=300))
    parties = fields.List(fields.Nested(PartySchema), load_default=list)
    idempotency_key = fields.String(load_default=None, allow_none=True)


class SessionSchema(Schema):
    held_on = fields.Date(required=True)
    mediator = fields.String(required=True)
    attendees = fields.String(load_default="")
    notes = fields.String(required=True)


class AgreementSchema(Schema):
    text = fields.String(required=True)
    signed_on = fields.Date(required=True)


class StepSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf([*service.STEPS, "dispatch"]))
    comment = fields.String(load_default="")
    risk_level = fields.String(load_default=None, allow_none=True)


class OutcomeSchema(Schema):
    outcome = fields.String(required=True)
    referral = fields.String(load_default=None, allow_none=True)
    note = fields.String(required=True)


class FollowUpSchema(Schema):
    visited_on = fields.Date(required=True)
    is_kept = fields.Boolean(required=True)
    note = fields.String(required=True)


def _load(schema: Schema, data: Any = None) -> dict[str, Any]:
    try:
        return schema.load(request.get_json(silent=True) or {} if data is None else data)
    except ValidationError as error:
        abort(422, errors={"json": error.messages})


def _case(caller: Caller, case_id: int) -> Case:
    return service.visible_case(db_session(), caller.user, caller.scope, case_id)


def _labels(table: dict[Any, Any], value: str | None) -> str | None:
    return str(table[value]) if value in table else None


def case_summary(case: Case, task: Task) -> dict[str, Any]:
    state = reading.registry().get(task.task_type).state(task.state)
    return {
        "id": case.id,
        "task_id": task.id,
        "code": task.code,
        "title": task.title,
        "state": task.state,
        "state_label": str(state.label),
        "is_open": task.is_open,
        "node_id": task.node_id,
        "current_node_id": task.current_node_id,
        "kind": case.kind,
        "kind_label": _labels(service.KIND_LABELS, case.kind),
        "risk_level": case.risk_level,
        "petition_risk": case.petition_risk,
        "people_involved": case.people_involved,
        "found_by": case.found_by,
        "finder_name": case.finder_name,
        "outcome": case.outcome,
        "referral": case.referral,
        "closed_level": case.closed_level,
        "card": task.card,
        "reported_at": task.reported_at.isoformat(),
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }


def case_detail(case: Case, user: User, caller: Caller) -> dict[str, Any]:
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
        "sessions": [
            {
                "id": s.id,
                "held_on": s.held_on.isoformat(),
                "mediator": s.mediator,
                "attendees": s.attendees,
                "notes": s.notes,
            }
            for s in service.sessions(session, case)
        ],
        "agreement": None
        if signed is None
        else {
            "text": signed.text,
            "signed_on": signed.signed_on.isoformat(),
            "has_scan": signed.file_id is not None,
        },
        "follow_ups": [
            {"visited_on": f.visited_on.isoformat(), "is_kept": f.is_kept, "note": f.note}
            for f in service.follow_ups(session, case)
        ],
        "actions": [
            rule.action for rule in transitions.allowed_actions(session, user, caller.scope, task)
        ],
    }


def _page(query: Any) -> Any:
    page = request.args.get("page", 1, type=int) or 1
    size = request.args.get("page_size", 50, type=int) or 50
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        abort(422, errors={"query": {"page_size": [f"1–{MAX_PAGE_SIZE}"], "page": [">= 1"]}})
    session = db_session()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.execute(query.limit(size).offset((page - 1) * size)).all()
    response = jsonify([case_summary(case, task) for case, task in rows])
    response.headers["X-Pagination"] = json.dumps(
        {"total": total, "total_pages": (total + size - 1) // size, "page": page, "page_size": size}
    )
    return response


@api.get("/cases")
def list_cases() -> Any:
    """The disputes the caller sees: ?open=true|false, kind, risk_level."""
    caller = authenticate_county_user(READ)
    is_open = request.args.get("open")
    filters = service.CaseFilter(
        is_open=None if is_open is None else is_open == "true",
        kind=request.args.get("kind") or None,
        risk_level=request.args.get("risk_level") or None,
    )
    return _page(service.visible_cases(db_session(), caller.user, caller.scope, filters))


@api.post("/cases")
def report_case() -> Any:
    """Report a dispute under a grid, with its parties."""
    caller = authenticate_county_user(WRITE)
    data = _load(CaseSchema())
    session = db_session()
    node = visible_node(session, caller, data.pop("node_id"))
    parties = [service.PartyInput(**p) for p in data.pop("parties")]
    case = service.report_case(
        session, caller.user, caller.scope, node, service.CaseInput(**data, parties=parties)
    )
    session.commit()
    return jsonify(case_detail(case, caller.user, caller)), 201


@api.get("/cases/<int:case_id>")
def get_case(case_id: int) -> Any:
    """One dispute with its parties (phones masked), sessions, agreement and follow-ups."""
    caller = authenticate_county_user(READ)
    return jsonify(case_detail(_case(caller, case_id), caller.user, caller))


@api.post("/cases/<int:case_id>/parties")
def add_party(case_id: int) -> Any:
    """Add a party: ``person_id`` of the registry, or ``name`` (and ``phone``) of an outsider."""
    caller = authenticate_county_user(WRITE)
    case = _case(caller, case_id)
    data = _load(PartySchema())
    service.add_party(db_session(), caller.user, caller.scope, case, service.PartyInput(**data))
    db_session.commit()
    return jsonify(case_detail(case, caller.user, caller)), 201


@api.post("/cases/<int:case_id>/sessions")
def record_session(case_id: int) -> Any:
    """Record a mediation session."""
    caller = authenticate_county_user(WRITE)
    case = _case(caller, case_id)
    data = _load(SessionSchema())
    service.record_session(db_session(), caller.user, case, service.SessionInput(**data))
    db_session.commit()
    return jsonify(case_detail(case, caller.user, caller)), 201


@api.post("/cases/<int:case_id>/agreement")
def record_agreement(case_id: int) -> Any:
    """Record the agreement: JSON, or a multipart form with ``text``, ``signed_on`` and the
    signed ``scan`` (PDF or image)."""
    caller = authenticate_county_user(WRITE)
    case = _case(caller, case_id)
    session = db_session()
    upload = request.files.get("scan")
    data = _load(AgreementSchema(), request.form.to_dict() if request.files else None)
    scan = None
    if upload is not None and upload.filename:
        scan = files.store_file(
            session,
            caller.user,
            name=upload.filename,
            data=upload.stream,
            kinds={FileKind.PDF, FileKind.IMAGE},
            purpose=service.FILE_PURPOSE,
            field="scan",
        )
    service.record_agreement(session, caller.user, case, scan=scan, **data)
    session.commit()
    return jsonify(case_detail(case, caller.user, caller)), 201


@api.get("/cases/<int:case_id>/agreement/scan")
def agreement_scan(case_id: int) -> Any:
    """The signed scan of the agreement."""
    caller = authenticate_county_user(READ)
    stored = service.agreement_scan(db_session(), _case(caller, case_id))
    return send_file(
        files.file_path(stored), mimetype=stored.content_type, download_name=stored.name
    )


@api.post("/cases/<int:case_id>/steps")
def take_step(case_id: int) -> Any:
    """A step of the dispute grid: confirm, dismiss, escalate, return, or ``dispatch`` to the
    justice office with the area leader's ``risk_level``."""
    caller = authenticate_county_user(WRITE)
    case = _case(caller, case_id)
    data = _load(StepSchema())
    session = db_session()
    if data["action"] == "dispatch":
        service.refer_to_office(
            session, caller.user, caller.scope, case, data["comment"], data["risk_level"]
        )
    else:
        service.take_step(session, caller.user, caller.scope, case, data["action"], data["comment"])
    session.commit()
    return jsonify(case_detail(case, caller.user, caller))


@api.post("/cases/<int:case_id>/outcome")
def record_outcome(case_id: int) -> Any:
    """Close the dispute with its outcome (resolved, partly, failed + referral)."""
    caller = authenticate_county_user(WRITE)
    case = _case(caller, case_id)
    data = _load(OutcomeSchema())
    service.record_outcome(db_session(), caller.user, caller.scope, case, **data)
    db_session.commit()
    return jsonify(case_detail(case, caller.user, caller))


@api.post("/cases/<int:case_id>/follow-ups")
def record_follow_up(case_id: int) -> Any:
    """Record a follow-up visit of a closed dispute."""
    caller = authenticate_county_user(WRITE)
    case = _case(caller, case_id)
    data = _load(FollowUpSchema())
    service.record_follow_up(db_session(), caller.user, caller.scope, case, **data)
    db_session.commit()
    return jsonify(case_detail(case, caller.user, caller)), 201


@api.get("/warnings")
def warnings() -> Any:
    """Open disputes that could become group petitions (群体性上访)."""
    caller = authenticate_county_user(READ)
    return _page(service.early_warnings(db_session(), caller.user, caller.scope))


@api.get("/figures")
def figures() -> Any:
    """The dispute figures of the caller's scope."""
    caller = authenticate_county_user(READ)
    return jsonify(
        [
            {
                "code": f.code,
                "label": f.label,
                "label_en": f.label_en,
                "value": f.value,
                "unit": f.unit,
            }
            for f in service.dashboard_figures(db_session(), caller.scope)
        ]
    )
