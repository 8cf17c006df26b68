"""The module's layer on the county's electronic map (电子地图): the open fire hazards, coloured
by grade, where they were found — the position of the hazard's task, else of the resident's
report it came from, else of its site — and, per grid, the count of open hazards the map's
areas can be coloured by."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gridgov.core.plugins.hookspecs import MapKind, MapLayer
from gridgov.sdk.caller import Scope, User, path_filter
from gridgov.sdk.registry import Site
from gridgov.sdk.tasks import Task
from gridgov_plugins.fire_safety import hazards
from gridgov_plugins.fire_safety.models import Grade, Hazard
from gridgov_plugins.fire_safety.workflow import NAME


def open_hazards(session: Session, user: User, scope: Scope) -> Any:
    """SELECT of the open hazards found in ``scope`` (id, grid, position, title, grade), or
    None when ``user``'s role does not read the module's records."""
    if not hazards.may_read(session, user):
        return None
    report = aliased(Task)
    return (
        select(
            Hazard.id.label("id"),
            Hazard.node_id.label("node_id"),
            func.coalesce(Task.latitude, report.latitude, Site.latitude).label("latitude"),
            func.coalesce(Task.longitude, report.longitude, Site.longitude).label("longitude"),
            (Hazard.place + " · " + Task.code).label("title"),
            Hazard.grade.label("kind"),
        )
        .join(Task, Task.id == Hazard.task_id)
        .outerjoin(report, report.id == Hazard.report_task_id)
        .outerjoin(Site, Site.id == Hazard.site_id)
        .where(Task.is_open.is_(True), path_filter(Hazard.filed_path, scope))
    )


def open_hazards_per_grid(grid_filter: Any) -> Any:
    """SELECT of (grid id, open hazards) for the grids ``grid_filter`` keeps."""
    return (
        select(Hazard.node_id, func.count())
        .join(Task, Task.id == Hazard.task_id)
        .where(Task.is_open.is_(True), grid_filter(Hazard.node_id))
        .group_by(Hazard.node_id)
    )


HAZARDS = MapLayer(
    f"{NAME}.hazards",
    "未整改火灾隐患",
    "Open fire hazards",
    points=open_hazards,
    kinds=(
        MapKind(Grade.MAJOR.value, "重大隐患", "Major", "#c81e1e"),
        MapKind(Grade.GENERAL.value, "一般隐患", "General", "#e67e22"),
    ),
    endpoint="fire_safety_pages.hazard",
    id_argument="hazard_id",
    per_grid=open_hazards_per_grid,
)
