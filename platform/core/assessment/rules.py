"""The core's assessment rules: each scores every grid worker of a county for a month at once,
from one query over the month's records of all workers, grouped per worker in Python (a
per-worker query would make a county of 10,000 workers wait), and keeps the ids of the records
it counted, so the sheet can link to them.

Every rule gets the line of the scheme (its points and parameters) and returns, per worker, a
``LineResult``: the points, the figures behind them and the records counted. The figures are
data; ``describe`` puts them into words in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.assessment.models import Meeting, MeetingAttendance, SatisfactionAnswer, SpotCheck
from gridgov.core.assessment.scheme import Line, RuleInfo
from gridgov.core.audit.models import AuditEvent
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.i18n import _
from gridgov.core.registry.models import Household, Visit
from gridgov.core.tasks.calendar import WorkCalendar
from gridgov.core.tasks.models import (
    Patrol,
    Rating,
    Source,
    Task,
    TaskCard,
    TaskTransition,
    WorkerLog,
)
from gridgov.core.tasks.rules import rule_table
from gridgov.core.tasks.workflow import TaskTypeRegistry
from gridgov.core.tenancy.county_time import Period


@dataclass(frozen=True)
class Worker:
    """A grid worker assessed: their account and the grids they are attached to."""

    id: int
    name: str
    paths: tuple[str, ...]  # the grids' paths, in the same order
    first_node_id: int | None
    first_path: str


@dataclass
class Month:
    """What every rule of one run is given: the county's month and its grid workers."""

    session: Session
    period: Period
    calendar: WorkCalendar
    types: TaskTypeRegistry
    workers: Mapping[int, Worker]
    leave_days: Mapping[int, frozenset[dt.date]]  # approved leave, by worker

    @functools.cached_property
    def workdays(self) -> list[dt.date]:
        # Once per run, not per worker: the calendar's answer costs ~16 µs a day.
        days = (self.period.first + dt.timedelta(days=n) for n in range(self.period.days))
        return [day for day in days if self.calendar.is_workday(day)]

    def duty_days(self, worker_id: int) -> list[dt.date]:
        """The county's working days of the month the worker was not on approved leave."""
        away = self.leave_days.get(worker_id, frozenset())
        return [day for day in self.workdays if day not in away]

    def county_day(self, moment: dt.datetime) -> dt.date:
        if moment.tzinfo is None:  # SQLite hands back naive UTC
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(self.period.zone).date()

    def in_month(self, column: Any) -> Any:
        return and_(column >= self.period.starts_at, column < self.period.ends_at)


@dataclass
class LineResult:
    """One worker's line: ``points`` (None: the line does not apply to them), the figures and
    the ids of the records counted, by kind (``task``, ``patrol``, ``visit``, ``log`` …)."""

    points: float | None
    figures: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class CoreRule:
    info: RuleInfo
    compute: Callable[[Month, Line], dict[int, LineResult]]
    describe: Callable[[Mapping[str, Any]], str]


def _share(points: float, done: float, expected: float) -> float:
    return round(points * min(done / expected, 1.0), 2) if expected else points


def _worker_grids(month: Month) -> Any:
    """(user id, node id) of every grid worker's grid, as a subquery to join records on."""
    return (
        select(Assignment.user_id, Assignment.node_id)
        .join(User, User.id == Assignment.user_id)
        .where(User.role == Role.GRID_WORKER.value, User.is_active.is_(True))
        .subquery()
    )


def _group(rows: Any, month: Month) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if row[0] in month.workers:
            grouped[row[0]].append(row)
    return grouped


# --- 勤 (diligence) ---------------------------------------------------------------------------


def patrols(month: Month, line: Line) -> dict[int, LineResult]:
    """一日双巡: patrols on the worker's duty days (working days not on leave), at most
    ``per_day`` a day counted, against ``per_day`` × duty days."""
    per_day = int(line.params.get("per_day", 2))
    rows = month.session.execute(
        select(Patrol.user_id, Patrol.id, Patrol.at)
        .where(month.in_month(Patrol.at))
        .order_by(Patrol.at, Patrol.id)  # the first two of a day are the ones counted
    )
    found = _group(rows, month)
    results = {}
    for worker_id in month.workers:
        duty = set(month.duty_days(worker_id))
        by_day: dict[dt.date, list[int]] = defaultdict(list)
        for _user, patrol_id, at in found.get(worker_id, ()):
            by_day[month.county_day(at)].append(patrol_id)
        counted = [i for day, ids in sorted(by_day.items()) if day in duty for i in ids[:per_day]]
        expected = per_day * len(duty)
        figures = {
            "done": len(counted),
            "expected": expected,
            "duty_days": len(duty),
            "leave_days": len(set(month.workdays) - duty),
        }
        points = None if not expected else _share(line.points, len(counted), expected)
        results[worker_id] = LineResult(points, figures, {"patrol": counted})
    return results


def logs(month: Month, line: Line) -> dict[int, LineResult]:
    """网格员日志: duty days with a daily log, against the duty days."""
    rows = month.session.execute(
        select(WorkerLog.user_id, WorkerLog.id, WorkerLog.day).where(
            WorkerLog.day >= month.period.first, WorkerLog.day <= month.period.last
        )
    )
    found = _group(rows, month)
    results = {}
    for worker_id in month.workers:
        duty = set(month.duty_days(worker_id))
        counted = [log_id for _u, log_id, day in found.get(worker_id, ()) if day in duty]
        figures = {"written": len(counted), "expected": len(duty)}
        points = None if not duty else _share(line.points, len(counted), len(duty))
        results[worker_id] = LineResult(points, figures, {"log": sorted(counted)})
    return results


def visits(month: Month, line: Line) -> dict[int, LineResult]:
    """入户率: households of the worker's grids the worker visited in the month, against
    ``target`` (a share, 0.3 by default: every household about once a quarter)."""
    target = float(line.params.get("target", 0.3))
    grids = _worker_grids(month)
    households = dict(
        month.session.execute(
            select(grids.c.user_id, func.count(distinct(Household.id)))
            .join(Household, Household.node_id == grids.c.node_id)
            .group_by(grids.c.user_id)
        ).all()
    )
    rows = month.session.execute(
        select(grids.c.user_id, Visit.id, Visit.household_id)
        .join(Household, Household.node_id == grids.c.node_id)
        .join(
            Visit,
            and_(Visit.household_id == Household.id, Visit.visited_by_id == grids.c.user_id),
        )
        .where(month.in_month(Visit.visited_at))
    )
    found = _group(rows, month)
    results = {}
    for worker_id in month.workers:
        total = households.get(worker_id, 0)
        seen = found.get(worker_id, ())
        visited = len({household for _u, _v, household in seen})
        rate = visited / total if total else None
        figures = {"households": total, "visited": visited, "rate": rate, "target": target}
        points = None if not total else _share(line.points, visited, total * target)
        results[worker_id] = LineResult(points, figures, {"visit": sorted(v for _u, v, _h in seen)})
    return results


def activity(month: Month, line: Line) -> dict[int, LineResult]:
    """Account activity: full points if the worker used their account in the month (a portal
    login, a patrol or a daily log), none if not; an account never used is flagged."""
    logins = dict(
        month.session.execute(
            select(AuditEvent.actor_id, func.count(AuditEvent.id))
            .where(
                AuditEvent.actor_type == "user",
                AuditEvent.action == "user.login",
                month.in_month(AuditEvent.at),
            )
            .group_by(AuditEvent.actor_id)
        ).all()
    )
    patrolled = set(
        month.session.scalars(select(Patrol.user_id).distinct().where(month.in_month(Patrol.at)))
    )
    logged = set(
        month.session.scalars(
            select(WorkerLog.user_id)
            .distinct()
            .where(WorkerLog.day >= month.period.first, WorkerLog.day <= month.period.last)
        )
    )
    never = set(month.session.scalars(select(User.id).where(User.last_login_at.is_(None))))
    results = {}
    for worker_id in month.workers:
        used = bool(logins.get(worker_id)) or worker_id in patrolled or worker_id in logged
        figures = {
            "logins": logins.get(worker_id, 0),
            "used": used,
            "never_logged_in": worker_id in never,
        }
        results[worker_id] = LineResult(line.points if used else 0.0, figures)
    return results


def meetings(month: Month, line: Line) -> dict[int, LineResult]:
    """晨会: the morning meetings of the month the station expected the worker at (on their
    duty days), against those they attended; none held for them: not scored."""
    rows = month.session.execute(
        select(MeetingAttendance.user_id, Meeting.id, Meeting.day, MeetingAttendance.present)
        .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
        .where(Meeting.day >= month.period.first, Meeting.day <= month.period.last)
    )
    found = _group(rows, month)
    results = {}
    for worker_id in month.workers:
        duty = set(month.duty_days(worker_id))
        held = [(m, present) for _u, m, day, present in found.get(worker_id, ()) if day in duty]
        attended = sorted(m for m, present in held if present)
        figures = {"held": len(held), "attended": len(attended)}
        points = None if not held else _share(line.points, len(attended), len(held))
        results[worker_id] = LineResult(points, figures, {"meeting": sorted(m for m, _p in held)})
    return results


# --- 绩 (results) -----------------------------------------------------------------------------


def reports(month: Month, line: Line) -> dict[int, LineResult]:
    """Valid reports (有效上报): problems the worker reported on patrol in the month that the
    station took up (moved on from the report's first stage), ``each`` point apiece."""
    each = float(line.params.get("each", 1.0))
    rows = month.session.execute(
        select(Task.reporter_id, Task.id, Task.task_type, Task.state).where(
            Task.source == Source.PATROL.value, month.in_month(Task.reported_at)
        )
    )
    found = _group(rows, month)
    results = {}
    for worker_id in month.workers:
        tasks = found.get(worker_id, ())
        valid = [t for _u, t, kind, state in tasks if state != _initial(month, kind)]
        rate = len(valid) / len(tasks) if tasks else None
        figures = {"reported": len(tasks), "valid": len(valid), "rate": rate}
        points = round(min(len(valid) * each, line.points), 2)
        results[worker_id] = LineResult(points, figures, {"task": sorted(valid)})
    return results


def _initial(month: Month, task_type: str) -> str:
    try:
        return month.types.get(task_type).initial
    except KeyError:
        return "reported"


def on_time(month: Month, line: Line) -> dict[int, LineResult]:
    """On-time rate (按时办结率): of the tasks of the worker's grids closed in the month, the
    share that never got a red card while waiting at the grid; full points when none closed."""
    grids = _worker_grids(month)
    closed = month.session.execute(
        select(grids.c.user_id, Task.id)
        .join(Task, Task.node_id == grids.c.node_id)
        .where(month.in_month(Task.closed_at))
    )
    late_rows = month.session.execute(
        select(grids.c.user_id, TaskCard.task_id)
        .join(TaskCard, TaskCard.node_id == grids.c.node_id)
        .join(Task, Task.id == TaskCard.task_id)
        .where(TaskCard.color == "red", month.in_month(Task.closed_at))
    )
    late: dict[int, set[int]] = defaultdict(set)
    for user_id, task_id in late_rows:
        late[user_id].add(task_id)
    found = _group(closed, month)
    results = {}
    for worker_id in month.workers:
        tasks = sorted({task_id for _u, task_id in found.get(worker_id, ())})
        punctual = [t for t in tasks if t not in late[worker_id]]
        rate = len(punctual) / len(tasks) if tasks else None
        figures = {"closed": len(tasks), "on_time": len(punctual), "rate": rate}
        points = _share(line.points, len(punctual), len(tasks))
        results[worker_id] = LineResult(points, figures, {"task": punctual})
    return results


def cards(month: Month, line: Line) -> dict[int, LineResult]:
    """Cards (黄红牌): the line's points less what each yellow and red card given in the month
    at the worker's grids deducts, by the county's rule table in force when it was given."""
    grids = _worker_grids(month)
    rows = month.session.execute(
        select(
            grids.c.user_id,
            TaskCard.task_id,
            TaskCard.color,
            TaskCard.state,
            TaskCard.rule_version_id,
            Task.task_type,
            Task.category,
            Node.level,
        )
        .join(TaskCard, TaskCard.node_id == grids.c.node_id)
        .join(Task, Task.id == TaskCard.task_id)
        .join(Node, Node.id == TaskCard.node_id)
        .where(month.in_month(TaskCard.at))
    )
    tables: dict[int | None, Any] = {}
    found = _group(rows, month)
    results = {}
    for worker_id in month.workers:
        deducted, yellow, red, tasks = 0.0, 0, 0, set()
        for _u, task_id, color, state, version, kind, category, level in found.get(worker_id, ()):
            if version not in tables:
                tables[version] = rule_table(month.session, version, current=False)
            try:
                rule = tables[version].resolve(month.types.get(kind), category, level, state)
                cost = rule.red_points if color == "red" else rule.yellow_points
            except (KeyError, ValueError):  # a type since uninstalled: the defaults
                cost = 1.0 if color == "red" else 0.5
            deducted += cost
            red, yellow = red + (color == "red"), yellow + (color != "red")
            tasks.add(task_id)
        figures = {"yellow": yellow, "red": red, "deducted": round(deducted, 2)}
        points = round(max(line.points - deducted, 0.0), 2)
        results[worker_id] = LineResult(points, figures, {"task": sorted(tasks)})
    return results


def missed(month: Month, line: Line) -> dict[int, LineResult]:
    """Missed reports (漏报): problems in the worker's grids reported in the month by others
    (residents, the hotline, departments) — the line's points less ``each`` per problem."""
    each = float(line.params.get("each", 1.0))
    grids = _worker_grids(month)
    rows = month.session.execute(
        select(grids.c.user_id, Task.id, Task.source)
        .join(Task, Task.node_id == grids.c.node_id)
        .where(month.in_month(Task.reported_at))
    )
    others = {Source.RESIDENT.value, Source.HOTLINE.value, Source.DEPARTMENT.value}
    found = _group(rows, month)
    results = {}
    for worker_id in month.workers:
        tasks = found.get(worker_id, ())
        missed_ids = sorted({t for _u, t, source in tasks if source in others})
        total = len({t for _u, t, _s in tasks})
        rate = len(missed_ids) / total if total else None
        figures = {"missed": len(missed_ids), "problems": total, "rate": rate}
        points = round(max(line.points - len(missed_ids) * each, 0.0), 2)
        results[worker_id] = LineResult(points, figures, {"task": missed_ids})
    return results


def satisfaction(month: Month, line: Line) -> dict[int, LineResult]:
    """Satisfaction (满意率) of the residents' evaluations, in the month, of the tasks of the
    worker's grids: satisfied and basically satisfied over all rated; none rated: not scored."""
    grids = _worker_grids(month)
    rows = month.session.execute(
        select(grids.c.user_id, Task.id, Task.rating)
        .join(Task, Task.node_id == grids.c.node_id)
        .join(TaskTransition, TaskTransition.task_id == Task.id)
        .where(
            TaskTransition.action == "evaluate",
            Task.rating.is_not(None),
            month.in_month(TaskTransition.at),
        )
    )
    content = {Rating.SATISFIED.value, Rating.BASIC.value}
    found = _group(rows, month)
    results = {}
    for worker_id in month.workers:
        rated = {task_id: rating for _u, task_id, rating in found.get(worker_id, ())}
        happy = sorted(t for t, rating in rated.items() if rating in content)
        rate = len(happy) / len(rated) if rated else None
        figures = {"rated": len(rated), "satisfied": len(happy), "rate": rate}
        points = None if not rated else _share(line.points, len(happy), len(rated))
        results[worker_id] = LineResult(points, figures, {"task": sorted(rated)})
    return results


def _spot_checks(month: Month) -> dict[int, list[Any]]:
    rows = month.session.execute(
        select(
            SpotCheck.user_id,
            SpotCheck.id,
            SpotCheck.knows_worker,
            SpotCheck.was_visited,
            SpotCheck.satisfaction,
        ).where(month.in_month(SpotCheck.at))
    )
    return _group(rows, month)


def awareness(month: Month, line: Line) -> dict[int, LineResult]:
    """知晓率 from the month's spot checks (抽查): residents asked who knew their grid worker;
    the checks' 入户率 (residents who say they were visited) is among the figures. No check:
    not scored."""
    found = _spot_checks(month)
    results = {}
    for worker_id in month.workers:
        checks = found.get(worker_id, ())
        knew = sum(1 for row in checks if row[2])
        visited = sum(1 for row in checks if row[3])
        figures = {
            "checks": len(checks),
            "knew": knew,
            "rate": knew / len(checks) if checks else None,
            "visited": visited,
            "visit_rate": visited / len(checks) if checks else None,
        }
        points = None if not checks else _share(line.points, knew, len(checks))
        results[worker_id] = LineResult(
            points, figures, {"spot_check": sorted(r[1] for r in checks)}
        )
    return results


def spot_satisfaction(month: Month, line: Line) -> dict[int, LineResult]:
    """满意率 from the month's spot checks: satisfied or basically satisfied over all asked."""
    found = _spot_checks(month)
    content = {SatisfactionAnswer.SATISFIED.value, SatisfactionAnswer.BASIC.value}
    results = {}
    for worker_id in month.workers:
        checks = found.get(worker_id, ())
        happy = sum(1 for row in checks if row[4] in content)
        figures = {
            "checks": len(checks),
            "satisfied": happy,
            "rate": happy / len(checks) if checks else None,
        }
        points = None if not checks else _share(line.points, happy, len(checks))
        results[worker_id] = LineResult(
            points, figures, {"spot_check": sorted(r[1] for r in checks)}
        )
    return results


# --- 能 (ability) -----------------------------------------------------------------------------

# Audit actions that record a registry entry made or brought up to date (数据更新).
DATA_ACTIONS = (
    "compound.create",
    "building.create",
    "dwelling.create",
    "dwelling.move",
    "site.create",
    "rental.create",
    "household.create",
    "person.create",
    "person.update",
    "person.tag",
    "person.untag",
)


def data_updates(month: Month, line: Line) -> dict[int, LineResult]:
    """Data updates (数据更新): registry entries the worker created or brought up to date in
    the month, ``each`` point apiece."""
    each = float(line.params.get("each", 0.5))
    rows = month.session.execute(
        select(AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.object_id).where(
            AuditEvent.actor_type == "user",
            AuditEvent.action.in_(DATA_ACTIONS),
            month.in_month(AuditEvent.at),
        )
    )
    found = _group(rows, month)
    results = {}
    for worker_id in month.workers:
        evidence: dict[str, set[int]] = defaultdict(set)
        updates = found.get(worker_id, ())
        for _u, kind, object_id in updates:
            if str(object_id).isdigit():
                evidence[kind].add(int(object_id))
        figures = {"updates": len(updates)}
        points = round(min(len(updates) * each, line.points), 2)
        results[worker_id] = LineResult(
            points, figures, {kind: sorted(ids) for kind, ids in sorted(evidence.items())}
        )
    return results


def _rate(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


CORE_RULES = (
    CoreRule(
        RuleInfo("core.patrols", _("一日双巡"), "Two patrols a day", "diligence", 12),
        patrols,
        lambda f: str(
            _(
                "巡查 %(done)d 次，应巡 %(expected)d 次"
                "（在岗 %(days)d 个工作日，请假 %(leave)d 天）",
                done=f["done"],
                expected=f["expected"],
                days=f["duty_days"],
                leave=f["leave_days"],
            )
        ),
    ),
    CoreRule(
        RuleInfo("core.logs", _("网格员日志"), "Daily logs", "diligence", 5),
        logs,
        lambda f: str(
            _("写日志 %(n)d 天，应写 %(expected)d 天", n=f["written"], expected=f["expected"])
        ),
    ),
    CoreRule(
        RuleInfo("core.visits", _("入户走访"), "Household visits", "diligence", 8),
        visits,
        lambda f: str(
            _(
                "走访 %(visited)d 户，共 %(total)d 户，入户率 %(rate)s（目标 %(target)s）",
                visited=f["visited"],
                total=f["households"],
                rate=_rate(f["rate"]),
                target=_rate(f["target"]),
            )
        ),
    ),
    CoreRule(
        RuleInfo("core.meetings", _("晨会"), "Morning meetings", "diligence", 5),
        meetings,
        lambda f: str(_("应到晨会 %(held)d 次，出席 %(n)d 次", held=f["held"], n=f["attended"])),
    ),
    CoreRule(
        RuleInfo("core.activity", _("账号使用"), "Account in use", "diligence", 5),
        activity,
        lambda f: str(
            _("本月在用：登录 %(n)d 次，或有巡查、日志", n=f["logins"])
            if f["used"]
            else _("本月未使用账号（从未登录）")
            if f["never_logged_in"]
            else _("本月未使用账号")
        ),
    ),
    CoreRule(
        RuleInfo("core.reports", _("有效上报"), "Valid reports", "results", 8),
        reports,
        lambda f: str(
            _(
                "上报 %(n)d 件，有效 %(valid)d 件，有效上报率 %(rate)s",
                n=f["reported"],
                valid=f["valid"],
                rate=_rate(f["rate"]),
            )
        ),
    ),
    CoreRule(
        RuleInfo("core.on_time", _("按时办结"), "Handled on time", "results", 8),
        on_time,
        lambda f: str(
            _(
                "网格内办结 %(n)d 件，按时 %(ok)d 件，按时办结率 %(rate)s",
                n=f["closed"],
                ok=f["on_time"],
                rate=_rate(f["rate"]),
            )
        ),
    ),
    CoreRule(
        RuleInfo("core.cards", _("黄红牌扣分"), "Card deductions", "results", 5),
        cards,
        lambda f: str(
            _(
                "黄牌 %(y)d 张，红牌 %(r)d 张，扣 %(d)s 分",
                y=f["yellow"],
                r=f["red"],
                d=f"{f['deducted']:g}",
            )
        ),
    ),
    CoreRule(
        RuleInfo("core.missed", _("漏报"), "Missed reports", "results", 4),
        missed,
        lambda f: str(
            _(
                "网格内他人发现的问题 %(n)d 件，共 %(total)d 件，漏报率 %(rate)s",
                n=f["missed"],
                total=f["problems"],
                rate=_rate(f["rate"]),
            )
        ),
    ),
    CoreRule(
        RuleInfo("core.satisfaction", _("群众满意率"), "Residents' satisfaction", "results", 4),
        satisfaction,
        lambda f: str(
            _(
                "评价 %(n)d 件，满意 %(ok)d 件，满意率 %(rate)s",
                n=f["rated"],
                ok=f["satisfied"],
                rate=_rate(f["rate"]),
            )
        ),
    ),
    CoreRule(
        RuleInfo(
            "core.awareness", _("群众知晓率"), "Residents who know their worker", "results", 3
        ),
        awareness,
        lambda f: str(
            _(
                "抽查 %(n)d 户，知晓 %(knew)d 户，知晓率 %(rate)s；称已入户 %(visited)d 户",
                n=f["checks"],
                knew=f["knew"],
                rate=_rate(f["rate"]),
                visited=f["visited"],
            )
        ),
    ),
    CoreRule(
        RuleInfo(
            "core.spot_satisfaction", _("抽查满意率"), "Spot-check satisfaction", "results", 3
        ),
        spot_satisfaction,
        lambda f: str(
            _(
                "抽查 %(n)d 户，满意 %(ok)d 户，满意率 %(rate)s",
                n=f["checks"],
                ok=f["satisfied"],
                rate=_rate(f["rate"]),
            )
        ),
    ),
    CoreRule(
        RuleInfo("core.data_updates", _("数据更新"), "Data updates", "ability", 5),
        data_updates,
        lambda f: str(_("新增或更新登记 %(n)d 条", n=f["updates"])),
    ),
)
CORE_RULES_BY_CODE = {rule.info.code: rule for rule in CORE_RULES}
# The indicators every sheet shows, whether or not the county's scheme scores them.
INDICATORS = {
    "valid_report_rate": ("core.reports", "rate"),
    "on_time_rate": ("core.on_time", "rate"),
    "missed_report_rate": ("core.missed", "rate"),
    "visit_rate": ("core.visits", "rate"),
    "awareness_rate": ("core.awareness", "rate"),
    "spot_visit_rate": ("core.awareness", "visit_rate"),
    "spot_satisfaction_rate": ("core.spot_satisfaction", "rate"),
}
