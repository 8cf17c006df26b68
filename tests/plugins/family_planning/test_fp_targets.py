"""Targets (计生对象) as the module's person tags, each kind with its follow-up schedule: who
may register whom, what each kind requires, and the list of follow-ups due and overdue per
grid worker and grid."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission.activation import hooks_for
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.registry import service as registry
from gridgov.core.registry.tags import CORE_TAGS
from gridgov_plugins.family_planning import targets
from tests.plugins.family_planning.conftest import TODAY, special, woman


def test_hook_tags_declares_one_tag_per_kind_with_its_schedule_and_not_the_core_one(world):
    declared = {t.code: t for t in hooks_for().tags() if t.module == "family_planning"}
    assert {code: t.visit_interval_days for code, t in declared.items()} == {
        "family_planning.woman": 90,
        "family_planning.newborn": 30,
        "family_planning.special_family": 30,
    }
    core_codes = {t.code for t in CORE_TAGS}
    assert "family_planning" in core_codes and not core_codes & set(declared)


def test_registering_a_woman_tags_her_and_keeps_who_found_her(session, world):
    target = woman(session, world)
    person = registry.get_person(session, world.family.mother.id)
    assert "family_planning.woman" in {t.tag for t in person.tags}
    assert target.found_by_id == world.county.workers[0].id and target.found_on == TODAY
    assert target.household_id == world.family.mother.household_id


def test_a_man_or_a_woman_past_49_is_not_a_woman_of_child_bearing_age(session, world):
    for person in (world.family.father, world.family.grandfather):
        with pytest.raises(DomainError) as refused:
            woman(session, world, person)
        assert refused.value.field == "person_id"


def test_a_special_family_keeps_its_kind_and_the_day_it_was_recognised(session, world):
    target = special(session, world)
    assert (target.special_kind, target.recognised_on) == (
        "lost_only_child",
        TODAY - dt.timedelta(days=400),
    )
    worker = world.county.workers[0]
    with pytest.raises(DomainError) as refused:
        targets.register_target(
            session,
            worker,
            scope_of(session, worker),
            targets.TargetInput(person_id=world.family.elder.id, kind="special"),
        )
    assert refused.value.field == "special_kind"


def test_a_person_is_a_target_of_one_kind_once(session, world):
    woman(session, world)
    with pytest.raises(Conflict):
        woman(session, world)


def test_a_grid_worker_registers_only_people_of_their_grids(session, world):
    with pytest.raises(DomainError) as refused:
        woman(session, world, world.neighbours.mother)  # grid 1: worker 1's
    assert refused.value.field == "person_id"
    assert woman(session, world, world.neighbours.mother, by=world.county.workers[1])


def test_outside_the_pilot_no_target_can_be_registered(session, world):
    with pytest.raises(NotFound):
        woman(session, world, world.outside.mother, by=world.county.workers[4])


def test_the_audit_admin_volunteers_and_other_officers_register_nobody(session, world):
    from tests.factories import UserFactory

    other = UserFactory(
        username="other-officer", role="department_officer", nodes=[world.county.top]
    )
    for user in (world.county.auditor, world.county.volunteer, other):
        with pytest.raises((Forbidden, DomainError, NotFound)):
            woman(session, world, by=user)
        with pytest.raises(Forbidden):
            targets.due_follow_ups(session, user, scope_of(session, user))


def test_a_new_target_is_due_at_once_and_listed_with_its_grid_and_worker(session, world):
    target = woman(session, world)
    worker = world.county.workers[0]
    lines = targets.due_follow_ups(session, worker, scope_of(session, worker))
    assert [(line.target.id, line.node_id) for line in lines] == [(target.id, target.node_id)]
    assert lines[0].worker_name == worker.name
    assert not lines[0].is_overdue  # never visited: due from today
    other = world.county.workers[1]
    assert targets.due_follow_ups(session, other, scope_of(session, other)) == []


def test_a_target_found_long_ago_and_never_visited_is_overdue(session, world):
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=100)):
        target = woman(session, world)
    target.found_on = TODAY - dt.timedelta(days=100)
    worker = world.county.workers[0]
    (line,) = targets.due_follow_ups(session, worker, scope_of(session, worker))
    assert line.is_overdue and line.due_on == TODAY - dt.timedelta(days=10)


def test_the_county_may_switch_a_kinds_schedule_off(session, world):
    woman(session, world)
    tenant = world.county.tenant
    tenant.settings = {
        **(tenant.settings or {}),
        "registry": {"visit_intervals": {"family_planning.woman": 0}},
    }
    worker = world.county.workers[0]
    assert targets.due_follow_ups(session, worker, scope_of(session, worker)) == []
