"""The admission workflow: who may move an admission from which state to which, and what each
step leaves in the history and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridgov.core.admission import access
from gridgov.core.admission import service as admission
from gridgov.core.admission.models import AdmissionState
from gridgov.core.audit.models import AuditEvent
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from tests.core.admission.factories import (
    ITEMS,
    add_department,
    applied,
    approved,
    host_with,
)
from tests.factories import build_county

MEETING = dt.date(2026, 5, 8)


@pytest.fixture
def county(session):
    return build_county(session, "changshan")


@pytest.fixture
def host():
    return host_with("fire_safety", "disputes")


def test_an_application_states_the_five_items_and_waits_for_review(session, county, host):
    department, officer = add_department(session, county)
    a = applied(session, host, department, officer, "fire_safety")
    assert a.state == AdmissionState.IN_REVIEW
    assert (a.reason, a.funding) == (ITEMS["reason"], ITEMS["funding"])
    assert a.requirements == {"catalogue": "九小场所目录"}
    assert [e.action for e in a.events] == ["apply"]


@pytest.mark.parametrize("item", ["reason", "tasks", "authority", "training", "funding"])
def test_each_of_the_five_items_is_required(session, county, host, item):
    department, officer = add_department(session, county)
    with pytest.raises(DomainError) as refused:
        admission.apply_for_module(
            session,
            officer,
            host,
            department=department,
            module="disputes",
            items={**ITEMS, item: "  "},
        )
    assert refused.value.field == item


def test_the_modules_own_requirement_must_be_answered(session, county, host):
    department, officer = add_department(session, county)
    with pytest.raises(DomainError) as refused:
        admission.apply_for_module(
            session, officer, host, department=department, module="fire_safety", items=ITEMS
        )
    assert refused.value.field == "requirements"
    assert "隐患排查目录" in str(refused.value.message)


def test_a_module_not_installed_cannot_be_applied_for(session, county, host):
    department, officer = add_department(session, county)
    with pytest.raises(DomainError) as refused:
        admission.apply_for_module(
            session, officer, host, department=department, module="astrology", items=ITEMS
        )
    assert refused.value.field == "module"


def test_a_second_application_while_one_is_in_review_is_a_conflict(session, county, host):
    department, officer = add_department(session, county)
    applied(session, host, department, officer, "disputes")
    with pytest.raises(Conflict):
        applied(session, host, department, officer, "disputes")


def test_approval_records_minutes_and_date_and_makes_the_module_live(session, county, host):
    department, officer = add_department(session, county)
    a = approved(session, host, county, department, officer, "disputes")
    assert (a.state, a.meeting_date, a.minutes) == ("approved", MEETING, "县综治委主任办公会同意")
    assert admission.live_modules(session) == {"disputes"}
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "admission")
    ).all()
    assert actions == ["admission.apply", "admission.approve"]


def test_rejection_needs_reasons_and_allows_a_new_application(session, county, host):
    department, officer = add_department(session, county)
    a = applied(session, host, department, officer, "disputes")
    with pytest.raises(DomainError) as refused:
        admission.reject_admission(session, county.admin, a, meeting_date=MEETING, reasons="")
    assert refused.value.field == "reasons"
    admission.reject_admission(session, county.admin, a, meeting_date=MEETING, reasons="经费未落实")
    assert a.state == AdmissionState.REJECTED
    assert a.events[-1].note == "经费未落实"
    assert admission.live_modules(session) == frozenset()
    assert applied(session, host, department, officer, "disputes").state == "in_review"


@pytest.mark.parametrize(
    ("step", "from_state"),
    [
        ("approve", "rejected"),
        ("reject", "approved"),
        ("suspend", "in_review"),
        ("resume", "approved"),
        ("withdraw", "in_review"),
        ("widen", "suspended"),
    ],
)
def test_a_step_from_the_wrong_state_is_a_conflict(session, county, host, step, from_state):
    department, officer = add_department(session, county)
    a = applied(session, host, department, officer, "disputes")
    a.state = from_state
    calls = {
        "approve": lambda: admission.approve_admission(
            session, county.admin, a, meeting_date=MEETING, minutes="同意"
        ),
        "reject": lambda: admission.reject_admission(
            session, county.admin, a, meeting_date=MEETING, reasons="否"
        ),
        "suspend": lambda: admission.suspend_admission(session, county.admin, a, reason="整顿"),
        "resume": lambda: admission.resume_admission(session, county.admin, a, reason="恢复"),
        "withdraw": lambda: admission.withdraw_admission(session, county.admin, a, reason="撤"),
        "widen": lambda: admission.widen_admission(session, county.admin, a),
    }
    with pytest.raises(Conflict):
        calls[step]()


def test_suspend_resume_and_withdraw_are_each_in_the_history(session, county, host):
    department, officer = add_department(session, county)
    a = approved(session, host, county, department, officer, "disputes")
    admission.suspend_admission(session, county.admin, a, reason="人员调整")
    assert admission.live_modules(session) == frozenset()
    admission.resume_admission(session, county.admin, a, reason="调整完毕")
    assert admission.live_modules(session) == {"disputes"}
    admission.withdraw_admission(session, county.admin, a, reason="职能划转")
    assert admission.live_modules(session) == frozenset()
    assert [(e.action, e.state) for e in a.events] == [
        ("apply", "in_review"),
        ("approve", "approved"),
        ("suspend", "suspended"),
        ("resume", "approved"),
        ("withdraw", "withdrawn"),
    ]


def test_a_pilot_is_live_only_in_its_townships_until_widened(session, county, host):
    department, officer = add_department(session, county)
    town0, town1 = county.townships
    a = approved(session, host, county, department, officer, "disputes", pilot=(town0,))
    grid_in, grid_out = county.grids[0], county.grids[-1]
    assert admission.is_live_at(session, "disputes", grid_in)
    assert not admission.is_live_at(session, "disputes", grid_out)
    with pytest.raises(NotFound):
        admission.check_open_for_work(session, "disputes", grid_out)
    admission.widen_admission(session, county.admin, a, nodes=[town1])
    assert admission.is_live_at(session, "disputes", grid_out)
    admission.widen_admission(session, county.admin, a)
    assert not a.is_pilot
    assert a.events[-1].note == "推广到全县"


def test_a_pilot_counts_for_a_user_whose_scope_reaches_it(session, county, host):
    from gridgov.core.accounts.scope import scope_of

    department, officer = add_department(session, county)
    approved(session, host, county, department, officer, "disputes", pilot=(county.townships[1],))
    assert admission.live_modules(session, scope_of(session, county.admin)) == {"disputes"}
    assert admission.live_modules(session, scope_of(session, county.workers[0])) == frozenset()
    assert admission.live_modules(session, scope_of(session, county.workers[-1])) == {"disputes"}


def test_suspended_module_refuses_new_work_with_a_conflict_that_says_so(session, county, host):
    department, officer = add_department(session, county)
    a = approved(session, host, county, department, officer, "disputes")
    admission.suspend_admission(session, county.admin, a, reason="整顿")
    with pytest.raises(Conflict) as refused:
        admission.check_open_for_work(session, "disputes", county.grids[0])
    assert "暂停" in str(refused.value.message)
    assert admission.was_ever_live(session, "disputes")


def test_officers_see_their_departments_admissions_and_the_county_admin_all(session, county, host):
    fire, fire_officer = add_department(session, county, "XF")
    justice, justice_officer = add_department(session, county, "SF")
    a = applied(session, host, fire, fire_officer, "fire_safety")
    b = applied(session, host, justice, justice_officer, "disputes")
    seen = session.scalars(access.visible_admissions(session, fire_officer)).all()
    assert seen == [a]
    assert set(session.scalars(access.visible_admissions(session, county.admin)).all()) == {a, b}
    with pytest.raises(NotFound):
        access.visible_admission(session, fire_officer, b.id)


@pytest.mark.parametrize("who", ["township_staff", "station_staff", "auditor", "volunteer"])
def test_other_roles_see_nothing_of_admission(session, county, host, who):
    department, officer = add_department(session, county)
    a = applied(session, host, department, officer, "disputes")
    user = getattr(county, who)
    with pytest.raises(NotFound):
        access.visible_admission(session, user, a.id)
    with pytest.raises(NotFound):
        access.visible_admissions(session, user)


def test_only_the_county_admin_decides_an_officer_gets_forbidden(session, county, host):
    department, officer = add_department(session, county)
    a = applied(session, host, department, officer, "disputes")
    assert access.reviewable_admission(session, county.admin, a.id) is a
    with pytest.raises(Forbidden):
        access.reviewable_admission(session, officer, a.id)
    with pytest.raises(NotFound):
        access.reviewable_admission(session, county.township_staff, a.id)


def test_an_officer_applies_only_for_a_department_they_act_for(session, county, host):
    fire, fire_officer = add_department(session, county, "XF")
    justice, _justice_officer = add_department(session, county, "SF")
    assert access.applying_department(session, fire_officer, fire.id) is fire
    with pytest.raises(NotFound):
        access.applying_department(session, fire_officer, justice.id)
    with pytest.raises(NotFound):
        access.applying_department(session, county.admin, fire.id)


def test_another_countys_admission_is_not_found(session, county, host):
    department, officer = add_department(session, county)
    a = applied(session, host, department, officer, "disputes")
    other = build_county(session, "baishui")
    with pytest.raises(NotFound):
        access.visible_admission(session, other.admin, a.id)
    assert admission.live_modules(session) == frozenset()
