"""The demo county's last month as the assessment sees it: patrols and daily logs of every grid
worker, a leave, morning meetings, spot checks and the human scores, then the month scored —
so the sheets, rankings and objections can be tried at once. Invented, seeded, loaded once."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.assessment import scheme as schemes
from gridgov.core.assessment.models import (
    AssessmentSheet,
    LeaveRequest,
    LeaveState,
    ManualScore,
    Meeting,
    MeetingAttendance,
    SatisfactionAnswer,
    SpotCheck,
)
from gridgov.core.assessment.run import (
    catalogue,
    grid_workers,
    month_period,
    scheme_version,
    score_month,
)
from gridgov.core.assessment.sheets import previous_month
from gridgov.core.hierarchy.models import Node
from gridgov.core.registry.models import Household, Visit
from gridgov.core.tasks.calendar import work_calendar
from gridgov.core.tasks.models import Patrol, WorkerLog
from gridgov.core.tenancy.models import Tenant

LOGS = (
    "巡查网格，无异常",
    "走访独居老人两户",
    "协助社区核查出租房",
    "排查消防通道堵塞",
    "调解邻里纠纷一起",
)


def load_demo_assessment(session: Session, tenant: Tenant) -> list[str]:
    """Fill and score the county's last month; the lines the demo prints."""
    clock = tenant.clock
    month = previous_month(clock.today())
    last = month_period(session, month)
    if session.scalar(select(AssessmentSheet.id).where(AssessmentSheet.month == month).limit(1)):
        return [f"  考核: {month} already scored"]
    pick = random.Random(f"{tenant.slug}-{month}")  # noqa: S311 (demo content, seeded)
    calendar = work_calendar(session, tenant)
    workers = grid_workers(session)
    days = [last.first + dt.timedelta(days=n) for n in range(last.days)]
    workdays = [d for d in days if calendar.is_workday(d)]
    away = next(iter(workers.values()), None)
    for worker in workers.values():
        diligence = pick.choice((0.95, 0.85, 0.7, 0.5))
        for day in workdays:
            if worker is away and day in workdays[3:6]:
                continue
            for slot in (9, 15):
                if pick.random() < diligence and worker.first_node_id is not None:
                    at = clock.at(day, dt.time(slot, pick.randint(0, 59)))
                    session.add(
                        Patrol(
                            user_id=worker.id, node_id=worker.first_node_id, at=at, place="网格巡查"
                        )
                    )
            if pick.random() < diligence:
                session.add(
                    WorkerLog(
                        user_id=worker.id,
                        day=day,
                        text=pick.choice(LOGS),
                        updated_at=clock.end_of_day(day),
                    )
                )
    if away is not None:
        session.add(
            LeaveRequest(
                user_id=away.id,
                first_day=workdays[3],
                last_day=workdays[5],
                reason="家中有事",
                state=LeaveState.ENDED.value,
                decided_by_name="社区站",
                decision_note="准假",
            )
        )
    _visits(session, pick, clock, workers, workdays)
    _meetings(session, pick, workers, workdays)
    _spot_checks(session, pick, clock, workers, last)
    _scores(session, pick, month, workers)
    session.flush()
    sheets = score_month(session, month)
    return [f"  考核: {month} scored for {sheets} grid workers (log in as a grid worker: 我的考核)"]


def _visits(session, pick, clock, workers, workdays) -> None:
    households: dict[int, list[int]] = {}
    for household_id, node_id in session.execute(select(Household.id, Household.node_id)):
        households.setdefault(node_id, []).append(household_id)
    for worker in workers.values():
        mine = households.get(worker.first_node_id or 0, [])
        for household_id in pick.sample(mine, k=round(len(mine) * pick.uniform(0.2, 0.6))):
            day = pick.choice(workdays)
            session.add(
                Visit(
                    household_id=household_id,
                    visited_by_id=worker.id,
                    visited_by_name=worker.name,
                    visited_at=clock.at(day, dt.time(16, pick.randint(0, 59))),
                    notes="入户走访，了解家庭近况",
                )
            )


def _meetings(session, pick, workers, workdays) -> None:
    stations = {}
    for worker in workers.values():
        if worker.first_path:
            # The community above the grid: its path without the grid's own id.
            community = worker.first_path.rsplit("/", 2)[0] + "/"
            stations.setdefault(community, []).append(worker)
    nodes = {n.path: n for n in session.scalars(select(Node).where(Node.path.in_(list(stations))))}
    for path, members in stations.items():
        node = nodes.get(path)
        if node is None:
            continue
        for day in workdays:
            if day.weekday() != 0:  # Monday's morning meeting
                continue
            meeting = Meeting(node_id=node.id, day=day, recorded_by_name="社区站", note="周例会")
            meeting.attendance = [
                MeetingAttendance(user_id=w.id, present=pick.random() < 0.85) for w in members
            ]
            session.add(meeting)


def _spot_checks(session, pick, clock, workers, last) -> None:
    answers = [a.value for a in SatisfactionAnswer]
    for worker in workers.values():
        for _n in range(pick.randint(0, 3)):
            day = last.first + dt.timedelta(days=pick.randrange(last.days))
            knows = pick.random() < 0.8
            session.add(
                SpotCheck(
                    user_id=worker.id,
                    resident="居民",
                    knows_worker=knows,
                    was_visited=knows and pick.random() < 0.8,
                    satisfaction=pick.choices(answers, (6, 3, 1))[0],
                    at=clock.at(day, dt.time(10)),
                    checked_by_name="街道抽查组",
                )
            )


def _scores(session, pick, month, workers) -> None:
    scheme = schemes.scheme_of(scheme_version(session, month), catalogue())
    scorers = {
        role: session.scalar(select(User).where(User.role == role).order_by(User.id).limit(1))
        for role in (Role.SUPERVISOR.value, Role.STATION_STAFF.value)
    }
    for line in scheme.lines:
        if line.source != "manual":
            continue
        entered_by = scorers.get(line.scored_by[0]) if line.scored_by else None
        for worker in workers.values():
            session.add(
                ManualScore(
                    month=month,
                    user_id=worker.id,
                    line=line.code,
                    scorer=entered_by.username if entered_by else "demo",
                    points=round(line.points * pick.uniform(0.7, 1.0), 1),
                    entered_by_id=entered_by.id if entered_by else None,
                    entered_by_name=entered_by.name if entered_by else "演示",
                )
            )
