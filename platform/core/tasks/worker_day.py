"""The grid worker's day: patrols (一日双巡) and the daily log (网格员日志)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.db import utcnow
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.hierarchy.geo import check_coordinates
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tasks.models import Patrol, WorkerLog
from gridgov.core.tenancy.service import current_tenant


def check_in(
    session: Session,
    user: User,
    scope: Scope,
    node: Node,
    *,
    place: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    note: str = "",
) -> Patrol:
    """Record a patrol (一日双巡) of ``user`` in ``node`` now."""
    if not scope.contains(node):
        raise NotFound(_("没有这个节点"), field="node_id")
    check_coordinates(latitude, longitude)
    patrol = Patrol(
        user_id=user.id,
        node_id=node.id,
        at=utcnow(),
        place=place.strip()[:300],
        latitude=latitude,
        longitude=longitude,
        note=note.strip(),
    )
    session.add(patrol)
    session.flush()
    return patrol


def patrols_of(session: Session, user: User, day: dt.date) -> list[Patrol]:
    """The user's patrols of one county day (一日双巡 counts them), in order."""
    county_day = current_tenant(session).clock.day(day)
    return list(
        session.scalars(
            select(Patrol)
            .where(
                Patrol.user_id == user.id,
                Patrol.at >= county_day.starts_at,
                Patrol.at < county_day.ends_at,
            )
            .order_by(Patrol.at)
        )
    )


def write_log(session: Session, user: User, day: dt.date, text: str) -> WorkerLog:
    """Write (or rewrite) the user's daily log (网格员日志) of ``day``."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("日志不能为空"), field="text")
    if day > current_tenant(session).clock.today():
        raise DomainError(_("不能填写将来的日志"), field="day")
    entry = session.scalar(
        select(WorkerLog).where(WorkerLog.user_id == user.id, WorkerLog.day == day)
    )
    if entry is None:
        entry = WorkerLog(user_id=user.id, day=day, text=text)
        session.add(entry)
    entry.text = text
    entry.updated_at = utcnow()
    session.flush()
    return entry


def log_of(session: Session, user: User, day: dt.date) -> WorkerLog | None:
    """The user's daily log of ``day``, or None."""
    return session.scalar(
        select(WorkerLog).where(WorkerLog.user_id == user.id, WorkerLog.day == day)
    )
