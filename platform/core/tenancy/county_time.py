"""County time: what "today", "this month" and "a period" mean for one county.

Every county has a time zone (``Tenant.time_zone``, default Asia/Shanghai). A day, a month or
an assessment period is the county's, never the machine's: at 17:30 UTC it is already tomorrow
in Beijing. Code that counts by day asks the county's clock for today (``tenant.clock``, or
``clock_of(session)`` in ``gridgov.core.tenancy.service``) and turns days into moments with a
``Period``; nothing asks the machine for its date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from gridgov.core.db import utcnow

DEFAULT_TIME_ZONE = "Asia/Shanghai"


class HasTimeZone(Protocol):
    time_zone: str


@lru_cache(maxsize=64)
def zone_named(name: str) -> ZoneInfo:
    """The time zone called ``name`` (IANA, e.g. "Asia/Urumqi"); ValueError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone: {name!r}") from error


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows."""
    return name in _known_zones()


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@dataclass(frozen=True, order=True)
class Period:
    """The county days ``first`` … ``last`` (both inclusive); as moments, the half-open range
    ``starts_at`` … ``ends_at`` in UTC, which is what a query on a timestamp column takes."""

    first: dt.date
    last: dt.date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("a period ends on or after the day it starts")

    @classmethod
    def day(cls, day: dt.date, zone: ZoneInfo) -> Period:
        return cls(day, day, zone)

    @classmethod
    def month(cls, year: int, month: int, zone: ZoneInfo) -> Period:
        first = dt.date(year, month, 1)
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return cls(first, following - dt.timedelta(days=1), zone)

    @classmethod
    def year(cls, year: int, zone: ZoneInfo) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), zone)

    @property
    def starts_at(self) -> dt.datetime:
        """The first moment of the first day, in UTC."""
        return _midnight(self.first, self.zone)

    @property
    def ends_at(self) -> dt.datetime:
        """The first moment after the last day (exclusive), in UTC."""
        return _midnight(self.last + dt.timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def includes(self, moment: dt.datetime | dt.date) -> bool:
        """Whether a county day, or a moment (aware), falls within the period."""
        if isinstance(moment, dt.datetime):
            return self.starts_at <= moment < self.ends_at
        return self.first <= moment <= self.last

    def __str__(self) -> str:
        return f"{self.first.isoformat()}/{self.last.isoformat()}"


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), zone).astimezone(dt.UTC)


@dataclass(frozen=True)
class CountyClock:
    """The clock of one county: its today, its months, its days of a moment."""

    zone: ZoneInfo

    @classmethod
    def of(cls, tenant: HasTimeZone | None) -> CountyClock:
        name = getattr(tenant, "time_zone", None) or DEFAULT_TIME_ZONE
        return cls(zone_named(name))

    def now(self) -> dt.datetime:
        """This moment, aware, in UTC (the form every timestamp column stores); the services'
        clock, so a pinned one (``gridgov.core.db.pinned_clock``, the demo) holds here too."""
        return utcnow()

    def today(self) -> dt.date:
        """The county's calendar day now."""
        return self.day_of(self.now())

    def day_of(self, moment: dt.datetime) -> dt.date:
        """The county's calendar day of an aware moment."""
        return moment.astimezone(self.zone).date()

    def at(self, day: dt.date, time: dt.time = dt.time(0)) -> dt.datetime:
        """The moment (UTC) of ``time`` on the county's wall clock on ``day``."""
        return dt.datetime.combine(day, time, self.zone).astimezone(dt.UTC)

    def end_of_day(self, day: dt.date) -> dt.datetime:
        """The last second of the county day ``day`` (a deadline "by that day"), in UTC."""
        return self.at(day, dt.time(23, 59, 59))

    def day(self, day: dt.date | None = None) -> Period:
        """One county day as a period (today by default)."""
        return Period.day(day or self.today(), self.zone)

    def month_of(self, day: dt.date) -> Period:
        """The county month ``day`` falls in."""
        return Period.month(day.year, day.month, self.zone)

    def this_month(self) -> Period:
        return self.month_of(self.today())

    def this_year(self) -> Period:
        return Period.year(self.today().year, self.zone)

    def period(self, first: dt.date, last: dt.date) -> Period:
        """The county days ``first`` … ``last``, inclusive."""
        return Period(first, last, self.zone)

    def naive_local(self, moment: dt.datetime | None) -> dt.datetime | None:
        """A moment as the county's wall-clock time without a zone (for spreadsheets)."""
        return None if moment is None else moment.astimezone(self.zone).replace(tzinfo=None)
