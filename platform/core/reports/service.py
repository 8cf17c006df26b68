"""The period report of a node's subtree: for the county days of a ``Period``, the tasks
reported and closed, cards issued and still open, each department's work (职能部门事件办理情况),
tasks by source, residents served (服务居民人次) and each admitted module's figures.

Every figure is one grouped query (the subtree is a range of the materialized path, the period
a range of an indexed timestamp); when the period is made of whole months, the totals come from
the dashboard counters, as the dashboard's do. What each figure counts:

- **reported / closed**: tasks filed in the subtree and reported in the period; closed are
  those of them in a closed state now (the dashboard's definition).
- **cards**: yellow and red cards given in the period to tasks filed in the subtree; *still
  open*: those whose task is not closed now.
- **departments**: from the transition log, steps that concerned a department in the period:
  *received* — dispatched to it; *handled* — it finished its part (sent the result back to
  whoever dispatched it, or closed the task); *on time* — handled without a red card in that
  stage; *overdue* — handled late, plus tasks it received in the period that still wait on it
  with a red card; *returned* — sent back or up (报上一级) instead.
- **sources**: tasks reported in the period by source (居民反映, 12345 热线, 网格员巡查, 职能部门,
  系统), and how many of them are closed now.
- **residents served** (人次): one for each task closed in the period that a resident brought
  (reported by a resident or through the hotline) or that concerns a person of the registry
  (linked to them: filed on their behalf), plus one for each household visit (入户走访) made in
  the period in the subtree.
- **modules**: what each module admitted in the subtree answers to ``gridgov_period_figures``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, text, tuple_
from sqlalchemy.orm import Session, aliased

from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.admission import activation
from gridgov.core.departments.models import Department
from gridgov.core.errors import DomainError, Forbidden
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.i18n import _
from gridgov.core.plugins.hookspecs import DashboardFigure
from gridgov.core.registry.models import Household, Visit
from gridgov.core.tasks import counters
from gridgov.core.tasks.dashboard import Figure
from gridgov.core.tasks.models import (
    Card,
    Source,
    Task,
    TaskCard,
    TaskCounter,
    TaskLink,
    TaskTransition,
)
from gridgov.core.tasks.workflow import Effect, TaskTypeRegistry
from gridgov.core.tenancy.county_time import CountyClock, Period
from gridgov.core.tenancy.models import Tenant

# Who reads period reports: the staff who see dashboards, not volunteers (they report what they
# see) nor the audit administrator (三员分立: the audit log only).
READER_ROLES = frozenset(
    {
        Role.COUNTY_ADMIN,
        Role.TOWNSHIP_STAFF,
        Role.STATION_STAFF,
        Role.SUPERVISOR,
        Role.GRID_WORKER,
        Role.DEPARTMENT_OFFICER,
    }
)

# Tasks a resident brought: reported by them, or by phone through the hotline (12345).
RESIDENT_SOURCES = (Source.RESIDENT.value, Source.HOTLINE.value)

SOURCE_LABELS = {
    Source.RESIDENT.value: _("居民反映"),
    Source.HOTLINE.value: _("热线来件"),
    Source.PATROL.value: _("网格员巡查"),
    Source.DEPARTMENT.value: _("职能部门"),
    Source.SYSTEM.value: _("系统规则"),
}


# --- periods ----------------------------------------------------------------------------------


def may_read(user: User) -> bool:
    """Whether ``user``'s role reads period reports."""
    return user.role in READER_ROLES


def check_may_read(user: User) -> None:
    """Forbidden unless ``user``'s role reads period reports."""
    if not may_read(user):
        raise Forbidden(_("您的角色不能查看期间报表"))


def period_between(clock: CountyClock, first: dt.date | None, last: dt.date | None) -> Period:
    """The county days ``first`` … ``last``; neither given: this month. A DomainError names
    the field when only one end is given or the period ends before it starts."""
    if first is None and last is None:
        return clock.this_month()
    if first is None:
        raise DomainError(_("请填写开始日期"), field="from")
    if last is None:
        raise DomainError(_("请填写结束日期"), field="to")
    if last < first:
        raise DomainError(_("结束日期不能早于开始日期"), field="to")
    return clock.period(first, last)


def quarter_of(day: dt.date, clock: CountyClock) -> Period:
    """The calendar quarter (季度) ``day`` falls in, in county days."""
    first_month = (day.month - 1) // 3 * 3 + 1
    last = clock.month_of(dt.date(day.year, first_month + 2, 1)).last
    return clock.period(dt.date(day.year, first_month, 1), last)


@dataclass(frozen=True)
class Shortcut:
    """A period the picker offers in one click (本月, 上季度 …)."""

    key: str
    label: Any
    period: Period


def shortcuts(clock: CountyClock) -> list[Shortcut]:
    """This and the previous month, quarter and year, in the county's time."""
    today = clock.today()
    month = clock.month_of(today)
    quarter = quarter_of(today, clock)
    year = clock.this_year()
    day_before = dt.timedelta(days=1)
    return [
        Shortcut("this_month", _("本月"), month),
        Shortcut("last_month", _("上月"), clock.month_of(month.first - day_before)),
        Shortcut("this_quarter", _("本季度"), quarter),
        Shortcut("last_quarter", _("上季度"), quarter_of(quarter.first - day_before, clock)),
        Shortcut("this_year", _("本年"), year),
        Shortcut("last_year", _("上年"), Period.year(today.year - 1, clock.zone)),
    ]


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardFigures:
    yellow: int = 0
    red: int = 0
    yellow_open: int = 0  # of the yellow cards, those whose task is still open
    red_open: int = 0


@dataclass(frozen=True)
class DepartmentFigures:
    """One department's work in the period (职能部门事件办理情况)."""

    department: Department
    received: int = 0
    handled: int = 0
    on_time: int = 0
    overdue: int = 0
    returned: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.handled if self.handled else None


@dataclass(frozen=True)
class SourceFigures:
    source: str
    label: str
    received: int = 0
    handled: int = 0


@dataclass(frozen=True)
class Served:
    """服务居民人次: residents' tasks closed in the period plus household visits made in it."""

    tasks: int = 0
    visits: int = 0

    @property
    def total(self) -> int:
        return self.tasks + self.visits


@dataclass(frozen=True)
class ModuleFigures:
    """What one admitted module reports for the period."""

    module: str
    title: str
    title_en: str
    figures: list[DashboardFigure]


@dataclass
class PeriodReport:
    node: Node
    period: Period
    reported: int = 0
    closed: int = 0
    by_category: list[Figure] = field(default_factory=list)
    cards: CardFigures = field(default_factory=CardFigures)
    departments: list[DepartmentFigures] = field(default_factory=list)
    sources: list[SourceFigures] = field(default_factory=list)
    served: Served = field(default_factory=Served)
    modules: list[ModuleFigures] = field(default_factory=list)

    @property
    def closing_rate(self) -> float | None:
        return self.closed / self.reported if self.reported else None

    @property
    def first(self) -> dt.date:
        return self.period.first

    @property
    def last(self) -> dt.date:
        return self.period.last


def period_report(
    session: Session, tenant: Tenant, types: TaskTypeRegistry, node: Node, period: Period
) -> PeriodReport:
    """The period report of ``node``'s subtree (the caller checked the node is in scope)."""
    if session.get_bind().dialect.name == "postgresql":
        # A county's report is planned far above jit_above_cost, and compiling its grouped
        # queries took three times longer than running them (bench/reports.py): no JIT for
        # the rest of this transaction.
        session.execute(text("SET LOCAL jit = off"))
    report = PeriodReport(node=node, period=period)
    report.reported, report.closed, report.by_category = _totals(session, types, node, period)
    report.cards = card_figures(session, node, period)
    report.departments = department_figures(session, types, node, period)
    report.sources = source_figures(session, node, period)
    report.served = residents_served(session, node, period)
    report.modules = module_figures(session, tenant, node, period)
    return report


def _in_subtree(session: Session, node: Node) -> Any:
    return subtree(Task.filed_path, node.path)


def _reported_in(period: Period) -> Any:
    return and_(Task.reported_at >= period.starts_at, Task.reported_at < period.ends_at)


def _whole_months(period: Period) -> counters.Months | None:
    """The counters' months when ``period`` is made of whole months, else None."""
    if period.first.day != 1 or (period.last + dt.timedelta(days=1)).day != 1:
        return None
    return counters.Months(first=period.first, last=period.last)


def _totals(
    session: Session, types: TaskTypeRegistry, node: Node, period: Period
) -> tuple[int, int, list[Figure]]:
    """Tasks reported in the period, those closed now, and both by category."""
    months = _whole_months(period)
    by_category: dict[str, list[int]] = {}
    if months is not None:
        closed_states = {s.name for t in types for s in t.states if not s.is_open}
        rows = session.execute(
            select(
                TaskCounter.category,
                TaskCounter.state,
                func.sum(TaskCounter.tasks),
            )
            .where(TaskCounter.node_id == node.id, *months.clause())
            .group_by(TaskCounter.category, TaskCounter.state)
        )
        for category, state, tasks in rows:
            cell = by_category.setdefault(category, [0, 0])
            cell[0] += int(tasks or 0)
            cell[1] += int(tasks or 0) if state in closed_states else 0
    else:
        rows = session.execute(
            select(
                Task.category,
                func.count(Task.id),
                func.count(Task.id).filter(Task.is_open.is_(False)),
            )
            .where(_in_subtree(session, node), _reported_in(period))
            .group_by(Task.category)
        )
        for category, tasks, closed in rows:
            by_category[category] = [int(tasks), int(closed or 0)]
    reported = sum(n for n, _c in by_category.values())
    closed = sum(c for _n, c in by_category.values())
    figures = [
        Figure(category, category, n, n / reported if reported else 0.0)
        for category, (n, _c) in sorted(by_category.items(), key=lambda item: -item[1][0])
        if n
    ]
    return reported, closed, figures


def card_figures(session: Session, node: Node, period: Period) -> CardFigures:
    """Cards given in the period to tasks filed in the subtree, and those of still open tasks."""
    rows = session.execute(
        select(
            TaskCard.color,
            func.count(TaskCard.id),
            func.count(TaskCard.id).filter(Task.is_open.is_(True)),
        )
        .join(Task, Task.id == TaskCard.task_id)
        .where(
            TaskCard.at >= period.starts_at,
            TaskCard.at < period.ends_at,
            _in_subtree(session, node),
        )
        .group_by(TaskCard.color)
    ).all()
    found = {color: (int(n), int(still or 0)) for color, n, still in rows}
    yellow, yellow_open = found.get(Card.YELLOW.value, (0, 0))
    red, red_open = found.get(Card.RED.value, (0, 0))
    return CardFigures(yellow=yellow, red=red, yellow_open=yellow_open, red_open=red_open)


# A department's steps, told apart by what the workflow declares (a module's type has its own
# action names): its arrival, its part done, or the task given back.
RECEIVED, HANDLED, RETURNED = "received", "handled", "returned"


def department_steps(types: TaskTypeRegistry) -> dict[str, list[tuple[str, str, str]]]:
    """(task type, action, from state) of the steps that hand a task to a department, that end
    its part (the result sent back, or the task closed from its stage) and that give the task
    back (returned to the dispatching level or sent up), for every type of the deployment."""
    steps: dict[str, list[tuple[str, str, str]]] = {RECEIVED: [], HANDLED: [], RETURNED: []}
    for task_type in types:
        dispatches = [r for r in task_type.transitions if r.effect == Effect.DISPATCH]
        with_department = {r.target for r in dispatches}
        before_dispatch = {source for r in dispatches for source in r.sources}
        for rule in task_type.transitions:
            for source in rule.sources:
                key = (task_type.name, rule.action, source)
                if rule.effect == Effect.DISPATCH:
                    steps[RECEIVED].append(key)
                elif source not in with_department:
                    continue
                elif rule.effect == Effect.ESCALATE or (
                    rule.effect == Effect.BACK_TO_DISPATCHER and rule.target in before_dispatch
                ):
                    steps[RETURNED].append(key)
                elif (
                    rule.effect == Effect.BACK_TO_DISPATCHER
                    or not task_type.state(rule.target).is_open
                ):
                    steps[HANDLED].append(key)
    return {kind: list(dict.fromkeys(keys)) for kind, keys in steps.items()}


def department_figures(
    session: Session, types: TaskTypeRegistry, node: Node, period: Period
) -> list[DepartmentFigures]:
    """Each department's received, handled (on time or late), overdue and returned tasks of the
    subtree in the period, from the transition log (indexed by department and moment)."""
    steps = department_steps(types)
    step_key = tuple_(Task.task_type, TaskTransition.action, TaskTransition.from_state)

    def kind_of(kind: str) -> Any:
        keys = steps[kind]
        return step_key.in_(keys) if keys else literal(False)

    # A red card given between the step before this one and this one: the stage it ended
    # went over its limit (every step starts a new stage and clears the card).
    earlier = aliased(TaskTransition)
    stage_started = (
        select(func.max(earlier.at))
        .where(earlier.task_id == TaskTransition.task_id, earlier.id < TaskTransition.id)
        .correlate(TaskTransition)
        .scalar_subquery()
    )
    late = (
        select(TaskCard.id)
        .where(
            TaskCard.task_id == TaskTransition.task_id,
            TaskCard.color == Card.RED.value,
            TaskCard.state == TaskTransition.from_state,
            TaskCard.at <= TaskTransition.at,
            TaskCard.at >= stage_started,
        )
        .correlate(TaskTransition)
        .exists()
    )
    handled = kind_of(HANDLED)
    rows = session.execute(
        select(
            TaskTransition.department_id,
            func.count(TaskTransition.id).filter(kind_of(RECEIVED)),
            func.count(TaskTransition.id).filter(handled),
            func.count(TaskTransition.id).filter(handled, ~late),
            func.count(TaskTransition.id).filter(kind_of(RETURNED)),
        )
        .join(Task, Task.id == TaskTransition.task_id)
        .where(
            TaskTransition.department_id.is_not(None),
            TaskTransition.at >= period.starts_at,
            TaskTransition.at < period.ends_at,
            _in_subtree(session, node),
        )
        .group_by(TaskTransition.department_id)
    ).all()
    figures = {row[0]: [int(value or 0) for value in row[1:]] for row in rows}
    # Still waiting on the department, over the limit, after arriving in the period.
    arrived = aliased(TaskTransition)
    waiting = dict(
        session.execute(
            select(Task.department_id, func.count(Task.id))
            .where(
                Task.is_open.is_(True),
                Task.card == Card.RED.value,
                Task.department_id.is_not(None),
                _in_subtree(session, node),
                select(arrived.id)
                .where(
                    arrived.task_id == Task.id,
                    arrived.department_id == Task.department_id,
                    arrived.at >= period.starts_at,
                    arrived.at < period.ends_at,
                )
                .exists(),
            )
            .group_by(Task.department_id)
        ).all()
    )
    departments = session.scalars(
        select(Department)
        .join(Node, Node.id == Department.node_id)
        .where(
            or_(
                Department.id.in_(list(figures) + list(waiting)),
                and_(
                    Department.is_active.is_(True),
                    or_(
                        # the node and those above it: their ids are the node's path
                        Node.id.in_([int(part) for part in node.path.strip("/").split("/")]),
                        subtree(Node.path, node.path),
                    ),
                ),
            )
        )
        .order_by(Department.code)
    ).all()
    result = []
    for department in departments:
        received, done, on_time, returned = figures.get(department.id, [0, 0, 0, 0])
        result.append(
            DepartmentFigures(
                department=department,
                received=received,
                handled=done,
                on_time=on_time,
                overdue=done - on_time + int(waiting.get(department.id, 0)),
                returned=returned,
            )
        )
    return result


def source_figures(session: Session, node: Node, period: Period) -> list[SourceFigures]:
    """Tasks of the subtree reported in the period by source, and those of them closed now."""
    rows = {
        source: (int(n), int(closed or 0))
        for source, n, closed in session.execute(
            select(
                Task.source,
                func.count(Task.id),
                func.count(Task.id).filter(Task.is_open.is_(False)),
            )
            .where(_in_subtree(session, node), _reported_in(period))
            .group_by(Task.source)
        )
    }
    return [
        SourceFigures(source, str(label), *rows.get(source, (0, 0)))
        for source, label in SOURCE_LABELS.items()
    ]


def residents_served(session: Session, node: Node, period: Period) -> Served:
    """服务居民人次 of the subtree in the period (see the module's docstring)."""
    for_a_person = (
        select(TaskLink.id).where(TaskLink.task_id == Task.id, TaskLink.kind == "person").exists()
    )
    tasks = session.scalar(
        select(func.count(Task.id)).where(
            _in_subtree(session, node),
            Task.closed_at >= period.starts_at,
            Task.closed_at < period.ends_at,
            or_(Task.source.in_(RESIDENT_SOURCES), for_a_person),
        )
    )
    visits = session.scalar(
        select(func.count(Visit.id))
        .join(Household, Household.id == Visit.household_id)
        .join(Node, Node.id == Household.node_id)
        .where(
            subtree(Node.path, node.path),
            Visit.visited_at >= period.starts_at,
            Visit.visited_at < period.ends_at,
        )
    )
    return Served(tasks=int(tasks or 0), visits=int(visits or 0))


def module_figures(
    session: Session, tenant: Tenant, node: Node, period: Period
) -> list[ModuleFigures]:
    """What each module admitted in the subtree reports for the period, module by module."""
    subtree = Scope(paths=(node.path,))
    hooks = activation.hooks_for(subtree)
    found = hooks.period_figures(session=session, tenant=tenant, scope=subtree, period=period)
    modules = {module.name: module for module in hooks.modules()}
    grouped: dict[str, list[DashboardFigure]] = {}
    for figure in found:
        grouped.setdefault(figure.code.split(".", 1)[0], []).append(figure)
    return [
        ModuleFigures(
            name,
            modules[name].info.title if name in modules else name,
            (modules[name].info.title_en or modules[name].info.title) if name in modules else name,
            figures,
        )
        for name, figures in grouped.items()
    ]
