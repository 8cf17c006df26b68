"""Fire-safety fixtures: a county that admitted the module (through the real admission service
and the installed plugin), helpers to file hazards and take their steps, and logged-in
clients for the pages and tokens for the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import service as admission
from gridgov.core.admission.models import Admission
from gridgov.core.db import db_session, set_tenant, tenant_scope
from gridgov.core.departments import service as departments
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import transitions
from gridgov.core.tasks.models import Task
from gridgov_plugins.fire_safety import hazards
from gridgov_plugins.fire_safety.models import Hazard
from tests.core.admission.factories import ITEMS
from tests.factories import County, UserFactory, build_county
from tests.portal.conftest import login

MODULE = "fire_safety"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def admit(
    session: Session, county: County, *, pilot: tuple[Node, ...] = (), then: str | None = None
) -> tuple[Admission, User]:
    """The county's fire brigade applies for the module and the review meeting approves it
    (a pilot in ``pilot`` if given); ``then`` is "suspend" or "withdraw". The county lists
    major hazards by decision (``auto_list_major`` off). Returns the admission and the
    brigade's officer (assigned to the county's top node)."""
    # These counties list major hazards by decision, so that the listing step can be tested;
    # the tests of the default (listed as they are filed) clear the setting.
    county.tenant.settings = {**county.tenant.settings, "fire_safety": {"auto_list_major": False}}
    department = county.department
    assert department is not None
    officer = UserFactory(
        username=f"{county.tenant.slug}-xf",
        role=Role.DEPARTMENT_OFFICER.value,
        nodes=[county.top],
    )
    departments.add_officer(session, None, department, officer)
    letter = files.store_file(
        session,
        officer,
        name="授权书.pdf",
        data=PDF,
        kinds={FileKind.PDF},
        purpose=admission.FILE_PURPOSE,
    )
    applied = admission.apply_for_module(
        session,
        officer,
        runtime.current().plugins,
        department=department,
        module=MODULE,
        items=ITEMS,
        requirements={"hazard_catalogue": "九小场所、住宅楼栋、农村住户"},
        attachments=[(letter, "authority_letter")],
    )
    approved = admission.approve_admission(
        session,
        county.admin,
        applied,
        meeting_date=dt.date(2026, 5, 8),
        minutes="县综治委主任办公会同意",
        pilot_nodes=pilot,
    )
    if then is not None:
        getattr(admission, f"{then}_admission")(session, county.admin, approved, reason="整顿")
    session.flush()
    return approved, officer


def finding(**fields: Any) -> hazards.HazardInput:
    fields.setdefault("place", "城关镇示例商铺")
    fields.setdefault("item", "evacuation")
    fields.setdefault("grade", "general")
    return hazards.HazardInput(**fields)


@pytest.fixture
def county(session: Session) -> County:
    """A county (2 townships × 2 communities × 2 grids) that admitted the module."""
    built = build_county(session)
    admit(session, built)
    return built


@pytest.fixture
def officer(session: Session, county: County) -> User:
    """The brigade's officer (assigned to the county's top node)."""
    return session.scalars(select(User).where(User.username == "changshan-xf")).one()


@pytest.fixture
def record(session: Session, county: County) -> Callable[..., Hazard]:
    """File a hazard as ``by`` (grid worker 0) in ``node`` (grid 0)."""

    def _record(by: User | None = None, node: Node | None = None, **fields: Any) -> Hazard:
        user = by or county.workers[0]
        return hazards.record_hazard(
            session, user, scope_of(session, user), node or county.grids[0], finding(**fields)
        )

    return _record


@pytest.fixture
def act(session: Session) -> Callable[..., Task]:
    """Take ``action`` on a hazard's (or any) task as ``user`` with their own scope."""

    def _act(user: User, target: Hazard | Task, action: str, comment: str = "已处理") -> Task:
        task = hazards.task_of(session, target) if isinstance(target, Hazard) else target
        return transitions.transition(
            session, user, scope_of(session, user), task, action, transitions.Move(comment=comment)
        )

    return _act


# --- portal and API: data committed before any request -----------------------------------------


def make_county(
    app: Flask, slug: str = "changshan", *, admitted: bool = True, **admit_args: Any
) -> County:
    """A county committed (inside the test's outer transaction), the module admitted unless
    told otherwise; ``admit_args`` go to ``admit``."""
    with app.app_context():
        session = db_session()
        set_tenant(session, None)
        built = build_county(session, slug)
        if admitted:
            pilot = tuple(admit_args.pop("pilot", ()))
            admit(session, built, pilot=pilot, **admit_args)
        session.commit()
    return built


def in_county(app: Flask, county: County, work: Callable[[Session], Any]) -> Any:
    """Run ``work`` in the county and commit it (for data a page or a call then reads)."""
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            result = work(session)
        session.commit()
    return result


@pytest.fixture
def live(app: Flask, connection: Any) -> County:
    """A committed county that admitted the module."""
    return make_county(app)


@pytest.fixture
def as_user(app: Flask, connection: Any) -> Callable[[User], FlaskClient]:
    """A client of its own logged in as ``user`` (of the county ``slug``)."""

    def _login(user: User, slug: str = "changshan") -> FlaskClient:
        client = app.test_client()
        assert login(client, slug, user.username).status_code == 302
        return client

    return _login
