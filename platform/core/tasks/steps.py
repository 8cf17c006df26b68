"""What every step on a task shares, its report included: the entry in the append-only
transition log, the audit snapshot, the county's modules told of it, and a module's task
moving only where the county admitted the module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.accounts.models import User
from gridgov.core.admission import service as admission
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tasks.models import Task, TaskTransition
from gridgov.core.tasks.workflow import TaskType
from gridgov.core.tenancy.models import Tenant


def check_module_open(session: Session, task_type: TaskType, node: Node) -> None:
    """A department module's task can be reported or moved on only where the county admitted
    the module; while it is suspended or withdrawn its tasks stay readable but do not move."""
    if task_type.module is not None:
        admission.check_open_for_work(session, task_type.module, node)


def announce(
    session: Session,
    tenant: Tenant,
    task: Task,
    action: str,
    from_state: str | None,
    actor: User | None,
    comment: str,
) -> None:
    """Let the county's admitted modules react to the step (``gridgov_task_transition``)."""
    host = runtime.current().plugins
    if not host.reacts_to_transitions():
        return
    host.for_tenant(admission.live_modules(session)).task_transition(
        session=session,
        tenant=tenant,
        task=task,
        action=action,
        from_state=from_state,
        actor=actor,
        comment=comment,
    )


def log_step(
    session: Session,
    task: Task,
    actor: User | None,
    action: str,
    from_state: str | None,
    node: Node,
    *,
    comment: str,
    file_ids: Sequence[int],
    now: dt.datetime,
    actor_name: str = "",
    department_id: int | None = None,
) -> TaskTransition:
    """Add the step to the task's log (``actor`` None: a resident, or ``actor_name``)."""
    entry = TaskTransition(
        task_id=task.id,
        department_id=department_id,
        action=action,
        from_state=from_state,
        to_state=task.state,
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else (actor_name or str(_("居民"))),
        node_id=node.id,
        comment=comment,
        file_ids=[str(file_id) for file_id in file_ids],
        at=now,
    )
    session.add(entry)
    return entry


def snapshot(task: Task) -> dict[str, Any]:
    """What the audit log keeps of a task before and after a step."""
    return {
        "code": task.code,
        "state": task.state,
        "category": task.category,
        "track": task.track,
        "current_node_id": task.current_node_id,
        "assignee_role": task.assignee_role,
        "department_id": task.department_id,
        "rating": task.rating,
    }
