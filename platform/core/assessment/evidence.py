"""The records a sheet's line counted, read back from the ids the run kept: for the worker
and their reviewers to check every point against the very tasks, patrols, visits, logs,
meetings and spot checks behind it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.assessment.models import (
    AssessmentLine,
    AssessmentSheet,
    ManualScore,
    Meeting,
    MeetingAttendance,
    SpotCheck,
)
from gridgov.core.errors import NotFound
from gridgov.core.i18n import _
from gridgov.core.registry.models import Visit
from gridgov.core.tasks.models import Patrol, Task, WorkerLog

MAX_RECORDS = 1000  # of one kind on one line; the sheet keeps them all, a page shows these


@dataclass(frozen=True)
class Record:
    """One record counted: its kind and id, when, and a line of what it is."""

    kind: str
    id: int
    at: dt.datetime | dt.date | None
    summary: str
    household_id: int | None = None  # a visit's household (its page lists the visits)


def _tasks(session: Session, ids: list[int]) -> list[Record]:
    return [
        Record("task", t.id, t.reported_at, f"{t.code} {t.title}")
        for t in session.scalars(select(Task).where(Task.id.in_(ids)).order_by(Task.reported_at))
    ]


def _patrols(session: Session, ids: list[int]) -> list[Record]:
    return [
        Record("patrol", p.id, p.at, p.place or str(_("巡查签到")))
        for p in session.scalars(select(Patrol).where(Patrol.id.in_(ids)).order_by(Patrol.at))
    ]


def _logs(session: Session, ids: list[int]) -> list[Record]:
    return [
        Record("log", w.id, w.day, w.text[:80])
        for w in session.scalars(
            select(WorkerLog).where(WorkerLog.id.in_(ids)).order_by(WorkerLog.day)
        )
    ]


def _visits(session: Session, ids: list[int]) -> list[Record]:
    return [
        Record("visit", v.id, v.visited_at, v.notes[:80] or str(_("入户走访")), v.household_id)
        for v in session.scalars(select(Visit).where(Visit.id.in_(ids)).order_by(Visit.visited_at))
    ]


def _meetings(session: Session, ids: list[int], worker_id: int) -> list[Record]:
    rows = session.execute(
        select(Meeting.id, Meeting.day, MeetingAttendance.present)
        .join(MeetingAttendance, MeetingAttendance.meeting_id == Meeting.id)
        .where(Meeting.id.in_(ids), MeetingAttendance.user_id == worker_id)
        .order_by(Meeting.day)
    )
    return [
        Record("meeting", m, day, str(_("出席")) if present else str(_("缺席")))
        for m, day, present in rows
    ]


def _spot_checks(session: Session, ids: list[int]) -> list[Record]:
    return [
        Record("spot_check", c.id, c.at, f"{c.resident or _('居民')}（{c.checked_by_name}）")
        for c in session.scalars(
            select(SpotCheck).where(SpotCheck.id.in_(ids)).order_by(SpotCheck.at)
        )
    ]


def _manual(session: Session, ids: list[int]) -> list[Record]:
    return [
        Record("manual_score", s.id, s.entered_at, f"{s.scorer}: {s.points:g}")
        for s in session.scalars(select(ManualScore).where(ManualScore.id.in_(ids)))
    ]


def records_of(session: Session, sheet: AssessmentSheet, line_code: str) -> list[Record]:
    """The records the sheet's line counted (the caller has checked the reader may read the
    sheet), by kind; kinds the core does not know (a module's) by id only."""
    line: AssessmentLine | None = next(
        (found for found in sheet.lines if found.code == line_code), None
    )
    if line is None:
        raise NotFound(_("这张考核表没有这一项"), field="line")
    found: list[Record] = []
    for kind, all_ids in sorted(line.evidence.items()):
        ids = list(all_ids)[:MAX_RECORDS]
        if kind == "task":
            found.extend(_tasks(session, ids))
        elif kind == "patrol":
            found.extend(_patrols(session, ids))
        elif kind == "log":
            found.extend(_logs(session, ids))
        elif kind == "visit":
            found.extend(_visits(session, ids))
        elif kind == "meeting":
            found.extend(_meetings(session, ids, sheet.user_id))
        elif kind == "spot_check":
            found.extend(_spot_checks(session, ids))
        elif kind == "manual_score":
            found.extend(_manual(session, ids))
        else:
            found.extend(Record(kind, int(i), None, "") for i in ids)
    return found


def count(line: AssessmentLine) -> dict[str, int]:
    """How many records of each kind the line counted."""
    return {kind: len(ids) for kind, ids in line.evidence.items()}
