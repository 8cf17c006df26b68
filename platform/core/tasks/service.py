"""Use cases of the task engine: report, take a transition, see what waits where, supervise,
notify, and the card sweep. Who may do what is declared by the task type (``workflow``) and
checked here against the actor's role and scope."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import has_app_context
from flask_babel import force_locale
from sqlalchemy import and_, false, func, insert, literal, or_, select, true, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.admission import service as admission
from gridgov.core.audit import service as audit
from gridgov.core.db import UTCDateTime, current_tenant_id, utcnow
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.files.models import StoredFile
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.hierarchy.paths import under_path
from gridgov.core.i18n import _
from gridgov.core.plugins.activation import plugin_host
from gridgov.core.registry import access as registry_access
from gridgov.core.tasks import counters, rules
from gridgov.core.tasks.calendar import WorkCalendar, work_calendar
from gridgov.core.tasks.models import (
    Card,
    Notification,
    Patrol,
    Rating,
    Source,
    Supervision,
    Task,
    TaskAttachment,
    TaskCard,
    TaskLink,
    TaskTransition,
    Track,
    WorkerLog,
)
from gridgov.core.tasks.workflow import (
    DEFAULT_TYPE,
    Effect,
    Reach,
    TaskType,
    TaskTypeRegistry,
    TransitionRule,
    task_types,
)
from gridgov.core.tenancy.models import Tenant
from gridgov.core.tenancy.service import current_tenant

LINK_KINDS = ("person", "dwelling", "site")
# Tracking codes: no 0/O, 1/I/L, so a resident can read one out over the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
# Who supervises (督办): the county and the townships.
SUPERVISOR_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})
# Who hears of a task at a level: the staff working there (county administrators at the top).
NOTIFIED_STAFF = (Role.STATION_STAFF.value, Role.TOWNSHIP_STAFF.value, Role.GRID_WORKER.value)

CORE_TYPES = task_types()


def registry() -> TaskTypeRegistry:
    """The task types of this deployment: the core's and those of the installed department
    modules (whether a county may use a module's type is checked when it is used)."""
    if has_app_context():
        return plugin_host().task_types()
    return CORE_TYPES


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


# --- reading -------------------------------------------------------------------------------


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


def _department_ids(session: Session, user: User) -> list[int]:
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
        clauses.append(under_path(session, Task.filed_path, path))
        clauses.append(under_path(session, Task.current_path, path))
    return or_(*clauses) if clauses else false()


def _reads_type(user: User, task_type: TaskType, modules: frozenset[str]) -> bool:
    """Whether ``user`` reads the tasks of ``task_type`` on their path: by the roles the type
    grants (``TaskType.readers``), for a department officer by the modules the county admitted
    for their departments."""
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
    department_ids = _department_ids(session, user)
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


def visible_task(session: Session, user: User, scope: Scope, task_id: int) -> Task:
    """The task if ``user`` may see it, else NotFound (never Forbidden)."""
    task = get_task(session, task_id)
    if not may_read(session, user, scope, task):
        raise NotFound(_("没有这个事件"))
    return task


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
        query = query.where(under_path(session, Task.filed_path, filters.node.path))
    return query.order_by(Task.due_at.is_(None), Task.due_at, Task.id)


def my_tasks(session: Session, user: User, scope: Scope) -> Any:
    """A grid worker's open tasks: filed in their grids or waiting on them, by deadline (of
    those ``user`` reads: a department officer's node holds other departments' tasks too)."""
    # The ids first (a worker has one grid or a few): with literal ids PostgreSQL combines the
    # two indexes; with a subquery it scanned every open task of the county.
    grid_ids = list(
        session.scalars(select(Assignment.node_id).where(Assignment.user_id == user.id))
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

    One WHERE clause over the task table, an OR of one arm per rule; each arm names the tenant,
    the type and the states and, where it can, the nodes as literal ids, so that PostgreSQL
    reads each arm from an index (tenant + waiting node + state, or tenant + type + state)."""
    if not user.is_active:
        return select(Task).where(false())
    tenant = current_tenant(session)
    own = _own_nodes(session, user, scope)
    department_ids = _department_ids(session, user)
    modules = _departments_modules(session, user) if department_ids else frozenset()
    nodes_below: dict[tuple[int, int | None], list[int] | None] = {}

    def below(node: Node, level: int | None) -> list[int] | None:
        """The ids of ``node`` and the nodes under it above ``level``; None if too many."""
        if (node.id, level) not in nodes_below:
            query = select(Node.id).where(Node.path.startswith(node.path, autoescape=True))
            if level is not None:
                query = query.where(Node.level < level)
            ids = list(session.scalars(query.limit(MAX_LITERAL_NODES + 1)))
            nodes_below[node.id, level] = ids if len(ids) <= MAX_LITERAL_NODES else None
        return nodes_below[node.id, level]

    clauses: list[Any] = []
    for task_type in usable_types(session, scope):
        for rule in task_type.transitions:
            if not rule.waits or user.role not in rule.roles:
                continue
            if rule.guard is not None and rule.waits_when is None:
                continue
            if rule.reach == Reach.ASSIGNEE:
                reach = _assigned_to(user, own, department_ids, below)
            elif not _reads_type(user, task_type, modules):
                continue
            else:
                reach = _waits_at_level(tenant, rule, own, below)
            if reach is None:
                continue
            parts = [
                Task.tenant_id == tenant.id,
                Task.task_type == task_type.name,
                Task.state.in_(rule.sources),
                reach,
            ]
            if rule.tracks is not None:
                parts.append(Task.track.in_(sorted(rule.tracks)))
            if rule.waits_when is not None:
                parts.append(rule.waits_when(Task))
            clauses.append(and_(*parts))
    return (
        select(Task)
        .where(or_(*clauses) if clauses else false())
        .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
    )


# Up to this many nodes a waiting list names them by id (a station's community and its grids);
# beyond, by path.
MAX_LITERAL_NODES = 500


def _own_nodes(session: Session, user: User, scope: Scope) -> list[Node]:
    """The nodes the user works at: their assignments (the county's top nodes for county-wide
    roles)."""
    if scope.everything:
        return list(session.scalars(select(Node).where(Node.parent_id.is_(None))))
    return list(
        session.scalars(
            select(Node)
            .join(Assignment, Assignment.node_id == Node.id)
            .where(Assignment.user_id == user.id, Node.retired_at.is_(None))
        )
    )


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
    if role in (Role.COUNTY_ADMIN, Role.AUDIT_ADMIN):
        return {0}
    return set()


def _under(
    node: Node, level: int | None, node_id: Any, path: Any, below: Callable[..., Any]
) -> Any:
    """Tasks whose ``node_id`` is ``node`` or below it, above ``level`` (None: any depth)."""
    ids = below(node, level)
    if ids is not None:
        return node_id.in_(ids)
    if node.parent_id is None and level is None:
        return true()  # the whole county: the tenant's own condition says it all
    return path.startswith(node.path, autoescape=True)


def _waits_at_level(
    tenant: Tenant, rule: TransitionRule, own: list[Node], below: Callable[..., Any]
) -> Any:
    """Tasks whose node for ``rule`` (where it waits, or its grid) is one of ``own`` or below
    it, down to the next level where another of the rule's roles works."""
    levels = set().union(*(_role_levels(tenant, role) for role in rule.roles))
    if rule.reach == Reach.OWNER:
        node_id, path = Task.current_node_id, Task.current_path
    else:
        node_id, path = Task.node_id, Task.filed_path
    clauses = [
        _under(
            node, min((lv for lv in levels if lv > node.level), default=None), node_id, path, below
        )
        for node in own
    ]
    if not clauses:
        return None
    reach = or_(*clauses)
    return and_(Task.department_id.is_(None), reach) if rule.reach == Reach.OWNER else reach


def _assigned_to(
    user: User, own: list[Node], department_ids: list[int], below: Callable[..., Any]
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
    return list(session.scalars(select(TaskLink).where(TaskLink.task_id == task.id)))


def cards(session: Session, task: Task) -> list[TaskCard]:
    """The cards the task got, oldest first."""
    return list(
        session.scalars(select(TaskCard).where(TaskCard.task_id == task.id).order_by(TaskCard.id))
    )


# --- reporting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What a report says; ``idempotency_key`` or ``external_id`` make a resend harmless.

    A ``deadline`` already past is refused, unless the report is a ``late_entry``: a record of
    something found earlier (a module's inspection typed in days later), whose deadline is
    kept and gives the task its red card at the next sweep."""

    category: str
    title: str
    description: str = ""
    track: str = Track.GENERAL.value
    source: str = Source.PATROL.value
    task_type: str = DEFAULT_TYPE
    location_text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    priority: int = 2
    deadline: dt.datetime | None = None
    links: Sequence[tuple[str, int]] = ()
    idempotency_key: str | None = None
    external_id: str | None = None
    file_ids: Sequence[int] = ()
    late_entry: bool = False


def report_task(
    session: Session, actor: User | None, node: Node, report: Report, *, actor_name: str = ""
) -> tuple[Task, bool]:
    """File a task under ``node``; returns it and whether it is new.

    An idempotency key (an offline draft's) and an external id (another system's case number)
    belong to the reporter who sent them, in this county: resent by the same reporter with the
    same content, the report returns the task the first send created; the same key from
    another reporter is another key (a new task, never theirs); the same key from the same
    reporter with other content is a Conflict, so a client that reuses keys loses no report
    silently. A report without a reporter (a resident's) cannot carry a key."""
    existing = _already_reported(session, actor, node, report)
    if existing is not None:
        return existing, False
    tenant = current_tenant(session)
    task_type = registry().get(report.task_type)
    _check_module_open(session, task_type, node)
    _check_report(tenant, task_type, node, report)
    _check_links(session, actor, report.links)
    now = utcnow()
    task = Task(
        code=_new_code(),
        task_type=task_type.name,
        category=report.category,
        source=report.source,
        track=report.track,
        state=task_type.initial,
        is_open=task_type.state(task_type.initial).is_open,
        node_id=node.id,
        filed_path=node.path,
        current_node_id=node.id,
        current_path=node.path,
        reporter_id=actor.id if actor else None,
        title=report.title.strip(),
        description=report.description.strip(),
        location_text=report.location_text.strip(),
        latitude=report.latitude,
        longitude=report.longitude,
        priority=report.priority,
        deadline=report.deadline,
        idempotency_key=report.idempotency_key,
        external_id=report.external_id,
        reported_at=now,
        updated_at=now,
    )
    _start_stage(session, tenant, task_type, task, node, now)
    try:
        with session.begin_nested():
            session.add(task)
            session.flush()
    except IntegrityError:
        # The same draft sent twice at once: the other request won, answer with its task.
        existing = _already_reported(session, actor, node, report)
        if existing is None:
            raise
        return existing, False
    for kind, ref_id in dict.fromkeys(report.links):
        session.add(TaskLink(task_id=task.id, kind=kind, ref_id=ref_id))
    _log(
        session,
        task,
        actor,
        "report",
        None,
        node,
        comment="",
        file_ids=report.file_ids,
        now=now,
        actor_name=actor_name,
    )
    counters.apply(session, None, counters.share_of(task, node.level, tenant.clock.zone))
    audit.record(session, actor, "task.report", "task", task.id, after=_snapshot(task))
    _announce(session, tenant, task, "report", None, actor, task.description)
    if task.track == Track.EMERGENCY:
        _notify_level_above(
            session,
            task,
            node,
            "emergency",
            _("突发事件 %(code)s：%(title)s", code=task.code, title=task.title),
        )
    session.flush()
    return task, True


def _already_reported(
    session: Session, actor: User | None, node: Node, report: Report
) -> Task | None:
    """The task ``actor`` already made with this report's idempotency key or external id, or
    None; a Conflict when that task says something else (see ``report_task``)."""
    if not (report.idempotency_key or report.external_id):
        return None
    key_field = "idempotency_key" if report.idempotency_key else "external_id"
    if actor is None:
        raise DomainError(_("只有登录的上报人才能使用幂等键"), field=key_field)
    mine = select(Task).where(Task.reporter_id == actor.id)
    if report.idempotency_key:
        found = session.scalar(mine.where(Task.idempotency_key == report.idempotency_key))
    else:
        found = session.scalar(
            mine.where(Task.source == report.source, Task.external_id == report.external_id)
        )
    if found is None:
        return None
    if _report_of(found) != _report_of_new(node, report):
        raise Conflict(
            _(
                "这个键已用于您的另一条上报（%(code)s），内容不同；新的上报请换一个键",
                code=found.code,
            ),
            field=key_field,
        )
    return found


def _report_of(task: Task) -> tuple[Any, ...]:
    """What makes two sends the same report (photos are uploaded again on a resend)."""
    return (task.node_id, task.task_type, task.category, task.track, task.title, task.description)


def _report_of_new(node: Node, report: Report) -> tuple[Any, ...]:
    return (
        node.id,
        report.task_type,
        report.category,
        report.track,
        report.title.strip(),
        report.description.strip(),
    )


def _check_report(tenant: Tenant, task_type: TaskType, node: Node, report: Report) -> None:
    if node.is_retired:
        raise DomainError(
            _("网格 %(name)s 已撤销，请选择现在的网格", name=node.name), field="node_id"
        )
    if report.category not in categories(tenant, task_type):
        raise DomainError(_("未知的事件类别：%(c)s", c=report.category), field="category")
    if report.track not in {t.value for t in Track}:
        raise DomainError(_("未知的处置类型：%(t)s", t=report.track), field="track")
    if report.source not in {s.value for s in Source}:
        raise DomainError(_("未知的事件来源：%(s)s", s=report.source), field="source")
    title = report.title.strip()
    if not title or len(title) > 200:
        raise DomainError(_("标题不能为空，最长 200 个字符"), field="title")
    if report.priority not in (1, 2, 3):
        raise DomainError(_("优先级须为 1（高）、2（中）或 3（低）"), field="priority")
    if (report.latitude is None) != (report.longitude is None):
        raise DomainError(_("经度和纬度须同时填写"), field="latitude")
    if report.latitude is not None and not (
        -90 <= report.latitude <= 90 and -180 <= report.longitude <= 180  # type: ignore[operator]
    ):
        raise DomainError(_("经纬度超出范围"), field="latitude")
    if report.deadline is not None and report.deadline <= utcnow() and not report.late_entry:
        raise DomainError(_("期限已过：请填写将来的时间，或不填"), field="deadline")
    for kind, _ref in report.links:
        if kind not in LINK_KINDS:
            raise DomainError(_("未知的关联对象类型：%(k)s", k=kind), field="links")


def _check_links(session: Session, actor: User | None, links: Sequence[tuple[str, int]]) -> None:
    """Each linked person, dwelling or site must be a record of this county that the reporting
    user may see (residents and other systems link nothing they could not name)."""
    visible = {
        "person": registry_access.visible_person,
        "dwelling": registry_access.visible_dwelling,
        "site": registry_access.visible_site,
    }
    scope = scope_of(session, actor) if actor is not None and links else None
    for kind, ref_id in links:
        try:
            if actor is None:
                raise NotFound(_LINK_MISSING[kind])
            visible[kind](session, actor, scope, ref_id)
        except (NotFound, Forbidden):
            raise DomainError(_LINK_MISSING[kind] % {"id": ref_id}, field="links") from None


_LINK_MISSING = {
    "person": _("关联的人员 %(id)s 不存在或不在您的查看范围内"),
    "dwelling": _("关联的房屋 %(id)s 不存在或不在您的查看范围内"),
    "site": _("关联的单位场所 %(id)s 不存在或不在您的查看范围内"),
}


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# --- transitions ---------------------------------------------------------------------------


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
    task = _locked(session, task)
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
    task = _apply(
        session,
        None,
        Scope(everything=True),
        task,
        task_type,
        rule,
        Move(comment=_stored_text(_("居民评价不满意，系统自动重新办理"))),
        actor_name=str(_("系统")),
    )
    waiting_at = session.get(Node, task.current_node_id)
    assert waiting_at is not None
    _notify_level(
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
                task = visible_task(session, actor, scope, task_id)
                transition(session, actor, scope, task, action, move)
        except DomainError as error:
            refused[task_id] = str(error.message)
        else:
            done.append(task_id)
    return BulkResult(done=done, refused=refused)


def evaluate_as_resident(session: Session, task: Task, rating: str, comment: str) -> Task:
    """The resident's own rating, through the public page with the tracking code."""
    task = _locked(session, task)
    task_type = registry().get(task.task_type)
    rule = task_type.rating_rule(task)
    if rule is None:
        raise Conflict(_("事件办结后才能评价，且只能评价一次"), field="rating")
    task = _apply(
        session, None, Scope(), task, task_type, rule, Move(comment=comment, rating=rating)
    )
    return _reopen_if_unsatisfied(session, task, task_type)


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
    comment = (move.comment or "").strip()
    if rule.needs_comment and not comment:
        raise DomainError(_("请填写办理意见"), field="comment")
    if rule.answers_resident and task.source == Source.RESIDENT.value and not comment:
        raise DomainError(_("请填写给居民的答复：居民凭查询码可以看到"), field="comment")
    if task_type.module is not None:  # the core's types are open everywhere: no node to read
        filed_at = session.get(Node, task.node_id)
        assert filed_at is not None
        _check_module_open(session, task_type, filed_at)
    tenant = current_tenant(session)
    levels_before = _level(session, task.current_node_id)
    before = counters.share_of(task, levels_before, tenant.clock.zone)
    snapshot = _snapshot(task)
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
        task.updated_at = now
        if not task.is_open and task.closed_at is None:
            task.closed_at = now
            _end_supervision(session, task, now)
        elif task.is_open:
            task.closed_at = None
        _start_stage(session, tenant, task_type, task, destination, now)
        _log(
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
            before=snapshot,
            after=_snapshot(task),
        )
    # The modules react to the step as stored.
    session.flush()
    _announce(session, tenant, task, rule.action, from_state, actor, comment)
    session.flush()
    return task


def _check_module_open(session: Session, task_type: TaskType, node: Node) -> None:
    """A department module's task can be reported or moved on only where the county admitted
    the module; while it is suspended or withdrawn its tasks stay readable but do not move."""
    if task_type.module is not None:
        admission.check_open_for_work(session, task_type.module, node)


def _announce(
    session: Session,
    tenant: Tenant,
    task: Task,
    action: str,
    from_state: str | None,
    actor: User | None,
    comment: str,
) -> None:
    """Let the county's admitted modules react to the step (``gridgov_task_transition``)."""
    if not has_app_context():
        return
    host = plugin_host()
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
        _notify_level(
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
    return session.scalar(select(Node).where(Node.path == path)) or current


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
            _notify(
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
    if role not in {r.value for r in Role} or role in (Role.COUNTY_ADMIN, Role.AUDIT_ADMIN):
        raise DomainError(_("不能交办给这个角色"), field="target_role")
    task.department_id = None
    task.assignee_role = role
    _notify_level(
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
        return task.department_id in _department_ids(session, user)
    return user.role == task.assignee_role and scope.contains_path(task.current_path)


def _locked(session: Session, task: Task) -> Task:
    """The task re-read under a row lock: two people acting at once are serialised."""
    locked = session.scalar(
        select(Task)
        .where(Task.id == task.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound(_("没有这个事件"))
    return locked


def _level(session: Session, node_id: int) -> int:
    node = session.get(Node, node_id)
    assert node is not None
    return node.level


def _log(
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


# --- deadlines and cards -------------------------------------------------------------------


def _start_stage(
    session: Session,
    tenant: Tenant,
    task_type: TaskType,
    task: Task,
    node: Node,
    now: dt.datetime,
    calendar: WorkCalendar | None = None,
) -> None:
    """Start the clock of the task's new stage under the county's rules in force now: the
    limit, the yellow and red thresholds (in working hours on the county's calendar), and the
    task's own deadline, which the stage's due time never passes: a deadline before the
    stage's limit is the stage's due time and its red threshold (yellow at the same share of
    the time left), and a deadline on a stage without a limit gives it a clock of its own."""
    task.stage_started_at = now
    task.card = Card.NONE.value
    task.card_at = None
    if not task.is_open:
        task.yellow_at = task.due_at = task.red_at = None
        return
    rule = rules.rule_table(session).resolve(task_type, task.category, node.level, task.state)
    task.rule_version_id = rule.version_id
    due = yellow = red = None
    if rule.hours is not None:
        calendar = calendar or work_calendar(session, tenant)
        due = calendar.add_working_hours(now, rule.hours)
        yellow = calendar.add_working_hours(now, rule.hours * rule.yellow_percent / 100)
        red = calendar.add_working_hours(now, rule.hours * rule.red_percent / 100)
    if task.deadline is not None:
        deadline = task.deadline
        share = now + max(deadline - now, dt.timedelta(0)) * min(rule.yellow_percent, 100) / 100
        due = deadline if due is None else min(due, deadline)
        red = deadline if red is None else min(red, deadline)
        yellow = share if yellow is None else min(yellow, share)
    task.due_at, task.yellow_at, task.red_at = due, yellow, red


@dataclass(frozen=True)
class SweepResult:
    yellow: int
    red: int
    escalated: int = 0  # red tasks sent up by the county's rules (``escalate``)


def sweep_cards(session: Session, now: dt.datetime | None = None) -> SweepResult:
    """Give yellow cards to open tasks past their yellow threshold and red cards to those past
    their red one (a task past its deadline is among them: the deadline caps both), keep each
    card with the rule version it was given under, notify whoever the task waits on and the
    level above, and send up the red ones whose rules say so.

    Two set-based UPDATEs (indexed on tenant, is_open, red_at): over a million tasks only the
    ones changing colour are touched."""
    now = now or utcnow()
    red = _give_cards(session, Card.RED, Task.red_at <= now, [Card.NONE, Card.YELLOW], now)
    yellow = _give_cards(
        session, Card.YELLOW, and_(Task.yellow_at <= now, Task.red_at > now), [Card.NONE], now
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
    carded = session.scalars(
        select(Task)
        .where(Task.card == Card.RED.value, Task.card_at == now, Task.department_id.is_(None))
        .order_by(Task.id)
    ).all()
    tables: dict[int | None, rules.RuleTable] = {}
    escalated = 0
    for found in carded:
        version_id = found.rule_version_id
        if version_id is None:
            continue  # the engine's default: red tasks stay where they are
        if version_id not in tables:
            tables[version_id] = rules.rule_table(session, version_id)
        task = _locked(session, found)  # someone may be moving it on right now
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
        comment = _stored_text(_("超过办理时限（红牌），系统自动报至%(name)s", name=target.name))
        try:
            with session.begin_nested():
                _apply(
                    session,
                    None,
                    Scope(everything=True),
                    task,
                    task_type,
                    rule,
                    Move(comment=comment, escalate_to=target),
                    actor_name=str(_("系统")),
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
    message = func.substr(
        func.replace(literal(_stored_text(_card_message(color))), "%(code)s", Task.code), 1, 300
    )
    columns = (
        Task.tenant_id,
        User.id,
        Task.id,
        literal(f"card.{color.value}"),
        message,
        literal(now, UTCDateTime()),
    )
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
    session.execute(
        insert(Notification).from_select(
            ["tenant_id", "user_id", "task_id", "kind", "message", "created_at"],
            union(staff, county),
        )
    )
    return changed


def _card_message(color: Card) -> Any:
    """The card's message with a ``%(code)s`` slot: translated once per sweep, then filled in
    per task (translating per task costs more than the rest of a large sweep)."""
    if color == Card.RED:
        return _("红牌：事件 %(code)s 已超过办理时限")
    return _("黄牌：事件 %(code)s 即将超过办理时限")


# --- supervision ---------------------------------------------------------------------------


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
    _notify_level(
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
        .where(Node.path.startswith(node.path, autoescape=True))
        .where(visible_filter(session, user, scope))
        .order_by(Supervision.ended_at.is_not(None), Supervision.due_at, Supervision.id)
    )
    if not include_ended:
        query = query.where(Supervision.ended_at.is_(None))
    return query


def _end_supervision(session: Session, task: Task, now: dt.datetime) -> None:
    for supervision in session.scalars(
        select(Supervision).where(Supervision.task_id == task.id, Supervision.ended_at.is_(None))
    ):
        supervision.ended_at = now
    task.is_supervised = False


# --- notifications -------------------------------------------------------------------------


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


def _notify_level(
    session: Session, task: Task, node: Node, kind: str, message: Any, role: str | None = None
) -> None:
    _notify_ids(session, task.id, kind, message, _staff_at(session, node, role))


def _notify_level_above(session: Session, task: Task, node: Node, kind: str, message: Any) -> None:
    _notify_ids(session, task.id, kind, message, _staff_above(session, node))


def _notify(session: Session, user: User, task: Task, kind: str, message: Any) -> None:
    _notify_ids(session, task.id, kind, message, [user.id])


def _notify_ids(
    session: Session, task_id: int, kind: str, message: Any, user_ids: Sequence[int]
) -> None:
    text = _stored_text(message)
    session.add_all(
        Notification(user_id=user_id, task_id=task_id, kind=kind, message=text)
        for user_id in dict.fromkeys(user_ids)
    )


def _stored_text(message: Any) -> str:
    """A notification's text in Chinese, the county's language, whatever the locale of the
    request that caused it: it is read later, by someone else."""
    with force_locale("zh_CN"):
        return str(message)[:300]


def _snapshot(task: Task) -> dict[str, Any]:
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


# --- attachments ---------------------------------------------------------------------------

# Roles that report tasks (the audit administrator only reads the audit log, 三员分立).
REPORTER_ROLES = frozenset(role.value for role in Role) - {Role.AUDIT_ADMIN}


def may_report(user: User) -> bool:
    """Whether ``user``'s role files and works on tasks (everyone's but the audit role's)."""
    return user.role in REPORTER_ROLES


def check_may_report(user: User, scope: Scope, node: Node) -> None:
    """A task is filed by staff (not the audit role) under a node of their scope."""
    if not scope.contains(node):
        raise NotFound(_("没有这个节点"), field="node_id")
    if not may_report(user):
        raise Forbidden(_("您的角色不能上报事件"))


def attach_file(
    session: Session, actor: User | None, task: Task, stored: StoredFile
) -> TaskAttachment:
    """Attach a stored file (a photo, a document) to ``task``."""
    attachment = TaskAttachment(task_id=task.id, file_id=stored.id)
    session.add(attachment)
    session.flush()
    audit.record(session, actor, "task.attach", "task", task.id, after={"file_id": stored.id})
    return attachment


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


# --- the grid worker's day -----------------------------------------------------------------


def check_in(
    session: Session,
    user: User,
    scope: Scope,
    node: Node,
    *,
    place: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    note: str = "",
) -> Patrol:
    """Record a patrol (一日双巡) of ``user`` in ``node`` now."""
    if not scope.contains(node):
        raise NotFound(_("没有这个节点"), field="node_id")
    if (latitude is None) != (longitude is None):
        raise DomainError(_("经度和纬度须同时填写"), field="latitude")
    patrol = Patrol(
        user_id=user.id,
        node_id=node.id,
        at=utcnow(),
        place=place.strip()[:300],
        latitude=latitude,
        longitude=longitude,
        note=note.strip(),
    )
    session.add(patrol)
    session.flush()
    return patrol


def patrols_of(session: Session, user: User, day: dt.date) -> list[Patrol]:
    """The user's patrols of one county day (一日双巡 counts them), in order."""
    county_day = current_tenant(session).clock.day(day)
    return list(
        session.scalars(
            select(Patrol)
            .where(
                Patrol.user_id == user.id,
                Patrol.at >= county_day.starts_at,
                Patrol.at < county_day.ends_at,
            )
            .order_by(Patrol.at)
        )
    )


def write_log(session: Session, user: User, day: dt.date, text: str) -> WorkerLog:
    """Write (or rewrite) the user's daily log (网格员日志) of ``day``."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("日志不能为空"), field="text")
    if day > current_tenant(session).clock.today():
        raise DomainError(_("不能填写将来的日志"), field="day")
    entry = session.scalar(
        select(WorkerLog).where(WorkerLog.user_id == user.id, WorkerLog.day == day)
    )
    if entry is None:
        entry = WorkerLog(user_id=user.id, day=day, text=text)
        session.add(entry)
    entry.text = text
    entry.updated_at = utcnow()
    session.flush()
    return entry


def log_of(session: Session, user: User, day: dt.date) -> WorkerLog | None:
    """The user's daily log of ``day``, or None."""
    return session.scalar(
        select(WorkerLog).where(WorkerLog.user_id == user.id, WorkerLog.day == day)
    )
