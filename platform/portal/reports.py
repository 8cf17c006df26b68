"""The period report page (期间报表): a node of the user's scope over a month, a quarter, a
year or any run of county days, as tables and charts, and the same report as .xlsx."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, render_template, request
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from gridgov.core.db import db_session
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.reports import service as reports
from gridgov.core.reports.workbook import to_xlsx
from gridgov.core.tasks import reading
from gridgov.portal.forms import PortalForm, show_domain_error
from gridgov.portal.shell import bp, roles_required, scope_roots, user_scope, visible_node
from gridgov.web import current_tenant, download_headers, id_value

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PeriodForm(PortalForm):
    """The period picker: a node of the user's scope, the first and the last county day."""

    class Meta:
        csrf = False  # a GET form: it reads, and its address can be bookmarked

    node = SelectField(_("范围"), coerce=int, validate_choice=False)
    first = DateField(_("开始日期"), name="from", validators=[Optional()])
    last = DateField(_("结束日期"), name="to", validators=[Optional()])


def _picked(form: PeriodForm) -> Node:
    """The node asked for (404 outside the user's scope), else the first root of the scope."""
    asked = request.args.get("node", type=id_value)
    if asked is not None:
        return visible_node(asked)
    roots = scope_roots()
    if not roots:
        visible_node(0)  # answers 404
    return roots[0]


def _node_choices(node: Node) -> list[tuple[int, str]]:
    """The scope's roots, the way from them down to ``node``, and ``node``'s children."""
    session = db_session()
    scope = user_scope()
    trail = [n for n in hierarchy.ancestors(session, node) if scope.contains(n)]
    children = hierarchy.children(session, node)
    nodes = list(dict.fromkeys([*scope_roots(), *trail, node, *children]))
    return [(n.id, "　" * n.level + n.name) for n in sorted(nodes, key=lambda n: n.path)]


def _report_for(form: PeriodForm) -> reports.PeriodReport | None:
    """The report the form asks for, or None with the problem marked on the form."""
    if not form.validate():
        return None
    node = _picked(form)
    try:
        period = reports.period_between(current_tenant().clock, form.first.data, form.last.data)
    except DomainError as error:
        show_domain_error(form, error, {"from": "first", "to": "last"})
        return None
    return reports.period_report(db_session(), current_tenant(), reading.registry(), node, period)


@bp.get("/reports/period")
@roles_required(reports.READER_ROLES)
def period_report() -> Any:
    form = PeriodForm(formdata=request.args)
    node = _picked(form)
    form.node.choices = _node_choices(node)
    form.node.data = node.id
    report = _report_for(form)
    page = render_template(
        "reports/period.html",
        form=form,
        node=node,
        report=report,
        shortcuts=reports.shortcuts(current_tenant().clock),
        charts=json.dumps(_charts(report), ensure_ascii=False) if report else "{}",
    )
    return page, 200 if report is not None else 422


@bp.get("/reports/period.xlsx")
@roles_required(reports.READER_ROLES)
def period_report_xlsx() -> Any:
    form = PeriodForm(formdata=request.args)
    report = _report_for(form)
    if report is None:
        return period_report()
    name = f"report-{report.node.code}-{report.first:%Y%m%d}-{report.last:%Y%m%d}.xlsx"
    return Response(
        to_xlsx(report),
        mimetype=XLSX,
        headers=download_headers(name),
    )


def _charts(report: reports.PeriodReport) -> dict[str, Any]:
    """The figures the page's bar charts draw (static/js/reports-charts.js)."""
    cards = report.cards
    return {
        "cards": {
            "labels": [str(_("黄牌")), str(_("红牌"))],
            "series": [
                {"label": str(_("期间发出")), "values": [cards.yellow, cards.red]},
                {"label": str(_("仍未办结")), "values": [cards.yellow_open, cards.red_open]},
            ],
        },
        "departments": {
            "labels": [row.department.name for row in report.departments],
            "series": [
                {"label": str(_("收到交办")), "values": [r.received for r in report.departments]},
                {"label": str(_("按时办理")), "values": [r.on_time for r in report.departments]},
                {"label": str(_("超期")), "values": [r.overdue for r in report.departments]},
                {"label": str(_("退回或上报")), "values": [r.returned for r in report.departments]},
            ],
        },
        "sources": {
            "labels": [source.label for source in report.sources],
            "series": [
                {"label": str(_("受理")), "values": [s.received for s in report.sources]},
                {"label": str(_("已办结")), "values": [s.handled for s in report.sources]},
            ],
        },
    }
