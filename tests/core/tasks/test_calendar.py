"""Deadlines in working hours on the county's calendar: holidays, 调休 make-up days, overrides."""

from __future__ import annotations

import datetime as dt

from gridgov.core.accounts.scope import scope_of
from gridgov.core.tasks.calendar import WorkCalendar, work_calendar
from gridgov.core.tasks.models import CalendarDay
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, zone_named

COUNTY_ZONE = zone_named(DEFAULT_TIME_ZONE)  # the test counties' zone


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=COUNTY_ZONE)


def test_hours_left_on_friday_carry_over_to_monday():
    calendar = WorkCalendar()  # 09:00–17:00
    due = calendar.add_working_hours(local("2024-03-08 15:00"), 4)
    assert due == local("2024-03-11 11:00")


def test_a_sunday_make_up_working_day_counts_and_the_holiday_does_not():
    calendar = WorkCalendar()
    # 2024-09-29 was a Sunday worked before the National Day week (10-01 … 10-07).
    assert calendar.add_working_hours(local("2024-09-28 10:00"), 8) == local("2024-09-29 17:00")
    # Friday 09-30 16:00 + 2 h: one hour that day, then the week off, then Tuesday 10-08.
    assert calendar.add_working_hours(local("2024-09-30 16:00"), 2) == local("2024-10-08 10:00")


def test_a_report_at_night_starts_counting_next_morning():
    calendar = WorkCalendar()
    assert calendar.add_working_hours(local("2024-03-05 22:30"), 1) == local("2024-03-06 10:00")


def test_a_countys_own_holiday_and_working_hours_apply(session):
    from tests.factories import build_county

    county = build_county(session)
    county.tenant.settings = {**county.tenant.settings, "work_hours": ["08:30", "17:30"]}
    session.add(CalendarDay(day=dt.date(2024, 3, 6), is_workday=False, note="那达慕"))
    session.flush()
    calendar = work_calendar(session, county.tenant)
    assert calendar.add_working_hours(local("2024-03-05 17:00"), 1) == local("2024-03-07 09:00")


def test_an_administrators_local_holiday_moves_the_next_deadline(session):
    import pytest
    import time_machine

    from gridgov.core.errors import Forbidden, NotFound
    from gridgov.core.tasks import calendar, reporting
    from tests.factories import build_county

    county = build_county(session)
    with pytest.raises(Forbidden):
        calendar.set_calendar_day(
            session, county.station_staff, dt.date(2024, 3, 5), is_workday=False
        )
    calendar.set_calendar_day(session, county.admin, dt.date(2024, 3, 5), is_workday=True)
    calendar.set_calendar_day(
        session, county.admin, dt.date(2024, 3, 5), is_workday=False, note="那达慕"
    )
    assert [(d.day, d.is_workday, d.note) for d in calendar.calendar_days(session, 2024)] == [
        (dt.date(2024, 3, 5), False, "那达慕")
    ]
    with time_machine.travel(local("2024-03-04 16:00"), tick=False):
        task, _new = reporting.report_task(
            session,
            county.workers[0],
            scope_of(session, county.workers[0]),
            county.grids[0],
            reporting.Report(category="民生事项", title="路灯不亮"),
        )
    # 4 working hours: one on Monday, Tuesday is the county's holiday, three on Wednesday.
    assert task.due_at == local("2024-03-06 12:00")
    calendar.remove_calendar_day(session, county.admin, dt.date(2024, 3, 5))
    with pytest.raises(NotFound):
        calendar.remove_calendar_day(session, county.admin, dt.date(2024, 3, 5))
