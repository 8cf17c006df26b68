"""Admission in the demo county (长山区), so that ``gridgov demo`` shows modules live and the
review pages filled in:

- the built-in modules the manifest asks for are applied for by the department that runs them
  (tenants/demo.yaml) and approved by the review meeting — county-wide when the department
  serves the whole county, as a pilot (试点先行) in its township otherwise — and each module
  then fills the county with its own demo records (``gridgov_demo_data``);
- the first other installed module has the fire brigade's application waiting for review.

Idempotent.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.admission import service as admission
from gridgov.core.admission.models import Admission, AdmissionState
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind
from gridgov.core.hierarchy.models import Node
from gridgov.core.plugins.hookspecs import RequirementKind
from gridgov.core.plugins.manager import PluginHost
from gridgov.core.tenancy.models import Tenant
from gridgov.core.tenancy.service import clock_of

APPLYING_DEPARTMENT = "CS-XF"  # 长山区消防救援大队 in tenants/demo.yaml
# Which demo department runs which built-in module (department codes of tenants/demo.yaml).
RUN_BY = {
    "fire_safety": "CS-XF",
    "disputes": "CS-01-SF",
    "civil_affairs": "CS-MZ",
    "family_planning": "CS-01-JS",
}
MEETING_DAYS_AGO = 45
FIRE_ITEMS = {
    "reason": "辖区“九小场所”和老旧小区火灾隐患多，消防力量覆盖不到每栋楼，"
    "需要网格员协助日常巡查。",
    "tasks": "网格员每月对网格内九小场所巡查一次，按检查单拍照上报隐患；重大隐患当日上报。",
    "authority": "区消防救援大队书面授权网格员开展防火巡查、劝阻违规用火用电（授权书附后）。",
    "training": "已于本年 5 月分三批对全区网格员开展消防巡查业务培训，考试合格。",
    "funding": "区财政每年安排消防巡查补贴 12 万元，按巡查次数发放。",
}
# The five items (两明确、三到位) each demo department states; others use the fire brigade's.
DEMO_ITEMS = {
    "fire_safety": FIRE_ITEMS,
    "disputes": {
        "reason": "街道邻里、物业、婚姻家庭纠纷多，司法所人手少，纠纷发现晚、化解慢，"
        "个别升级为群体性上访。",
        "tasks": "信息员和网格员发现矛盾纠纷即时上报，组长确认、片长研判，司法所组织调解并回访。",
        "authority": "街道司法所书面授权网格员开展矛盾纠纷排查、先行劝导和信息报送。",
        "training": "已对城关街道网格员、信息员开展人民调解业务培训两期。",
        "funding": "街道每年安排矛盾纠纷排查化解经费 6 万元，按成功调解件数奖补。",
    },
    "civil_affairs": {
        "reason": "全区空巢、留守老人和留守儿童、残疾人、低保对象多，民政专干人手少，"
        "走访不及时，困难情况发现晚。",
        "tasks": "网格员按周期走访特殊人群并填写走访记录，为行动不便的居民代办民政事务，"
        "逾期未走访的由社区工作站督促。",
        "authority": "区民政局书面授权网格员开展特殊人群走访、信息采集和居民事务代办"
        "（授权书附后）。",
        "training": "已于本年 6 月对全区网格员开展民政政策和走访业务培训。",
        "funding": "区财政每年安排特殊人群走访和代办补贴 8 万元，按走访人次发放。",
    },
    "family_planning": {
        "reason": "城关街道流动人口多，育龄妇女和新生儿底数不清，计生特殊家庭的扶助发放不及时。",
        "tasks": "网格员摸清育龄妇女、新生儿家庭和计生特殊家庭底数，按周期随访，"
        "协助办理奖励扶助和特别扶助。",
        "authority": "街道卫生健康和计划生育办公室书面授权网格员开展计生信息采集和随访。",
        "training": "已对城关街道网格员开展计划生育政策和随访业务培训一期。",
        "funding": "街道每年安排计生随访经费 3 万元，按随访人次发放。",
    },
}
# A one-page PDF standing in for a scanned document a module asks for (授权书, 培训记录 …).
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def load_demo_admissions(session: Session, host: PluginHost, tenant: Tenant) -> list[str]:
    """Approve the built-in modules the county asks for, load their demo records, and leave
    one more application in review; returns lines saying what the demo holds."""
    installed = [m.name for m in host.modules()]
    wanted = [name for name in tenant.modules if name in installed]
    lines: list[str] = []
    for module in [name for name in wanted if name in RUN_BY]:
        lines.extend(_approved(session, host, tenant, module, RUN_BY[module]))
    live = admission.live_modules(session)
    lines.extend(host.for_tenant(live).demo_data(session=session, tenant=tenant))
    others = [name for name in [*wanted, *installed] if name not in RUN_BY]
    if others:
        lines.extend(_in_review(session, host, others[0]))
    if not lines:
        lines.append("  (no department module installed: no application to review)")
    return lines


def _approved(
    session: Session, host: PluginHost, tenant: Tenant, module: str, department_code: str
) -> list[str]:
    department, officer = _applicant(session, department_code)
    if department is None or officer is None:
        return [f"  ({department_code} has no officer in the manifest: {module} not applied for)"]
    latest = admission.latest_admission(session, module)
    if latest is None:
        latest = _apply(session, host, department, officer, module)
        top = session.get(Node, department.node_id)
        assert top is not None
        admission.approve_admission(
            session,
            _county_admin(session),
            latest,
            meeting_date=clock_of(session).today() - dt.timedelta(days=MEETING_DAYS_AGO),
            minutes=f"区综治委主任办公会研究，同意{department.name}申请的模块在本区网格中运行。",
            pilot_nodes=() if top.parent_id is None else (top,),
        )
    where = (
        "county-wide"
        if not latest.pilot_nodes
        else "pilot in " + "、".join(p.node.name for p in latest.pilot_nodes)
    )
    state = admission.STATE_LABELS[latest.state]
    return [f"  {department.name} ({officer.username}) runs {module}: {state} ({where})"]


def _in_review(session: Session, host: PluginHost, module: str) -> list[str]:
    department, officer = _applicant(session, APPLYING_DEPARTMENT)
    if department is None or officer is None:
        return []
    if admission.latest_admission(session, module) is None:
        _apply(session, host, department, officer, module)
    latest = admission.latest_admission(session, module)
    assert latest is not None
    state = admission.STATE_LABELS[latest.state]
    lines = [f"  {department.name} ({officer.username}) applied for {module}: {state}"]
    if latest.state == AdmissionState.IN_REVIEW:
        lines.append("  (log in as cs.admin to decide, as the officer to follow it)")
    return lines


def _apply(
    session: Session, host: PluginHost, department: Department, officer: User, module: str
) -> Admission:
    info = host.module(module)
    assert info is not None
    texts = [r for r in info.requirements if r.kind == RequirementKind.TEXT]
    attachments = [
        (
            files.store_file(
                session,
                officer,
                name=f"{r.label}.pdf",
                data=DEMO_PDF,
                kinds={FileKind.PDF},
                purpose=admission.FILE_PURPOSE,
            ),
            r.code,
        )
        for r in info.requirements
        if r.kind == RequirementKind.FILE
    ]
    return admission.apply_for_module(
        session,
        officer,
        host,
        department=department,
        module=module,
        items=DEMO_ITEMS.get(module, FIRE_ITEMS),
        requirements={r.code: f"{r.label}：见附件" for r in texts},
        attachments=attachments,
    )


def _applicant(session: Session, code: str) -> tuple[Department | None, User | None]:
    department = departments.get_department_by_code(session, code)
    officers = departments.officers(session, department) if department else []
    return department, (officers[0] if officers else None)


def _county_admin(session: Session) -> User:
    admin = session.scalar(
        select(User).where(User.role == Role.COUNTY_ADMIN, User.is_active).order_by(User.id)
    )
    assert admin is not None, "the demo manifest has a county administrator"
    return admin
