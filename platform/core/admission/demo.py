"""Admission in the demo county (长山区): two departments with their officers (from the demo
manifest) and, when a department module is installed, an application waiting for the review
meeting, so that ``gridgov demo`` shows the admission pages filled in. Idempotent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridgov.core.accounts import service as accounts
from gridgov.core.admission import service as admission
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.plugins.hookspecs import RequirementKind
from gridgov.core.plugins.manager import PluginHost
from gridgov.core.tenancy.models import Tenant

DEMO_DEPARTMENTS = (
    # code, name, node code, officer's username (a department_officer of tenants/demo.yaml)
    ("XFJY", "长山区消防救援大队", "CS", "bm.xiaofang"),
    ("SFS-01", "城关街道司法所", "CS-01", "bm.sifa"),
)
DEMO_ITEMS = {
    "reason": "辖区“九小场所”和老旧小区火灾隐患多，消防力量覆盖不到每栋楼，"
    "需要网格员协助日常巡查。",
    "tasks": "网格员每月对网格内九小场所巡查一次，按检查单拍照上报隐患；重大隐患当日上报。",
    "authority": "区消防救援大队书面授权网格员开展防火巡查、劝阻违规用火用电（授权书附后）。",
    "training": "已于本年 5 月分三批对全区网格员开展消防巡查业务培训，考试合格。",
    "funding": "区财政每年安排消防巡查补贴 12 万元，按巡查次数发放。",
}


def load_demo_admissions(session: Session, host: PluginHost, tenant: Tenant) -> list[str]:
    """Create the demo departments and, if a module is installed, the fire brigade's
    application for it; returns lines describing what the demo now holds."""
    lines = []
    fire: Department | None = None
    for code, name, node_code, username in DEMO_DEPARTMENTS:
        department = departments.get_department_by_code(session, code)
        if department is None:
            node = hierarchy.get_node_by_code(session, node_code)
            officer = accounts.get_user_by_username(session, username)
            if node is None or officer is None:
                continue  # the manifest changed; nothing to attach the department to
            department = departments.create_department(
                session, None, code=code, name=name, node=node
            )
            departments.add_officer(session, None, department, officer)
        lines.append(
            f"  {name}: {', '.join(u.username for u in departments.officers(session, department))}"
        )
        fire = fire or department
    module = _module_to_apply_for(host, tenant)
    if fire is None or module is None:
        lines.append("  (no department module installed: no application to review)")
        return lines
    if admission.latest_admission(session, module) is None:
        officer = departments.officers(session, fire)[0]
        info = host.module(module)
        assert info is not None
        answers = {
            r.code: f"{r.label}：见附件"
            for r in info.requirements
            if r.kind == RequirementKind.TEXT
        }
        if any(r.kind == RequirementKind.FILE for r in info.requirements):
            lines.append(f"  (module {module} asks for documents: apply in the portal)")
            return lines
        admission.apply_for_module(
            session,
            officer,
            host,
            department=fire,
            module=module,
            items=DEMO_ITEMS,
            requirements=answers,
        )
    lines.append(f"  application for {module}: in review (log in as cs.admin to decide)")
    return lines


def _module_to_apply_for(host: PluginHost, tenant: Tenant) -> str | None:
    installed = [m.name for m in host.modules()]
    wanted = [name for name in tenant.modules if name in installed]
    return (wanted or installed or [None])[0]
