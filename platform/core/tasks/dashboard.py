"""Dashboard figures for any node's subtree, read from the counters (never a scan of the tasks),
and their export to .xlsx."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.i18n import _
from gridgov.core.tasks import counters
from gridgov.core.tasks.counters import ANY_TIME, Months
from gridgov.core.tasks.models import Card, Rating, Task
from gridgov.core.tasks.workflow import TaskTypeRegistry
from gridgov.core.tenancy.models import Tenant

# 满意率 counts 满意 and 基本满意 among the rated, as the seeds' assessments do.
CONTENT_RATINGS = frozenset({Rating.SATISFIED.value, Rating.BASIC.value})


@dataclass(frozen=True)
class Figure:
    """One bar of a chart: a value, its label, how many tasks and their share of the total."""

    value: str
    label: str
    tasks: int
    share: float


@dataclass
class Dashboard:
    node: Node
    total: int = 0
    closed: int = 0
    closing_rate: float = 0.0
    average_handling_hours: float | None = None
    rated: int = 0
    satisfaction_rate: float | None = None
    overdue: int = 0
    by_category: list[Figure] = field(default_factory=list)
    by_state: list[Figure] = field(default_factory=list)
    by_track: list[Figure] = field(default_factory=list)
    by_level: list[Figure] = field(default_factory=list)
    by_rating: list[Figure] = field(default_factory=list)
    by_child: list[Figure] = field(default_factory=list)


def dashboard(
    session: Session,
    tenant: Tenant,
    types: TaskTypeRegistry,
    node: Node,
    period: Months = ANY_TIME,
) -> Dashboard:
    """The figures of ``node``'s subtree for tasks reported in ``period``."""
    labels = state_labels(types)
    totals = counters.breakdown(session, node.id, period)
    by_state = totals["state"]
    closed_states = {
        state.name for task_type in types for state in task_type.states if not state.is_open
    }
    board = Dashboard(node=node, total=sum(n for _v, n, _s in by_state))
    board.by_state = _merged(_figures(by_state, board.total, labels.get))
    board.by_category = _figures(totals["category"], board.total, str)
    board.by_track = _figures(totals["track"], board.total, lambda v: str(TRACKS[v]))
    board.by_level = _figures(totals["level"], board.total, lambda v: _level(tenant, v))
    by_rating = [row for row in totals["rating"] if row[0]]
    board.rated = sum(n for _v, n, _s in by_rating)
    board.by_rating = _figures(by_rating, board.rated, lambda v: str(RATINGS[v]))
    closed_rows = [row for row in by_state if row[0] in closed_states]
    board.closed = sum(n for _v, n, _s in closed_rows)
    handling = sum(s for _v, _n, s in closed_rows)
    if board.total:
        board.closing_rate = board.closed / board.total
    if board.closed:
        board.average_handling_hours = handling / board.closed / 3600
    if board.rated:
        content = sum(n for v, n, _s in by_rating if v in CONTENT_RATINGS)
        board.satisfaction_rate = content / board.rated
    children = counters.totals_by_child(session, node, period)
    board.by_child = [
        Figure(str(child.id), child.name, n, n / board.total if board.total else 0.0)
        for child, n in children
    ]
    board.overdue = overdue_count(session, node)
    return board


def overdue_count(session: Session, node: Node) -> int:
    """Open tasks with a red card filed in ``node``'s subtree (an index range, no scan).

    Only open tasks carry a card (every new stage, closing included, clears it), so the
    (tenant, card, filed path) index answers this alone."""
    return (
        session.scalar(
            select(func.count(Task.id)).where(
                Task.card == Card.RED.value,
                subtree(Task.filed_path, node.path),
            )
        )
        or 0
    )


def overdue_tasks(node: Node, readable: Any, *, card: str = Card.RED.value) -> Any:
    """A SELECT of the open tasks with ``card`` in ``node``'s subtree that the reader reads
    (``readable``: ``tasks.visible_filter`` of who asks), most overdue first."""
    return (
        select(Task)
        .where(
            Task.is_open.is_(True),
            Task.card == card,
            subtree(Task.filed_path, node.path),
            readable,
        )
        .order_by(Task.due_at, Task.id)
    )


def to_xlsx(board: Dashboard) -> bytes:
    """Every figure of the dashboard as a workbook: a summary sheet and one sheet per breakdown."""
    book = Workbook()
    summary = book.active
    summary.title = str(_("概况"))
    summary.append([str(_("节点")), board.node.name])
    for label, value in (
        (_("事件总数"), board.total),
        (_("已办结"), board.closed),
        (_("办结率"), round(board.closing_rate, 4)),
        (_("平均办理时长（小时）"), _rounded(board.average_handling_hours)),
        (_("已评价"), board.rated),
        (_("满意率"), _rounded(board.satisfaction_rate, 4)),
        (_("红牌超期"), board.overdue),
    ):
        summary.append([str(label), value])
    for title, figures in (
        (_("按类别"), board.by_category),
        (_("按状态"), board.by_state),
        (_("按处置类型"), board.by_track),
        (_("按层级"), board.by_level),
        (_("按下级"), board.by_child),
        (_("按评价"), board.by_rating),
    ):
        sheet = book.create_sheet(str(title))
        sheet.append([str(_("项目")), str(_("数量")), str(_("占比"))])
        for figure in figures:
            sheet.append([figure.label, figure.tasks, round(figure.share, 4)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TRACKS = {"general": _("一般性"), "coordinate": _("需要协调"), "emergency": _("突发")}
RATINGS = {"satisfied": _("满意"), "basic": _("基本满意"), "unsatisfied": _("不满意")}


def state_labels(types: TaskTypeRegistry) -> dict[str, str]:
    """Each state's label by name (the first type declaring a name labels it)."""
    labels: dict[str, str] = {}
    for task_type in types:
        for state in task_type.states:
            labels.setdefault(state.name, str(state.label))
    return labels


def _level(tenant: Tenant, level: int) -> str:
    names = tenant.level_names
    return names[level] if 0 <= level < len(names) else str(level)


def _figures(rows: list[tuple[Any, int, int]], total: int, label: Any) -> list[Figure]:
    return [
        Figure(str(value), str(label(value) or value), n, n / total if total else 0.0)
        for value, n, _s in rows
        if n
    ]


def _merged(figures: list[Figure]) -> list[Figure]:
    """Figures that read the same to a person as one: states of different task types with one
    label (已受理 of an event and of a dispute) are one bar, their values joined."""
    by_label: dict[str, Figure] = {}
    for figure in figures:
        seen = by_label.get(figure.label)
        if seen is None:
            by_label[figure.label] = figure
        else:
            by_label[figure.label] = Figure(
                f"{seen.value},{figure.value}",
                figure.label,
                seen.tasks + figure.tasks,
                seen.share + figure.share,
            )
    return list(by_label.values())


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
