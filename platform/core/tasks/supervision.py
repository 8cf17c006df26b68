"""Supervision (督办): a county or township level puts an open task under its eye, by hand or
by a standing rule of the county; the supervision list of a level."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.i18n import _
from gridgov.core.tasks.models import Supervision, Task
from gridgov.core.tasks.notifications import notify_level
from gridgov.core.tasks.reading import visible_filter

# Who supervises (督办): the county and the townships.
SUPERVISOR_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})


def may_supervise(user: User, task: Task) -> bool:
    """Whether ``user`` may put ``task`` under supervision: their role supervises and the task
    is still open (``supervise`` checks the level too)."""
    return user.role in SUPERVISOR_ROLES and task.is_open


def supervise(
    session: Session,
    actor: User,
    scope: Scope,
    task: Task,
    *,
    node: Node,
    note: str,
    due_at: dt.datetime,
    is_listed: bool = False,
) -> Supervision:
    """Put an open task under supervision (督办) of ``node``, a county or township level the
    actor works at; ``is_listed`` makes it 挂牌督办."""
    if actor.role not in SUPERVISOR_ROLES:
        raise Forbidden(_("只有县级和乡镇（街道）可以督办"))
    if not scope.contains(node):
        raise NotFound(_("没有这个节点"), field="node_id")
    if not task.is_open:
        raise Conflict(_("事件已办结，不能督办"), field="task")
    if not (task.filed_path.startswith(node.path)):
        raise DomainError(_("只能督办本辖区的事件"), field="node_id")
    return _supervise(
        session, actor, task, node=node, note=note, due_at=due_at, is_listed=is_listed
    )


def supervise_by_rule(
    session: Session, task: Task, *, node: Node, note: str, due_at: dt.datetime, is_listed: bool
) -> Supervision:
    """Put an open task under supervision of ``node`` because a standing rule of the county
    says so, with no one's name on the order: e.g. a department module lists (挂牌督办) a
    major hazard the moment it is filed, whoever filed it."""
    if not task.is_open:
        raise Conflict(_("事件已办结，不能督办"), field="task")
    if not task.filed_path.startswith(node.path):
        raise DomainError(_("只能督办本辖区的事件"), field="node_id")
    return _supervise(session, None, task, node=node, note=note, due_at=due_at, is_listed=is_listed)


def _supervise(
    session: Session,
    actor: User | None,
    task: Task,
    *,
    node: Node,
    note: str,
    due_at: dt.datetime,
    is_listed: bool,
) -> Supervision:
    note = (note or "").strip()
    if not note:
        raise DomainError(_("请填写督办意见"), field="note")
    if due_at <= utcnow():
        raise DomainError(_("督办期限须在将来"), field="due_at")
    supervision = Supervision(
        task_id=task.id,
        node_id=node.id,
        created_by_id=actor.id if actor is not None else None,
        note=note,
        due_at=due_at,
        is_listed=is_listed,
    )
    session.add(supervision)
    task.is_supervised = True
    session.flush()
    current = session.get(Node, task.current_node_id)
    assert current is not None
    notify_level(
        session,
        task,
        current,
        "supervised",
        _("事件 %(code)s 被督办：%(note)s", code=task.code, note=note),
    )
    audit.record(
        session,
        actor,
        "task.supervise",
        "task",
        task.id,
        after={
            "supervision_id": supervision.id,
            "note": note,
            "due_at": due_at.isoformat(),
            "is_listed": is_listed,
        },
    )
    return supervision


def supervision_list(
    session: Session, user: User, scope: Scope, node: Node, *, include_ended: bool = False
) -> Any:
    """A SELECT of the supervisions of ``node``'s level and the levels below it, of the tasks
    ``user`` reads, open ones first by due date."""
    query = (
        select(Supervision)
        .join(Node, Node.id == Supervision.node_id)
        .join(Task, Task.id == Supervision.task_id)
        .where(subtree(Node.path, node.path))
        .where(visible_filter(session, user, scope))
        .order_by(Supervision.ended_at.is_not(None), Supervision.due_at, Supervision.id)
    )
    if not include_ended:
        query = query.where(Supervision.ended_at.is_(None))
    return query


def end_supervision(session: Session, task: Task, now: dt.datetime) -> None:
    """End the supervisions of ``task``, which has just closed."""
    for supervision in session.scalars(
        select(Supervision).where(Supervision.task_id == task.id, Supervision.ended_at.is_(None))
    ):
        supervision.ended_at = now
    task.is_supervised = False
