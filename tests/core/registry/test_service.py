"""Registry use cases: people with protected personal data, households, tags and visits,
dedup and merge, scope, and the history of changes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from gridgov.core.accounts.scope import scope_of
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import utcnow
from gridgov.core.errors import Conflict, DomainError, Forbidden
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Person, RecordChange
from gridgov.core.registry.service import PersonInput
from gridgov.core.registry.tags import TagDefinition, tag_catalogue
from tests.core.registry.conftest import id_number


def add(session, home, name="张示例", n=1, **values):
    """Register a member of the home's household: its head, or a child once it has one."""
    has_head = session.scalar(
        select(Person.id).where(Person.household_id == home.household.id, Person.relation == "head")
    )
    values.setdefault("relation", "child" if has_head else "head")
    data = PersonInput(name=name, id_number=id_number(n), **values)
    return registry.create_person(
        session, home.county.tenant, home.county.admin, data, household=home.household
    )


def test_birth_date_and_sex_are_taken_from_the_id_number(session, home):
    person = add(session, home, n=7)
    assert person.birth_date == dt.date(1950, 1, 1)
    assert person.sex == "male"


def test_stored_columns_never_hold_the_plain_id_number_or_phone(session, home):
    number = id_number(3)
    person = add(session, home, n=3, phone="13812345678")
    session.flush()
    row = session.execute(
        text(
            "SELECT id_number_cipher, id_number_hash, phone_cipher, phone_hash FROM persons"
            " WHERE id = :id"
        ),
        {"id": person.id},
    ).one()
    raw = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else v.encode() for v in row)
    assert number.encode() not in raw and b"13812345678" not in raw
    assert registry.plain_value(person, PersonalField.ID_NUMBER) == number


def test_a_bad_id_number_is_refused_and_nothing_is_stored(session, home):
    with pytest.raises(DomainError) as refused:
        registry.create_person(
            session,
            home.county.tenant,
            home.county.admin,
            PersonInput(name="李示例", id_number="110101198001011233"),
            grid=home.county.grids[0],
        )
    assert refused.value.field == "id_number"
    assert session.scalar(select(Person.id)) is None


def test_the_same_id_number_cannot_be_registered_twice(session, home):
    add(session, home, n=5)
    with pytest.raises(Conflict) as refused:
        add(session, home, name="另一个", n=5)
    assert refused.value.field == "id_number"


def test_people_are_found_by_exact_id_number_phone_and_name_prefix(session, home):
    wang = add(session, home, name="王示例", n=1, phone="13912345678")
    add(session, home, name="李示例", n=2)
    admin = home.county.admin
    scope = scope_of(session, admin)
    found = lambda q: [  # noqa: E731
        p.id for p in session.scalars(registry.search_people(session, admin, scope, q))
    ]
    assert found(id_number(1)) == [wang.id]
    assert found("13912345678") == [wang.id]
    assert found("王") == [wang.id]
    assert found(id_number(9)) == []


def test_a_grid_worker_sees_only_the_people_of_their_grid(session, home):
    county = home.county
    mine = add(session, home, n=1)
    elsewhere = registry.create_person(
        session,
        county.tenant,
        county.admin,
        PersonInput(name="外网格", id_number=id_number(2)),
        grid=county.grids[3],
    )
    worker_scope = scope_of(session, county.workers[0])
    seen = [p.id for p in session.scalars(registry.people_query(worker_scope))]
    assert seen == [mine.id]
    assert not registry.in_scope(session, worker_scope, elsewhere.node_id)


def test_changes_are_kept_field_by_field_with_personal_values_masked(session, home):
    person = add(session, home, n=1, phone="13812345678")
    registry.update_person(
        session,
        home.county.tenant,
        home.county.workers[0],
        person,
        PersonInput(name="张新名", phone="13987654321"),
    )
    changes = {c.field: c for c in registry.history(session, "person", person.id) if c.field}
    assert (changes["name"].old_value, changes["name"].new_value) == ("张示例", "张新名")
    assert (changes["phone"].old_value, changes["phone"].new_value) == (
        "138********",
        "139********",
    )
    assert changes["phone"].actor_id == home.county.workers[0].id


def test_counts_of_changed_records_are_given_per_grid(session, home):
    person = add(session, home, n=1)
    registry.update_person(session, home.county.tenant, None, person, PersonInput(name="改名"))
    registry.update_person(session, home.county.tenant, None, person, PersonInput(name="再改"))
    session.flush()
    start = utcnow() - dt.timedelta(hours=1)
    counts = registry.changes_by_grid(
        session, start, utcnow() + dt.timedelta(hours=1), scope_of(session, home.county.admin)
    )
    # the dwelling, the household and the person: three records, however often changed
    assert [(c.node_id, c.records) for c in counts] == [(home.county.grids[0].id, 3)]


def test_unmasking_needs_an_allowed_role_and_a_reason_and_is_audited(session, home):
    person = add(session, home, n=1, phone="13812345678")
    county = home.county
    with pytest.raises(Forbidden):
        registry.reveal(session, county.volunteer, person, PersonalField.PHONE, "回访")
    with pytest.raises(DomainError) as no_reason:
        registry.reveal(session, county.workers[0], person, PersonalField.PHONE, " ")
    assert no_reason.value.field == "reason"
    assert (
        registry.reveal(session, county.workers[0], person, PersonalField.PHONE, "电话回访")
        == "13812345678"
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "person.unmask")).one()
    assert event.actor_id == county.workers[0].id
    assert event.after == {"field": "phone", "reason": "电话回访"}
    assert event.object_id == str(person.id)


def test_audit_events_of_people_never_hold_the_plain_values(session, home):
    add(session, home, n=1, phone="13812345678")
    session.flush()
    for event in session.scalars(select(AuditEvent)):
        assert "13812345678" not in str(event.after) and id_number(1) not in str(event.after)


def test_merging_keeps_one_record_with_the_values_and_tags_of_both(session, home):
    county = home.county
    keep = registry.create_person(
        session,
        county.tenant,
        county.admin,
        PersonInput(name="赵示例", phone="13812345678"),
        grid=county.grids[0],
    )
    duplicate = add(session, home, name="赵示例", n=4)
    registry.tag_person(session, county.admin, duplicate, "disabled")
    registry.merge_people(session, county.tenant, county.admin, keep, duplicate)
    assert registry.plain_value(keep, PersonalField.ID_NUMBER) == id_number(4)
    assert [t.tag for t in keep.tags] == ["disabled"]
    assert registry.find_by_id_number(session, id_number(4)).id == keep.id
    scope = scope_of(session, county.admin)
    assert [p.id for p in session.scalars(registry.people_query(scope))] == [keep.id]


def test_people_with_different_id_numbers_are_not_merged(session, home):
    one, two = add(session, home, n=1), add(session, home, n=2)
    with pytest.raises(DomainError):
        registry.merge_people(session, home.county.tenant, None, one, two)


def test_duplicates_are_found_by_name_and_birth_date(session, home):
    add(session, home, name="钱示例", n=1)
    registry.create_person(
        session,
        home.county.tenant,
        None,
        PersonInput(name="钱示例", birth_date=dt.date(1950, 1, 1)),
        grid=home.county.grids[0],
    )
    groups = registry.duplicate_groups(session, scope_of(session, home.county.admin))
    assert [[p.name for p in g] for g in groups] == [["钱示例", "钱示例"]]


def test_a_tagged_person_falls_due_and_a_household_visit_resets_it(session, home):
    county = home.county
    person = add(session, home, n=1)
    registry.tag_person(session, county.admin, person, "empty_nest_elderly")
    scope = scope_of(session, county.workers[0])
    today = county.tenant.clock.today()
    due = registry.due_visits(session, county.tenant, scope, today=today)
    assert [(d.person.id, d.tag.code) for d in due] == [(person.id, "empty_nest_elderly")]
    registry.record_visit(session, county.workers[0], home.household, notes="身体好")
    assert registry.due_visits(session, county.tenant, scope, today=today) == []
    later = today + dt.timedelta(days=31)
    assert len(registry.due_visits(session, county.tenant, scope, today=later)) == 1


def test_a_county_setting_overrides_a_tags_visit_interval(session, home):
    county = home.county
    person = add(session, home, n=1)
    registry.tag_person(session, county.admin, person, "empty_nest_elderly")
    registry.record_visit(session, county.workers[0], home.household, notes="身体好")
    county.tenant.settings = {"registry": {"visit_intervals": {"empty_nest_elderly": 7}}}
    in_8_days = county.tenant.clock.today() + dt.timedelta(days=8)
    scope = scope_of(session, county.admin)
    assert len(registry.due_visits(session, county.tenant, scope, today=in_8_days)) == 1


def test_tags_declared_by_a_module_can_be_used(session, home):
    person = add(session, home, n=1)
    leader = TagDefinition("fire_safety.leader", "消防带头人", "Fire leader", module="fire_safety")
    catalogue = tag_catalogue(extra=[leader])
    registry.tag_person(session, None, person, "fire_safety.leader", catalogue=catalogue)
    with pytest.raises(DomainError):
        registry.tag_person(session, None, person, "fire_safety.leader")
    assert [t.tag for t in person.tags] == ["fire_safety.leader"]


def test_a_tag_declared_twice_is_refused():
    with pytest.raises(ValueError):
        tag_catalogue(extra=[TagDefinition("disabled", "重复", "dup")])


def test_moving_a_dwelling_moves_its_people_and_keeps_the_history(session, home):
    county = home.county
    person = add(session, home, n=1)
    registry.move_dwelling(session, county.tenant, county.admin, home.dwelling, county.grids[1])
    session.refresh(person)
    assert person.node_id == county.grids[1].id
    move = session.scalars(select(RecordChange).where(RecordChange.action == "move")).one()
    assert (move.old_value, move.new_value) == (str(county.grids[0].id), str(county.grids[1].id))


def test_dwellings_lie_in_a_basic_grid(session, county):
    with pytest.raises(DomainError) as refused:
        registry.create_dwelling(
            session, county.tenant, None, grid=county.communities[0], address="幸福路 2 号"
        )
    assert refused.value.field == "grid_id"


def test_a_rental_has_a_landlord_renters_and_a_lease_period(session, home):
    county = home.county
    landlord, renter = add(session, home, n=1), add(session, home, name="租客", n=2)
    rental = registry.create_rental(
        session,
        county.admin,
        dwelling=home.dwelling,
        landlord=landlord,
        occupants=[renter],
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    assert home.dwelling.is_rental and [o.person_id for o in rental.occupants] == [renter.id]
    with pytest.raises(DomainError):
        registry.create_rental(
            session,
            county.admin,
            dwelling=home.dwelling,
            landlord=landlord,
            occupants=[],
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2025, 1, 1),
        )


def test_a_site_keeps_its_contact_phone_encrypted(session, county):
    site = registry.create_site(
        session,
        county.tenant,
        county.admin,
        grid=county.grids[0],
        name="示例小学",
        kind="school",
        contact_phone="13812345678",
        is_key=True,
    )
    assert site.is_key and b"13812345678" not in site.contact_phone_cipher
