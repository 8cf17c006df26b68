"""Follow-up visits filed with the module's declared form: the form is kept by the core, the
household visit is recorded in the registry (the schedule resets for every member), and
whether it was on time is kept for the assessment."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission.activation import hooks_for, open_form
from gridgov.core.errors import DomainError, Forbidden
from gridgov.core.forms.service import FormInvalid
from gridgov.core.hierarchy.models import Node
from gridgov.core.registry import service as registry
from gridgov_plugins.family_planning import follow_ups, targets
from tests.plugins.family_planning.conftest import TODAY, woman


def data(**fields):
    return {
        "visited_on": TODAY.isoformat(),
        "condition": "good",
        "notes": "本人在家，情况正常",
        **fields,
    }


def file(session, world, target, by=None, **fields):
    user = by or world.county.workers[0]
    _module, form = open_form(follow_ups.FORM_CODE, session.get(Node, target.node_id))
    return follow_ups.file_follow_up(
        session, user, scope_of(session, user), target, form, data(**fields)
    )


def test_hook_forms_declares_the_phone_follow_up_form(world):
    (form,) = [f for f in hooks_for().forms() if f.code.startswith("family_planning.")]
    assert form.code == "family_planning.follow_up"
    required = {f.name for f in form.fields if f.required}
    assert required == {"visited_on", "condition", "notes"}


def test_a_follow_up_records_the_household_visit_and_clears_the_due_list(session, world):
    target = woman(session, world)
    worker = world.county.workers[0]
    assert targets.due_follow_ups(session, worker, scope_of(session, worker))
    made = file(session, world, target)
    household = registry.get_household(session, world.family.mother.household_id)
    (visit,) = registry.visits_of(session, household)
    assert made.visit_id == visit.id and "本人在家" in visit.notes
    assert targets.due_follow_ups(session, worker, scope_of(session, worker)) == []
    assert made.is_on_time and made.due_on == TODAY + dt.timedelta(days=90)


def test_the_next_follow_up_falls_due_after_the_kinds_interval(session, world):
    target = woman(session, world)
    file(session, world, target)
    worker = world.county.workers[0]
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=91)):
        (line,) = targets.due_follow_ups(session, worker, scope_of(session, worker))
        assert line.target.id == target.id


def test_a_follow_up_after_the_due_day_is_kept_as_late(session, world):
    target = woman(session, world)
    target.found_on = TODAY - dt.timedelta(days=100)
    made = file(session, world, target)
    assert not made.is_on_time and made.due_on == TODAY - dt.timedelta(days=10)


def test_the_form_names_what_is_missing(session, world):
    target = woman(session, world)
    with pytest.raises(FormInvalid) as refused:
        file(session, world, target, notes="", condition="nope")
    assert {"notes", "condition"} <= set(refused.value.messages)


def test_a_visit_in_the_future_is_refused(session, world):
    target = woman(session, world)
    with pytest.raises(DomainError) as refused:
        file(session, world, target, visited_on=(TODAY + dt.timedelta(days=1)).isoformat())
    assert refused.value.field == "visited_on"


def test_only_those_who_keep_the_records_file_follow_ups(session, world):
    target = woman(session, world)
    with pytest.raises(Forbidden):
        file(session, world, target, by=world.county.supervisor)
