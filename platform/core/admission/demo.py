"""Admission in the demo county (长山区): when a department module is installed, the fire
brigade (a department of tenants/demo.yaml, with its officer) has an application for it waiting
for the review meeting, so that ``gridgov demo`` shows the admission pages filled in.
Idempotent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridgov.core.admission import service as admission
from gridgov.core.departments import service as departments
from gridgov.core.plugins.hookspecs import RequirementKind
from gridgov.core.plugins.manager import PluginHost
from gridgov.core.tenancy.models import Tenant

APPLYING_DEPARTMENT = "CS-XF"  # 长山区消防救援大队 in tenants/demo.yaml
DEMO_ITEMS = {
    "reason": "辖区“九小场所”和老旧小区火灾隐患多，消防力量覆盖不到每栋楼，"
    "需要网格员协助日常巡查。",
    "tasks": "网格员每月对网格内九小场所巡查一次，按检查单拍照上报隐患；重大隐患当日上报。",
    "authority": "区消防救援大队书面授权网格员开展防火巡查、劝阻违规用火用电（授权书附后）。",
    "training": "已于本年 5 月分三批对全区网格员开展消防巡查业务培训，考试合格。",
    "funding": "区财政每年安排消防巡查补贴 12 万元，按巡查次数发放。",
}


def load_demo_admissions(session: Session, host: PluginHost, tenant: Tenant) -> list[str]:
    """The fire brigade's application for an installed module, unless one exists; returns
    lines saying what the demo holds."""
    department = departments.get_department_by_code(session, APPLYING_DEPARTMENT)
    officers = departments.officers(session, department) if department else []
    module = _module_to_apply_for(host, tenant)
    if department is None or not officers or module is None:
        return ["  (no department module installed: no application to review)"]
    info = host.module(module)
    assert info is not None
    if any(r.kind == RequirementKind.FILE for r in info.requirements):
        return [f"  (module {module} asks for documents: apply for it in the portal)"]
    if admission.latest_admission(session, module) is None:
        admission.apply_for_module(
            session,
            officers[0],
            host,
            department=department,
            module=module,
            items=DEMO_ITEMS,
            requirements={r.code: f"{r.label}：见附件" for r in info.requirements},
        )
    state = admission.STATE_LABELS[admission.latest_admission(session, module).state]
    return [
        f"  {department.name} ({officers[0].username}) applied for {module}: {state}",
        "  (log in as cs.admin to decide, as the officer to follow it)",
    ]


def _module_to_apply_for(host: PluginHost, tenant: Tenant) -> str | None:
    installed = [m.name for m in host.modules()]
    wanted = [name for name in tenant.modules if name in installed]
    return (wanted or installed or [None])[0]
