"""Notifications (通知): who hears of a task at a level, the messages stored in the county's
language whatever the locale that caused them, and a user's list of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.db import utcnow
from gridgov.core.errors import NotFound
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.i18n import _, force_locale
from gridgov.core.tasks.models import Notification, Task

# Who hears of a task at a level: the staff working there (county administrators at the top).
NOTIFIED_STAFF = (Role.STATION_STAFF.value, Role.TOWNSHIP_STAFF.value, Role.GRID_WORKER.value)


def notifications(session: Session, user: User, *, unread_only: bool = False) -> Any:
    """A SELECT of the user's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.id.desc())


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (someone else's is NotFound)."""
    found = session.get(Notification, notification_id)
    if found is None or found.user_id != user.id:
        raise NotFound(_("没有这条通知"))
    found.read_at = found.read_at or utcnow()
    return found


def _staff_at(session: Session, node: Node, role: str | None = None) -> list[int]:
    query = (
        select(User.id)
        .join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.node_id == node.id, User.is_active.is_(True))
    )
    if role is not None:
        query = query.where(User.role == role)
    else:
        query = query.where(User.role.in_(NOTIFIED_STAFF))
    ids = list(session.scalars(query))
    if node.parent_id is None and role is None:
        ids += list(
            session.scalars(
                select(User.id).where(User.role == Role.COUNTY_ADMIN, User.is_active.is_(True))
            )
        )
    return ids


def _staff_above(session: Session, node: Node) -> list[int]:
    if node.parent_id is None:
        return []
    parent = session.get(Node, node.parent_id)
    assert parent is not None
    return _staff_at(session, parent)


def notify_level(
    session: Session, task: Task, node: Node, kind: str, message: Any, role: str | None = None
) -> None:
    """Tell the staff at ``node`` (with ``role``: only those of that role) of ``task``."""
    notify_users(session, task, kind, message, _staff_at(session, node, role))


def notify_level_above(session: Session, task: Task, node: Node, kind: str, message: Any) -> None:
    """Tell the staff of the level above ``node`` of ``task``."""
    notify_users(session, task, kind, message, _staff_above(session, node))


def notify_user(session: Session, user: User, task: Task, kind: str, message: Any) -> None:
    """Tell one user of ``task``."""
    notify_users(session, task, kind, message, [user.id])


def notify_users(
    session: Session, task: Task | None, kind: str, message: Any, user_ids: Sequence[int]
) -> None:
    """Tell each of ``user_ids`` once of ``task`` (None: of something that is not a task, such
    as an objection to an assessment sheet)."""
    text = stored_text(message)
    session.add_all(
        Notification(user_id=user_id, task_id=task.id if task else None, kind=kind, message=text)
        for user_id in dict.fromkeys(user_ids)
    )


def stored_text(message: Any) -> str:
    """A notification's text in Chinese, the county's language, whatever the locale of the
    request that caused it: it is read later, by someone else."""
    with force_locale("zh_CN"):
        return str(message)[:300]
