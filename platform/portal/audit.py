"""The audit log page: read-only, for county administrators and audit administrators (三员分立)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from sqlalchemy import func, select

from gridgov.core.audit import service as audit
from gridgov.core.db import db_session
from gridgov.portal.forms import AuditFilterForm
from gridgov.portal.shell import AUDIT_ROLES, bp, roles_required

PAGE_SIZE = 50


@bp.get("/audit")
@roles_required(AUDIT_ROLES)
def audit_log() -> Any:
    form = AuditFilterForm(request.args)
    query = audit.list_events(
        db_session(),
        object_type=form.object_type.data or None,
        object_id=(form.object_id.data or "").strip() or None,
        action=(form.action.data or "").strip() or None,
    )
    session = db_session()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    events = list(session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return render_template(
        "audit/list.html",
        form=form,
        events=events,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        args={k: v for k, v in request.args.items() if k != "page"},
    )
