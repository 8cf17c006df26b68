"""Dashboard counters: kept in the transaction of every task change, read by the dashboards.

A task counts once at its grid and once at every node above it (the path at report time), in
the row of its report month, category, track, state, waiting level and rating. A county's
dashboard then reads the few hundred rows of its top node, and a breakdown by township the rows
of the townships, never the tasks themselves. ``recount`` rebuilds the same figures from the
tasks: the property test compares both, and ``gridgov tasks recount`` repairs after a re-gridding
moved grids to other parents.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from gridgov.core.db import current_tenant_id
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks.models import Task, TaskCounter
from gridgov.core.tenancy.service import current_tenant

KEY_COLUMNS = ("node_id", "month", "category", "track", "state", "level", "rating")


@dataclass(frozen=True)
class Share:
    """What a task adds to the counters: one task (and its handling time once closed) under
    each of ``node_ids`` in the row of ``key``."""

    node_ids: tuple[int, ...]
    key: tuple[Any, ...]  # month, category, track, state, level, rating
    handling_seconds: int


def month_of(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The first day of the county month (in ``zone``) of ``moment``."""
    return moment.astimezone(zone).date().replace(day=1)


def share_of(task: Task, level: int, zone: ZoneInfo) -> Share:
    """The task's share as it stands; ``level`` is the level of the node it waits on, ``zone``
    the county's time zone (a task counts in the county month it was reported in)."""
    node_ids = tuple(int(part) for part in task.filed_path.strip("/").split("/") if part)
    handling = 0
    if task.closed_at is not None:
        handling = int((task.closed_at - task.reported_at).total_seconds())
    key = (
        month_of(task.reported_at, zone),
        task.category,
        task.track,
        task.state,
        level,
        task.rating or "",
    )
    return Share(node_ids, key, handling)


def apply(session: Session, before: Share | None, after: Share | None) -> None:
    """Move a task's share from ``before`` to ``after`` (None: it did not / does not count)."""
    deltas: Counter[tuple[Any, ...]] = Counter()
    seconds: Counter[tuple[Any, ...]] = Counter()
    for share, sign in ((before, -1), (after, 1)):
        if share is None:
            continue
        for node_id in share.node_ids:
            deltas[(node_id, *share.key)] += sign
            seconds[(node_id, *share.key)] += sign * share.handling_seconds
    rows = [
        {
            "tenant_id": current_tenant_id(session),
            **dict(zip(KEY_COLUMNS, key, strict=True)),
            "tasks": deltas[key],
            "handling_seconds": seconds[key],
        }
        for key in sorted(deltas.keys() | seconds.keys())
        if deltas[key] or seconds[key]
    ]
    if rows:
        _add(session, rows)


def _add(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add the rows' figures to the stored ones: one upsert with a parameter set per row, run
    on the session's connection. A statement with the rows as literal VALUES was compiled anew
    on every transition (a third of its time); this one is compiled once and cached, and
    SQLAlchemy's insertmanyvalues still sends it as one multi-row INSERT."""
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = TaskCounter.__table__
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", *KEY_COLUMNS],
        set_={
            "tasks": table.c.tasks + statement.excluded.tasks,
            "handling_seconds": table.c.handling_seconds + statement.excluded.handling_seconds,
        },
    )
    connection.execute(statement, rows)


def recount(session: Session) -> dict[tuple[Any, ...], tuple[int, int]]:
    """The counters as the tasks say they should be: {key: (tasks, handling seconds)}."""
    levels = {node_id: level for node_id, level in session.execute(select(Node.id, Node.level))}
    zone = current_tenant(session).clock.zone
    figures: dict[tuple[Any, ...], list[int]] = {}
    for task in session.scalars(select(Task)).yield_per(1000):
        share = share_of(task, levels[task.current_node_id], zone)
        for node_id in share.node_ids:
            row = figures.setdefault((node_id, *share.key), [0, 0])
            row[0] += 1
            row[1] += share.handling_seconds
    return {key: (n, s) for key, (n, s) in figures.items()}


def stored(session: Session) -> dict[tuple[Any, ...], tuple[int, int]]:
    """The counters as stored, rows at zero left out."""
    columns = [getattr(TaskCounter, name) for name in KEY_COLUMNS]
    rows = session.execute(
        select(*columns, TaskCounter.tasks, TaskCounter.handling_seconds).where(
            (TaskCounter.tasks != 0) | (TaskCounter.handling_seconds != 0)
        )
    )
    return {tuple(row[: len(columns)]): (row[-2], row[-1]) for row in rows}


def rebuild(session: Session) -> int:
    """Replace the current tenant's counters with a recount; returns the number of rows."""
    session.execute(delete(TaskCounter))
    figures = recount(session)
    session.add_all(
        TaskCounter(tasks=n, handling_seconds=s, **dict(zip(KEY_COLUMNS, key, strict=True)))
        for key, (n, s) in figures.items()
    )
    session.flush()
    return len(figures)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Months:
    """Report months from ``first`` to ``last`` inclusive (first days of months); None: open.

    The counters are kept per county month (``month_of``), so a dashboard's period is whole
    months; a period of days is counted from the tasks (``gridgov.core.tenancy.county_time``)."""

    first: dt.date | None = None
    last: dt.date | None = None

    def clause(self) -> list[Any]:
        clauses = []
        if self.first is not None:
            clauses.append(TaskCounter.month >= self.first.replace(day=1))
        if self.last is not None:
            clauses.append(TaskCounter.month <= self.last.replace(day=1))
        return clauses


ANY_TIME = Months()


DIMENSIONS = ("category", "track", "state", "level", "rating")


def breakdown(
    session: Session, node_id: int, period: Months = ANY_TIME
) -> dict[str, list[tuple[Any, int, int]]]:
    """For each dimension, (value, tasks, handling seconds) summed over the rows of
    ``node_id``: one query over the node's few hundred rows, split up here."""
    columns = [getattr(TaskCounter, name) for name in DIMENSIONS]
    rows = session.execute(
        select(*columns, func.sum(TaskCounter.tasks), func.sum(TaskCounter.handling_seconds))
        .where(TaskCounter.node_id == node_id, *period.clause())
        .group_by(*columns)
    ).all()
    figures: dict[str, dict[Any, list[int]]] = {name: {} for name in DIMENSIONS}
    for row in rows:
        tasks, seconds = int(row[-2] or 0), int(row[-1] or 0)
        for index, name in enumerate(DIMENSIONS):
            total = figures[name].setdefault(row[index], [0, 0])
            total[0] += tasks
            total[1] += seconds
    return {
        name: [(value, n, s) for value, (n, s) in sorted(values.items())]
        for name, values in figures.items()
    }


def totals_by_child(
    session: Session, node: Node, period: Months = ANY_TIME
) -> list[tuple[Node, int]]:
    """Each active child of ``node`` with its number of tasks (the breakdown by level/grid)."""
    child = aliased(Node)
    query = (
        select(child, func.coalesce(func.sum(TaskCounter.tasks), 0))
        .outerjoin(TaskCounter, and_(TaskCounter.node_id == child.id, true(), *period.clause()))
        .where(child.parent_id == node.id, child.retired_at.is_(None))
        .group_by(child.id)
        .order_by(child.code)
    )
    return [(row[0], int(row[1])) for row in session.execute(query)]
