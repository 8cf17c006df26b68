"""Family-planning fixtures: a county whose township 0 runs the module as a pilot for its
卫生健康和计划生育办公室 (through the real admission service and the installed plugin), a
household of the registry in grid 0 and one in grid 1 (same township, another worker), one in
township 1 (outside the pilot), and helpers for the portal and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import service as admission
from gridgov.core.admission.models import Admission
from gridgov.core.db import db_session, set_tenant, tenant_scope
from gridgov.core.departments import service as departments
from gridgov.core.hierarchy.models import Node
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Person
from gridgov.core.registry.service import PersonInput
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.family_planning import targets
from gridgov_plugins.family_planning.models import Target
from tests.api.bearer import bearer
from tests.core.admission.factories import ITEMS
from tests.factories import County, UserFactory, build_county
from tests.portal.conftest import (
    login,
    phone,  # noqa: F401 - the browser test's page
)

MODULE = "family_planning"
TODAY = CountyClock.of(None).today()
BASE = "/t/changshan/m/family_planning"


def years_ago(years: int, days: int = 0) -> dt.date:
    return dt.date(TODAY.year - years, 1, 1) + dt.timedelta(days=days)


@dataclass
class Family:
    """A household: a woman of 30, her husband, her father (66) and her father-in-law (61)."""

    mother: Person
    father: Person
    grandfather: Person
    elder: Person


def add_family(session: Session, county: County, grid: Node, surname: str = "示例") -> Family:
    tenant = county.tenant
    dwelling = registry.create_dwelling(
        session, tenant, None, grid=grid, address=f"{grid.name}1号楼{surname}"
    )
    household = registry.create_household(session, None, dwelling=dwelling)

    def person(name: str, sex: str, born: dt.date, relation: str) -> Person:
        return registry.create_person(
            session,
            tenant,
            None,
            PersonInput(
                name=f"{surname}{name}",
                residence_type="registered",
                sex=sex,
                birth_date=born,
                relation=relation,
            ),
            household=household,
        )

    return Family(
        mother=person("李梅", "female", years_ago(30), "spouse"),
        father=person("王强", "male", years_ago(32), "head"),
        grandfather=person("李老", "male", years_ago(66), "parent"),
        elder=person("王老", "male", years_ago(61), "parent"),
    )


def add_office(session: Session, county: County) -> User:
    """城关街道卫生健康和计划生育办公室: a department of township 0, with its officer."""
    office = departments.create_department(
        session, None, code="JS", name="第0镇卫生健康和计划生育办公室", node=county.townships[0]
    )
    officer = UserFactory(
        username=f"{county.tenant.slug}-jisheng",
        role=Role.DEPARTMENT_OFFICER.value,
        nodes=[county.townships[0]],
    )
    departments.add_officer(session, None, office, officer)
    session.flush()
    return officer


def admit(
    session: Session, county: County, *, pilot: bool = True, then: str | None = None
) -> tuple[Admission, User]:
    """The office applies and the county's review approves (a pilot in township 0 unless
    ``pilot`` is False); ``then`` "suspend" or "withdraw". Returns the admission and officer."""
    officer = add_office(session, county)
    office = departments.get_department_by_code(session, "JS")
    applied = admission.apply_for_module(
        session,
        officer,
        runtime.current().plugins,
        department=office,
        module=MODULE,
        items=ITEMS,
        requirements={"follow_up_rules": "育龄妇女每季度、新生儿家庭和特殊家庭每月随访"},
    )
    approved = admission.approve_admission(
        session,
        county.admin,
        applied,
        meeting_date=dt.date(2026, 5, 8),
        minutes="同意在第0镇试点",
        pilot_nodes=(county.townships[0],) if pilot else (),
    )
    if then is not None:
        getattr(admission, f"{then}_admission")(session, county.admin, approved, reason="整顿")
    session.flush()
    return approved, officer


@dataclass
class World:
    county: County
    officer: User
    family: Family  # grid 0 (worker 0)
    neighbours: Family  # grid 1 (worker 1), same township
    outside: Family  # grid 4, township 1: outside the pilot


def make_world(session: Session, slug: str = "changshan", **admit_args: Any) -> World:
    county = build_county(session, slug)
    _approved, officer = admit(session, county, **admit_args)
    return World(
        county=county,
        officer=officer,
        family=add_family(session, county, county.grids[0], "甲"),
        neighbours=add_family(session, county, county.grids[1], "乙"),
        outside=add_family(session, county, county.grids[4], "丙"),
    )


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def scoped(session: Session, user: User):
    return scope_of(session, user)


def woman(session: Session, world: World, person: Person | None = None, by: User | None = None):
    """Register ``person`` (the grid-0 mother) as a woman of child-bearing age."""
    user = by or world.county.workers[0]
    return targets.register_target(
        session,
        user,
        scope_of(session, user),
        targets.TargetInput(person_id=(person or world.family.mother).id, kind="woman"),
    )


def special(session: Session, world: World, person: Person | None = None) -> Target:
    user = world.county.workers[0]
    return targets.register_target(
        session,
        user,
        scope_of(session, user),
        targets.TargetInput(
            person_id=(person or world.family.grandfather).id,
            kind="special",
            special_kind="lost_only_child",
            recognised_on=TODAY - dt.timedelta(days=400),
        ),
    )


# --- committed worlds, for the portal and the API ------------------------------------------------


def make_live(app: Flask, slug: str = "changshan", **admit_args: Any) -> World:
    with app.app_context():
        session = db_session()
        set_tenant(session, None)
        built = make_world(session, slug, **admit_args)
        session.commit()
    return built


def in_county(app: Flask, world: World, work: Callable[[Session], Any]) -> Any:
    with app.app_context():
        session = db_session()
        with tenant_scope(session, world.county.tenant.id):
            result = work(session)
        session.commit()
    return result


@pytest.fixture
def live(app: Flask, connection: Any) -> World:
    return make_live(app)


@pytest.fixture
def as_user(app: Flask, connection: Any) -> Callable[..., FlaskClient]:
    def _login(user: User, slug: str = "changshan") -> FlaskClient:
        client = app.test_client()
        assert login(client, slug, user.username).status_code == 302
        return client

    return _login


def url(world: World, path: str) -> str:
    return f"/t/{world.county.tenant.slug}/api/v1/modules/family_planning{path}"


@pytest.fixture
def token(app: Flask, live: World) -> Callable[..., dict[str, str]]:
    def _mint(user: User, world: World | None = None) -> dict[str, str]:
        world = world or live
        with app.app_context():
            session = db_session()
            with tenant_scope(session, world.county.tenant.id):
                minted, _record = accounts.create_token(
                    session, None, world.county.tenant, user, scopes=accounts.USER_SCOPES
                )
            session.commit()
        return bearer(minted)

    return _mint
