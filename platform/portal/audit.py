"""The audit log page: read-only, for county administrators and audit administrators (三员分立)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from gridgov.core.audit import service as audit
from gridgov.core.db import db_session
from gridgov.portal import audit_labels as labels
from gridgov.portal.forms import AuditFilterForm
from gridgov.portal.paging import paginate
from gridgov.portal.shell import AUDIT_ROLES, bp, roles_required

PAGE_SIZE = 50


@bp.get("/audit")
@roles_required(AUDIT_ROLES)
def audit_log() -> Any:
    form = AuditFilterForm(request.args)
    form.action.choices = labels.action_choices()
    form.object_type.choices = labels.object_choices()
    query = audit.list_events(
        db_session(),
        object_type=form.object_type.data or None,
        object_id=(form.object_id.data or "").strip() or None,
        action=(form.action.data or "").strip() or None,
    )
    page = paginate(db_session(), query, size=PAGE_SIZE)
    return render_template(
        "audit/list.html",
        form=form,
        page=page,
        action_label=labels.action_label,
        object_label=labels.object_label,
        changes=labels.changes,
    )
