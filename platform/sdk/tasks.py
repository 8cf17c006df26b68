"""Tasks on the core's engine: declaring a module's task types (workflow as data), reporting
and moving tasks with the reporter's and actor's rights checked, reading them, their history,
files and supervision (督办).

``Task`` is the row every task hook receives (``gridgov_task_transition(task=...)``). A module
reads its attributes, and its own SQL may join its tables to ``Task`` by ``Task.id`` and filter
on its columns; it moves a task only through ``report``, ``transition`` and ``supervise`` (it
may set ``task.priority``, how urgent the module judges the task).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import public as _public
from gridgov.core.tasks import reading as _reading
from gridgov.core.tasks import reporting as _reporting
from gridgov.core.tasks.models import Source, Supervision, Task, TaskTransition, Track
from gridgov.core.tasks.reading import (
    TaskFilter,
    attachments,
    get_task,
    get_task_by_code,
    history,
    may_read_type,
    visible_filter,
    visible_task,
    visible_tasks,
)
from gridgov.core.tasks.reporting import REPORTER_ROLES, Report, attach_file
from gridgov.core.tasks.supervision import supervise, supervise_by_rule
from gridgov.core.tasks.transitions import Move, allowed_actions, transition
from gridgov.core.tasks.workflow import Effect, Reach, State, TaskType, TransitionRule

__all__ = [
    "REPORTER_ROLES",
    "Effect",
    "Move",
    "Reach",
    "Report",
    "Source",
    "State",
    "Task",
    "TaskFilter",
    "TaskType",
    "Track",
    "TransitionRule",
    "allowed_actions",
    "attach_file",
    "attachments",
    "count_steps",
    "get_task",
    "get_task_by_code",
    "history",
    "is_listed",
    "may_read_type",
    "report",
    "report_as_resident",
    "state_label",
    "supervise",
    "supervise_by_rule",
    "task_type",
    "transition",
    "visible_filter",
    "visible_task",
    "visible_tasks",
]


def report(
    session: Session, actor: User | None, scope: Scope | None, node: Node, report: Report
) -> tuple[Task, bool]:
    """File a task under ``node``; returns it and whether it is new (a resend with the same
    ``idempotency_key`` answers the first). A user files only where they may report: staff
    (not the audit role) under a node of their ``scope`` (None: the user's own), else
    Forbidden or NotFound. ``actor=None`` is the system filing for someone no longer there."""
    if actor is None:
        return _reporting.file_task(session, None, node, report)
    return _reporting.report_task(session, actor, scope or scope_of(session, actor), node, report)


def report_as_resident(session: Session, grid: Node, report: Report) -> Task:
    """A resident's report of a problem in ``grid`` (the public page's way in, for a type
    declared ``public=True``); the task's code is the resident's tracking code."""
    return _public.report_as_resident(session, grid, report)


def task_type(name: str) -> TaskType:
    """The declared task type called ``name`` (the core's or a module's), or NotFound."""
    return _reading.registry().get(name)


def state_label(task: Task) -> str:
    """The label of the state ``task`` is in, in the user's language."""
    return str(task_type(task.task_type).state(task.state).label)


def is_listed(session: Session, task: Task) -> bool:
    """Whether ``task`` was ever put under listed supervision (挂牌督办)."""
    found = session.scalar(
        select(Supervision.id)
        .where(Supervision.task_id == task.id, Supervision.is_listed.is_(True))
        .limit(1)
    )
    return found is not None


def count_steps(session: Session, where: Any, actions: Collection[str]) -> dict[str, int]:
    """How many times each of ``actions`` was taken on the tasks matching ``where`` (a WHERE
    clause on ``Task``), by action; actions never taken are absent."""
    rows = session.execute(
        select(TaskTransition.action, func.count(TaskTransition.id))
        .join(Task, Task.id == TaskTransition.task_id)
        .where(where, TaskTransition.action.in_(tuple(actions)))
        .group_by(TaskTransition.action)
    ).all()
    return {action: count for action, count in rows}
