"""The county's work calendar: which days are working days and the working hours of a day,
and deadlines counted in working hours on it.

Working days come from ``chinese_calendar`` (it knows the public holidays and the 调休 make-up
working days on weekends, which weekday arithmetic gets wrong), then from the county's own
overrides (``CalendarDay``). The working hours of a day are a tenant setting
(``settings["work_hours"] = ["08:30", "17:30"]``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.tasks.models import CalendarDay
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
        for _ in range(MAX_DAYS_AHEAD):
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
    overrides = {row.day: row.is_workday for row in session.scalars(select(CalendarDay))}
    return WorkCalendar(
        start=dt.time.fromisoformat(start),
        end=dt.time.fromisoformat(end),
        overrides=overrides,
        zone=tenant.clock.zone,
    )
