"""The records of a worker's month that people make by hand: spot checks (抽查) of residents,
the station's morning meetings (晨会) with who attended, the station's comments on daily logs;
and the supervisor's view of one worker's day and month on one page."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.assessment.inputs import checked_text, worker_in_scope
from gridgov.core.assessment.models import (
    EXCUSING_STATES,
    LeaveRequest,
    LogComment,
    Meeting,
    MeetingAttendance,
    SatisfactionAnswer,
    SpotCheck,
)
from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import DomainError, Forbidden, NotFound
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.i18n import _
from gridgov.core.registry.models import Household
from gridgov.core.tasks.calendar import work_calendar
from gridgov.core.tasks.models import Patrol, Task, WorkerLog
from gridgov.core.tenancy.county_time import Period
from gridgov.core.tenancy.service import current_tenant

# Who checks on workers (抽查): the station, the township, the county and the supervisors.
CHECKER_ROLES = frozenset(
    {Role.SUPERVISOR, Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN}
)
# Who runs a morning meeting and comments on logs: the station (and the levels above it).
STATION_ROLES = frozenset({Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})
MAX_NOTE = 1000


def grid_worker(session: Session, scope: Scope, user_id: int) -> User:
    """The active grid worker ``user_id`` if one of their grids lies in ``scope``, else
    NotFound (as if there were none: another county's or station's worker is not named)."""
    return _grid_worker(session, scope, user_id)


def _grid_worker(session: Session, scope: Scope, user_id: int) -> User:
    worker = session.get(User, user_id)
    if (
        worker is None
        or worker.tenant_id != current_tenant(session).id
        or worker.role != Role.GRID_WORKER
        or not worker_in_scope(session, scope, worker.id)
    ):
        raise NotFound(_("没有这个网格员"), field="user_id")
    return worker


# --- spot checks -----------------------------------------------------------------------------


def record_spot_check(
    session: Session,
    actor: User,
    scope: Scope,
    *,
    user_id: int,
    knows_worker: bool,
    was_visited: bool,
    satisfaction: str,
    household_id: int | None = None,
    resident: str = "",
    note: str = "",
) -> SpotCheck:
    """Record one resident's answers about their grid worker (知晓、入户、满意)."""
    if actor.role not in CHECKER_ROLES:
        raise Forbidden(_("您不能登记抽查"))
    worker = _grid_worker(session, scope, user_id)
    if satisfaction not in {s.value for s in SatisfactionAnswer}:
        raise DomainError(_("满意度应为 satisfied、basic 或 unsatisfied"), field="satisfaction")
    if household_id is not None:
        household = session.get(Household, household_id)
        grids = set(
            session.scalars(select(Assignment.node_id).where(Assignment.user_id == worker.id))
        )
        if household is None or household.node_id not in grids:
            raise DomainError(_("这户不在该网格员的网格内"), field="household_id")
    check = SpotCheck(
        user_id=worker.id,
        household_id=household_id,
        resident=checked_text(resident, "resident", max_length=100, one_line=True),
        knows_worker=bool(knows_worker),
        was_visited=bool(was_visited),
        satisfaction=satisfaction,
        note=checked_text(note, "note", max_length=MAX_NOTE),
        checked_by_id=actor.id,
        checked_by_name=actor.name,
    )
    session.add(check)
    session.flush()
    audit.record(
        session,
        actor,
        "assessment.spot_check",
        "assessment_spot_check",
        check.id,
        after={"user_id": worker.id, "knows": check.knows_worker, "visited": check.was_visited},
    )
    return check


# --- morning meetings ------------------------------------------------------------------------


def station_workers(session: Session, node: Node) -> list[User]:
    """The active grid workers of the grids below ``node`` (a station's community)."""
    below = (
        select(Assignment.user_id)
        .join(Node, Node.id == Assignment.node_id)
        .where(subtree(Node.path, node.path))
    )
    return list(
        session.scalars(
            select(User)
            .where(
                User.id.in_(below),
                User.role == Role.GRID_WORKER.value,
                User.is_active.is_(True),
            )
            .order_by(User.name, User.id)
        )
    )


def record_meeting(
    session: Session,
    actor: User,
    scope: Scope,
    node: Node,
    day: dt.date,
    present: set[int],
    *,
    note: str = "",
) -> Meeting:
    """Record the morning meeting of ``node``'s station on ``day``: every grid worker of the
    station is listed, those in ``present`` as attending. Recording the same day again
    replaces the list."""
    if actor.role not in STATION_ROLES or not scope.contains(node):
        raise Forbidden(_("您不能登记这个站点的晨会"))
    if day > current_tenant(session).clock.today():
        raise DomainError(_("不能登记将来的晨会"), field="day")
    workers = station_workers(session, node)
    if not workers:
        raise DomainError(_("这个节点下没有网格员"), field="node_id")
    unknown = set(present) - {w.id for w in workers}
    if unknown:
        raise DomainError(_("出席名单中有不属于本站的人员"), field="present")
    meeting = session.scalar(select(Meeting).where(Meeting.node_id == node.id, Meeting.day == day))
    if meeting is None:
        meeting = Meeting(node_id=node.id, day=day)
        session.add(meeting)
    meeting.note = checked_text(note, "note", max_length=MAX_NOTE)
    meeting.recorded_by_id, meeting.recorded_by_name = actor.id, actor.name
    meeting.recorded_at = utcnow()
    meeting.attendance = [MeetingAttendance(user_id=w.id, present=w.id in present) for w in workers]
    session.flush()
    audit.record(
        session,
        actor,
        "assessment.meeting",
        "assessment_meeting",
        meeting.id,
        after={"day": day.isoformat(), "present": len(present), "expected": len(workers)},
    )
    return meeting


# --- comments on daily logs ------------------------------------------------------------------


def comment_log(session: Session, actor: User, scope: Scope, log_id: int, text: str) -> LogComment:
    """The station reads a worker's daily log and comments on it."""
    log = session.get(WorkerLog, log_id)
    if log is None or log.tenant_id != current_tenant(session).id:
        raise NotFound(_("没有这篇日志"))
    worker = session.get(User, log.user_id)
    if worker is None or not worker_in_scope(session, scope, worker.id):
        raise NotFound(_("没有这篇日志"))
    if actor.role not in STATION_ROLES | {Role.SUPERVISOR}:
        raise Forbidden(_("您不能点评日志"))
    comment = LogComment(
        log_id=log.id,
        text=checked_text(text, "text", max_length=MAX_NOTE, required=_("不能为空")),
        author_id=actor.id,
        author_name=actor.name,
    )
    session.add(comment)
    session.flush()
    audit.record(
        session, actor, "worker_log.comment", "worker_log", log.id, after={"comment_id": comment.id}
    )
    return comment


# --- one worker's month ----------------------------------------------------------------------


@dataclass
class WorkerDay:
    day: dt.date
    is_workday: bool
    on_leave: bool
    patrols: list[Patrol] = field(default_factory=list)
    log: WorkerLog | None = None
    comments: list[LogComment] = field(default_factory=list)
    meeting: bool | None = None  # None: no meeting recorded for them that day
    reported: list[Task] = field(default_factory=list)


@dataclass
class WorkerMonth:
    worker: User
    period: Period
    days: list[WorkerDay]
    leave: list[LeaveRequest]

    @property
    def patrols(self) -> int:
        return sum(len(d.patrols) for d in self.days)

    @property
    def logs(self) -> int:
        return sum(d.log is not None for d in self.days)

    @property
    def leave_days(self) -> int:
        return sum(d.on_leave for d in self.days)


def worker_month(
    session: Session, actor: User, scope: Scope, user_id: int, period: Period
) -> WorkerMonth:
    """One worker's days of ``period`` (a month): patrols, the daily log with the station's
    comments, morning meetings, leave, tasks reported — for the worker themself and for the
    supervisor, station and levels above whose scope covers them."""
    if user_id == actor.id and actor.role == Role.GRID_WORKER:
        worker = actor
    elif actor.role in CHECKER_ROLES:
        worker = _grid_worker(session, scope, user_id)
    else:
        raise NotFound(_("没有这个网格员"), field="user_id")
    calendar = work_calendar(session, current_tenant(session))
    zone = period.zone
    days = {
        period.first + dt.timedelta(days=n): WorkerDay(
            period.first + dt.timedelta(days=n),
            calendar.is_workday(period.first + dt.timedelta(days=n)),
            False,
        )
        for n in range(period.days)
    }
    for patrol in session.scalars(
        select(Patrol)
        .where(
            Patrol.user_id == worker.id, Patrol.at >= period.starts_at, Patrol.at < period.ends_at
        )
        .order_by(Patrol.at)
    ):
        days[_local(patrol.at, zone)].patrols.append(patrol)
    logs = list(
        session.scalars(
            select(WorkerLog).where(
                WorkerLog.user_id == worker.id,
                WorkerLog.day >= period.first,
                WorkerLog.day <= period.last,
            )
        )
    )
    comments: dict[int, list[LogComment]] = defaultdict(list)
    for comment in session.scalars(
        select(LogComment)
        .where(LogComment.log_id.in_([log.id for log in logs]))
        .order_by(LogComment.id)
    ):
        comments[comment.log_id].append(comment)
    for log in logs:
        days[log.day].log, days[log.day].comments = log, comments[log.id]
    for day, present in session.execute(
        select(Meeting.day, MeetingAttendance.present)
        .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
        .where(
            MeetingAttendance.user_id == worker.id,
            Meeting.day >= period.first,
            Meeting.day <= period.last,
        )
    ):
        days[day].meeting = present
    leave = list(
        session.scalars(
            select(LeaveRequest)
            .where(
                LeaveRequest.user_id == worker.id,
                LeaveRequest.first_day <= period.last,
                LeaveRequest.last_day >= period.first,
            )
            .order_by(LeaveRequest.first_day)
        )
    )
    for request in leave:
        if request.state in EXCUSING_STATES:
            for day in days.values():
                if request.first_day <= day.day <= request.last_day:
                    day.on_leave = True
    for task in session.scalars(
        select(Task)
        .where(
            Task.reporter_id == worker.id,
            Task.reported_at >= period.starts_at,
            Task.reported_at < period.ends_at,
        )
        .order_by(Task.reported_at)
    ):
        days[_local(task.reported_at, zone)].reported.append(task)
    return WorkerMonth(worker, period, [days[d] for d in sorted(days)], leave)


def _local(moment: dt.datetime, zone: Any) -> dt.date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).date()


def meetings_of(session: Session, node: Node, period: Period) -> list[Meeting]:
    return list(
        session.scalars(
            select(Meeting)
            .options(selectinload(Meeting.attendance))
            .where(
                Meeting.node_id == node.id, Meeting.day >= period.first, Meeting.day <= period.last
            )
            .order_by(Meeting.day)
        )
    )


def recent_spot_checks(session: Session, scope: Scope, *, limit: int = 20) -> list[SpotCheck]:
    """The latest spot checks of the grid workers in ``scope``, newest first."""
    in_scope = (
        select(Assignment.user_id)
        .join(Node, Node.id == Assignment.node_id)
        .where(scope.node_filter())
    )
    return list(
        session.scalars(
            select(SpotCheck)
            .where(SpotCheck.user_id.in_(in_scope))
            .order_by(SpotCheck.at.desc(), SpotCheck.id.desc())
            .limit(limit)
        )
    )
