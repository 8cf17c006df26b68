"""What the county reads off the sheets: rankings and the distribution of totals per level
(a township's communities, a community's workers …), a worker's trend over months, the
month's export and the finance export (.xlsx) of a payout period."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.assessment import scheme as schemes
from gridgov.core.assessment import sheets as sheets_service
from gridgov.core.assessment.models import AssessmentSheet
from gridgov.core.assessment.review import months_of
from gridgov.core.assessment.sheets import list_sheets
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.registry.spreadsheet import write_workbook

# Ten-point buckets of the distribution chart: 0–10 … 90–100.
BUCKETS = tuple(range(0, 100, 10))


@dataclass
class Group:
    """The workers of one node of a level: their average, best and worst totals, bands."""

    node_id: int
    name: str
    workers: int = 0
    average: float = 0.0
    best: float | None = None
    worst: float | None = None
    bands: dict[str, int] = field(default_factory=dict)


@dataclass
class Ranking:
    month: str
    level: int | None  # None: the workers themselves
    workers: list[AssessmentSheet]  # best first
    groups: list[Group]  # the nodes of ``level``, best average first
    distribution: dict[str, int]  # "0–10" … "90–100": workers
    bands: dict[str, int]  # band label → workers


def ranking(
    session: Session,
    actor: User,
    scope: Scope,
    month: str,
    *,
    level: int | None = None,
    node: Node | None = None,
) -> Ranking:
    """The month's sheets the actor may read ranked, and grouped by the nodes of ``level``
    (0 the county … the grid level) that lie above the workers' grids."""
    sheets = list(session.scalars(list_sheets(session, actor, scope, month, node=node)))
    sheets.sort(key=lambda s: (-s.total, s.user_name))
    groups: list[Group] = []
    if level is not None:
        if not 0 <= level <= 6:
            raise DomainError(_("层级应在 0 到 6 之间"), field="level")
        nodes = {n.path: n for n in session.scalars(select(Node).where(Node.level == level))}
        members: dict[str, list[AssessmentSheet]] = defaultdict(list)
        for sheet in sheets:
            # A path is "/1/5/23/" (the top is level 0): the node of level L above a grid is
            # its first L + 1 ids.
            ancestor = "/".join(sheet.node_path.split("/")[: level + 2]) + "/"
            if ancestor in nodes:
                members[ancestor].append(sheet)
        for path, found in members.items():
            totals = [s.total for s in found]
            groups.append(
                Group(
                    node_id=nodes[path].id,
                    name=nodes[path].name,
                    workers=len(found),
                    average=round(sum(totals) / len(totals), 2),
                    best=max(totals),
                    worst=min(totals),
                    bands=dict(Counter(s.band for s in found)),
                )
            )
        groups.sort(key=lambda g: (-g.average, g.name))
    distribution = {f"{b}–{b + 10}": 0 for b in BUCKETS}
    for sheet in sheets:
        bucket = min(int(sheet.total // 10) * 10, 90)
        distribution[f"{bucket}–{bucket + 10}"] += 1
    return Ranking(
        month=month,
        level=level,
        workers=sheets,
        groups=groups,
        distribution=distribution,
        bands=dict(Counter(s.band for s in sheets)),
    )


@dataclass(frozen=True)
class TrendPoint:
    month: str
    total: float
    band: str
    state: str


def trend(
    session: Session, actor: User, scope: Scope, user_id: int, first: str, last: str
) -> list[TrendPoint]:
    """One worker's totals month by month from ``first`` to ``last`` (YYYY-MM), for the
    worker and those who may read their sheets."""
    from gridgov.core.assessment.sheets import may_read

    schemes.check_month(first, "first_month")
    schemes.check_month(last, "last_month")
    if last < first:
        raise DomainError(_("结束月份不能早于开始月份"), field="last_month")
    worker = session.get(User, user_id)
    if worker is None or worker.tenant_id != actor.tenant_id:
        raise NotFound(_("没有这个网格员"), field="user_id")
    sheets = session.scalars(
        select(AssessmentSheet)
        .where(
            AssessmentSheet.user_id == user_id,
            AssessmentSheet.month >= first,
            AssessmentSheet.month <= last,
        )
        .order_by(AssessmentSheet.month)
    )
    return [
        TrendPoint(s.month, s.total, s.band, s.state) for s in sheets if may_read(actor, scope, s)
    ]


# --- exports ---------------------------------------------------------------------------------


def _percent(value: Any) -> Any:
    return None if value is None else round(value * 100, 1)


def month_workbook(
    session: Session, actor: User, scope: Scope, month: str, *, node: Node | None = None
) -> bytes:
    """The month's sheets the actor may read as .xlsx: one row per worker with the total,
    band, floating amount, indicators and every line's points."""
    query = list_sheets(session, actor, scope, month, node=node)
    sheets = list(session.scalars(query.options(selectinload(AssessmentSheet.lines))))
    codes: list[str] = []
    labels: dict[str, str] = {}
    for sheet in sheets:
        for line in sheet.lines:
            if line.code not in labels:
                codes.append(line.code)
                labels[line.code] = line.label
    headers = [
        str(_("网格员")),
        str(_("网格")),
        str(_("总分")),
        str(_("档次")),
        str(_("绩效兑现金额（元）")),
        str(_("有效上报率（%）")),
        str(_("按时办结率（%）")),
        str(_("漏报率（%）")),
        str(_("入户率（%）")),
        str(_("状态")),
        *(labels[c] for c in codes),
    ]
    grid_names = sheets_service.grid_names(session, sheets)

    def rows() -> Any:
        for sheet in sheets:
            points = {line.code: line.points for line in sheet.lines}
            yield [
                sheet.user_name,
                grid_names.get(sheet.node_id, ""),
                sheet.total,
                sheet.band,
                sheet.floating_amount,
                _percent(sheet.indicators.get("valid_report_rate")),
                _percent(sheet.indicators.get("on_time_rate")),
                _percent(sheet.indicators.get("missed_report_rate")),
                _percent(sheet.indicators.get("visit_rate")),
                str(_("已锁定")) if sheet.state == "locked" else str(_("待确认")),
                *(points.get(c) for c in codes),
            ]

    return write_workbook(headers, rows(), month)


def payout_workbook(session: Session, actor: User, scope: Scope, period: str) -> bytes:
    """The finance export of a payout period (a month or a quarter): worker, month, total,
    band, share paid and the floating amount, one row per worker and month."""
    headers = [
        str(_("网格员")),
        str(_("网格")),
        str(_("月份")),
        str(_("总分")),
        str(_("档次")),
        str(_("兑现比例（%）")),
        str(_("绩效兑现金额（元）")),
    ]
    sheets: list[AssessmentSheet] = []
    for month in months_of(period):
        sheets.extend(session.scalars(list_sheets(session, actor, scope, month)))
    grid_names = sheets_service.grid_names(session, sheets)
    rows = (
        [
            s.user_name,
            grid_names.get(s.node_id, ""),
            s.month,
            s.total,
            s.band,
            s.pay_percent,
            s.floating_amount,
        ]
        for s in sorted(sheets, key=lambda s: (s.node_path, s.user_name, s.month))
    )
    return write_workbook(headers, rows, period)
