"""Reward and assistance entitlements (奖励扶助、特别扶助), per person and year: the grid worker
or the station applies, the township checks, only the office approves and pays; refusals give
a reason; every step is audited; the lists of who is due and who is overdue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.audit.models import AuditEvent
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov_plugins.family_planning import entitlements
from tests.factories import UserFactory
from tests.plugins.family_planning.conftest import special

# 15 November 2026 in the county: after the default payment date (30 September).
FROZEN = dt.datetime(2026, 11, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DAY = FROZEN.date()


def apply(session, world, person=None, scheme="reward", by=None, year=None):
    user = by or world.county.workers[0]
    return entitlements.apply_for(
        session,
        user,
        scope_of(session, user),
        entitlements.ApplicationInput(
            person_id=(person or world.family.grandfather).id, scheme=scheme, year=year
        ),
    )


def act(session, user, step, entitlement, *args, **kwargs):
    return getattr(entitlements, step)(
        session, user, scope_of(session, user), entitlement, *args, **kwargs
    )


def pay(session, world, entitlement, amount="960", paid_on=DAY):
    return act(
        session, world.officer, "record_payment", entitlement, amount=amount, paid_on=paid_on
    )


@time_machine.travel(FROZEN, tick=False)
def test_an_entitlement_goes_from_application_to_payment_and_each_step_is_audited(session, world):
    made = apply(session, world)
    assert (made.state, made.year, made.applied_on) == ("applied", 2026, DAY)
    act(session, world.county.township_staff, "check", made)
    act(session, world.officer, "approve", made)
    pay(session, world, made, amount="960.5")
    assert (made.state, made.amount, made.paid_on) == ("paid", Decimal("960.50"), DAY)
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "family_planning_entitlement")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "family_planning.entitlement.apply",
        "family_planning.entitlement.check",
        "family_planning.entitlement.approve",
        "family_planning.entitlement.pay",
    ]


@time_machine.travel(FROZEN, tick=False)
def test_each_step_belongs_to_one_role(session, world):
    made = apply(session, world)
    with pytest.raises(Forbidden):
        act(session, world.officer, "check", made)  # the township checks
    act(session, world.county.township_staff, "check", made)
    other = UserFactory(
        username="other-officer", role="department_officer", nodes=[world.county.top]
    )
    for user in (world.county.township_staff, world.county.admin, other):
        with pytest.raises((Forbidden, NotFound)):
            act(session, user, "approve", made)
    assert made.state == "checked"
    with pytest.raises(Forbidden):
        apply(session, world, world.family.elder, by=world.county.township_staff)


@time_machine.travel(FROZEN, tick=False)
def test_a_step_out_of_turn_is_a_conflict(session, world):
    made = apply(session, world)
    with pytest.raises(Conflict):
        pay(session, world, made)


@time_machine.travel(FROZEN, tick=False)
def test_a_refusal_needs_its_reason_at_the_check_or_the_approval(session, world):
    first = apply(session, world)
    with pytest.raises(DomainError) as refused:
        act(session, world.county.township_staff, "refuse", first, " ")
    assert refused.value.field == "reason"
    act(session, world.county.township_staff, "refuse", first, "子女数不符合条件")
    assert (first.state, first.refusal_reason) == ("refused", "子女数不符合条件")
    second = apply(session, world, world.family.elder)
    act(session, world.county.township_staff, "check", second)
    act(session, world.officer, "refuse", second, "年龄不符")
    assert second.state == "refused"


@time_machine.travel(FROZEN, tick=False)
def test_a_payment_names_its_amount_and_a_day_not_in_the_future(session, world):
    made = apply(session, world)
    act(session, world.county.township_staff, "check", made)
    act(session, world.officer, "approve", made)
    for amount, paid_on, field in (
        ("0", DAY, "amount"),
        ("abc", DAY, "amount"),
        ("960", DAY + dt.timedelta(days=1), "paid_on"),
        ("960", None, "paid_on"),
    ):
        with pytest.raises(DomainError) as refused:
            pay(session, world, made, amount=amount, paid_on=paid_on)
        assert refused.value.field == field
    assert made.state == "approved"


@time_machine.travel(FROZEN, tick=False)
def test_one_application_per_person_scheme_and_year(session, world):
    apply(session, world)
    with pytest.raises(Conflict):
        apply(session, world)
    assert apply(session, world, year=2025).year == 2025
    with pytest.raises(DomainError) as refused:
        apply(session, world, year=2023)
    assert refused.value.field == "year"


@time_machine.travel(FROZEN, tick=False)
def test_special_assistance_is_for_recognised_special_families_and_reward_for_60_and_over(
    session, world
):
    with pytest.raises(DomainError):
        apply(session, world, world.family.grandfather, scheme="special")
    special(session, world)
    assert apply(session, world, world.family.grandfather, scheme="special").scheme == "special"
    with pytest.raises(DomainError) as refused:
        apply(session, world, world.family.father, scheme="reward")  # 32
    assert refused.value.field == "person_id"


@time_machine.travel(FROZEN, tick=False)
def test_outside_the_grid_or_the_pilot_nobody_applies(session, world):
    with pytest.raises(DomainError):
        apply(session, world, world.neighbours.grandfather)
    with pytest.raises(NotFound):
        apply(session, world, world.outside.grandfather, by=world.county.workers[4])


@time_machine.travel(FROZEN, tick=False)
def test_the_due_list_has_the_unapplied_the_unpaid_and_marks_the_overdue(session, world):
    special(session, world)  # due a 特别扶助, no application yet
    approved = apply(session, world, world.family.elder)
    act(session, world.county.township_staff, "check", approved)
    act(session, world.officer, "approve", approved)
    applied = apply(session, world, world.neighbours.grandfather, by=world.county.workers[1])
    paid = apply(session, world, world.neighbours.elder, by=world.county.workers[1])
    act(session, world.county.township_staff, "check", paid)
    act(session, world.officer, "approve", paid)
    pay(session, world, paid)
    staff = world.county.township_staff
    due = entitlements.due_entitlements(session, staff, scope_of(session, staff))
    lines = {(d.person_id, d.scheme, d.entitlement.id if d.entitlement else None): d for d in due}
    assert set(lines) == {
        (world.family.grandfather.id, "special", None),
        (world.family.elder.id, "reward", approved.id),
        (world.neighbours.grandfather.id, "reward", applied.id),
    }
    assert all(d.is_overdue for d in due)  # past 30 September, nothing of 2026 settled


@time_machine.travel(FROZEN, tick=False)
def test_before_the_countys_payment_date_nothing_is_overdue(session, world):
    tenant = world.county.tenant
    tenant.settings = {**(tenant.settings or {}), "family_planning": {"payment_due": "12-31"}}
    made = apply(session, world)
    act(session, world.county.township_staff, "check", made)
    act(session, world.officer, "approve", made)
    staff = world.county.township_staff
    (line,) = entitlements.due_entitlements(session, staff, scope_of(session, staff))
    assert line.entitlement is made and not line.is_overdue


@time_machine.travel(FROZEN, tick=False)
def test_a_reward_paid_last_year_makes_the_person_due_this_year(session, world):
    last = apply(session, world, year=2025)
    act(session, world.county.township_staff, "check", last)
    act(session, world.officer, "approve", last)
    pay(session, world, last)
    staff = world.county.township_staff
    (line,) = entitlements.due_entitlements(session, staff, scope_of(session, staff))
    assert (line.person_id, line.year, line.entitlement) == (
        world.family.grandfather.id,
        2026,
        None,
    )


def test_the_audit_admin_and_volunteers_read_no_entitlement(session, world):
    made = apply(session, world)
    for user in (world.county.auditor, world.county.volunteer):
        with pytest.raises(Forbidden):
            entitlements.visible_entitlement(session, user, scope_of(session, user), made.id)
        with pytest.raises(Forbidden):
            entitlements.due_entitlements(session, user, scope_of(session, user))
    worker = world.county.workers[1]
    with pytest.raises(NotFound):
        entitlements.visible_entitlement(session, worker, scope_of(session, worker), made.id)
