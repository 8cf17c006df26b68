"""The task detail: one read model of a task with everything its page and its API answer show
beside it (where it lies, its log, links, cards, files, and what the reader may do now)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.files.models import StoredFile
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
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


def task_detail(session: Session, user: User, scope: Scope, task_id: int) -> TaskDetail:
    """The detail of the task ``user`` reads with this id; NotFound when they do not read it."""
    return detail_of(session, user, scope, reading.visible_task(session, user, scope, task_id))


def detail_of(session: Session, user: User, scope: Scope, task: Task) -> TaskDetail:
    """The detail of ``task`` as ``user`` sees it: for a task already read, or just reported or
    moved on by them."""
    task_type = reading.registry().get(task.task_type)
    return TaskDetail(
        task=task,
        task_type=task_type,
        state_label=task_type.state(task.state).label,
        node=hierarchy.get_node(session, task.node_id),
        current_node=hierarchy.get_node(session, task.current_node_id),
        links=reading.links(session, task),
        actions=allowed_actions(session, user, scope, task),
        history=reading.history(session, task),
        cards=[
            GivenCard(card, rules.card_points(session, card, task_type, task.category))
            for card in reading.cards(session, task)
        ],
        attachments=reading.attachments(session, task),
        may_supervise=may_supervise(user, task),
    )
