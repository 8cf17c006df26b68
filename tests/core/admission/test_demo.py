"""The demo county's admissions: the built-in modules it asks for are approved (county-wide or
as a pilot where their department serves one township) and fill in their demo records; another
installed module waits in review. Loading twice changes nothing."""

from __future__ import annotations

import types

from sqlalchemy import select

from gridgov.core.admission import service as admission
from gridgov.core.admission.demo import load_demo_admissions
from gridgov.core.admission.models import Admission, AdmissionState
from gridgov.core.db import set_tenant
from gridgov.core.plugins.hookspecs import AdmissionRequirement as Requirement
from gridgov.core.plugins.hookspecs import ModuleInfo, RequirementKind, hookimpl
from gridgov.core.plugins.manager import get_plugin_host
from tests.core.admission.factories import add_department
from tests.factories import build_county


def module(name: str, calls: list[str], *requirements: Requirement) -> types.ModuleType:
    plugin = types.ModuleType(f"demo_plugin_{name}")
    plugin.gridgov_module_info = hookimpl(
        lambda: ModuleInfo(name=name, title=name, department="部门", version="1")
    )
    plugin.gridgov_admission_requirements = hookimpl(lambda: list(requirements))

    def demo_data(tenant):
        calls.append(f"{name}@{tenant.slug}")
        return [f"  {name}: demo records"]

    plugin.gridgov_demo_data = hookimpl(demo_data)
    return plugin


def test_hook_demo_data_fills_the_modules_the_demo_county_admitted(app, session):
    calls: list[str] = []
    scan = Requirement("authority_letter", "授权书", "Letter of authority", RequirementKind.FILE)
    host = get_plugin_host(
        load_entrypoints=False,
        plugins=(
            module("fire_safety", calls, scan),
            module("disputes", calls),
            module("env_patrol", calls),
        ),
    )
    county = build_county(session, "demo")
    county.tenant.modules = ["fire_safety", "disputes"]
    set_tenant(session, county.tenant.id)
    add_department(session, county, code="CS-XF")
    add_department(session, county, code="CS-01-SF", node=county.townships[0])

    lines = load_demo_admissions(session, host, county.tenant)

    fire = admission.latest_admission(session, "fire_safety")
    disputes = admission.latest_admission(session, "disputes")
    assert (fire.state, fire.pilot_nodes) == (AdmissionState.APPROVED, [])
    assert [p.node_id for p in disputes.pilot_nodes] == [county.townships[0].id]
    assert [f.requirement for f in fire.files] == ["authority_letter"]
    assert admission.latest_admission(session, "env_patrol").state == AdmissionState.IN_REVIEW
    assert sorted(calls) == ["disputes@demo", "fire_safety@demo"]
    assert "  fire_safety: demo records" in lines

    load_demo_admissions(session, host, county.tenant)
    assert len(session.scalars(select(Admission)).all()) == 3
