"""Departments with an officer, and admissions in each state, for the admission tests."""

from __future__ import annotations

import datetime as dt
import types

from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.admission import service as admission
from gridgov.core.admission.models import Admission
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov.core.hierarchy.models import Node
from gridgov.core.plugins.hookspecs import (
    AdmissionRequirement,
    ModuleInfo,
    RequirementKind,
    hookimpl,
)
from gridgov.core.plugins.manager import PluginHost, get_plugin_host
from tests.factories import County, UserFactory

ITEMS = {
    "reason": "辖区九小场所火灾隐患多，需网格员协助日常巡查",
    "tasks": "每月巡查九小场所一次，发现隐患拍照上报",
    "authority": "县消防救援大队授权网格员开展防火巡查",
    "training": "已于 5 月对全县网格员开展消防业务培训",
    "funding": "县财政每年安排巡查补贴 12 万元",
}

EXAMPLE_MODULE = "env_patrol"  # the third-party example under tests/plugins/example_plugin
# What each module used in the tests asks for on top of the five items.
ANSWERS = {
    "fire_safety": {"catalogue": "九小场所目录"},
    EXAMPLE_MODULE: {"monitoring_points": "城东 3 个点位"},
}


def module_plugin(name: str, *requirements: AdmissionRequirement) -> types.ModuleType:
    plugin = types.ModuleType(f"plugin_{name}")
    plugin.gridgov_module_info = hookimpl(
        lambda: ModuleInfo(name=name, title="消防安全", department="县消防救援大队", version="1")
    )
    plugin.gridgov_admission_requirements = hookimpl(lambda: list(requirements))
    return plugin


def host_with(*names: str) -> PluginHost:
    """A plugin host with a module per name; "fire_safety" asks for a hazard catalogue."""
    catalogue = AdmissionRequirement("catalogue", "隐患排查目录", "Catalogue", RequirementKind.TEXT)
    plugins = [
        module_plugin(name, *([catalogue] if name == "fire_safety" else [])) for name in names
    ]
    return get_plugin_host(load_entrypoints=False, plugins=tuple(plugins))


def add_department(
    session: Session, county: County, code: str = "XFJY", node: Node | None = None
) -> tuple[Department, User]:
    """A department serving the county (or ``node``) and an officer acting for it."""
    department = departments.create_department(
        session, None, code=code, name=f"{code} 县消防救援大队", node=node or county.top
    )
    officer = UserFactory(
        username=f"{county.tenant.slug}-{code.lower()}", role=Role.DEPARTMENT_OFFICER.value
    )
    departments.add_officer(session, None, department, officer)
    session.flush()
    return department, officer


def applied(
    session: Session, host: PluginHost, department: Department, officer: User, module: str
) -> Admission:
    answers = ANSWERS.get(module, {})
    return admission.apply_for_module(
        session,
        officer,
        host,
        department=department,
        module=module,
        items=ITEMS,
        requirements=answers,
    )


def approved(
    session: Session,
    host: PluginHost,
    county: County,
    department: Department,
    officer: User,
    module: str,
    pilot: tuple[Node, ...] = (),
) -> Admission:
    a = applied(session, host, department, officer, module)
    return admission.approve_admission(
        session,
        county.admin,
        a,
        meeting_date=dt.date(2026, 5, 8),
        minutes="县综治委主任办公会同意",
        pilot_nodes=pilot,
    )


def admit_example(app, county: County, *, pilot: tuple[Node, ...] = (), then=None) -> None:
    """Commit the example module's approval in ``county`` (a pilot below ``pilot`` if given),
    then ``then(session, admin, admission, reason=…)`` (suspend, withdraw) if given."""
    from gridgov.core import runtime
    from gridgov.core.db import db_session, tenant_scope

    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            department, officer = add_department(session, county)
            a = admission.apply_for_module(
                session,
                officer,
                runtime.current().plugins,
                department=department,
                module=EXAMPLE_MODULE,
                items=ITEMS,
                requirements=ANSWERS[EXAMPLE_MODULE],
            )
            admission.approve_admission(
                session,
                county.admin,
                a,
                meeting_date=dt.date(2026, 5, 8),
                minutes="县综治委主任办公会同意",
                pilot_nodes=pilot,
            )
            if then is not None:
                then(session, county.admin, a, reason="整顿")
        session.commit()
