"""The period report of a subtree with a frozen clock and known tasks: what was reported and
closed, cards issued and still open, each department's work, tasks by source and residents
served — and that a township's report holds only its own subtree."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import DomainError, Forbidden
from gridgov.core.registry import service as registry
from gridgov.core.reports import service as reports
from gridgov.core.tasks import reading, reporting, transitions
from gridgov.core.tenancy.county_time import CountyClock, Period
from tests.core.reports.factories import BEIJING, MARCH, at, build_march


@pytest.fixture
def march(session):
    """See ``build_march``: tasks A–F around March 2024, a department, a household visit."""
    return build_march(session)


def report_of(session, county, node, period=MARCH):
    return reports.period_report(session, county.tenant, reading.registry(), node, period)


def test_the_countys_march_counts_what_was_reported_and_closed_by_category(session, march):
    found = report_of(session, march, march.top)
    assert (found.reported, found.closed) == (5, 3)
    assert [(f.label, f.tasks) for f in found.by_category] == [("民生事项", 4), ("治安防控", 1)]


def test_a_period_of_days_counts_from_the_tasks_as_whole_months_do_from_the_counters(
    session, march
):
    days = Period(dt.date(2024, 3, 4), dt.date(2024, 3, 10), BEIJING)
    found = report_of(session, march, march.top, days)
    assert (found.reported, found.closed) == (5, 3)
    assert report_of(session, march, march.top, Period.month(2024, 2, BEIJING)).reported == 1


def test_cards_issued_in_the_period_and_those_whose_task_is_still_open(session, march):
    cards = report_of(session, march, march.top).cards
    assert (cards.yellow, cards.red) == (1, 3)  # D yellow; B, D, E red
    assert (cards.yellow_open, cards.red_open) == (1, 2)  # B was closed since
    assert report_of(session, march, march.top, Period.month(2024, 4, BEIJING)).cards.red == 0


def test_the_brigades_received_on_time_overdue_and_returned_tasks(session, march):
    (brigade,) = report_of(session, march, march.top).departments
    assert brigade.department.id == march.department.id
    assert brigade.received == 4  # A, B, C, E
    assert (brigade.handled, brigade.on_time) == (2, 1)  # A on time, B late
    assert brigade.overdue == 2  # B handled late, E still waiting with a red card
    assert brigade.returned == 1  # C
    assert brigade.on_time_rate == 0.5


def test_tasks_by_source_received_and_handled(session, march):
    found = report_of(session, march, march.top)
    by_source = {s.source: (s.received, s.handled) for s in found.sources}
    assert by_source == {
        "resident": (2, 1),
        "hotline": (1, 1),
        "patrol": (2, 1),
        "department": (0, 0),
        "system": (0, 0),
    }


def test_residents_served_are_their_tasks_closed_in_the_period_and_household_visits(session, march):
    served = report_of(session, march, march.top).served
    # B (resident), C (hotline), F (a February report closed in March); A was a patrol's.
    assert (served.tasks, served.visits, served.total) == (3, 1, 4)


def test_a_task_filed_for_a_person_of_the_registry_serves_a_resident(session, march):
    person = registry.create_person(
        session,
        march.tenant,
        march.admin,
        registry.PersonInput(name="张三", residence_type="registered"),
        grid=march.grids[0],
    )
    with time_machine.travel(at(48), tick=False):
        task, _new = reporting.report_task(
            session,
            march.workers[0],
            scope_of(session, march.workers[0]),
            march.grids[0],
            reporting.Report(
                category="特殊人群服务",
                title="代办低保年审",
                track="general",
                links=[("person", person.id)],
            ),
        )
        transitions.transition(
            session,
            march.workers[0],
            scope_of(session, march.workers[0]),
            task,
            "resolve",
            transitions.Move(comment="已代办"),
        )
    assert report_of(session, march, march.top).served.tasks == 4


def test_a_townships_report_holds_only_its_own_subtree(session, march):
    found = report_of(session, march, march.townships[0])
    assert (found.reported, found.closed) == (4, 3)
    assert (found.cards.yellow, found.cards.red, found.cards.red_open) == (0, 2, 1)
    by_source = {s.source: s.received for s in found.sources}
    assert by_source["resident"] == 1  # D is township 1's
    other = report_of(session, march, march.townships[1])
    assert (other.reported, other.cards.red, other.served.total) == (1, 1, 0)
    assert [d.received for d in other.departments] == [0]


def test_a_period_needs_both_ends_in_order_and_defaults_to_this_month(session, march):
    clock = CountyClock(BEIJING)
    with time_machine.travel(dt.datetime(2026, 5, 31, 17, 30, tzinfo=dt.UTC), tick=False):
        assert reports.period_between(clock, None, None) == Period.month(2026, 6, BEIJING)
    with pytest.raises(DomainError) as error:
        reports.period_between(clock, dt.date(2024, 3, 31), dt.date(2024, 3, 1))
    assert error.value.field == "to"
    with pytest.raises(DomainError) as error:
        reports.period_between(clock, dt.date(2024, 3, 1), None)
    assert error.value.field == "to"


def test_the_shortcuts_are_the_countys_months_quarters_and_years(session):
    clock = CountyClock(BEIJING)
    # 17:30 UTC on 31 March is already 1 April in Beijing: the second quarter.
    with time_machine.travel(dt.datetime(2026, 3, 31, 17, 30, tzinfo=dt.UTC), tick=False):
        found = {s.key: (s.period.first, s.period.last) for s in reports.shortcuts(clock)}
    assert found["this_month"] == (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert found["last_month"] == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert found["this_quarter"] == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert found["last_quarter"] == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert found["this_year"] == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert found["last_year"] == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_volunteers_and_the_audit_administrator_do_not_read_period_reports(session, march):
    reports.check_may_read(march.township_staff)
    for user in (march.volunteer, march.auditor):
        with pytest.raises(Forbidden):
            reports.check_may_read(user)
