"""The home page, one per role: the county at a glance for its administrators; for a grid
worker "上报事件" and their tasks by deadline first, then their grids and notice; the subtrees
they look after for everyone else."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import login_required
from sqlalchemy import func, select

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role, User
from gridgov.core.admission import activation
from gridgov.core.assessment import review, sheets
from gridgov.core.db import db_session
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.plugins.hookspecs import DashboardFigure
from gridgov.core.tasks import reading
from gridgov.portal.shell import ADMIN_ROLES, bp, level_label, me, scope_roots, user_scope
from gridgov.portal.tasks import state_label
from gridgov.web import current_tenant

# The grid worker's home lists their first open tasks by deadline; the rest are a link away.
MY_TASKS_ON_HOME = 5


@bp.get("/")
@login_required
def home() -> Any:
    user = me()
    if user.role == Role.AUDIT_ADMIN:
        return render_template("home/auditor.html")
    if user.role == Role.SECURITY_ADMIN:
        return render_template("home/security.html")
    figures = _module_figures()
    if user.role in ADMIN_ROLES:
        return render_template("home/admin.html", module_figures=figures, **_county_figures())
    if user.role == Role.GRID_WORKER:
        session = db_session()
        query = reading.my_tasks(session, user, user_scope())
        return render_template(
            "home/grid_worker.html",
            grids=_my_grids(user),
            module_figures=figures,
            tasks=list(session.scalars(query.limit(MY_TASKS_ON_HOME))),
            open_tasks=session.scalar(select(func.count()).select_from(query.subquery())),
            state_label=state_label,
        )
    roots = scope_roots()
    counts = hierarchy.counts_below(db_session(), roots, current_tenant().grid_level)
    waiting = sheets.objections_waiting(db_session(), user, user_scope())  # 复核 to answer
    return render_template(
        "home/staff.html",
        roots=roots,
        counts=counts,
        module_figures=figures,
        objections_waiting=waiting,
    )


def _module_figures() -> list[DashboardFigure]:
    """What the county's admitted modules count over the user's part of it."""
    scope = user_scope()
    return activation.hooks_for(scope).dashboard_figures(
        session=db_session(), tenant=current_tenant(), scope=scope
    )


def _county_figures() -> dict[str, Any]:
    session = db_session()
    tenant = current_tenant()
    per_level = dict(
        session.execute(
            select(Node.level, func.count()).where(Node.retired_at.is_(None)).group_by(Node.level)
        ).all()
    )
    levels = [
        (level_label(name), per_level.get(index, 0))
        for index, name in enumerate(tenant.level_names)
        if index > 0 or per_level.get(0, 0) > 1
    ]
    staff = session.scalar(select(func.count()).select_from(User).where(User.is_active.is_(True)))
    never = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.is_active.is_(True), User.last_login_at.is_(None))
    )
    vacant = session.scalar(
        select(func.count())
        .select_from(Node)
        .where(
            Node.level == tenant.grid_level,
            Node.retired_at.is_(None),
            ~select(Assignment.id)
            .where(Assignment.node_id == Node.id, Assignment.is_responsible.is_(True))
            .exists(),
        )
    )
    return {
        "levels": levels,
        "staff": staff,
        "never_logged_in": never,
        "vacant_grids": vacant,
        # 兑现: the floating pay still unpaid after the date the county promised.
        "overdue_payouts": review.overdue_payouts(session),
    }


def _my_grids(user: User) -> list[dict[str, Any]]:
    """Each grid the worker is responsible for, with what its notice board (公示板) shows."""
    session = db_session()
    grids = session.scalars(
        select(Node)
        .join(Assignment, Assignment.node_id == Node.id)
        .where(Assignment.user_id == user.id, Node.retired_at.is_(None))
        .order_by(Node.code)
    ).all()
    return [
        {
            "node": grid,
            "trail": hierarchy.ancestors(session, grid),
            "worker": accounts.responsible_worker(session, grid),
            "others": [u for u in accounts.staff_of(session, grid) if u.id != user.id],
        }
        for grid in grids
    ]
