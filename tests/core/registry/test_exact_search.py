"""Searches by a whole ID number or phone: each one could confirm a guess at a masked value, so
they are offered only to the roles whose work needs them, limited per user over a sliding
window, and audited with a hash of what was looked for, never the value."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from gridgov.core import runtime
from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.audit.models import AuditEvent
from gridgov.core.errors import Forbidden, TooManyRequests
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import disclosure, exports
from gridgov.core.registry import service as registry
from gridgov.core.registry.service import PersonInput
from tests.core.registry.conftest import id_number
from tests.factories import UserFactory


def search(session, user, q):
    return list(session.scalars(registry.search_people(session, user, scope_of(session, user), q)))


def exact_events(session):
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == registry.EXACT_SEARCH)
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def wang(session, home):
    return registry.create_person(
        session,
        home.county.tenant,
        None,
        PersonInput(name="王示例", id_number=id_number(1), phone="13912345678", relation="head"),
        household=home.household,
    )


@pytest.fixture
def limited(session):
    """Exact searches limited to 3 an hour for the test."""
    changed = dataclasses.replace(runtime.current(), exact_search_limits="3 per hour")
    with runtime.use(changed):
        yield changed


def test_an_exact_search_is_audited_with_its_search_hash_and_what_it_found(session, home, wang):
    worker = home.county.workers[0]
    assert [p.id for p in search(session, worker, id_number(1))] == [wang.id]
    assert search(session, worker, "13900000000") == []
    by_id, by_phone = exact_events(session)
    expected_hash = registry.search_hash(session, PersonalField.ID_NUMBER, id_number(1))
    assert (by_id.actor_id, by_id.after["field"]) == (worker.id, "id_number")
    assert by_id.after["search_hash"] == expected_hash
    assert (by_id.after["results"], by_id.after["people"]) == (1, [wang.id])
    assert (by_phone.after["field"], by_phone.after["results"]) == ("phone", 0)
    logged = str([e.after for e in exact_events(session)])
    assert id_number(1) not in logged and "13900000000" not in logged


def test_a_search_by_name_is_neither_limited_nor_audited(session, home, wang):
    supervisor = home.county.supervisor
    assert [p.id for p in search(session, supervisor, "王")] == [wang.id]
    assert exact_events(session) == []


@pytest.mark.parametrize(
    "role", [Role.SUPERVISOR, Role.DEPARTMENT_OFFICER, Role.VOLUNTEER, Role.AUDIT_ADMIN]
)
def test_roles_whose_work_needs_no_exact_search_are_refused_one(session, home, wang, role):
    user = UserFactory(username=f"u-{role}", role=role)
    with pytest.raises(Forbidden) as refused:
        search(session, user, id_number(1))
    assert refused.value.field == "q"
    with pytest.raises(Forbidden):
        search(session, user, "13912345678")
    assert exact_events(session) == []


def test_only_the_field_staff_may_search_by_exact_value():
    allowed = {role for role in Role if disclosure.may_search_exact(role)}
    assert allowed == {
        Role.COUNTY_ADMIN,
        Role.TOWNSHIP_STAFF,
        Role.STATION_STAFF,
        Role.GRID_WORKER,
    }


def test_exact_searches_are_limited_per_user_over_a_sliding_window(session, home, wang, limited):
    worker, other = home.county.workers[0], home.county.workers[1]
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for minutes in (0, 20, 40):
            clock.move_to(dt.datetime(2026, 3, 2, 9, minutes, tzinfo=dt.UTC))
            search(session, worker, id_number(1))
        with pytest.raises(TooManyRequests) as refused:
            search(session, worker, "13912345678")
        assert refused.value.status == 429
        assert refused.value.retry_after == 20 * 60  # when 9:00 leaves the hour
        assert "60 分钟内最多 3 次" in str(refused.value.message)
        assert len(exact_events(session)) == 3  # the refused one found nothing and is not one
        search(session, other, id_number(1))  # another user has their own count
        clock.move_to(dt.datetime(2026, 3, 2, 10, 1, tzinfo=dt.UTC))  # 9:00 has left the hour
        assert [p.id for p in search(session, worker, id_number(1))] == [wang.id]
        with pytest.raises(TooManyRequests):
            search(session, worker, id_number(1))


def test_an_invalid_id_number_counts_as_an_exact_search(session, home, limited):
    worker = home.county.workers[0]
    wrong = id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1")
    assert search(session, worker, wrong) == []
    (event,) = exact_events(session)
    assert (event.after["search_hash"], event.after["results"]) == (None, 0)


def test_an_export_of_an_exact_search_is_one_too(session, home, wang, limited):
    supervisor = home.county.supervisor
    with pytest.raises(Forbidden):
        exports.start_export(session, supervisor, q=id_number(1))
    worker = home.county.workers[0]
    for _ in range(3):
        search(session, worker, id_number(1))
    with pytest.raises(TooManyRequests):
        exports.start_export(session, worker, q=id_number(1))
