"""Notifications (站内通知): a module tells the staff of a level, or named users, that one of its
tasks needs them — or, with ``task=None``, of something that is not a task (a person whose
visit is overdue). Stored in Chinese, the county's language."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import notifications as _notifications
from gridgov.core.tasks.models import Task

__all__ = ["notify_level", "notify_users"]


def notify_users(
    session: Session, task: Task | None, kind: str, message: object, user_ids: Sequence[int]
) -> None:
    """Notify each of ``user_ids`` once about ``task`` (None: about something that is not a
    task; the message then says all); ``kind`` names the reason (``"<module>.<why>"``, at most
    32 characters), ``message`` is the text (a ``Localized`` is stored in Chinese)."""
    _notifications.notify_users(session, task, kind, message, user_ids)


def notify_level(
    session: Session,
    task: Task | None,
    node: Node,
    kind: str,
    message: object,
    role: str | None = None,
) -> None:
    """Notify the active staff attached to ``node`` (only those of ``role``, if given; for the
    county's top node also its administrators) about ``task`` (None: about something that is
    not a task)."""
    _notifications.notify_level(session, task, node, kind, message, role)
