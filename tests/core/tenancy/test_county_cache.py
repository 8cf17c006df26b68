"""What a process keeps of a county between requests (gridgov.core.tenancy.county_cache): the
next request sees every change, in whichever process it runs, and nothing uncommitted or rolled
back is ever kept.

"Another request" is another session on the test's connection, as a request of another process
would be: it shares nothing with the first but the database and this process's cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import service as admission
from gridgov.core.db import SessionFactory, _test_binding, set_tenant
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import reading, reporting, rules
from gridgov.core.tasks.calendar import work_calendar
from gridgov.core.tasks.models import CalendarDay
from gridgov.core.tenancy import county_cache
from gridgov.core.tenancy.models import Tenant
from gridgov.core.tenancy.service import current_tenant
from tests.factories import build_county

T = TypeVar("T")
HOLIDAY = dt.date(2031, 7, 16)  # a Wednesday


@pytest.fixture
def county(session):
    county = build_county(session)
    session.commit()
    return county


@pytest.fixture
def another(county) -> Callable[[Callable[[Session], T]], T]:
    """``another(read)``: ``read`` in a new request's session, scoped to the county."""

    def run(read: Callable[[Session], T]) -> T:
        other = SessionFactory(**_test_binding)
        try:
            set_tenant(other, county.tenant.id)
            return read(other)
        finally:
            other.close()

    return run


def stamp_in_database(session: Session, tenant_id: int) -> int:
    return session.scalar(select(Tenant.config_stamp).where(Tenant.id == tenant_id))


def holiday_in(session: Session) -> bool:
    return HOLIDAY in work_calendar(session, current_tenant(session)).overrides


def test_a_committed_change_is_seen_by_the_next_request(session, county, another):
    assert not another(holiday_in)  # read and kept
    session.add(CalendarDay(day=HOLIDAY, is_workday=False, note="那达慕"))
    session.commit()
    assert another(holiday_in)


def test_the_county_reads_from_the_cache_until_its_configuration_changes(
    session, county, another, monkeypatch
):
    assert not another(holiday_in)
    reads = []
    real = county_cache.cached

    def counting(session, kind, load, key=None):
        return real(session, kind, lambda: reads.append(kind) or load(), key)

    monkeypatch.setattr(county_cache, "cached", counting)
    assert not another(holiday_in)
    assert reads == []  # kept: no statement
    session.add(CalendarDay(day=HOLIDAY, is_workday=False))
    session.commit()
    assert another(holiday_in)
    assert reads == ["calendar"]


def test_the_changing_transaction_reads_its_own_change_and_keeps_nothing(session, county, another):
    assert not holiday_in(session)
    session.add(CalendarDay(day=HOLIDAY, is_workday=False))  # not flushed yet
    assert holiday_in(session)  # the pending change is flushed and read past the cache
    session.rollback()
    assert not another(holiday_in)
    assert not holiday_in(session)


def test_a_transaction_that_reads_between_two_changes_leaves_the_second_seen(
    session, county, another
):
    """One stamp covers the whole transaction, so what it read after its first change must
    not be kept under it."""
    session.add(CalendarDay(day=HOLIDAY, is_workday=False))
    assert holiday_in(session)
    later = HOLIDAY + dt.timedelta(days=1)
    session.add(CalendarDay(day=later, is_workday=False))
    session.commit()
    overrides = another(lambda other: work_calendar(other, current_tenant(other)).overrides)
    assert {HOLIDAY, later} <= set(overrides)


def test_a_change_draws_a_new_stamp_committed_with_it_and_gone_with_a_rollback(session, county):
    before = stamp_in_database(session, county.tenant.id)
    session.add(CalendarDay(day=HOLIDAY, is_workday=False))
    session.flush()
    drawn = stamp_in_database(session, county.tenant.id)
    assert drawn != before
    assert session.get(Tenant, county.tenant.id).config_stamp == drawn  # the session's own view
    session.rollback()
    assert stamp_in_database(session, county.tenant.id) == before


def test_the_daily_work_keeps_the_stamp(session, county):
    """Tasks, people and files are not configuration: reporting and moving a task on keep
    what the county's requests share."""
    from gridgov.core.tasks import reporting, transitions

    before = stamp_in_database(session, county.tenant.id)
    task, _created = reporting.file_task(
        session,
        county.workers[0],
        county.grids[0],
        reporting.Report(category="民生事项", title="路灯不亮"),
    )
    session.commit()
    station = county.station_staff
    scope = scope_of(session, station)
    locked = reading.visible_task(session, station, scope, task.id, for_update=True)
    transitions.transition(session, station, scope, locked, "accept", transitions.Move())
    session.commit()
    assert stamp_in_database(session, county.tenant.id) == before


def test_an_update_statement_on_a_watched_table_draws_a_new_stamp(session, county):
    before = stamp_in_database(session, county.tenant.id)
    session.execute(
        update(Node)
        .where(Node.id == county.grids[0].id)
        .values(name="改名网格")
        .execution_options(synchronize_session=False)
    )
    assert stamp_in_database(session, county.tenant.id) != before


def test_another_countys_change_keeps_this_countys_stamp(session, county):
    from gridgov.core.db import tenant_scope

    before = stamp_in_database(session, county.tenant.id)
    other = build_county(session, "dongshan")
    session.commit()
    with tenant_scope(session, other.tenant.id):
        session.add(CalendarDay(day=HOLIDAY, is_workday=False))
        session.commit()
    assert stamp_in_database(session, county.tenant.id) == before


def test_a_new_posting_and_a_retired_node_reach_the_next_requests_scope(session, county, another):
    supervisor = county.supervisor  # posted to grids 0 and 1

    def paths(other: Session) -> set[str]:
        return set(scope_of(other, other.get(type(supervisor), supervisor.id)).paths)

    posted = {county.grids[0].path, county.grids[1].path}
    assert another(paths) == posted
    accounts.assign(session, county.admin, county.tenant, supervisor, county.grids[2])
    session.commit()
    assert another(paths) == posted | {county.grids[2].path}
    hierarchy.retire_node(session, county.admin, county.grids[2])
    session.commit()
    assert another(paths) == posted


def test_a_new_posting_reaches_the_next_requests_waiting_list_and_my_tasks(
    session, county, another
):
    station, worker = county.station_staff, county.workers[0]  # community 0, grid 0
    task, _ = reporting.file_task(
        session,
        county.workers[2],
        county.grids[2],  # in community 1
        reporting.Report(category="民生事项", title="路灯不亮", track="coordinate"),
    )
    session.commit()

    def waiting_ids(other: Session) -> set[int]:
        me = other.get(User, station.id)
        return {t.id for t in other.scalars(reading.waiting_on(other, me, scope_of(other, me)))}

    def my_ids(other: Session) -> set[int]:
        me = other.get(User, worker.id)
        return {t.id for t in other.scalars(reading.my_tasks(other, me, scope_of(other, me)))}

    assert task.id not in another(waiting_ids)  # kept: community 0 only
    assert task.id not in another(my_ids)
    accounts.assign(session, county.admin, county.tenant, station, county.communities[1])
    accounts.unassign(session, county.admin, county.workers[2], county.grids[2])  # 一格一员
    accounts.assign(session, county.admin, county.tenant, worker, county.grids[2])
    session.commit()
    assert task.id in another(waiting_ids)
    assert task.id in another(my_ids)


def test_a_new_rule_table_reaches_the_next_step(session, county, another):
    assert another(rules.rule_table).version_id is None  # the engine's defaults, kept
    version = rules.replace_rules(
        session,
        county.admin,
        county.tenant,
        reading.registry(),
        [rules.RuleSpec(state="reported", hours=2)],
        source="api",
    )
    session.commit()
    table = another(rules.rule_table)
    assert table.version_id == version.id
    assert [r.hours for r in table.rules] == [2.0]


def test_a_suspended_module_stops_taking_work_on_the_next_request(session, county, another):
    from tests.core.admission.factories import add_department, approved, host_with

    department, officer = add_department(session, county)
    approval = approved(session, host_with("disputes"), county, department, officer, "disputes")
    session.commit()
    assert "disputes" in another(admission.live_modules)
    admission.suspend_admission(session, county.admin, approval, reason="整顿")
    session.commit()
    assert "disputes" not in another(admission.live_modules)
    assert another(lambda other: admission.was_ever_live(other, "disputes"))
