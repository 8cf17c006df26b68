"""Births registered and linked to the household: the household becomes a newborn family
(its members tagged, the mother followed up monthly) for the child's first year; the child's
own registry record is linked once it exists; the certificate number is shown masked."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.registry import service as registry
from gridgov.core.registry.service import PersonInput
from gridgov_plugins.family_planning import births, targets
from gridgov_plugins.family_planning.models import Target
from tests.plugins.family_planning.conftest import TODAY

NEWBORN = "family_planning.newborn"


def register(session, world, *, by=None, mother=None, **fields):
    user = by or world.county.workers[0]
    data = {
        "mother_id": (mother or world.family.mother).id,
        "child_name": "甲宝宝",
        "sex": "female",
        "born_on": TODAY - dt.timedelta(days=10),
        "place_of_birth": "县妇幼保健院",
        **fields,
    }
    return births.register_birth(session, user, scope_of(session, user), births.BirthInput(**data))


def test_a_birth_tags_every_member_and_makes_the_mother_a_newborn_target(session, world):
    birth = register(session, world, certificate_number="r150100123")
    family = world.family
    for member in (family.mother, family.father, family.grandfather, family.elder):
        assert NEWBORN in {t.tag for t in registry.get_person(session, member.id).tags}
    (target,) = session.query(Target).filter_by(kind="newborn").all()
    assert (target.person_id, target.household_id) == (family.mother.id, birth.household_id)
    assert births.masked_certificate(birth) == "******0123"


def test_a_second_birth_in_the_household_keeps_one_newborn_target(session, world):
    register(session, world)
    register(session, world, child_name="甲二宝")
    assert session.query(Target).filter_by(kind="newborn").count() == 1


def test_the_newborn_family_is_due_monthly_on_one_line(session, world):
    register(session, world)
    worker = world.county.workers[0]
    lines = targets.due_follow_ups(session, worker, scope_of(session, worker))
    assert [line.target.kind for line in lines] == ["newborn"]


def test_after_the_first_year_the_family_is_no_longer_due_and_the_job_untags_it(session, world):
    register(session, world, born_on=TODAY - dt.timedelta(days=300))
    worker = world.county.workers[0]
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=70)):
        assert targets.due_follow_ups(session, worker, scope_of(session, worker)) == []
        targets.end_newborn_years(session, world.county.tenant.id)
        assert NEWBORN not in {
            t.tag for t in registry.get_person(session, world.family.father.id).tags
        }
    # the target and its history stay
    assert session.query(Target).filter_by(kind="newborn").count() == 1


def test_the_job_leaves_a_family_inside_its_first_year_tagged(session, world):
    register(session, world)
    targets.end_newborn_years(session, world.county.tenant.id)
    assert NEWBORN in {t.tag for t in registry.get_person(session, world.family.father.id).tags}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"child_name": " "}, "child_name"),
        ({"sex": "x"}, "sex"),
        ({"born_on": TODAY + dt.timedelta(days=1)}, "born_on"),
        ({"born_on": TODAY - dt.timedelta(days=400)}, "born_on"),
        ({"place_of_birth": ""}, "place_of_birth"),
        ({"certificate_number": "12-34"}, "certificate_number"),
    ],
)
def test_a_bad_birth_names_the_field(session, world, fields, field):
    with pytest.raises(DomainError) as refused:
        register(session, world, **fields)
    assert refused.value.field == field


def test_the_mother_must_be_a_woman_of_the_workers_grids_inside_the_pilot(session, world):
    with pytest.raises(DomainError) as refused:
        register(session, world, mother=world.family.father)
    assert refused.value.field == "mother_id"
    with pytest.raises(DomainError):
        register(session, world, mother=world.neighbours.mother)
    with pytest.raises(NotFound):
        register(session, world, mother=world.outside.mother, by=world.county.workers[4])


def test_the_child_registered_later_is_linked_once(session, world):
    birth = register(session, world)
    household = registry.get_household(session, birth.household_id)
    child = registry.create_person(
        session,
        world.county.tenant,
        None,
        PersonInput(name="甲宝宝", sex="female", birth_date=birth.born_on, relation="child"),
        household=household,
    )
    worker = world.county.workers[0]
    births.link_child(session, worker, scope_of(session, worker), birth, child.id)
    assert birth.child_id == child.id
    with pytest.raises(Conflict):
        births.link_child(session, worker, scope_of(session, worker), birth, child.id)


def test_a_child_of_another_household_is_not_linked(session, world):
    birth = register(session, world)
    staff = world.county.township_staff  # sees both households
    with pytest.raises(DomainError) as refused:
        births.link_child(
            session, staff, scope_of(session, staff), birth, world.neighbours.father.id
        )
    assert refused.value.field == "child_id" and birth.child_id is None


def test_hook_periodic_jobs_runs_the_end_of_the_first_year_daily(world):
    from gridgov.core.admission.activation import hooks_for

    (job,) = [j for j in hooks_for().periodic_jobs() if j.code.startswith("family_planning.")]
    assert job.code == "family_planning.newborn_year" and job.every == dt.timedelta(days=1)
    assert job.run is targets.end_newborn_years
