"""Reading the task engine: the task types a county uses, which tasks a user reads (the rule
the modules apply to their own records too), what waits on a user, and a task's log, links,
cards and files."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, event, false, or_, select, true
from sqlalchemy.orm import Session, SessionTransaction, joinedload

from gridgov.core import runtime
from gridgov.core.accounts.models import ADMINISTRATOR_ROLES, NON_WORKING_ROLES, Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.admission import service as admission
from gridgov.core.errors import NotFound
from gridgov.core.files.models import StoredFile
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.i18n import _
from gridgov.core.tasks.models import Task, TaskAttachment, TaskCard, TaskLink, TaskTransition
from gridgov.core.tasks.workflow import (
    Reach,
    TaskType,
    TaskTypeRegistry,
    TransitionRule,
)
from gridgov.core.tenancy import county_cache
from gridgov.core.tenancy.models import Tenant
from gridgov.core.tenancy.service import current_tenant


def registry() -> TaskTypeRegistry:
    """The task types of this deployment: the core's and those of the installed department
    modules (whether a county may use a module's type is checked when it is used), the same
    in a request, a job and a command."""
    return runtime.current().plugins.task_types()


def usable_types(
    session: Session, scope: Scope | None = None, *, public: bool = False
) -> list[TaskType]:
    """The task types the current county can report now: the core's, and those of the modules
    it admitted (with ``scope``: live somewhere the scope reaches); with ``public``, only the
    ones residents may report."""
    live = admission.live_modules(session, scope)
    return [
        task_type
        for task_type in registry()
        if (task_type.module is None or task_type.module in live)
        and (task_type.public or not public)
    ]


def categories(tenant: Tenant, task_type: TaskType) -> list[str]:
    """The categories a task of ``task_type`` may have in ``tenant``: the type's own, then the
    county's additions (``settings["task_categories"]``)."""
    extra = tenant.settings.get("task_categories") or []
    return list(dict.fromkeys([*task_type.categories, *extra]))


def get_task(session: Session, task_id: int) -> Task:
    """The current tenant's task with this id, or NotFound."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(_("没有这个事件"))
    return task


def get_task_by_code(session: Session, code: str) -> Task:
    """The current tenant's task with this tracking code, or NotFound."""
    task = session.scalar(select(Task).where(Task.code == (code or "").strip().upper()))
    if task is None:
        raise NotFound(_("没有这个查询码对应的事件"), field="code")
    return task


def officer_departments(session: Session, user: User) -> list[int]:
    """The ids of a department officer's departments (none for anyone else)."""
    if user.role != Role.DEPARTMENT_OFFICER:
        return []
    from gridgov.core.departments import service as departments

    return [department.id for department in departments.departments_of(session, user)]


def _departments_modules(session: Session, user: User) -> frozenset[str]:
    """The modules the county admitted for the officer's departments (they read their tasks)."""
    from gridgov.core.forms.access import departments_modules

    return departments_modules(session, user) or frozenset()


def _on_path(session: Session, scope: Scope) -> Any:
    """Filed or waiting in ``scope``."""
    if scope.everything:
        return true()
    clauses: list[Any] = []
    for path in scope.paths:
        clauses.append(subtree(Task.filed_path, path))
        clauses.append(subtree(Task.current_path, path))
    return or_(*clauses) if clauses else false()


def _reads_type(user: User, task_type: TaskType, modules: frozenset[str]) -> bool:
    """Whether ``user`` reads the tasks of ``task_type`` on their path: by the roles the type
    grants (``TaskType.readers``), for a department officer by the modules the county admitted
    for their departments; never for the security and audit administrators (三员分立)."""
    if user.role in NON_WORKING_ROLES:
        return False
    if user.role == Role.DEPARTMENT_OFFICER:
        return task_type.module is not None and task_type.module in modules
    return task_type.readers is None or user.role in task_type.readers


def may_read_type(session: Session, user: User, task_type: TaskType) -> bool:
    """Whether ``user`` reads the tasks of ``task_type`` on their path — and so the records a
    module keeps about them (its ledgers, patrols, cases): the one rule modules apply."""
    modules = _departments_modules(session, user) if user.role == Role.DEPARTMENT_OFFICER else None
    return _reads_type(user, task_type, modules or frozenset())


def visible_filter(session: Session, user: User, scope: Scope) -> Any:
    """A WHERE clause on ``Task``: the tasks ``user`` reads. Staff read the tasks on their
    path (filed or waiting in their scope) of the types their role reads; a department
    officer reads the tasks dispatched to their departments, now or before (what they
    handled stays readable), and, in their scope, those of the modules the county admitted
    for their departments — not whatever else is filed under their node."""
    if user.role != Role.DEPARTMENT_OFFICER:
        kinds = list(registry())
        readable = [t.name for t in kinds if _reads_type(user, t, frozenset())]
        if len(readable) == len(kinds):
            return _on_path(session, scope)
        return and_(Task.task_type.in_(readable), _on_path(session, scope)) if readable else false()
    department_ids = officer_departments(session, user)
    if not department_ids:
        return false()
    clauses: list[Any] = [
        Task.department_id.in_(department_ids),
        Task.id.in_(
            select(TaskTransition.task_id).where(TaskTransition.department_id.in_(department_ids))
        ),
    ]
    modules = _departments_modules(session, user)
    kinds = [t.name for t in registry() if _reads_type(user, t, modules)]
    if kinds:
        clauses.append(and_(Task.task_type.in_(kinds), _on_path(session, scope)))
    return or_(*clauses)


def may_read(session: Session, user: User, scope: Scope, task: Task) -> bool:
    """Whether ``user`` reads ``task`` (``visible_filter``'s rule, for one task)."""
    found = session.scalar(
        select(Task.id).where(Task.id == task.id, visible_filter(session, user, scope))
    )
    return found is not None


def visible_task(
    session: Session, user: User, scope: Scope, task_id: int, *, for_update: bool = False
) -> Task:
    """The task if ``user`` may see it, else NotFound (never Forbidden).

    One statement: the task and the reader's visibility in the same WHERE (reading the task
    and then checking it with ``may_read`` cost every task request a second query).
    ``for_update``: about to be moved on — read under its row lock with its grid, its links,
    cards and files (what its page shows beside it, which a step does not change but for the
    files it attaches), so that the step neither reads it again to lock it nor fetches those,
    and its answer (``detail_of``) reads only the log.

    Not the node it waits on: a step moves it (an accept, from the grid to the community), and
    a read waiting for the lock of a step in progress is re-checked by PostgreSQL on the task's
    new row joined to the node row it had read before — no match, and the second of two
    accepts at once answered "no such task" instead of "already accepted"
    (tests/core/tasks/test_step_race.py). The step finds it in the session (for a new report
    it is the grid, read here as the task's own) and sets the one it moves the task to."""
    query = select(Task).where(Task.id == task_id, visible_filter(session, user, scope))
    if for_update:
        query = (
            query.options(
                joinedload(Task.node, innerjoin=True),
                joinedload(Task.links),
                joinedload(Task.cards),
                joinedload(Task.attachments),
            )
            .with_for_update(of=Task)
            .execution_options(populate_existing=True)
        )
    task = session.scalars(query).unique().one_or_none()
    if task is None:
        raise NotFound(_("没有这个事件"))
    if for_update:
        hold_lock(session, task)
    return task


# session.info: task id → the (sub)transaction whose row lock on it is held. A lock taken in a
# savepoint is let go when the savepoint is rolled back, and every lock at the end of the
# transaction: the lock counts only while that transaction is still on the session's stack.
_LOCKS = "gridgov.task_locks"


def hold_lock(session: Session, task: Task) -> None:
    """Note that this transaction holds ``task``'s row lock (it was read FOR UPDATE)."""
    locked_in = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_LOCKS, {})[task.id] = locked_in


@event.listens_for(Session, "after_transaction_end")
def _locks_end_with_the_transaction(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_LOCKS, None)


def holds_lock(session: Session, task: Task) -> bool:
    """Whether ``task``'s row lock was taken in the transaction now under way."""
    locked_in = session.info.get(_LOCKS, {}).get(task.id)
    current = session.get_nested_transaction() or session.get_transaction()
    while current is not None:
        if current is locked_in:
            return current.is_active
        current = current.parent
    return False


@dataclass(frozen=True)
class TaskFilter:
    state: str | None = None
    category: str | None = None
    track: str | None = None
    card: str | None = None
    is_open: bool | None = None
    is_supervised: bool | None = None
    node: Node | None = None  # filed at or below this node


def visible_tasks(session: Session, user: User, scope: Scope, filters: TaskFilter) -> Any:
    """A SELECT of the tasks ``user`` sees, most urgent first."""
    query = select(Task).where(visible_filter(session, user, scope))
    for name in ("state", "category", "track", "card", "is_open", "is_supervised"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(Task, name) == value)
    if filters.node is not None:
        query = query.where(subtree(Task.filed_path, filters.node.path))
    return query.order_by(Task.due_at.is_(None), Task.due_at, Task.id)


def my_tasks(session: Session, user: User, scope: Scope) -> Any:
    """A grid worker's open tasks: filed in their grids or waiting on them, by deadline (of
    those ``user`` reads: a department officer's node holds other departments' tasks too)."""
    # The ids first (a worker has one grid or a few): with literal ids PostgreSQL combines the
    # two indexes; with a subquery it scanned every open task of the county. Kept between
    # requests while the county's postings stay as they are.
    grid_ids = county_cache.cached(
        session,
        "posted nodes",
        lambda: tuple(
            session.scalars(
                select(Assignment.node_id)
                .where(Assignment.user_id == user.id)
                .order_by(Assignment.node_id)
            )
        ),
        user.id,
    )
    return (
        select(Task)
        .where(
            Task.is_open.is_(True),
            or_(Task.node_id.in_(grid_ids), Task.current_node_id.in_(grid_ids)),
            visible_filter(session, user, scope),
        )
        .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
    )


def waiting_on(session: Session, user: User, scope: Scope) -> Any:
    """A SELECT of the tasks waiting on ``user``: those they can move on now (the workflow's
    rules for their role and reach, as ``allowed_actions``), at their own level, by deadline.

    A step waits on the lowest level that can take it: a rule looking at node N (the level the
    task waits on for ``owner``, its grid for ``filer``) waits on the rule's roles at N, or
    above N when none of them works at N's level — a grid's new report waits on the grid
    worker (报上一级) and on the community station (受理), not on the township. A task
    dispatched waits on its assignee.

    One WHERE clause over the task table, an OR of one arm per reach: the tenant, the states
    and the nodes (as literal ids where it can) once, then the task types and states of every
    rule that reaches there — so that PostgreSQL reads each arm from an index (tenant + waiting
    node + state, or tenant + type + state) and the statement names each list of nodes once, not
    once per rule (one arm per rule made a station's list 28 arms and 213 parameters)."""
    if not user.is_active:
        return select(Task).where(false())
    tenant = current_tenant(session)
    own = _own_nodes(session, user, scope)
    department_ids = officer_departments(session, user)
    modules = _departments_modules(session, user) if department_ids else frozenset()

    def below(node: Seat, level: int | None) -> tuple[int, ...] | None:
        """The ids of ``node`` and the nodes under it above ``level``; None if too many (kept
        between requests while the county's tree stays as it is)."""

        def load() -> tuple[int, ...] | None:
            query = select(Node.id).where(subtree(Node.path, node.path))
            if level is not None:
                query = query.where(Node.level < level)
            ids = tuple(session.scalars(query.limit(MAX_LITERAL_NODES + 1)))
            return ids if len(ids) <= MAX_LITERAL_NODES else None

        return county_cache.cached(session, "nodes below", load, (node.id, level))

    # reach -> its condition, and the states each (type, tracks, waits_when) waits in there
    reaches: dict[Hashable, Any] = {}
    waiting: dict[Hashable, dict[tuple[str, Any, Any], set[str]]] = {}
    for task_type in usable_types(session, scope):
        for rule in task_type.transitions:
            if not rule.waits or user.role not in rule.roles:
                continue
            if rule.guard is not None and rule.waits_when is None:
                continue
            if rule.reach == Reach.ASSIGNEE:
                key: Hashable = Reach.ASSIGNEE
                if key not in reaches:
                    reaches[key] = _assigned_to(user, own, department_ids, below)
            elif not _reads_type(user, task_type, modules):
                continue
            else:
                key = _wait_levels(tenant, rule, own)
                if key not in reaches:
                    reaches[key] = _waits_at_level(key, below)
            if reaches[key] is None:
                continue
            kind = (task_type.name, rule.tracks, rule.waits_when)
            waiting.setdefault(key, {}).setdefault(kind, set()).update(rule.sources)
    arms = [_arm(tenant, reaches[key], kinds) for key, kinds in waiting.items()]
    return (
        select(Task)
        .where(or_(*arms) if arms else false())
        .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
    )


def _arm(tenant: Tenant, reach: Any, kinds: dict[tuple[str, Any, Any], set[str]]) -> Any:
    """Tasks at ``reach`` in one of ``kinds``' states: (task type, tracks, waits_when) → the
    states. Every state of the arm is named beside the reach too, for the index."""

    def kind_of(task_type: str, tracks: Any, waits_when: Any, states: set[str]) -> list[Any]:
        parts = [Task.task_type == task_type, Task.state.in_(sorted(states))]
        if tracks is not None:
            parts.append(Task.track.in_(sorted(tracks)))
        if waits_when is not None:
            parts.append(waits_when(Task))
        return parts

    if len(kinds) == 1:
        ((task_type, tracks, waits_when), states), *_ = kinds.items()
        return and_(
            Task.tenant_id == tenant.id, reach, *kind_of(task_type, tracks, waits_when, states)
        )
    every_state = sorted(set().union(*kinds.values()))
    return and_(
        Task.tenant_id == tenant.id,
        Task.state.in_(every_state),
        reach,
        or_(*(and_(*kind_of(*kind, states)) for kind, states in kinds.items())),
    )


# Up to this many nodes a waiting list names them by id (a station's community and its grids);
# beyond, by path.
MAX_LITERAL_NODES = 500


@dataclass(frozen=True)
class Seat:
    """A node a user works at, as their waiting list needs it: plain values, kept between
    requests."""

    id: int
    path: str
    level: int
    is_top: bool


def _own_nodes(session: Session, user: User, scope: Scope) -> tuple[Seat, ...]:
    """The nodes the user works at: their assignments (the county's top nodes for county-wide
    roles), kept between requests while the county's tree and postings stay as they are."""

    def load() -> tuple[Seat, ...]:
        if scope.everything:
            query = select(Node).where(Node.parent_id.is_(None))
        else:
            query = (
                select(Node)
                .join(Assignment, Assignment.node_id == Node.id)
                .where(Assignment.user_id == user.id, Node.retired_at.is_(None))
            )
        return tuple(
            Seat(node.id, node.path, node.level, node.parent_id is None)
            for node in session.scalars(query.order_by(Node.id))
        )

    return county_cache.cached(session, "seats", load, (user.id, scope.everything))


def _role_levels(tenant: Tenant, role: str) -> set[int]:
    """The levels a role works at: grid roles at the grids, the station one level up, the
    county at the top, the township staff between; departments stand beside the levels."""
    grid = tenant.grid_level
    if role in (Role.GRID_WORKER, Role.SUPERVISOR, Role.VOLUNTEER):
        return {grid}
    if role == Role.STATION_STAFF:
        return {grid - 1}
    if role == Role.TOWNSHIP_STAFF:
        return set(range(1, max(grid - 1, 2)))
    if role in ADMINISTRATOR_ROLES:
        return {0}
    return set()


def _under(
    node: Seat, level: int | None, node_id: Any, path: Any, below: Callable[..., Any]
) -> Any:
    """Tasks whose ``node_id`` is ``node`` or below it, above ``level`` (None: any depth)."""
    ids = below(node, level)
    if ids is not None:
        return node_id.in_(ids)
    if node.is_top and level is None:
        return true()  # the whole county: the tenant's own condition says it all
    return subtree(path, node.path)


def _wait_levels(tenant: Tenant, rule: TransitionRule, own: tuple[Seat, ...]) -> Hashable:
    """Where ``rule`` waits: its reach and, for each of ``own``, the level below which another
    of its roles takes over (None: none does). Rules with the same answer wait at the same
    nodes (``_waits_at_level``)."""
    levels = set().union(*(_role_levels(tenant, role) for role in rule.roles))
    return (
        rule.reach,
        tuple((node, min((lv for lv in levels if lv > node.level), default=None)) for node in own),
    )


def _waits_at_level(where: Any, below: Callable[..., Any]) -> Any:
    """Tasks whose node for the rule (where it waits, or its grid) is one of its nodes or below
    it, down to the next level where another of the rule's roles works (``_wait_levels``)."""
    reach, levels = where
    if reach == Reach.OWNER:
        node_id, path = Task.current_node_id, Task.current_path
    else:
        node_id, path = Task.node_id, Task.filed_path
    clauses = [_under(node, level, node_id, path, below) for node, level in levels]
    if not clauses:
        return None
    either = or_(*clauses)
    return and_(Task.department_id.is_(None), either) if reach == Reach.OWNER else either


def _assigned_to(
    user: User, own: tuple[Seat, ...], department_ids: list[int], below: Callable[..., Any]
) -> Any:
    """Tasks dispatched to the user's departments, or to their role at one of their nodes."""
    if department_ids:
        return Task.department_id.in_(department_ids)
    if not own:
        return None
    return and_(
        Task.department_id.is_(None),
        Task.assignee_role == user.role,
        or_(*(_under(n, None, Task.current_node_id, Task.current_path, below) for n in own)),
    )


def history(session: Session, task: Task) -> list[TaskTransition]:
    """The task's transition log, oldest first."""
    return list(
        session.scalars(
            select(TaskTransition)
            .where(TaskTransition.task_id == task.id)
            .order_by(TaskTransition.id)
        )
    )


def links(session: Session, task: Task) -> list[TaskLink]:
    """The people, dwellings and sites the task is linked to."""
    return list(session.scalars(select(TaskLink).where(TaskLink.task_id == task.id)))


def cards(session: Session, task: Task) -> list[TaskCard]:
    """The cards the task got, oldest first."""
    return list(
        session.scalars(select(TaskCard).where(TaskCard.task_id == task.id).order_by(TaskCard.id))
    )


def attachments(session: Session, task: Task) -> list[StoredFile]:
    """The files attached to ``task``, oldest first."""
    return list(
        session.scalars(
            select(StoredFile)
            .join(TaskAttachment, TaskAttachment.file_id == StoredFile.id)
            .where(TaskAttachment.task_id == task.id)
            .order_by(TaskAttachment.id)
        )
    )


def attachment(session: Session, task: Task, file_id: int) -> StoredFile:
    """One file of ``task``; a file not attached to it is NotFound."""
    found = session.scalar(
        select(StoredFile)
        .join(TaskAttachment, TaskAttachment.file_id == StoredFile.id)
        .where(TaskAttachment.task_id == task.id, StoredFile.id == file_id)
    )
    if found is None:
        raise NotFound(_("没有这个附件"))
    return found
