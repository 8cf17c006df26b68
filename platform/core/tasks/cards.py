"""Red and yellow cards (红黄牌): the periodic sweep that gives them to overdue tasks, tells
whoever the task waits on and the level above, and sends red tasks up where the county's rules
say so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    cast,
    func,
    insert,
    literal,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased

from gridgov.core.accounts.models import Role, User
from gridgov.core.db import UTCDateTime, current_tenant_id, utcnow
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.i18n import _
from gridgov.core.tasks import rules
from gridgov.core.tasks.models import Card, Notification, Task, TaskCard
from gridgov.core.tasks.notifications import NOTIFIED_STAFF, stored_text
from gridgov.core.tasks.reading import registry
from gridgov.core.tasks.transitions import Move, lock_task, take_as_system
from gridgov.core.tasks.workflow import Effect

# A sweep that cards more of one person's tasks than this, in one colour, tells them once: how
# many, and the first reported (a first sweep, or one after the jobs stood still, can card a
# station's hundreds of tasks at once; hundreds of notifications bury the rest, and writing
# them was a third of a large sweep). Up to this many, each task is told on its own.
TOLD_ONE_BY_ONE = 3


@dataclass(frozen=True)
class SweepResult:
    """How many tasks a sweep carded yellow and red, and sent up."""

    yellow: int
    red: int
    escalated: int = 0  # red tasks sent up by the county's rules (``escalate``)


def sweep_cards(session: Session, now: dt.datetime | None = None) -> SweepResult:
    """Give yellow cards to open tasks past their yellow threshold and red cards to those past
    their red one (a task past its deadline is among them: the deadline caps both), keep each
    card with the rule version it was given under, notify whoever the task waits on and the
    level above, and send up the red ones whose rules say so.

    Two set-based UPDATEs (indexed on tenant, is_open, yellow_at): over a million tasks only
    the ones changing colour are touched."""
    now = now or utcnow()
    # Both colours read their candidates from the (tenant, is_open, yellow_at) index: a stage
    # is never red before it is yellow (deadlines.start_stage), so yellow_at <= now holds for
    # every red one too, and the yellow ones are not looked for among all the open tasks not
    # yet red.
    past_yellow = Task.yellow_at <= now
    red = _give_cards(
        session, Card.RED, and_(past_yellow, Task.red_at <= now), [Card.NONE, Card.YELLOW], now
    )
    yellow = _give_cards(
        session, Card.YELLOW, and_(past_yellow, Task.red_at > now), [Card.NONE], now
    )
    escalated = _escalate_red(session, now) if red else 0
    return SweepResult(yellow=yellow, red=red, escalated=escalated)


def _escalate_red(session: Session, now: dt.datetime) -> int:
    """Send each task that got its red card in this sweep up, where the county's rules in force
    for its stage say so (``escalate``: to the level above, or to ``escalate_to_level``), as
    the system, through its type's escalation rule: logged, counted and notified like any
    escalation, and the new level's clock starts. A task its rule cannot move (a stage without
    escalation, the top level, a department's, a suspended module's) keeps its red card where
    it is."""
    red_now = and_(Task.card == Card.RED.value, Task.card_at == now, Task.department_id.is_(None))
    # Only tasks under a rule version that sends anything up can move: the others (the engine's
    # default, a table without escalation: most counties) are not read one by one at all.
    versions = session.scalars(
        select(Task.rule_version_id).where(red_now, Task.rule_version_id.is_not(None)).distinct()
    ).all()
    tables = {v: rules.rule_table(session, v) for v in versions}
    moving = [v for v, table in tables.items() if table.may_escalate]
    if not moving:
        return 0
    carded = session.scalars(
        select(Task).where(red_now, Task.rule_version_id.in_(moving)).order_by(Task.id)
    ).all()
    escalated = 0
    for found in carded:
        version_id = found.rule_version_id
        task = lock_task(session, found)  # someone may be moving it on right now
        task_type = registry().get(task.task_type)
        current = session.get(Node, task.current_node_id)
        assert current is not None
        rule_now = tables[version_id].resolve(task_type, task.category, current.level, task.state)
        if not rule_now.escalate or task.card != Card.RED.value:
            continue
        rule = next(
            (
                r
                for r in task_type.transitions
                if r.effect == Effect.ESCALATE and r.applies_to(task)
            ),
            None,
        )
        target = _escalation_target(session, current, rule_now.escalate_to_level)
        if rule is None or target is None:
            continue
        comment = stored_text(_("超过办理时限（红牌），系统自动报至%(name)s", name=target.name))
        try:
            with session.begin_nested():
                take_as_system(
                    session, task, task_type, rule, Move(comment=comment, escalate_to=target)
                )
        except DomainError:
            continue
        escalated += 1
    return escalated


def _escalation_target(session: Session, current: Node, level: int | None) -> Node | None:
    """The node a red task at ``current`` goes up to: the one above, or its ancestor at
    ``level`` (None when it already waits there or higher, or at the top)."""
    if current.parent_id is None:
        return None
    if level is None:
        return session.get(Node, current.parent_id)
    if level >= current.level:
        return None
    ancestor_id = int(current.path.strip("/").split("/")[level])
    return session.get(Node, ancestor_id)


def _give_cards(
    session: Session, color: Card, due: Any, from_cards: list[Card], now: dt.datetime
) -> int:
    # Set-based from start to end: one UPDATE, then the card history and the notifications
    # as INSERT … SELECT over the rows carded at ``now``; a sweep may card tens of thousands of
    # tasks at once, and row-by-row inserts from Python took seconds per ten thousand.
    # The database fills the tasks' codes and counts into messages translated once.
    tenant_id = current_tenant_id(session)
    changed = session.execute(
        update(Task)
        .where(
            Task.tenant_id == tenant_id,
            Task.is_open.is_(True),
            due,
            Task.card.in_([c.value for c in from_cards]),
        )
        .values(card=color.value, card_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return 0
    carded = and_(Task.tenant_id == tenant_id, Task.card == color.value, Task.card_at == now)
    session.execute(
        insert(TaskCard).from_select(
            [
                "tenant_id",
                "task_id",
                "color",
                "state",
                "node_id",
                "due_at",
                "rule_version_id",
                "at",
            ],
            select(
                Task.tenant_id,
                Task.id,
                literal(color.value),
                Task.state,
                Task.current_node_id,
                Task.due_at,
                Task.rule_version_id,
                literal(now, UTCDateTime()),
            ).where(carded),
        )
    )
    # Who hears of which task, and how many of their tasks this colour reached: up to
    # TOLD_ONE_BY_ONE each task is told on its own, beyond that once for them all.
    told = _told_of_cards(tenant_id, carded).subquery("told")
    counted = select(
        told,
        func.count().over(partition_by=told.c.user_id).label("carded"),
        func.row_number().over(partition_by=told.c.user_id, order_by=told.c.task_id).label("k"),
    ).cte("counted")
    kind, at = literal(f"card.{color.value}"), literal(now, UTCDateTime())
    one_by_one = select(
        counted.c.tenant_id,
        counted.c.user_id,
        counted.c.task_id,
        kind,
        _filled(_card_message(color), code=counted.c.code),
        at,
    ).where(counted.c.carded <= TOLD_ONE_BY_ONE)
    at_once = select(
        counted.c.tenant_id,
        counted.c.user_id,
        literal(None, Integer),
        kind,
        _filled(_cards_message(color), code=counted.c.code, count=counted.c.carded),
        at,
    ).where(counted.c.carded > TOLD_ONE_BY_ONE, counted.c.k == 1)
    session.execute(
        insert(Notification).from_select(
            ["tenant_id", "user_id", "task_id", "kind", "message", "created_at"],
            union_all(one_by_one, at_once),
        )
    )
    return changed


def _told_of_cards(tenant_id: int | None, carded: Any) -> Any:
    """Who hears of each task ``carded`` just got: (tenant_id, user_id, task_id, code), once
    per person and task."""
    columns = (Task.tenant_id, User.id.label("user_id"), Task.id.label("task_id"), Task.code)
    waiting_on = aliased(Node)
    above = aliased(Node)
    # Staff at the level the task waits on and at the level above it …
    staff = (
        select(*columns)
        .join(waiting_on, waiting_on.id == Task.current_node_id)
        .join(
            Assignment,
            (Assignment.node_id == Task.current_node_id)
            | (Assignment.node_id == waiting_on.parent_id),
        )
        .join(User, User.id == Assignment.user_id)
        .where(carded, User.is_active.is_(True), User.role.in_(NOTIFIED_STAFF))
    )
    # … and the county's administrators when either of those is the county itself.
    county = (
        select(*columns)
        .join(waiting_on, waiting_on.id == Task.current_node_id)
        .outerjoin(above, above.id == waiting_on.parent_id)
        .join(User, User.role == Role.COUNTY_ADMIN.value)
        .where(
            carded,
            User.is_active.is_(True),
            User.tenant_id == tenant_id,
            waiting_on.parent_id.is_(None) | above.parent_id.is_(None),
        )
    )
    return union(staff, county)


def _filled(message: Any, **slots: Any) -> Any:
    """``message`` in the county's language with each ``%(slot)s`` filled in by the database
    from a column, cut to a notification's length."""
    text: Any = literal(stored_text(message))
    for slot, column in slots.items():
        text = func.replace(text, f"%({slot})s", cast(column, String))
    return func.substr(text, 1, 300)


def _cards_message(color: Card) -> Any:
    """What someone hears once when a sweep cards more than TOLD_ONE_BY_ONE of their tasks."""
    if color == Card.RED:
        return _("红牌：%(count)s 件事件已超过办理时限，最早上报的是 %(code)s")
    return _("黄牌：%(count)s 件事件即将超过办理时限，最早上报的是 %(code)s")


def _card_message(color: Card) -> Any:
    """The card's message with a ``%(code)s`` slot: translated once per sweep, then filled in
    per task (translating per task costs more than the rest of a large sweep)."""
    if color == Card.RED:
        return _("红牌：事件 %(code)s 已超过办理时限")
    return _("黄牌：事件 %(code)s 即将超过办理时限")
