"""Moving a task on: the steps a user may take now, taking one (or the same on several tasks at
once), the resident's rating, and where a level may dispatch. Who may do what is declared by
the task type (``workflow``) and checked here against the actor's role and scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from gridgov.core.accounts.models import ADMINISTRATOR_ROLES, Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tasks import counters
from gridgov.core.tasks.deadlines import start_stage
from gridgov.core.tasks.models import Rating, Source, Task
from gridgov.core.tasks.notifications import notify_level, notify_user, stored_text
from gridgov.core.tasks.reading import (
    hold_lock,
    holds_lock,
    may_read,
    officer_departments,
    registry,
    visible_task,
)
from gridgov.core.tasks.steps import announce, check_module_open, log_step, snapshot
from gridgov.core.tasks.supervision import end_supervision
from gridgov.core.tasks.workflow import Effect, Reach, TaskType, TransitionRule
from gridgov.core.tenancy.service import current_tenant
from gridgov.core.text import check_text


@dataclass(frozen=True)
class Move:
    """What a transition carries besides the action: a comment, files, a dispatch target, a
    rating."""

    comment: str = ""
    file_ids: Sequence[int] = ()
    target_node: Node | None = None
    target_role: str | None = None
    department_id: int | None = None
    rating: str | None = None
    escalate_to: Node | None = None  # the system's escalation by a county rule: this ancestor


def allowed_actions(session: Session, user: User, scope: Scope, task: Task) -> list[TransitionRule]:
    """The transitions ``user`` may take on ``task`` now (one rule per action)."""
    task_type = registry().get(task.task_type)
    if not _may_work_on(session, user, scope, task):
        return []
    found: dict[str, TransitionRule] = {}
    for rule in task_type.transitions:
        if rule.action not in found and _may_take(session, user, scope, task, rule):
            found[rule.action] = rule
    return list(found.values())


def transition(
    session: Session, actor: User, scope: Scope, task: Task, action: str, move: Move = Move()
) -> Task:
    """Take ``action`` on ``task`` as ``actor``: Forbidden when their role or place in the
    hierarchy does not allow it (a department officer: their departments do not read the
    task), a DomainError when the task's state does not."""
    task = lock_task(session, task)
    task_type = registry().get(task.task_type)
    rules = task_type.rules(action)
    if not rules:
        raise DomainError(_("未知的操作：%(a)s", a=action), field="action")
    usable = [rule for rule in rules if rule.applies_to(task)]
    if not usable:
        raise Conflict(
            _(
                "事件当前状态为“%(s)s”，不能%(a)s",
                s=task_type.state(task.state).label,
                a=rules[0].label,
            ),
            field="action",
        )
    readable = _may_work_on(session, actor, scope, task)
    rule = next((r for r in usable if readable and _may_take(session, actor, scope, task, r)), None)
    if rule is None:
        raise Forbidden(_("您的角色或所在层级不能对这个事件执行“%(a)s”", a=usable[0].label))
    _check_rating(rule, move)
    if not (rule.carries_rating and move.rating):
        task = _apply(session, actor, scope, task, task_type, rule, move)
        if rule.effect != Effect.RATE:
            return task
        return _reopen_if_unsatisfied(session, task, task_type)
    with session.begin_nested():  # the step and the rating it carries stand or fall together
        task = _apply(session, actor, scope, task, task_type, rule, move)
        rating = task_type.rating_rule(task)
        if rating is None or not _may_take(session, actor, scope, task, rating):
            raise Conflict(_("这个事件现在不能评价"), field="rating")
        # What the resident said is in the revisit's comment already: logged once.
        task = _apply(session, actor, scope, task, task_type, rating, Move(rating=move.rating))
    return _reopen_if_unsatisfied(session, task, task_type)


def _check_rating(rule: TransitionRule, move: Move) -> None:
    """A rating is refused on a step that would drop it, and must be one of the three."""
    if not move.rating:
        return
    if not rule.takes_rating:
        raise DomainError(
            _("“%(a)s”不记录评价：请去掉 rating，或在回访、评价时填写", a=rule.label),
            field="rating",
        )
    if move.rating not in {r.value for r in Rating}:
        raise DomainError(_("请选择满意、基本满意或不满意"), field="rating")


REOPEN_ON_UNSATISFIED_SETTING = "reopen_on_unsatisfied"


def _reopen_if_unsatisfied(session: Session, task: Task, task_type: TaskType) -> Task:
    """Where the county asked for it (``settings["reopen_on_unsatisfied"]``, off by default),
    a 不满意 rating sends the task back through its type's step marked
    ``taken_on_unsatisfied``, as the system: logged, counted, and the level it then waits on
    is told. Without the setting, or a type without that step, the task stays rated."""
    if task.rating != Rating.UNSATISFIED.value:
        return task
    if not current_tenant(session).settings.get(REOPEN_ON_UNSATISFIED_SETTING):
        return task
    rule = next(
        (r for r in task_type.transitions if r.taken_on_unsatisfied and r.applies_to(task)), None
    )
    if rule is None:
        return task
    task = take_as_system(
        session,
        task,
        task_type,
        rule,
        Move(comment=stored_text(_("居民评价不满意，系统自动重新办理"))),
    )
    waiting_at = session.get(Node, task.current_node_id)
    assert waiting_at is not None
    notify_level(
        session,
        task,
        waiting_at,
        "reopened",
        _("居民不满意，事件 %(code)s 已重新办理：%(title)s", code=task.code, title=task.title),
    )
    session.flush()
    return task


# Triage at a level: what may be done to several waiting tasks at once.
BULK_ACTIONS = ("accept", "dispatch")
MAX_BULK = 100


@dataclass(frozen=True)
class BulkResult:
    done: list[int]  # ids of the tasks moved on
    refused: dict[int, str]  # id → why that task was not (its state, the actor's level …)


def transition_many(
    session: Session,
    actor: User,
    scope: Scope,
    task_ids: Sequence[int],
    action: str,
    move: Move = Move(),
) -> BulkResult:
    """Take ``action`` (accept or dispatch) on each of ``task_ids`` as ``actor``, each in a
    savepoint of its own: a task refused (unknown, out of scope, in another state) is reported
    with the reason and does not stop the others."""
    if action not in BULK_ACTIONS:
        raise DomainError(_("批量办理只能受理或交办"), field="action")
    ids = list(dict.fromkeys(task_ids))
    if not 1 <= len(ids) <= MAX_BULK:
        raise DomainError(_("请选择 1 至 %(n)d 件事件", n=MAX_BULK), field="task_ids")
    done: list[int] = []
    refused: dict[int, str] = {}
    for task_id in ids:
        try:
            with session.begin_nested():
                task = visible_task(session, actor, scope, task_id, for_update=True)
                transition(session, actor, scope, task, action, move)
        except DomainError as error:
            refused[task_id] = str(error.message)
        else:
            done.append(task_id)
    return BulkResult(done=done, refused=refused)


def evaluate_as_resident(session: Session, task: Task, rating: str, comment: str) -> Task:
    """The resident's own rating, through the public page with the tracking code."""
    task = lock_task(session, task)
    task_type = registry().get(task.task_type)
    rule = task_type.rating_rule(task)
    if rule is None:
        raise Conflict(_("事件办结后才能评价，且只能评价一次"), field="rating")
    task = _apply(
        session, None, Scope(), task, task_type, rule, Move(comment=comment, rating=rating)
    )
    return _reopen_if_unsatisfied(session, task, task_type)


def take_as_system(
    session: Session, task: Task, task_type: TaskType, rule: TransitionRule, move: Move
) -> Task:
    """Take ``rule`` on ``task`` (locked, its rule chosen by the caller) as the system itself,
    by a standing rule of the county: logged as 系统, counted and notified like anyone's step."""
    return _apply(
        session,
        None,
        Scope(everything=True),
        task,
        task_type,
        rule,
        move,
        actor_name=str(_("系统")),
    )


def _apply(
    session: Session,
    actor: User | None,
    scope: Scope,
    task: Task,
    task_type: TaskType,
    rule: TransitionRule,
    move: Move,
    *,
    actor_name: str = "",
) -> Task:
    """Carry out ``rule`` on ``task`` (already checked); ``actor`` None is a resident or, with
    ``actor_name``, the system."""
    comment = check_text((move.comment or "").strip(), field="comment")
    if rule.needs_comment and not comment:
        raise DomainError(_("请填写办理意见"), field="comment")
    if rule.answers_resident and task.source == Source.RESIDENT.value and not comment:
        raise DomainError(_("请填写给居民的答复：居民凭查询码可以看到"), field="comment")
    if task_type.module is not None:  # the core's types are open everywhere: no node to read
        filed_at = session.get(Node, task.node_id)
        assert filed_at is not None
        check_module_open(session, task_type, filed_at)
    tenant = current_tenant(session)
    levels_before = _level(session, task.current_node_id)
    before = counters.share_of(task, levels_before, tenant.clock.zone)
    snapshot_before = snapshot(task)
    from_state = task.state
    department_before = task.department_id
    # Reads in the middle of the change (the stage's limit, the calendar, who to notify)
    # must not flush a half-made one: the task is then written in one UPDATE, not two.
    with session.no_autoflush:
        destination = _carry_out(session, actor, scope, task, rule, move)
        now = utcnow()
        task.state = rule.target
        task.is_open = task_type.state(rule.target).is_open
        task.current_node_id = destination.id
        task.current_path = destination.path
        # The node object too: the answer shows it (a relationship is not re-read when its key
        # changes), and holding it keeps it in the session for that answer.
        set_committed_value(task, "current_node", destination)
        task.updated_at = now
        if not task.is_open and task.closed_at is None:
            task.closed_at = now
            end_supervision(session, task, now)
        elif task.is_open:
            task.closed_at = None
        start_stage(session, tenant, task_type, task, destination, now)
        log_step(
            session,
            task,
            actor,
            rule.action,
            from_state,
            destination,
            comment=comment,
            file_ids=move.file_ids,
            now=now,
            actor_name=actor_name,
            # The department it goes to, or the one it leaves (handled, returned, sent up).
            department_id=task.department_id or department_before,
        )
        counters.apply(
            session, before, counters.share_of(task, destination.level, tenant.clock.zone)
        )
        audit.record(
            session,
            actor,
            f"task.{rule.action}",
            "task",
            task.id,
            before=snapshot_before,
            after=snapshot(task),
        )
    # The modules react to the step as stored.
    session.flush()
    announce(session, tenant, task, rule.action, from_state, actor, comment)
    session.flush()
    return task


def _carry_out(
    session: Session, actor: User | None, scope: Scope, task: Task, rule: TransitionRule, move: Move
) -> Node:
    """Do the rule's effect; returns the node the task waits on afterwards."""
    current = session.get(Node, task.current_node_id)
    assert current is not None
    if rule.effect == Effect.ESCALATE:
        if task.department_id is not None and task.dispatcher_node_id is not None:
            # 报上一级 from a department: to the level above the one that dispatched it.
            current = session.get(Node, task.dispatcher_node_id) or current
        if current.parent_id is None:
            raise Conflict(_("已是最高一级，不能再上报"), field="action")
        parent = move.escalate_to or session.get(Node, current.parent_id)
        assert parent is not None
        task.assignee_role = None
        task.department_id = None
        notify_level(
            session,
            task,
            parent,
            "escalated",
            _("事件 %(code)s 已报到本级：%(title)s", code=task.code, title=task.title),
        )
        return parent
    if rule.effect == Effect.TAKE_OVER and actor is not None:
        return _own_level(session, actor, scope, current)
    if rule.effect == Effect.DISPATCH:
        return _dispatch(session, actor, scope, task, current, move)
    if rule.effect == Effect.BACK_TO_DISPATCHER:
        back = session.get(Node, task.dispatcher_node_id) if task.dispatcher_node_id else current
        assert back is not None
        task.assignee_role = None
        task.department_id = None
        return back
    if rule.effect == Effect.RATE:
        if move.rating not in {r.value for r in Rating}:
            raise DomainError(_("请选择满意、基本满意或不满意"), field="rating")
        task.rating = move.rating
        task.rating_comment = (move.comment or "").strip()
    return current


def _own_level(session: Session, actor: User, scope: Scope, current: Node) -> Node:
    """The actor's own node at or above ``current`` (the county's top node for county-wide
    roles): where a task they take over waits."""
    if scope.everything:
        top_id = int(current.path.strip("/").split("/")[0])
        return session.get(Node, top_id) or current
    own = [path for path in scope.paths if current.path.startswith(path)]
    path = max(own, key=len)
    if path == current.path:
        return current
    # A path ends with its node's id: session.get finds it among the nodes already read.
    return session.get(Node, int(path.strip("/").split("/")[-1])) or current


def _dispatch(
    session: Session, actor: User | None, scope: Scope, task: Task, current: Node, move: Move
) -> Node:
    task.dispatcher_node_id = current.id
    if move.department_id is not None:
        from gridgov.core.departments import service as departments

        department = departments.get_department(session, move.department_id)
        if not department.is_active:
            raise DomainError(_("该部门已停用"), field="department_id")
        task.department_id = department.id
        task.assignee_role = Role.DEPARTMENT_OFFICER.value
        for officer in departments.officers(session, department):
            notify_user(
                session,
                officer,
                task,
                "dispatched",
                _("交办事件 %(code)s：%(title)s", code=task.code, title=task.title),
            )
        return session.get(Node, department.node_id) or current
    target = move.target_node
    if target is None:
        raise DomainError(_("请选择交办给哪个节点或部门"), field="target_node_id")
    if not scope.contains(target) or target.is_retired:
        raise NotFound(_("没有这个节点"), field="target_node_id")
    role = move.target_role or _default_role_at(session, target)
    if role not in {r.value for r in Role} or role in ADMINISTRATOR_ROLES:
        raise DomainError(_("不能交办给这个角色"), field="target_role")
    task.department_id = None
    task.assignee_role = role
    notify_level(
        session,
        task,
        target,
        "dispatched",
        _("交办事件 %(code)s：%(title)s", code=task.code, title=task.title),
        role=role,
    )
    return target


@dataclass(frozen=True)
class DispatchTargets:
    """Where a task may be dispatched from the level it waits on (the dispatch picker)."""

    nodes: list[Node]  # that level itself, then the active levels directly below it
    departments: list[Any]  # the active departments serving the task's grid
    roles: tuple[str, ...] = (
        Role.GRID_WORKER.value,
        Role.STATION_STAFF.value,
        Role.TOWNSHIP_STAFF.value,
    )


def dispatch_targets(
    session: Session, scope: Scope, node: Node, filed_path: str | None = None
) -> DispatchTargets:
    """Where the level ``node`` may dispatch: itself and its active children in ``scope``, and
    the active departments serving ``filed_path`` (a task's grid; default: all of ``node``)."""
    from gridgov.core.departments import service as departments

    children = session.scalars(
        select(Node).where(Node.parent_id == node.id, Node.retired_at.is_(None)).order_by(Node.code)
    )
    served = filed_path or node.path
    return DispatchTargets(
        nodes=[n for n in (node, *children) if scope.contains(n)],
        departments=[
            d for d in departments.list_departments(session) if served.startswith(d.node.path)
        ],
    )


def _default_role_at(session: Session, node: Node) -> str:
    """Who a task dispatched to ``node`` goes to when no role is named: the grid worker of a
    grid, the station of a community, the township's staff above that."""
    tenant = current_tenant(session)
    if node.level == tenant.grid_level:
        return Role.GRID_WORKER.value
    if node.level == tenant.grid_level - 1:
        return Role.STATION_STAFF.value
    return Role.TOWNSHIP_STAFF.value


def _may_work_on(session: Session, user: User, scope: Scope, task: Task) -> bool:
    """A department officer works only on what their departments read (``visible_filter``),
    not on whatever lies in the scope of the node they are assigned to; for staff the rules'
    roles and reach say it all."""
    return user.role != Role.DEPARTMENT_OFFICER or may_read(session, user, scope, task)


def _may_take(session: Session, user: User, scope: Scope, task: Task, rule: TransitionRule) -> bool:
    if not rule.applies_to(task) or user.role not in rule.roles or not user.is_active:
        return False
    if rule.reach == Reach.OWNER:
        return task.department_id is None and scope.contains_path(task.current_path)
    if rule.reach == Reach.FILER:
        return scope.contains_path(task.filed_path)
    if task.department_id is not None:
        return task.department_id in officer_departments(session, user)
    return user.role == task.assignee_role and scope.contains_path(task.current_path)


def lock_task(session: Session, task: Task) -> Task:
    """The task re-read under a row lock: two people acting at once are serialised. A task
    read under its lock in this transaction already (``visible_task(for_update=True)``) is
    not read again."""
    if holds_lock(session, task):
        return task
    locked = session.scalar(
        select(Task)
        .where(Task.id == task.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound(_("没有这个事件"))
    hold_lock(session, locked)
    return locked


def _level(session: Session, node_id: int) -> int:
    node = session.get(Node, node_id)
    assert node is not None
    return node.level
