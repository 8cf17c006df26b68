"""The audit log API: who changed what and when, for the audit administrator (三员分立)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from gridgov.api import access
from gridgov.api.access import current_caller
from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.api.schemas import AuditArgsSchema, AuditEventSchema
from gridgov.core.audit import service as audit
from gridgov.core.db import db_session

blp = ApiBlueprint(
    "audit",
    __name__,
    url_prefix="/t/<slug>/api/v1/audit",
    description="审计日志（只读）：只有审计管理员可查（三员分立）",
)


@blp.route("")
class AuditEvents(MethodView):
    @blp.requires("audit:read")
    @blp.arguments(AuditArgsSchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """The county's audit events, newest first

        Filter by ``object_type``, ``object_id`` and ``action`` (a prefix: ``node.`` gives
        every hierarchy change). Personal fields are masked.
        """
        access.check_may_read_audit(current_caller())
        return page_of(audit.list_events(db_session(), **args), pagination_parameters)
