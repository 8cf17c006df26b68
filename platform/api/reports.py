"""The period report API (期间报表): a node's subtree over any run of county days, as JSON and
as an .xlsx workbook."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from gridgov.api import access
from gridgov.api.access import current_caller
from gridgov.api.blueprint import ApiBlueprint
from gridgov.api.reports_schemas import PeriodReportArgsSchema, PeriodReportSchema
from gridgov.core.db import db_session
from gridgov.core.errors import NotFound
from gridgov.core.i18n import _
from gridgov.core.reports import service as reports
from gridgov.core.reports.workbook import to_xlsx
from gridgov.core.tasks import reading
from gridgov.web import current_tenant, download_headers

blp = ApiBlueprint(
    "reports",
    __name__,
    url_prefix="/t/<slug>/api/v1/reports",
    description="期间报表：红黄牌、职能部门办理情况、事件来源、服务居民人次、部门模块数据",
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/period")
class PeriodReport(MethodView):
    @blp.requires("tasks:read")
    @blp.arguments(PeriodReportArgsSchema, location="query")
    @blp.response(200, PeriodReportSchema)
    def get(self, args: dict[str, Any]) -> reports.PeriodReport:
        """The period report of a node's subtree: tasks reported and closed, cards issued and
        still open, departments' work, sources, residents served and each admitted module's
        figures, for the county days from ``from`` to ``to`` (default: this month)"""
        return _report(args)


@blp.route("/period.xlsx")
class PeriodReportWorkbook(MethodView):
    @blp.requires("tasks:read")
    @blp.arguments(PeriodReportArgsSchema, location="query")
    @blp.response(200, schema=None)
    def get(self, args: dict[str, Any]) -> Response:
        """The same period report as an .xlsx workbook"""
        report = _report(args)
        name = f"report-{report.node.code}-{report.first:%Y%m%d}-{report.last:%Y%m%d}.xlsx"
        return Response(
            to_xlsx(report),
            mimetype=XLSX,
            headers=download_headers(name),
        )


def _report(args: dict[str, Any]) -> reports.PeriodReport:
    session, caller, tenant = db_session(), current_caller(), current_tenant()
    reports.check_may_read(caller.user)
    if args.get("node_id") is not None:
        node = access.visible_node(session, caller, args["node_id"])
    else:
        roots = access.visible_roots(session, caller)
        if not roots:
            raise NotFound(_("没有可查看的节点"))
        node = roots[0]
    period = reports.period_between(tenant.clock, args.get("first"), args.get("last"))
    return reports.period_report(session, tenant, reading.registry(), node, period)
