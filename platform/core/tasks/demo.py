"""Demo tasks for the demo county (长山区), so ``make demo`` shows the task cycle as a county
runs it: tasks waiting at every level (grid, station, township, department), closed ones
revisited with the residents' ratings, yellow and red cards, and a supervision (督办) list.

Every task is made through the service, by the staff the manifest gives each grid, so the log,
deadlines and counters are exactly what real use would produce. Its report and each step happen
at their own moment of the county's last weeks, under a pinned clock (``pinned_clock``: the log
is append-only, so history is written at its moment, never rewritten afterwards); then the card
sweep runs over those weeks as the periodic job would have (``age_demo_tasks``). Invented
content, fixed seed: the same demo every time, dated back from the county's today.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import pinned_clock, tenant_scope
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import cards, reading, reporting, rules, supervision, transitions
from gridgov.core.tasks.calendar import WorkCalendar, work_calendar
from gridgov.core.tasks.models import Card, Rating, Task, TaskCard
from gridgov.core.tenancy.models import Tenant

DEMO_TENANT = "demo"
DEMO_TASKS = 160
SEED = 20261124
# What a demo task's example is: category, title, description, and the department (a code of
# tenants/demo.yaml) a level dispatches it to when it needs one.
EXAMPLES = [
    ("民生事项", "路灯不亮", "小区 3 号楼前路灯连续三晚不亮", None),
    ("民生事项", "下水道堵塞", "单元门口污水外溢", None),
    ("社情民意", "居民反映停车难", "晚间车辆占用消防通道", "CS-XF"),
    ("特殊人群服务", "独居老人需要代办", "王大爷腿脚不便，需代办医保报销", None),
    ("矛盾纠纷", "邻里漏水纠纷", "楼上卫生间漏水，双方协商未果", "CS-01-SF"),
    ("突发事项", "电动车楼道充电起火隐患", "楼道内飞线充电", "CS-XF"),
    ("治安防控", "夜间可疑人员", "巡查发现夜间有人撬车锁", None),
]
RESOLVE = ("worker", "resolve", "现场处置完毕")
RATE = ("worker", "evaluate", "")  # the resident's rating, recorded at the revisit
REVISIT = ("worker", "revisit", "电话回访居民")
TO_STATION = ("worker", "escalate", "需社区协调")
ACCEPT = ("station", "accept", "")
TO_GRID = ("station", "dispatch", "")
TO_DEPARTMENT = ("station", "dispatch_department", "请协助处理")
HANDLE = ("worker", "handle", "已协调物业处理")
CLOSE = ("station", "close", "")
# The paths a demo task may go down: each step is (who, action, comment). Together they leave
# something waiting on each level and something rated at the end of the cycle.
PATHS = [
    [],
    [RESOLVE],
    [RESOLVE, REVISIT, RATE],
    [TO_STATION],
    [TO_STATION, ACCEPT],
    [TO_STATION, ACCEPT, TO_GRID],
    [TO_STATION, ACCEPT, TO_GRID, HANDLE],
    [TO_STATION, ACCEPT, TO_GRID, HANDLE, CLOSE],
    [TO_STATION, ACCEPT, TO_GRID, HANDLE, CLOSE, REVISIT, RATE],
    [TO_STATION, ("station", "escalate", "涉及多个社区，需街道协调")],
    [TO_STATION, ACCEPT, TO_DEPARTMENT],
    [
        TO_STATION,
        ("station", "escalate", "涉及多个社区，需街道协调"),
        ("township", "accept", ""),
        ("township", "dispatch_department", "请职能部门处理"),
    ],
    [TO_STATION, ACCEPT, TO_DEPARTMENT, ("department", "handle", "已现场处理"), CLOSE, REVISIT],
    [
        TO_STATION,
        ACCEPT,
        TO_DEPARTMENT,
        ("department", "handle", "已现场处理"),
        CLOSE,
        REVISIT,
        RATE,
    ],
]
CLOSING_ACTIONS = ("resolve", "close", "revisit", "evaluate")
# The residents' ratings at revisits, in about these shares (满意/基本满意/不满意).
RATINGS = ((Rating.SATISFIED, 7), (Rating.BASIC, 2), (Rating.UNSATISFIED, 1))
RATING_COMMENTS = {
    Rating.SATISFIED: "居民表示满意",
    Rating.BASIC: "居民表示基本满意，希望今后处理更快",
    Rating.UNSATISFIED: "居民不满意：问题反复出现",
}
# How the clock of an open task's current stage stands today, in about these shares.
CARD_PLANS = (("none", 45), ("yellow", 20), ("red", 35))
RED_DAYS_AGO = (2, 18)  # a red task's stage started this many county days ago
CLOSED_DAYS_AGO = (1, 24)  # a closed task's last step was this many county days ago
STEP_GAP_HOURS = (1.0, 26.0)  # between two steps of a task
# When the card sweep ran on each working day of the demo's past (county time).
SWEEP_TIMES = (dt.time(9, 0), dt.time(15, 0))
SUPERVISED_BY_COUNTY = 3  # red tasks the county supervises, the first one listed (挂牌督办)
SUPERVISED_BY_TOWNSHIP = 2  # red tasks a township supervises in its own streets


def add_demo_tasks(session: Session, tenants: list[Tenant]) -> int:
    """Give the demo county its demo tasks once (a second run adds none); returns how many."""
    made = 0
    for tenant in tenants:
        if tenant.slug != DEMO_TENANT:
            continue
        with tenant_scope(session, tenant.id):
            if session.scalar(select(func.count(Task.id))):
                continue
            made += _fill(session, tenant)
    return made


def age_demo_tasks(session: Session, tenant: Tenant) -> tuple[int, int, int]:
    """Run the card sweep over the demo county's past, as the periodic job would have (twice
    each working day), then once now, and put the worst red tasks under supervision; returns
    the open tasks with a yellow card, with a red card, and the supervisions. Call it once,
    after the demo tasks of the core and the modules are made."""
    clock = tenant.clock
    now = clock.now()
    calendar = work_calendar(session, tenant)
    first = session.scalar(select(func.min(Task.stage_started_at))) or now
    day = clock.day_of(first)
    while day <= clock.today():
        if calendar.is_workday(day):
            for time in SWEEP_TIMES:
                moment = clock.at(day, time)
                if first < moment < now:
                    cards.sweep_cards(session, moment)
        day += dt.timedelta(days=1)
    cards.sweep_cards(session, now)
    supervised = _supervise_red(session, tenant, now)
    carded = select(func.count(Task.id)).where(Task.is_open.is_(True))
    yellow = session.scalar(carded.where(Task.card == Card.YELLOW.value)) or 0
    red = session.scalar(carded.where(Task.card == Card.RED.value)) or 0
    return yellow, red, supervised


def _timeline(pick: random.Random, steps: int, last: dt.datetime) -> list[dt.datetime]:
    """``steps`` + 1 moments ending at ``last``, each a few hours after the one before."""
    moments = [last]
    for _ in range(steps):
        moments.append(moments[-1] - dt.timedelta(hours=pick.uniform(*STEP_GAP_HOURS)))
    return moments[::-1]


def _fill(session: Session, tenant: Tenant) -> int:
    pick = random.Random(SEED)  # noqa: S311 (demo content, fixed seed: same demo every time)
    grids = list(
        session.scalars(
            select(Node)
            .where(Node.level == tenant.grid_level, Node.retired_at.is_(None))
            .order_by(Node.code)
        )
    )
    if not grids:
        return 0
    calendar = work_calendar(session, tenant)
    # Every path once in the first grid (the one of the first logins the demo prints), so each
    # of their lists has something; then paths at random all over the county.
    plan = [(grids[0], path) for path in PATHS] + [
        (pick.choice(grids), pick.choice(PATHS)) for _ in range(DEMO_TASKS - len(PATHS))
    ]
    made = 0
    for grid, path in plan:
        people = _people(session, grid)
        if people is None:
            continue
        story = _story(pick, path)
        steps = len(story.path)
        if story.is_closed_at_end:
            last = _working_moment(pick, tenant, pick.randint(*CLOSED_DAYS_AGO))
        elif story.card_plan == "none":
            last = tenant.clock.now() - dt.timedelta(minutes=pick.randint(5, 40))
        else:
            # The path once at the real time, undone, to learn the stage it ends in; then the
            # last step goes where that stage's clock shows the card planned.
            with session.begin_nested() as probe:
                walked = _walk(session, grid, people, story)
                ending = (walked.task_type, walked.category, walked.state, walked.current_node_id)
                steps = len(reading.history(session, walked)) - 1
                probe.rollback()
            last = _last_moment(session, pick, tenant, calendar, story.card_plan, ending)
        _walk(session, grid, people, story, _timeline(pick, steps, last))
        made += 1
    return made


@dataclass(frozen=True)
class _Story:
    """What happens to one demo task: the example, its track, the path and the ratings."""

    example: tuple[str, str, str, str | None]
    track: str
    path: list[tuple[str, str, str]]
    ratings: list[Rating]
    card_plan: str  # how the current stage's clock should stand now, if the task stays open

    @property
    def is_closed_at_end(self) -> bool:
        return bool(self.path) and self.path[-1][1] in CLOSING_ACTIONS


def _story(pick: random.Random, path: list[tuple[str, str, str]]) -> _Story:
    example = pick.choice(EXAMPLES)
    track = "emergency" if example[0] == "突发事项" else pick.choice(["general", "coordinate"])
    if track == "emergency" and RESOLVE in path:
        path = path[: path.index(RESOLVE)]  # an emergency is never resolved on the spot
    ratings = [
        pick.choices([r for r, _w in RATINGS], [w for _r, w in RATINGS])[0]
        for _who, action, _c in path
        if action == RATE[1]
    ]
    plan = pick.choices([p for p, _w in CARD_PLANS], [w for _p, w in CARD_PLANS])[0]
    return _Story(example, track, path, ratings, plan)


def _people(session: Session, grid: Node) -> dict[str, User] | None:
    """The grid's worker, its community's station and its township's staff (None: the grid
    lacks a worker or a station)."""
    worker = accounts.responsible_worker(session, grid)
    community = session.get(Node, grid.parent_id) if grid.parent_id else None
    station = _staff(session, community, Role.STATION_STAFF)
    if worker is None or community is None or station is None:
        return None
    township = session.get(Node, community.parent_id) if community.parent_id else None
    people = {"worker": worker, "station": station}
    township_staff = _staff(session, township, Role.TOWNSHIP_STAFF)
    if township_staff is not None:
        people["township"] = township_staff
    return people


def _staff(session: Session, node: Node | None, role: Role) -> User | None:
    if node is None:
        return None
    return next((u for u in accounts.staff_of(session, node) if u.role == role), None)


def _walk(
    session: Session,
    grid: Node,
    people: dict[str, User],
    story: _Story,
    moments: Sequence[dt.datetime] | None = None,
) -> Task:
    """Report one demo task and take it down its path as far as its track allows, the report
    and each step at its moment (None: now)."""
    category, title, description, department_code = story.example

    def at(index: int) -> Any:
        return pinned_clock(moments[index]) if moments else contextlib.nullcontext()

    with at(0):
        task, _created = reporting.report_task(
            session,
            people["worker"],
            scope_of(session, people["worker"]),
            grid,
            reporting.Report(
                category=category, title=title, description=description, track=story.track
            ),
        )
    department = _serving(session, department_code, grid)
    officers = departments.officers(session, department) if department else []
    ratings = iter(story.ratings)
    for index, (who, action, comment) in enumerate(story.path, start=1):
        actor = people.get(who) or (officers[0] if officers else people["worker"])
        move = transitions.Move(comment=comment or "同意", target_node=grid)
        if action == "dispatch_department":
            action = "dispatch"
            if department is not None and officers:
                move = transitions.Move(comment=comment, department_id=department.id)
        elif action == RATE[1]:
            rating = next(ratings)
            move = transitions.Move(comment=RATING_COMMENTS[rating], rating=rating.value)
        if moments is not None and index >= len(moments):
            break  # the probe stopped here
        try:
            with session.begin_nested(), at(index):
                task = transitions.transition(
                    session, actor, scope_of(session, actor), task, action, move
                )
        except DomainError:
            break  # e.g. an emergency cannot be resolved on the spot: it stays where it is
    return task


def _serving(session: Session, code: str | None, grid: Node) -> Department | None:
    """The active department ``code`` if it serves ``grid`` (its node is above the grid)."""
    department = departments.get_department_by_code(session, code) if code else None
    if department is None or not department.is_active:
        return None
    return department if grid.path.startswith(department.node.path) else None


def _last_moment(
    session: Session,
    pick: random.Random,
    tenant: Tenant,
    calendar: WorkCalendar,
    plan: str,
    ending: tuple[str, str, str, int],
) -> dt.datetime:
    """When the last step of a task ending in ``ending`` (type, category, state, node)
    happens: a moment that leaves that stage's clock at its yellow threshold (``plan``
    "yellow") or past its limit ("red") now, on the county's work calendar and rule table."""
    task_type_name, category, state, node_id = ending
    now = tenant.clock.now()
    task_type = reading.registry().get(task_type_name)
    node = session.get(Node, node_id)
    assert node is not None
    stage = rules.rule_table(session).resolve(task_type, category, node.level, state)
    hours = stage.hours
    if hours is None:
        return now - dt.timedelta(minutes=pick.randint(5, 40))

    def due_from(start: dt.datetime, share: float = 1.0) -> dt.datetime:
        return calendar.add_working_hours(start, hours * share)

    if plan == "red":
        start = _working_moment(pick, tenant, pick.randint(*RED_DAYS_AGO))
        while due_from(start, stage.red_percent / 100) > now:
            start -= dt.timedelta(days=1)
        return start
    start = now - dt.timedelta(minutes=pick.randint(5, 40))
    if plan == "yellow":
        # Back in quarter hours until the yellow threshold has passed: the shortest stage (4
        # working hours) is yellow for 48 minutes; nights and holidays are skipped over.
        for _ in range(4 * 24 * 30):
            if due_from(start, stage.yellow_percent / 100) <= now:
                break
            start -= dt.timedelta(minutes=15)
    return start


def _working_moment(pick: random.Random, tenant: Tenant, days_ago: int) -> dt.datetime:
    """A moment in the working day ``days_ago`` county days before today."""
    clock = tenant.clock
    day = clock.today() - dt.timedelta(days=days_ago)
    return clock.at(day, dt.time(8, 30)) + dt.timedelta(minutes=pick.randint(0, 8 * 60))


def _supervise_red(session: Session, tenant: Tenant, now: dt.datetime) -> int:
    """The county supervises its oldest red tasks (the first listed, 挂牌督办) and the first
    township with staff its own, with a due date a few days ahead."""
    admin = session.scalar(
        select(User).where(User.role == Role.COUNTY_ADMIN, User.is_active).order_by(User.id)
    )
    red = list(
        session.scalars(
            select(Task)
            .where(
                Task.is_open.is_(True),
                Task.card == Card.RED.value,
                Task.is_supervised.is_(False),
            )
            .order_by(Task.due_at, Task.id)
        )
    )
    if admin is None or not red:
        return 0
    clock = tenant.clock
    orders: list[tuple[User, Node, Task]] = []
    top = session.scalar(select(Node).where(Node.parent_id.is_(None)).order_by(Node.id))
    assert top is not None
    orders += [(admin, top, task) for task in red[:SUPERVISED_BY_COUNTY]]
    township = session.scalar(
        select(User).where(User.role == Role.TOWNSHIP_STAFF, User.is_active).order_by(User.id)
    )
    if township is not None and township.assignments:
        street = session.get(Node, township.assignments[0].node_id)
        assert street is not None
        own = [
            task for task in red[SUPERVISED_BY_COUNTY:] if task.filed_path.startswith(street.path)
        ]
        orders += [(township, street, task) for task in own[:SUPERVISED_BY_TOWNSHIP]]
    for index, (actor, node, task) in enumerate(orders):
        order = supervision.supervise(
            session,
            actor,
            scope_of(session, actor),
            task,
            node=node,
            note="超期未办结，请于期限内办结并报告结果",
            due_at=clock.end_of_day(clock.today() + dt.timedelta(days=3 + index)),
            is_listed=index == 0,
        )
        # Ordered the working day after the red card, as a county's morning review would.
        carded = session.scalar(
            select(func.max(TaskCard.at)).where(
                TaskCard.task_id == task.id, TaskCard.color == Card.RED.value
            )
        )
        if carded is not None:
            order.created_at = min(carded + dt.timedelta(hours=18), now)
    session.flush()
    return len(orders)
