"""Civil-affairs fixtures: a county whose civil affairs bureau (民政局, serving the whole
county) had the module admitted through the real admission service, people of the registry
with the core's special-population tags, and helpers for the services, the pages and the
API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import service as admission
from gridgov.core.admission.models import Admission
from gridgov.core.db import db_session, set_tenant, tenant_scope
from gridgov.core.departments import service as departments
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Person
from gridgov.core.registry.service import PersonInput
from gridgov_plugins.civil_affairs import service
from tests.core.admission.factories import ITEMS
from tests.factories import County, UserFactory, build_county
from tests.portal.conftest import (
    login,
    phone,  # noqa: F401 - the browser test's phone page
)

MODULE = "civil_affairs"


def admit(
    session: Session, county: County, *, pilot: tuple = (), then: str | None = None
) -> tuple[Admission, User]:
    """The county's civil affairs bureau applies for the module and the review meeting
    approves it county-wide (a pilot in ``pilot`` if given); ``then`` is "suspend" or
    "withdraw". Returns the admission and the bureau's officer (assigned to the county's top
    node)."""
    department = county.department
    assert department is not None
    officer = UserFactory(
        username=f"{county.tenant.slug}-mz", role=Role.DEPARTMENT_OFFICER.value, nodes=[county.top]
    )
    departments.add_officer(session, None, department, officer)
    applied = admission.apply_for_module(
        session,
        officer,
        runtime.current().plugins,
        department=department,
        module=MODULE,
        items=ITEMS,
        requirements={"care_register": "空巢老人、留守儿童、残疾人、低保对象名册"},
    )
    approved = admission.approve_admission(
        session,
        county.admin,
        applied,
        meeting_date=dt.date(2026, 5, 8),
        minutes="同意",
        pilot_nodes=pilot,
    )
    if then is not None:
        getattr(admission, f"{then}_admission")(session, county.admin, approved, reason="整顿")
    session.flush()
    return approved, officer


def cared_person(
    session: Session,
    county: County,
    *,
    grid: int = 0,
    tag: str = "empty_nest_elderly",
    name: str = "示例老人",
    born: dt.date = dt.date(1940, 3, 1),
    phone_number: str | None = None,
) -> Person:
    """A person of grid ``grid`` with a household and the core tag ``tag``."""
    node = county.grids[grid]
    dwelling = registry.create_dwelling(
        session, county.tenant, None, grid=node, address=f"{node.name}示例小区 1 号楼"
    )
    household = registry.create_household(session, None, dwelling=dwelling)
    person = registry.create_person(
        session,
        county.tenant,
        None,
        PersonInput(
            name=name,
            residence_type="registered",
            birth_date=born,
            phone=phone_number,
            sex="female",
            relation="head",
        ),
        household=household,
    )
    if tag:
        registry.tag_person(session, None, person, tag)
    session.flush()
    return person


def visit(session: Session, user: User, person: Person, day: dt.date, condition: str = "good"):
    return service.record_care_visit(
        session,
        user,
        scope_of(session, user),
        person,
        service.VisitInput(visited_on=day, condition=condition, needs="需要代购药品"),
    )


def errand(session: Session, user: User, person: Person, title: str = "代办医保报销"):
    return service.request_errand(
        session, user, scope_of(session, user), person, service.ErrandInput("medical", title)
    )


def step(session: Session, user: User, found, action: str, comment: str = "已办", **kw: Any):
    return service.take_errand_step(
        session, user, scope_of(session, user), found, action, comment, **kw
    )


@pytest.fixture
def county(session: Session) -> County:
    """A county (2 townships × 2 communities × 2 grids) that admitted the module."""
    built = build_county(session)
    admit(session, built)
    return built


@pytest.fixture
def officer(session: Session, county: County) -> User:
    return departments.officers(session, county.department)[0]


# --- portal and API: data committed before any request -----------------------------------------


def make_county(app: Flask, slug: str = "changshan", *, admitted: bool = True, **kw: Any) -> County:
    with app.app_context():
        session = db_session()
        set_tenant(session, None)
        built = build_county(session, slug)
        if admitted:
            admit(session, built, **kw)
        session.commit()
    return built


def in_county(app: Flask, county: County, work: Callable[[Session], Any]) -> Any:
    """Run ``work`` in the county and commit it; returns what it returns."""
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            result = work(session)
        session.commit()
    return result


@pytest.fixture
def as_user(app: Flask, connection: Any) -> Callable[..., FlaskClient]:
    def _login(user: User, slug: str = "changshan") -> FlaskClient:
        client = app.test_client()
        assert login(client, slug, user.username).status_code == 302
        return client

    return _login
