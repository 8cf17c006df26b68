"""A period report as an .xlsx workbook: the same figures as the page and the API, one sheet
per table (openpyxl, like the dashboard's export)."""

from __future__ import annotations

import io

from openpyxl import Workbook

from gridgov.core.i18n import _
from gridgov.core.reports.service import PeriodReport


def to_xlsx(report: PeriodReport) -> bytes:
    """The report as a workbook: a summary, then categories, departments, sources, modules."""
    book = Workbook()
    summary = book.active
    summary.title = str(_("概况"))
    cards = report.cards
    for label, value in (
        (_("节点"), report.node.name),
        (_("开始日期"), report.first),
        (_("结束日期"), report.last),
        (_("上报事件"), report.reported),
        (_("已办结"), report.closed),
        (_("办结率"), _rounded(report.closing_rate)),
        (_("黄牌"), cards.yellow),
        (_("其中仍未办结"), cards.yellow_open),
        (_("红牌"), cards.red),
        (_("其中仍未办结"), cards.red_open),
        (_("服务居民人次"), report.served.total),
        (_("其中办结居民事件"), report.served.tasks),
        (_("其中入户走访"), report.served.visits),
    ):
        summary.append([str(label), value])
    for row in summary.iter_rows(min_row=2, max_row=3, min_col=2, max_col=2):
        row[0].number_format = "yyyy-mm-dd"

    categories = book.create_sheet(str(_("按类别")))
    categories.append([str(_("类别")), str(_("数量")), str(_("占比"))])
    for figure in report.by_category:
        categories.append([figure.label, figure.tasks, round(figure.share, 4)])

    departments = book.create_sheet(str(_("职能部门")))
    departments.append(
        [
            str(_("部门")),
            str(_("收到交办")),
            str(_("已办理")),
            str(_("按时办理")),
            str(_("超期")),
            str(_("退回或上报")),
            str(_("按时办理率")),
        ]
    )
    for row in report.departments:
        departments.append(
            [
                row.department.name,
                row.received,
                row.handled,
                row.on_time,
                row.overdue,
                row.returned,
                _rounded(row.on_time_rate),
            ]
        )

    sources = book.create_sheet(str(_("按来源")))
    sources.append([str(_("来源")), str(_("受理")), str(_("已办结"))])
    for source in report.sources:
        sources.append([source.label, source.received, source.handled])

    modules = book.create_sheet(str(_("部门模块")))
    modules.append([str(_("模块")), str(_("项目")), str(_("数值")), str(_("单位"))])
    for module in report.modules:
        for figure in module.figures:
            modules.append([module.title, figure.label, figure.value, figure.unit])

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
