"""The details a tag cannot hold (disability category and level, allowance status and review
date, illness) and the assistance given (物资、资金、服务) per person and household: kept by the
staff of the person's grid and the bureau's officer, checked, and audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.audit.models import AuditEvent
from gridgov.core.errors import DomainError, Forbidden, NotFound
from gridgov_plugins.civil_affairs import service
from tests.plugins.civil_affairs.conftest import cared_person

GIVEN = dt.date(2026, 5, 1)


def save(session, user, person, **fields):
    return service.save_record(
        session, user, scope_of(session, user), person, service.RecordInput(**fields)
    )


def give(session, user, person, **fields):
    data = {"kind": "goods", "what": "大米 2 袋", "given_on": GIVEN, "given_by": "民政局", **fields}
    return service.record_assistance(
        session, user, scope_of(session, user), person, service.AssistanceInput(**data)
    )


def test_the_disability_category_and_grade_are_kept_once_per_person_and_audited(session, county):
    worker = county.workers[0]
    person = cared_person(session, county, tag="disabled")
    save(session, worker, person, disability_category="physical", disability_level="2")
    record = save(session, worker, person, disability_category="physical", disability_level="1")
    assert (record.disability_category, record.disability_level) == ("physical", "1")
    assert service.record_of(session, person).id == record.id
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "civil_affairs.record.save")
    ).all()
    assert [e.after["disability_level"] for e in events] == ["2", "1"]
    assert events[1].before["disability_level"] == "2"


def test_a_category_without_a_grade_or_an_unknown_one_is_refused(session, county):
    worker = county.workers[0]
    person = cared_person(session, county, tag="disabled")
    for fields, field in (
        ({"disability_category": "physical"}, "disability_level"),
        ({"disability_category": "sight", "disability_level": "1"}, "disability_category"),
        ({"allowance_review_on": dt.date(2027, 1, 1)}, "allowance_status"),
    ):
        with pytest.raises(DomainError) as refused:
            save(session, worker, person, **fields)
        assert refused.value.field == field


def test_the_allowance_status_and_its_review_date_are_kept(session, county):
    person = cared_person(session, county, tag="subsistence_allowance")
    record = save(
        session,
        county.station_staff,
        person,
        allowance_status="receiving",
        allowance_review_on=dt.date(2027, 3, 1),
        illness="尿毒症",
    )
    assert (record.allowance_status, record.allowance_review_on) == (
        "receiving",
        dt.date(2027, 3, 1),
    )


def test_money_needs_its_amount_and_goods_may_go_to_the_whole_household(session, county):
    worker = county.workers[0]
    person = cared_person(session, county, tag="hardship")
    with pytest.raises(DomainError) as refused:
        give(session, worker, person, kind="money", what="临时救助金")
    assert refused.value.field == "amount"
    money = give(session, worker, person, kind="money", what="临时救助金", amount="500")
    goods = give(session, worker, person, quantity=2, to_household=True)
    assert money.amount == Decimal("500.00") and money.household_id is None
    assert goods.household_id == person.household_id
    assert {a.id for a in service.assistance_of(session, person)} == {money.id, goods.id}


def test_a_date_in_the_future_and_a_negative_amount_are_refused(session, county):
    worker = county.workers[0]
    person = cared_person(session, county, tag="hardship")
    with pytest.raises(DomainError) as refused:
        give(session, worker, person, given_on=dt.date(2099, 1, 1))
    assert refused.value.field == "given_on"
    with pytest.raises(DomainError) as refused:
        give(session, worker, person, kind="money", amount="-5")
    assert refused.value.field == "amount"


def test_the_bureaus_officer_keeps_records_but_a_volunteer_and_the_auditor_see_nothing(
    session, county, officer
):
    person = cared_person(session, county, tag="disabled")
    save(session, officer, person, disability_category="vision", disability_level="3")
    for user in (county.volunteer, county.auditor, county.supervisor):
        with pytest.raises(Forbidden):
            service.visible_person(session, user, scope_of(session, user), person.id)
        with pytest.raises(Forbidden):
            save(session, user, person, illness="x")


def test_a_grid_worker_does_not_open_a_person_of_another_grid(session, county):
    person = cared_person(session, county, grid=0)
    other = county.workers[1]
    with pytest.raises(NotFound):
        service.visible_person(session, other, scope_of(session, other), person.id)


def test_a_person_without_a_care_tag_is_not_in_the_module(session, county):
    person = cared_person(session, county, tag="")
    admin = county.admin
    with pytest.raises(NotFound):
        service.visible_person(session, admin, scope_of(session, admin), person.id)
    assert person.id not in {
        p.id for p in session.scalars(service.care_people(session, admin, scope_of(session, admin)))
    }


def test_allowance_reviews_falling_due_within_a_month_are_listed_soonest_first(session, county):
    today = dt.date(2026, 11, 20)
    worker = county.workers[0]
    late = cared_person(session, county, tag="subsistence_allowance", name="示例甲")
    soon = cared_person(session, county, tag="subsistence_allowance", name="示例乙")
    later = cared_person(session, county, tag="subsistence_allowance", name="示例丙")
    ended = cared_person(session, county, tag="subsistence_allowance", name="示例丁")
    for person, day, status in (
        (late, dt.date(2026, 11, 1), "receiving"),
        (soon, dt.date(2026, 12, 10), "applying"),
        (later, dt.date(2027, 3, 1), "receiving"),
        (ended, dt.date(2026, 11, 25), "ended"),
    ):
        save(session, worker, person, allowance_status=status, allowance_review_on=day)
    rows = session.execute(
        service.allowance_reviews_due(session, worker, scope_of(session, worker), today=today)
    ).all()
    assert [p.name for _record, p in rows] == ["示例甲", "示例乙"]
    other = county.workers[1]
    assert (
        session.execute(
            service.allowance_reviews_due(session, other, scope_of(session, other), today=today)
        ).all()
        == []
    )
