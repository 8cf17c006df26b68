"""Departments: set up by the county, with officers acting for them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridgov.core.accounts.models import Role
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import set_tenant
from gridgov.core.departments import service as departments
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.hierarchy import service as hierarchy
from tests.factories import UserFactory, build_county


def test_a_department_serves_a_node_and_is_audited(session):
    county = build_county(session)
    fire = departments.create_department(
        session,
        county.admin,
        code="XF",
        name="县消防救援大队",
        node=county.top,
        phone="0471-1234567",
    )
    assert departments.get_department(session, fire.id).node == county.top
    assert departments.get_department_by_code(session, "XF") is fire
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "department.create", AuditEvent.object_id == str(fire.id)
        )
    )
    assert event.after["name"] == "县消防救援大队"


def test_a_code_in_use_is_refused_on_the_code_field(session):
    county = build_county(session)
    departments.create_department(session, None, code="SF", name="司法所", node=county.top)
    with pytest.raises(Conflict) as refused:
        departments.create_department(session, None, code="SF", name="另一个", node=county.top)
    assert refused.value.field == "code"


def test_bad_phone_and_blank_name_are_field_errors(session):
    county = build_county(session)
    with pytest.raises(DomainError) as bad_phone:
        departments.create_department(
            session, None, code="A", name="民政办", node=county.top, phone="12345"
        )
    assert bad_phone.value.field == "phone"
    with pytest.raises(DomainError) as blank:
        departments.create_department(session, None, code="B", name="  ", node=county.top)
    assert blank.value.field == "name"


def test_a_retired_node_cannot_host_a_department(session):
    county = build_county(session, grids=1)
    grid = county.grids[-1]
    for worker in county.workers:
        session.refresh(worker)
    hierarchy.retire_node(session, None, grid)
    with pytest.raises(DomainError) as refused:
        departments.create_department(session, None, code="X", name="某部门", node=grid)
    assert refused.value.field == "node_id"


def test_only_department_officers_can_act_for_a_department(session):
    county = build_county(session)
    fire = departments.create_department(session, None, code="XF", name="消防", node=county.top)
    officer = UserFactory(username="xf1", role=Role.DEPARTMENT_OFFICER.value)
    departments.add_officer(session, county.admin, fire, officer)
    departments.add_officer(session, county.admin, fire, officer)  # twice is once
    assert departments.officers(session, fire) == [officer]
    assert departments.departments_of(session, officer) == [fire]
    with pytest.raises(DomainError) as refused:
        departments.add_officer(session, county.admin, fire, county.workers[0])
    assert refused.value.field == "user_ids"


def test_set_officers_replaces_them_and_an_inactive_department_is_listed_only_on_request(session):
    county = build_county(session)
    fire = departments.create_department(session, None, code="XF", name="消防", node=county.top)
    first = UserFactory(username="xf1", role=Role.DEPARTMENT_OFFICER.value)
    second = UserFactory(username="xf2", role=Role.DEPARTMENT_OFFICER.value)
    departments.set_officers(session, None, fire, [first])
    departments.set_officers(session, None, fire, [second])
    assert departments.officers(session, fire) == [second]
    departments.update_department(session, None, fire, is_active=False)
    assert fire not in departments.list_departments(session)
    assert fire in departments.list_departments(session, include_inactive=True)
    assert departments.departments_of(session, second) == []


def test_another_countys_department_is_not_found(session):
    county = build_county(session, "county-a")
    fire = departments.create_department(session, None, code="XF", name="消防", node=county.top)
    other = build_county(session, "county-b")
    set_tenant(session, other.tenant.id)
    with pytest.raises(NotFound):
        departments.get_department(session, fire.id)
    assert departments.get_department_by_code(session, "XF") is None
    assert fire not in departments.list_departments(session, include_inactive=True)
