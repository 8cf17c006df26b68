"""The module's figures: hazards by grade and state, rectified on time, overdue, residents'
reports and fire leaders for a user's scope ("排查处理消防安全隐患367起"), the same per level
below a node, and the lines it adds to the monthly assessment of grid workers (考核).

Each figure is one grouped query over the module's rows joined to their tasks, never a loop
over hazards.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from gridgov.core.plugins.hookspecs import (
    DashboardFigure,
    ScoringContext,
    ScoringResult,
    ScoringRule,
)
from gridgov.sdk.caller import Scope, assigned_node_ids, path_filter, scope_roots
from gridgov.sdk.county import Period, current_tenant, subtree
from gridgov.sdk.registry import (
    Node,
    NodeView,
    TagDefinition,
    nodes_at_level,
    people_by_grid,
)
from gridgov.sdk.tasks import Task, count_steps
from gridgov_plugins.fire_safety import hazards, inspections
from gridgov_plugins.fire_safety.models import Grade, Hazard, Patrol
from gridgov_plugins.fire_safety.workflow import NAME, REPORT

LEADER_TAG = f"{NAME}.leader"
# 消防带头人: a tag on people, given through the registry's tagging like the core's tags.
LEADER = TagDefinition(LEADER_TAG, "消防带头人", "Building fire leader", module=NAME)
HAZARD_STATES = ("rectifying", "rechecking", "closed")


@dataclass
class HazardCounts:
    """Hazards of one part of the county, by grade and by state, and how their rectification
    went. ``on_time_rate`` is the share rectified by their deadline among those due: rectified,
    or still open past the deadline (None when none is due yet)."""

    found: int = 0
    by_grade: dict[str, int] = field(default_factory=lambda: {str(g): 0 for g in Grade})
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HAZARD_STATES, 0))
    by_grade_state: dict[str, dict[str, int]] = field(
        default_factory=lambda: {str(g): dict.fromkeys(HAZARD_STATES, 0) for g in Grade}
    )
    major_open: int = 0
    on_time: int = 0
    overdue: int = 0

    @property
    def eliminated(self) -> int:
        return self.by_state["closed"]

    @property
    def open(self) -> int:
        return self.found - self.eliminated

    @property
    def on_time_rate(self) -> float | None:
        due = self.eliminated + self.overdue
        return self.on_time / due if due else None

    def add(self, grade: str, state: str, count: int, on_time: int, overdue: int) -> None:
        self.found += count
        self.by_grade[grade] = self.by_grade.get(grade, 0) + count
        self.by_state[state] = self.by_state.get(state, 0) + count
        cells = self.by_grade_state.setdefault(grade, dict.fromkeys(HAZARD_STATES, 0))
        cells[state] = cells.get(state, 0) + count
        if grade == Grade.MAJOR and state != "closed":
            self.major_open += count
        self.on_time += on_time
        self.overdue += overdue


def _hazard_rows(
    session: Session,
    scope: Scope,
    today: dt.date,
    node: Node | None,
    *,
    by_grid: bool,
    found_in: Period | None = None,
) -> Any:
    """(grid path or None, grade, state, hazards, on time, overdue) rows of the hazards in
    ``scope`` below ``node`` (found in ``found_in``, if given); by grid when asked (a county
    has thousands of grids at most)."""
    on_time = case((Hazard.rectified_on <= Hazard.deadline, 1), else_=0)
    overdue = case((and_(Task.is_open.is_(True), Hazard.deadline < today), 1), else_=0)
    keys = [Hazard.filed_path] if by_grid else []
    query = (
        select(
            *keys,
            Hazard.grade,
            Task.state,
            func.count(Hazard.id),
            func.sum(on_time),
            func.sum(overdue),
        )
        .join(Task, Task.id == Hazard.task_id)
        .where(path_filter(Hazard.filed_path, scope))
        .group_by(*keys, Hazard.grade, Task.state)
    )
    if node is not None:
        query = query.where(subtree(Hazard.filed_path, node.path))
    if found_in is not None:
        query = query.where(Hazard.found_on >= found_in.first, Hazard.found_on <= found_in.last)
    rows = session.execute(query).all()
    return rows if by_grid else [(None, *row) for row in rows]


def hazard_counts(
    session: Session,
    scope: Scope,
    today: dt.date,
    node: Node | None = None,
    found_in: Period | None = None,
) -> HazardCounts:
    """The hazards found in ``scope`` (below ``node`` and in the period ``found_in``, if
    given), in the state they are in today."""
    counts = HazardCounts()
    for _path, grade, state, count, on_time, overdue in _hazard_rows(
        session, scope, today, node, by_grid=False, found_in=found_in
    ):
        counts.add(grade, state, count, on_time or 0, overdue or 0)
    return counts


def counts_by_child(
    session: Session, scope: Scope, today: dt.date, node: Node, children: Sequence[NodeView]
) -> dict[int, HazardCounts]:
    """The hazards below each of ``children`` of ``node`` (per level: a county's townships, a
    township's communities …)."""
    result = {child.id: HazardCounts() for child in children}
    for path, grade, state, count, on_time, overdue in _hazard_rows(
        session, scope, today, node, by_grid=True
    ):
        child = next((c for c in children if path.startswith(c.path)), None)
        if child is not None:
            result[child.id].add(grade, state, count, on_time or 0, overdue or 0)
    return result


@dataclass(frozen=True)
class ReportCounts:
    """Residents' reports (举报投诉) and how far they went: 受理, 查实, 奖励, 反馈."""

    received: int
    confirmed: int
    rewarded: int
    answered: int


def report_counts(session: Session, scope: Scope, period: Period | None = None) -> ReportCounts:
    """The residents' reports filed in ``scope`` (reported in ``period``, if given)."""
    in_scope = and_(Task.task_type == REPORT, path_filter(Task.filed_path, scope))
    if period is not None:
        in_scope = and_(
            in_scope, Task.reported_at >= period.starts_at, Task.reported_at < period.ends_at
        )
    received = session.scalar(select(func.count(Task.id)).where(in_scope)) or 0
    steps = count_steps(session, in_scope, ("confirm", "reward", "answer"))
    return ReportCounts(
        received=received,
        confirmed=steps.get("confirm", 0),
        rewarded=steps.get("reward", 0),
        answered=steps.get("answer", 0),
    )


def leader_count(session: Session, scope: Scope) -> int:
    """How many residents in ``scope`` are building fire leaders (消防带头人)."""
    return sum(people_by_grid(session, scope, tag=LEADER_TAG).values())


def percent(rate: float | None) -> float:
    return round(rate * 100, 1) if rate is not None else 0.0


def dashboard_figures(session: Session, scope: Scope, today: dt.date) -> list[DashboardFigure]:
    """The module's figures for a dashboard of ``scope``."""
    counts = hazard_counts(session, scope, today)
    reports = report_counts(session, scope)
    return [
        DashboardFigure(
            f"{NAME}.hazards",
            "排查火灾隐患",
            "Fire hazards found",
            counts.found,
            "起",
            extra={
                "by_grade": dict(counts.by_grade),
                "by_state": dict(counts.by_state),
                "by_grade_state": {grade: dict(c) for grade, c in counts.by_grade_state.items()},
            },
        ),
        DashboardFigure(f"{NAME}.eliminated", "已整改消除", "Eliminated", counts.eliminated, "起"),
        DashboardFigure(f"{NAME}.open", "未消除隐患", "Not yet eliminated", counts.open, "处"),
        DashboardFigure(
            f"{NAME}.major_open", "未消除重大隐患", "Major hazards open", counts.major_open, "处"
        ),
        DashboardFigure(
            f"{NAME}.on_time_rate",
            "按期整改率",
            "Rectified on time",
            percent(counts.on_time_rate),
            "%",
            extra={"on_time": counts.on_time, "due": counts.eliminated + counts.overdue},
        ),
        DashboardFigure(f"{NAME}.overdue", "超期未整改", "Overdue", counts.overdue, "处"),
        DashboardFigure(
            f"{NAME}.reports",
            "受理举报投诉",
            "Residents' reports",
            reports.received,
            "件",
            extra={
                "confirmed": reports.confirmed,
                "rewarded": reports.rewarded,
                "answered": reports.answered,
            },
        ),
        DashboardFigure(
            f"{NAME}.leaders", "消防带头人", "Fire leaders", leader_count(session, scope), "人"
        ),
    ]


def period_figures(
    session: Session, scope: Scope, period: Period, today: dt.date
) -> list[DashboardFigure]:
    """The module's figures for a period report: hazards found in the period and how many of
    them are rectified by now ("排查火灾隐患X起、已整改Y起"), still open, major ones open and
    overdue, and the residents' reports received in the period."""
    counts = hazard_counts(session, scope, today, found_in=period)
    reports = report_counts(session, scope, period)
    return [
        DashboardFigure(
            f"{NAME}.hazards_found",
            "排查火灾隐患",
            "Fire hazards found",
            counts.found,
            "起",
            extra={"by_grade": dict(counts.by_grade), "by_state": dict(counts.by_state)},
        ),
        DashboardFigure(
            f"{NAME}.hazards_rectified", "已整改消除", "Rectified", counts.eliminated, "起"
        ),
        DashboardFigure(f"{NAME}.hazards_open", "未消除", "Not yet eliminated", counts.open, "处"),
        DashboardFigure(
            f"{NAME}.major_open", "未消除重大隐患", "Major hazards open", counts.major_open, "处"
        ),
        DashboardFigure(f"{NAME}.overdue", "超期未整改", "Overdue", counts.overdue, "处"),
        DashboardFigure(
            f"{NAME}.reports",
            "受理举报投诉",
            "Residents' reports",
            reports.received,
            "件",
            extra={"answered": reports.answered},
        ),
    ]


# --- assessment (考核) -------------------------------------------------------------------------

PATROL_POINTS = 5.0
FOUND_POINTS = 3.0
POINTS_PER_HAZARD = 0.5
ON_TIME_POINTS = 2.0


def expected_patrols(context: ScoringContext) -> int:
    """Patrols a grid worker owes in a month: the county's number
    (``fire_safety: {patrols_per_month: 8}``), else one per registry site in their grids."""
    fixed = hazards.settings_of(current_tenant(context.session)).get("patrols_per_month")
    if fixed:
        return int(fixed)
    return max(inspections.sites_to_patrol(context.session, context.user_id), 1)


def patrol_points(context: ScoringContext) -> ScoringResult:
    """Patrols done against patrols expected (巡查完成率), up to 5 points."""
    done = inspections.count_patrols(
        context.session, context.user_id, context.period_start, context.period_end
    )
    expected = expected_patrols(context)
    return ScoringResult(
        PATROL_POINTS * min(done / expected, 1.0),
        f"消防巡查 {done} 次，应巡 {expected} 次",
        f"{done} fire patrols of {expected} expected",
    )


def found_points(context: ScoringContext) -> ScoringResult:
    """Half a point per hazard the worker found in the period, up to 3."""
    found = list(
        context.session.scalars(
            select(Hazard.id)
            .where(
                Hazard.found_by_id == context.user_id,
                Hazard.found_on >= context.period_start,
                Hazard.found_on <= context.period_end,
            )
            .order_by(Hazard.id)
        )
    )
    return ScoringResult(
        len(found) * POINTS_PER_HAZARD,
        f"发现火灾隐患 {len(found)} 处",
        f"{len(found)} fire hazards found",
        {"hazard": found},
    )


def on_time_points(context: ScoringContext) -> float:
    """The share of the hazards in the worker's grids due in the period that were rectified
    by their deadline, times 2; full points when none fell due (nothing was late)."""
    grids = assigned_node_ids(context.user_id)
    due, on_time = context.session.execute(
        select(
            func.count(Hazard.id),
            func.sum(case((Hazard.rectified_on <= Hazard.deadline, 1), else_=0)),
        ).where(
            Hazard.node_id.in_(grids),
            Hazard.deadline >= context.period_start,
            Hazard.deadline <= context.period_end,
        )
    ).one()
    if not due:
        return ON_TIME_POINTS
    return ON_TIME_POINTS * (on_time or 0) / due


SCORING_RULES = (
    ScoringRule(
        f"{NAME}.patrols",
        "消防巡查完成率",
        "Fire patrols done",
        PATROL_POINTS,
        patrol_points,
        category="diligence",
    ),
    ScoringRule(
        f"{NAME}.hazards_found", "发现火灾隐患", "Fire hazards found", FOUND_POINTS, found_points
    ),
    ScoringRule(
        f"{NAME}.rectified_on_time",
        "隐患按期整改率",
        "Hazards rectified on time",
        ON_TIME_POINTS,
        on_time_points,
    ),
)


# --- fire leaders per community --------------------------------------------------------------

LEADER_SHARE = 0.01  # about one resident in a hundred (按小区人口总数 1% 的比例)


@dataclass(frozen=True)
class Coverage:
    """Fire leaders (消防带头人) of one community against the 1 % the seeds ask for."""

    node: NodeView
    residents: int
    leaders: int

    @property
    def target(self) -> int:
        return math.ceil(self.residents * LEADER_SHARE) if self.residents else 0

    @property
    def rate(self) -> float | None:
        return min(self.leaders / self.target, 1.0) if self.target else None


def community_level(grid_level: int) -> int:
    """The level whose nodes are "communities": the one above the grids in a county of four
    levels or more (社区 above 网格); the grids themselves where villages are the grids
    (旗 → 苏木镇 → 嘎查村)."""
    return grid_level - 1 if grid_level >= 3 else grid_level


def leader_coverage(session: Session, scope: Scope, grid_level: int) -> list[Coverage]:
    """Residents and fire leaders of each community in ``scope`` (for a user seeing only
    grids: of each of their grids), by path."""
    level = community_level(grid_level)
    rows = nodes_at_level(session, scope, level)
    if not rows and not scope.everything:
        rows = [NodeView.of(root) for root in scope_roots(session, scope)]
    residents = people_by_grid(session, scope)
    leaders = people_by_grid(session, scope, tag=LEADER_TAG)
    return [
        Coverage(
            node=row,
            residents=sum(n for path, n in residents.items() if path.startswith(row.path)),
            leaders=sum(n for path, n in leaders.items() if path.startswith(row.path)),
        )
        for row in rows
    ]


def patrols_in(session: Session, scope: Scope, start: dt.date, end: dt.date) -> int:
    """Patrols made in ``scope`` from ``start`` to ``end``."""
    return (
        session.scalar(
            select(func.count(Patrol.id)).where(
                path_filter(Patrol.filed_path, scope),
                Patrol.inspected_on >= start,
                Patrol.inspected_on <= end,
            )
        )
        or 0
    )
