"""The county's work calendar: which days are working days and the working hours of a day,
and deadlines counted in working hours on it.

Working days come from ``chinese_calendar`` (it knows the public holidays and the 调休 make-up
working days on weekends, which weekday arithmetic gets wrong), then from the county's own
overrides (``CalendarDay``: set in the manifest's ``work_calendar``, the API or the portal). The
working hours of a day are a tenant setting
(``settings["work_hours"] = ["08:30", "17:30"]``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.audit import service as audit
from gridgov.core.audit.service import Actor
from gridgov.core.errors import DomainError, Forbidden, NotFound
from gridgov.core.i18n import _
from gridgov.core.tasks.models import CalendarDay
from gridgov.core.tenancy import county_cache
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, zone_named
from gridgov.core.tenancy.models import Tenant

DEFAULT_WORK_HOURS = ("09:00", "17:00")
# A limit never reaches further than this: a calendar without working days must not loop.
MAX_DAYS_AHEAD = 3660


@dataclass(frozen=True)
class WorkCalendar:
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 0)
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    zone: ZoneInfo = field(default_factory=lambda: zone_named(DEFAULT_TIME_ZONE))

    def is_workday(self, day: dt.date) -> bool:
        """A county override first, then the national calendar, then Monday to Friday for
        years the national calendar does not know yet."""
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` working hours after ``start`` (aware), in UTC."""
        remaining = dt.timedelta(hours=hours)
        local = start.astimezone(self.zone)
        day = local.date()
        for _day in range(MAX_DAYS_AHEAD):
            if self.is_workday(day):
                opens = dt.datetime.combine(day, self.start, self.zone)
                closes = dt.datetime.combine(day, self.end, self.zone)
                begin = max(local, opens)
                if begin < closes:
                    if remaining <= closes - begin:
                        return (begin + remaining).astimezone(dt.UTC)
                    remaining -= closes - begin
            day += dt.timedelta(days=1)
            local = dt.datetime.combine(day, dt.time(0), self.zone)
        raise ValueError("no working time within ten years: check the county's calendar")


def work_calendar(session: Session, tenant: Tenant) -> WorkCalendar:
    """The calendar of ``tenant`` (the session's current tenant): its hours, overrides and
    time zone (the working hours are the county's wall clock)."""
    start, end = tenant.settings.get("work_hours") or DEFAULT_WORK_HOURS
    return WorkCalendar(
        start=dt.time.fromisoformat(start),
        end=dt.time.fromisoformat(end),
        overrides=_overrides(session),
        zone=tenant.clock.zone,
    )


def _overrides(session: Session) -> Mapping[dt.date, bool]:
    # Every deadline reads them: kept between requests while the county's overrides stay as
    # they are (gridgov.core.tenancy.county_cache), read-only as they are shared.
    return county_cache.cached(
        session,
        "calendar",
        lambda: MappingProxyType(
            {row.day: row.is_workday for row in session.scalars(select(CalendarDay))}
        ),
    )


# --- the county's overrides ------------------------------------------------------------------

MAX_NOTE = 100


def calendar_days(session: Session, year: int | None = None) -> list[CalendarDay]:
    """The current county's overrides of the national calendar (of ``year``), by day."""
    query = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        query = query.where(
            CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31)
        )
    return list(session.scalars(query))


def set_calendar_day(
    session: Session, actor: Actor, day: dt.date, *, is_workday: bool, note: str = ""
) -> CalendarDay:
    """Make ``day`` a working day or a day off in the current county (a local holiday such
    as 那达慕, a 调休 working day the national calendar lacks); county administrators only.
    Deadlines counted from now on use it; clocks already running keep theirs."""
    _check_may_edit(actor)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(_("说明最长 %(n)d 个字符", n=MAX_NOTE), field="note")
    found = session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    before = {"is_workday": found.is_workday, "note": found.note} if found else None
    if found is None:
        found = CalendarDay(day=day, is_workday=is_workday, note=note)
        session.add(found)
    found.is_workday = is_workday
    found.note = note
    session.flush()
    audit.record(
        session,
        actor,
        "calendar.set",
        "calendar_day",
        day.isoformat(),
        before=before,
        after={"is_workday": is_workday, "note": note},
    )
    return found


def remove_calendar_day(session: Session, actor: Actor, day: dt.date) -> None:
    """Drop the county's override of ``day``: the national calendar holds again."""
    _check_may_edit(actor)
    found = session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    if found is None:
        raise NotFound(_("这一天没有本县的调整"), field="day")
    before = {"is_workday": found.is_workday, "note": found.note}
    session.delete(found)
    session.flush()
    audit.record(session, actor, "calendar.remove", "calendar_day", day.isoformat(), before=before)


def _check_may_edit(actor: Actor) -> None:
    if isinstance(actor, User) and actor.role != Role.COUNTY_ADMIN:
        raise Forbidden(_("只有县级管理员可以调整工作日历"))
