"""The task detail: one read model of a task with everything its page and its API answer show
beside it (where it lies, its log, links, cards, files, and what the reader may do now)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, joinedload

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.errors import NotFound
from gridgov.core.files.models import StoredFile
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tasks import reading, rules
from gridgov.core.tasks.models import Task, TaskCard, TaskLink, TaskTransition
from gridgov.core.tasks.supervision import may_supervise
from gridgov.core.tasks.transitions import allowed_actions
from gridgov.core.tasks.workflow import TaskType, TransitionRule


@dataclass(frozen=True)
class GivenCard:
    """A card the task got, with the assessment points it deducts by the rules in force when
    it was given."""

    card: TaskCard
    points: float


@dataclass(frozen=True)
class TaskDetail:
    """A task as one reader sees it on its page."""

    task: Task
    task_type: TaskType  # its workflow: the labels of its states and steps
    state_label: Any  # the label of the task's state in its type (a lazy string)
    node: Node  # the grid it was filed under
    current_node: Node  # the level it waits on
    links: list[TaskLink]
    actions: list[TransitionRule]  # the steps the reader may take now, one per action
    history: list[TaskTransition]  # the log, oldest first
    cards: list[GivenCard]  # oldest first
    attachments: list[StoredFile]  # oldest first
    may_supervise: bool  # the reader may put it under supervision (督办)


# The task with its grid, the level it waits on, its links and its cards: one statement (a
# task has a few links and a few cards, so the joined rows stay few); its log and its files are
# one more each.
_WITH_ITS_PAGE = (
    joinedload(Task.node),
    joinedload(Task.current_node),
    joinedload(Task.links),
    joinedload(Task.cards),
)


def task_detail(session: Session, user: User, scope: Scope, task_id: int) -> TaskDetail:
    """The detail of the task ``user`` reads with this id; NotFound when they do not read it."""
    task = (
        session.scalars(
            select(Task)
            .where(Task.id == task_id, reading.visible_filter(session, user, scope))
            .options(*_WITH_ITS_PAGE)
        )
        .unique()
        .one_or_none()
    )
    if task is None:
        raise NotFound(_("没有这个事件"))
    return detail_of(session, user, scope, task)


def detail_of(session: Session, user: User, scope: Scope, task: Task) -> TaskDetail:
    """The detail of ``task`` as ``user`` sees it: for a task already read, or just reported or
    moved on by them (then read again with its page in one statement, as it is now; a step
    sets the node it now waits on itself)."""
    if inspect(task).unloaded & {"state", "node", "current_node", "links", "cards"}:
        task = (
            session.scalars(
                select(Task)
                .where(Task.id == task.id)
                .options(*_WITH_ITS_PAGE)
                .execution_options(populate_existing=True)
            )
            .unique()
            .one()
        )
    task_type = reading.registry().get(task.task_type)
    return TaskDetail(
        task=task,
        task_type=task_type,
        state_label=task_type.state(task.state).label,
        node=task.node,
        current_node=task.current_node,
        links=list(task.links),
        actions=allowed_actions(session, user, scope, task),
        history=reading.history(session, task),
        cards=[
            GivenCard(card, rules.card_points(session, card, task_type, task.category))
            for card in task.cards
        ],
        attachments=(
            list(task.attachments)
            if "attachments" not in inspect(task).unloaded
            else reading.attachments(session, task)
        ),
        may_supervise=may_supervise(user, task),
    )
