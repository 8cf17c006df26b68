"""A module reads who is due for a visit under its own tags and the core's, and its own visit
record resets the schedule the grid worker's list shows (docs/sdk.md, ``gridgov.sdk.visits``)."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.db import set_tenant
from gridgov.core.registry import service as core_registry
from gridgov.core.registry.service import PersonInput
from gridgov.sdk import visits
from gridgov.sdk.caller import scope_of
from gridgov.sdk.errors import DomainError, NotFound
from gridgov.sdk.registry import TagDefinition, tag_person
from tests.core.registry.conftest import id_number
from tests.factories import build_county

WATCHED = TagDefinition("example.watched", "关注对象", "Watched", visit_interval_days=7)


@pytest.fixture
def home(session):
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    dwelling = core_registry.create_dwelling(
        session, county.tenant, county.admin, grid=county.grids[0], address="幸福路 1 号"
    )
    household = core_registry.create_household(session, county.admin, dwelling=dwelling)
    person = core_registry.create_person(
        session,
        county.tenant,
        county.admin,
        PersonInput(name="李示例", id_number=id_number(7), relation="head"),
        household=household,
    )
    return county, household, person


def test_due_visits_follow_the_tags_asked_for_and_a_visit_resets_them(session, home):
    county, household, person = home
    tag_person(session, county.admin, person, "empty_nest_elderly")
    tag_person(session, county.admin, person, WATCHED.code, catalogue={WATCHED.code: WATCHED})
    scope = scope_of(session, county.workers[0])
    today = county.tenant.clock.today()

    due = visits.due_visits(session, scope, today=today, tags=[WATCHED, "empty_nest_elderly"])
    assert sorted(d.tag.code for d in due) == ["empty_nest_elderly", "example.watched"]
    assert all(d.due_on is None and d.person.id == person.id for d in due)
    assert visits.due_visits(session, scope, today=today, tags=["left_behind_child"]) == []

    visit = visits.record_visit(session, county.workers[0], household, notes="见到本人")
    assert visits.visits_of(session, household) == [visit]
    assert visits.due_visits(session, scope, today=today, tags=[WATCHED]) == []
    (again,) = visits.due_visits(
        session, scope, today=today + dt.timedelta(days=7), tags=[WATCHED, "empty_nest_elderly"]
    )
    assert (again.tag.code, again.due_on) == (WATCHED.code, today + dt.timedelta(days=7))


def test_a_visit_says_what_was_seen_and_an_unknown_core_tag_is_a_programming_error(session, home):
    county, household, _person = home
    with pytest.raises(DomainError) as refused:
        visits.record_visit(session, county.workers[0], household, notes="  ")
    assert refused.value.field == "notes"
    assert visits.visits_of(session, household) == []
    with pytest.raises(ValueError, match="not a core tag"):
        visits.due_visits(
            session, scope_of(session, county.admin), today=dt.date(2026, 5, 1), tags=["watched"]
        )


def test_a_household_in_another_grid_is_not_found(session, home):
    county, household, _person = home
    mine, theirs = county.workers[0], county.workers[1]
    assert visits.visible_household(session, mine, scope_of(session, mine), household.id) is (
        household
    )
    with pytest.raises(NotFound):
        visits.visible_household(session, theirs, scope_of(session, theirs), household.id)
