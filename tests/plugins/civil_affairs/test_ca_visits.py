"""Care visits and who is due: a visit records the household visit in the registry (the
grid worker's due list and the module's agree), is on time or late against the tag's
schedule, and the due and overdue lists per level and per grid worker count it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import DomainError
from gridgov.core.registry import service as registry
from gridgov.core.tenancy.service import current_tenant
from gridgov_plugins.civil_affairs import service
from tests.plugins.civil_affairs.conftest import cared_person, visit

TODAY = dt.date(2026, 11, 20)
NOON = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)  # 12:00 in the county


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOON, tick=False):
        yield


def test_a_care_visit_also_records_the_household_visit_and_resets_the_core_due_list(
    session, county
):
    worker = county.workers[0]
    person = cared_person(session, county)
    core_due = registry.due_visits(
        session, current_tenant(session), scope_of(session, worker), today=TODAY
    )
    assert [d.person.id for d in core_due] == [person.id]

    made = visit(session, worker, person, TODAY)

    household = registry.get_household(session, person.household_id)
    assert [v.id for v in registry.visits_of(session, household)] == [made.household_visit_id]
    assert (
        registry.due_visits(
            session, current_tenant(session), scope_of(session, worker), today=TODAY
        )
        == []
    )
    assert service.due_list(session, worker, scope_of(session, worker), today=TODAY) == []


def test_a_visit_within_the_schedule_is_on_time_and_one_after_it_is_late(session, county):
    worker = county.workers[0]
    person = cared_person(session, county)
    first = visit(session, worker, person, TODAY - dt.timedelta(days=70))
    assert first.is_on_time is False  # never visited before: the schedule was not kept
    second = visit(session, worker, person, TODAY - dt.timedelta(days=45))  # due 30 days after
    assert second.is_on_time is True
    late = visit(session, worker, person, TODAY)  # due on day 15 ago: 15 days late
    assert late.is_on_time is False


def test_due_within_a_week_and_overdue_are_told_apart(session, county):
    worker = county.workers[0]
    scope = scope_of(session, worker)
    soon = cared_person(session, county, name="示例甲")
    visit(session, worker, soon, TODAY - dt.timedelta(days=25))  # due in 5 days
    late = cared_person(session, county, name="示例乙")
    visit(session, worker, late, TODAY - dt.timedelta(days=40))  # due 10 days ago
    never = cared_person(session, county, name="示例丙", tag="disabled")
    fine = cared_person(session, county, name="示例丁")
    visit(session, worker, fine, TODAY - dt.timedelta(days=2))

    entries = {e.person.id: e for e in service.due_list(session, worker, scope, today=TODAY)}

    assert set(entries) == {soon.id, late.id, never.id}
    assert entries[soon.id].is_overdue is False
    assert entries[soon.id].due_on == TODAY + dt.timedelta(days=5)
    assert entries[late.id].is_overdue is True
    assert entries[never.id].is_overdue is True and entries[never.id].due_on is None


def test_a_person_without_a_care_tag_is_never_due_in_the_module(session, county):
    worker = county.workers[0]
    cared_person(session, county, tag="community_correction")
    assert service.due_list(session, worker, scope_of(session, worker), today=TODAY) == []


def test_counts_per_level_roll_up_from_grids_to_the_county(session, county):
    admin = county.admin
    cared_person(session, county, grid=0, name="示例甲")  # township 0, community 0
    cared_person(session, county, grid=1, name="示例乙")  # township 0, community 0
    done = cared_person(session, county, grid=5, name="示例丙")  # township 1
    visit(session, county.workers[5], done, TODAY - dt.timedelta(days=27))  # due in 3 days
    scope = scope_of(session, admin)

    top = service.counts_by_level(session, admin, scope, county.top, today=TODAY)
    by_code = {row.node.code: (row.due, row.overdue) for row in top}
    assert by_code == {county.townships[0].code: (2, 2), county.townships[1].code: (1, 0)}

    grids = service.counts_by_level(session, admin, scope, county.communities[0], today=TODAY)
    assert [(r.node.code, r.overdue, r.worker) for r in grids] == [
        (county.grids[0].code, 1, county.workers[0].name),
        (county.grids[1].code, 1, county.workers[1].name),
    ]


def test_counts_per_grid_worker_put_the_most_overdue_first(session, county):
    admin = county.admin
    cared_person(session, county, grid=0, name="示例甲")
    cared_person(session, county, grid=3, name="示例乙")
    cared_person(session, county, grid=3, name="示例丙")
    rows = service.counts_by_worker(session, admin, scope_of(session, admin), today=TODAY)
    assert [(r.worker.id, r.overdue) for r in rows] == [
        (county.workers[3].id, 2),
        (county.workers[0].id, 1),
    ]


def test_a_grid_worker_sees_only_the_due_visits_of_their_grid(session, county):
    cared_person(session, county, grid=0, name="示例甲")
    other = cared_person(session, county, grid=1, name="示例乙")
    worker = county.workers[1]
    entries = service.due_list(session, worker, scope_of(session, worker), today=TODAY)
    assert [e.person.id for e in entries] == [other.id]


def test_a_visit_needs_a_condition_a_past_date_and_a_follow_up_when_one_is_needed(session, county):
    worker = county.workers[0]
    person = cared_person(session, county)
    scope = scope_of(session, worker)
    cases = [
        (service.VisitInput(visited_on=TODAY, condition="bad"), "condition"),
        (
            service.VisitInput(visited_on=TODAY + dt.timedelta(days=1), condition="good"),
            "visited_on",
        ),
        (service.VisitInput(visited_on=TODAY, condition="poor", needs_follow_up=True), "follow_up"),
    ]
    for data, field in cases:
        with pytest.raises(DomainError) as refused:
            service.record_care_visit(session, worker, scope, person, data)
        assert refused.value.field == field
    assert service.visits_of(session, person) == []


def test_the_registrys_visit_log_learns_whom_the_visitor_saw_not_the_needs(session, county):
    person = cared_person(session, county)
    made = visit(session, county.workers[0], person, TODAY, condition="urgent")
    household = registry.get_household(session, person.household_id)
    logged = next(
        v for v in registry.visits_of(session, household) if v.id == made.household_visit_id
    )
    assert person.name in logged.notes
    assert "需要代购药品" not in logged.notes and "急需" not in logged.notes
