"""The module's figures and assessment lines: targets by kind, follow-ups due and overdue,
births and entitlements for a user's scope and for a period ("发现并处理计划生育对象20余人",
the seeds' words), and two lines of the grid workers' monthly assessment (考核):
follow-ups on time (勤) and targets found and handled (绩).

A target is *handled* (处理) once it has had a follow-up; "found and handled in a period"
counts the targets found in the period that have one.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from gridgov.core.plugins.hookspecs import (
    DashboardFigure,
    ScoringContext,
    ScoringResult,
    ScoringRule,
)
from gridgov.sdk.caller import Scope, assigned_node_ids, path_filter
from gridgov.sdk.county import Period, clock_of, current_tenant
from gridgov_plugins.family_planning import entitlements, targets
from gridgov_plugins.family_planning.access import MODULE
from gridgov_plugins.family_planning.models import (
    Birth,
    Entitlement,
    EntitlementState,
    FollowUp,
    Target,
    TargetKind,
)

FOLLOW_UP_POINTS = 3
TARGET_POINTS = 3
POINTS_PER_TARGET = 1.0  # one point per target found and followed up in the month, up to 3

_handled = exists().where(FollowUp.target_id == Target.id)


# --- assessment ----------------------------------------------------------------------------


def follow_up_points(context: ScoringContext) -> ScoringResult:
    """随访及时: the share of the worker's follow-ups in the period made by the day they fell
    due, times the line's points; full points when their grids hold no target at all."""
    session = context.session
    rows = session.execute(
        select(FollowUp.id, FollowUp.is_on_time).where(
            FollowUp.visited_by_id == context.user_id,
            FollowUp.visited_on >= context.period_start,
            FollowUp.visited_on <= context.period_end,
        )
    ).all()
    if not rows:
        held = session.scalar(
            select(func.count(Target.id)).where(
                Target.node_id.in_(assigned_node_ids(context.user_id))
            )
        )
        if not held:
            return ScoringResult(
                FOLLOW_UP_POINTS, "网格内无计生对象", "No family-planning targets in the grids"
            )
        return ScoringResult(0, "本期没有计生随访", "No follow-ups this period")
    on_time = [row.id for row in rows if row.is_on_time]
    points = FOLLOW_UP_POINTS * len(on_time) / len(rows)
    return ScoringResult(
        points,
        f"计生随访 {len(rows)} 次，按时 {len(on_time)} 次",
        f"{len(rows)} follow-ups, {len(on_time)} on time",
        {"follow_up": [row.id for row in rows]},
    )


def target_points(context: ScoringContext) -> ScoringResult:
    """发现并处理计生对象: one point per target the worker found in the period that has had a
    follow-up, up to the line's points."""
    ids = list(
        context.session.scalars(
            select(Target.id).where(
                Target.found_by_id == context.user_id,
                Target.found_on >= context.period_start,
                Target.found_on <= context.period_end,
                _handled,
            )
        )
    )
    return ScoringResult(
        POINTS_PER_TARGET * len(ids),
        f"发现并处理计生对象 {len(ids)} 人",
        f"{len(ids)} targets found and followed up",
        {"target": ids},
    )


SCORING_RULES = (
    ScoringRule(
        f"{MODULE}.follow_ups",
        "计生随访及时",
        "Family-planning follow-ups on time",
        max_points=FOLLOW_UP_POINTS,
        compute=follow_up_points,
        category="diligence",
    ),
    ScoringRule(
        f"{MODULE}.targets",
        "发现并处理计生对象",
        "Family-planning targets found and handled",
        max_points=TARGET_POINTS,
        compute=target_points,
    ),
)


# --- figures -------------------------------------------------------------------------------


def dashboard_figures(session: Session, scope: Scope) -> list[DashboardFigure]:
    """Targets by kind, follow-ups due and overdue, entitlements unpaid and overdue this
    county year, in ``scope``."""
    by_kind = targets.count_targets(session, scope)
    today = clock_of(session).today()
    settings = current_tenant(session).settings or {}
    unsettled = list(
        session.scalars(
            entitlements.entitlements(scope, year=today.year).where(
                Entitlement.state.in_(entitlements.UNSETTLED)
            )
        )
    )
    overdue = [e for e in unsettled if entitlements.is_overdue(e, settings, today)]
    due = _due_counts(session, scope)
    labels = targets.KIND_LABELS
    return [
        DashboardFigure(
            f"{MODULE}.targets",
            "计生对象",
            "Family-planning targets",
            value=sum(by_kind.values()),
            unit="人",
        ),
        *(
            DashboardFigure(
                f"{MODULE}.targets_{kind}",
                labels[TargetKind(kind)].zh,
                labels[TargetKind(kind)].en,
                value=count,
                unit="人",
            )
            for kind, count in by_kind.items()
        ),
        DashboardFigure(
            f"{MODULE}.follow_ups_due", "待随访", "Follow-ups due", value=due[0], unit="人"
        ),
        DashboardFigure(
            f"{MODULE}.follow_ups_overdue",
            "随访逾期",
            "Follow-ups overdue",
            value=due[1],
            unit="人",
        ),
        DashboardFigure(
            f"{MODULE}.entitlements_unpaid",
            "扶助待办结（未发放）",
            "Entitlements not yet paid",
            value=len(unsettled),
            unit="人",
        ),
        DashboardFigure(
            f"{MODULE}.entitlements_overdue",
            "扶助逾期未发放",
            "Entitlements overdue",
            value=len(overdue),
            unit="人",
        ),
    ]


def _due_counts(session: Session, scope: Scope) -> tuple[int, int]:
    """(due, overdue) follow-ups in ``scope``, as the system sees them (no user's role)."""
    lines = targets.due_lines(session, scope)
    overdue = sum(1 for line in lines if line.is_overdue)
    return len(lines) - overdue, overdue


def period_figures(session: Session, scope: Scope, period: Period) -> list[DashboardFigure]:
    """What was done in ``scope`` over ``period``: targets found and handled (the seeds'
    "发现并处理计划生育对象20余人"), targets found, births registered, follow-ups made, and
    entitlements paid (people and 元)."""
    found_in = and_(
        path_filter(Target.filed_path, scope),
        Target.found_on >= period.first,
        Target.found_on <= period.last,
    )
    found = session.scalar(select(func.count(Target.id)).where(found_in)) or 0
    handled = session.scalar(select(func.count(Target.id)).where(found_in, _handled)) or 0
    born = (
        session.scalar(
            select(func.count(Birth.id)).where(
                path_filter(Birth.filed_path, scope),
                Birth.born_on >= period.first,
                Birth.born_on <= period.last,
            )
        )
        or 0
    )
    visited = (
        session.scalar(
            select(func.count(FollowUp.id))
            .join(Target, Target.id == FollowUp.target_id)
            .where(
                path_filter(Target.filed_path, scope),
                FollowUp.visited_on >= period.first,
                FollowUp.visited_on <= period.last,
            )
        )
        or 0
    )
    paid_people, paid_amount = session.execute(
        select(func.count(Entitlement.id), func.coalesce(func.sum(Entitlement.amount), 0)).where(
            path_filter(Entitlement.filed_path, scope),
            Entitlement.state == EntitlementState.PAID.value,
            Entitlement.paid_on >= period.first,
            Entitlement.paid_on <= period.last,
        )
    ).one()
    return [
        DashboardFigure(
            f"{MODULE}.found_and_handled",
            "发现并处理计划生育对象",
            "Family-planning targets found and handled",
            value=handled,
            unit="人",
        ),
        DashboardFigure(
            f"{MODULE}.found", "新发现计划生育对象", "Targets found", value=found, unit="人"
        ),
        DashboardFigure(f"{MODULE}.births", "登记出生", "Births registered", value=born, unit="人"),
        DashboardFigure(
            f"{MODULE}.follow_ups", "开展计生随访", "Follow-up visits", value=visited, unit="次"
        ),
        DashboardFigure(
            f"{MODULE}.paid",
            "发放奖励扶助、特别扶助",
            "Entitlements paid",
            value=paid_people,
            unit="人",
            extra={"amount": float(paid_amount)},
        ),
    ]
