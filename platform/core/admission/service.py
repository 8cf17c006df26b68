"""Use cases of admission (准入制): a department applies for a module in its county, the review
meeting approves (possibly as a pilot) or rejects, the county widens, suspends, resumes or
withdraws it; and the question the whole platform asks: is the module live here?

Every step is written to the admission's history and to the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.admission.models import (
    HOLDING_STATES,
    Admission,
    AdmissionEvent,
    AdmissionFile,
    AdmissionPilotNode,
    AdmissionState,
)
from gridgov.core.audit import service as audit
from gridgov.core.db import current_tenant_id, utcnow
from gridgov.core.departments.models import Department
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.files.models import StoredFile
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.plugins.hookspecs import RequirementKind
from gridgov.core.plugins.manager import PluginHost
from gridgov.core.tenancy import county_cache
from gridgov.core.tenancy.service import clock_of
from gridgov.core.text import check_text

FILE_PURPOSE = "admission"
# 两明确、三到位: the five items every application states, in the order of the documents.
FIVE_ITEMS = ("reason", "tasks", "authority", "training", "funding")
FIVE_ITEM_LABELS = {
    "reason": _("明确事由"),
    "tasks": _("明确具体任务"),
    "authority": _("工作授权到位"),
    "training": _("业务培训到位"),
    "funding": _("工作经费到位"),
}
STATE_LABELS = {
    AdmissionState.IN_REVIEW: _("待审议"),
    AdmissionState.APPROVED: _("已准入"),
    AdmissionState.REJECTED: _("未通过"),
    AdmissionState.SUSPENDED: _("已暂停"),
    AdmissionState.WITHDRAWN: _("已撤销"),
}
MAX_TEXT = 5000


# --- reading ---------------------------------------------------------------------------------


def get_admission(session: Session, admission_id: int) -> Admission:
    """The admission with this id in the current tenant, or NotFound."""
    admission = session.get(Admission, admission_id)
    if admission is None or admission.tenant_id != current_tenant_id(session):
        raise NotFound(_("没有这个准入申请"))
    return admission


def list_admissions(
    *,
    department_ids: Sequence[int] | None = None,
    module: str | None = None,
    state: str | None = None,
) -> Select[Any]:
    """SELECT of admissions, newest first; ``department_ids`` keeps those departments' only."""
    query = (
        select(Admission)
        .options(selectinload(Admission.pilot_nodes), selectinload(Admission.department))
        .order_by(Admission.applied_at.desc(), Admission.id.desc())
    )
    if department_ids is not None:
        query = query.where(Admission.department_id.in_(department_ids))
    if module is not None:
        query = query.where(Admission.module == module)
    if state is not None:
        query = query.where(Admission.state == state)
    return query


def holding_admission(session: Session, module: str) -> Admission | None:
    """The admission that holds ``module`` in the current county (in review, approved or
    suspended), or None."""
    return session.scalar(
        select(Admission)
        .where(Admission.module == module, Admission.state.in_(HOLDING_STATES))
        .order_by(Admission.id.desc())
    )


def latest_admission(session: Session, module: str) -> Admission | None:
    """The county's latest admission for ``module`` whatever its state, or None."""
    return session.scalar(
        select(Admission).where(Admission.module == module).order_by(Admission.id.desc())
    )


# --- is the module live? ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Live:
    """An approved module and where: county-wide (no pilot paths) or its pilot nodes' paths."""

    module: str
    pilot_paths: tuple[str, ...]


def _approved(session: Session) -> tuple[_Live, ...]:
    # Every step of a task and every portal page asks: kept between requests while the
    # county's admissions and tree stay as they are (gridgov.core.tenancy.county_cache).
    def read() -> tuple[_Live, ...]:
        approved = session.scalars(
            select(Admission)
            .options(selectinload(Admission.pilot_nodes).selectinload(AdmissionPilotNode.node))
            .where(Admission.state == AdmissionState.APPROVED)
            .order_by(Admission.id)
        )
        return tuple(_Live(a.module, tuple(p.node.path for p in a.pilot_nodes)) for a in approved)

    return county_cache.cached(session, "approved", read)


def live_modules(session: Session, scope: Scope | None = None) -> frozenset[str]:
    """The modules approved in the current county; with ``scope``, only those live somewhere
    the scope reaches (a pilot counts where its townships and the scope overlap)."""
    return _live_for(_approved(session), scope)


def _live_for(approved: Iterable[_Live], scope: Scope | None) -> frozenset[str]:
    return frozenset(
        a.module
        for a in approved
        if scope is None
        or not a.pilot_paths
        or any(_overlaps(scope, path) for path in a.pilot_paths)
    )


@dataclass(frozen=True)
class ModuleReach:
    """Where the county's modules stand for one user (two queries, kept between requests): what
    a module's pages and menu need to know on every request."""

    here: frozenset[str]  # live somewhere the user's scope reaches
    anywhere: frozenset[str]  # approved in the county (a pilot anywhere counts)
    ever: frozenset[str]  # approved at some time: their records stay readable

    def readable(self, module: str) -> bool:
        """Live for the user, or suspended or withdrawn (read-only); not a pilot elsewhere."""
        return module in self.here or (module not in self.anywhere and module in self.ever)


def module_reach(session: Session, scope: Scope) -> ModuleReach:
    """Where each module of the current county stands for a user seeing ``scope``."""
    approved = _approved(session)
    return ModuleReach(
        here=_live_for(approved, scope),
        anywhere=_live_for(approved, None),
        ever=ever_live_modules(session),
    )


def _overlaps(scope: Scope, path: str) -> bool:
    return scope.contains_path(path) or any(p.startswith(path) for p in scope.paths)


def is_live_at(session: Session, module: str, node: Node) -> bool:
    """Whether ``module`` is approved for ``node`` (county-wide, or a pilot above it)."""
    return any(
        a.module == module
        and (not a.pilot_paths or any(node.path.startswith(path) for path in a.pilot_paths))
        for a in _approved(session)
    )


def check_open_for_work(session: Session, module: str, node: Node | None = None) -> None:
    """Refuse new work for ``module`` (at ``node``) unless it is live there: Conflict when the
    county suspended or withdrew it (its records stay readable), NotFound otherwise."""
    live = module in live_modules(session) if node is None else is_live_at(session, module, node)
    if live:
        return
    latest = latest_admission(session, module)
    if latest is not None and latest.state == AdmissionState.SUSPENDED:
        raise Conflict(_("该模块已被县里暂停，暂不能新建，已有记录仍可查看"))
    if latest is not None and latest.state == AdmissionState.WITHDRAWN:
        raise Conflict(_("该模块已被县里撤销准入，不能新建，已有记录仍可查看"))
    raise NotFound(_("该模块未在此准入"))


def was_ever_live(session: Session, module: str) -> bool:
    """Whether the county ever approved ``module`` (its records are then readable for good)."""
    return module in ever_live_modules(session)


def ever_live_modules(session: Session) -> frozenset[str]:
    """The modules the current county ever approved (kept between requests, as ``_approved``)."""
    return county_cache.cached(
        session,
        "ever_approved",
        lambda: frozenset(
            session.scalars(
                select(Admission.module)
                .join(AdmissionEvent, AdmissionEvent.admission_id == Admission.id)
                .where(AdmissionEvent.action == "approve")
                .distinct()
            )
        ),
    )


# --- the workflow ----------------------------------------------------------------------------


def apply_for_module(
    session: Session,
    actor: User,
    host: PluginHost,
    *,
    department: Department,
    module: str,
    items: dict[str, str],
    requirements: dict[str, str] | None = None,
    attachments: Iterable[tuple[StoredFile, str | None]] = (),
) -> Admission:
    """A department applies for ``module`` in its county, stating the five items (``items``:
    reason, tasks, authority, training, funding), the module's own requirements and its
    attachments (each a stored file and the requirement code it answers, or None)."""
    installed = host.module(module)
    if installed is None:
        raise DomainError(_("没有安装这个模块"), field="module")
    if not department.is_active:
        raise DomainError(_("该部门已停用"), field="department_id")
    if holding_admission(session, module) is not None:
        raise Conflict(_("该模块已有准入申请在审或已准入"), field="module")
    stated = {key: _clean_text(items.get(key), key) for key in FIVE_ITEMS}
    attachments = list(attachments)
    answers = _check_requirements(installed.requirements, requirements or {}, attachments, actor)
    admission = Admission(
        module=module,
        department_id=department.id,
        state=AdmissionState.IN_REVIEW,
        requirements=answers,
        applied_by_id=actor.id,
        **stated,
    )
    admission.files = [AdmissionFile(file_id=f.id, requirement=code) for f, code in attachments]
    session.add(admission)
    session.flush()
    _step(session, actor, admission, "apply", after=_snapshot(admission))
    return admission


def approve_admission(
    session: Session,
    actor: User,
    admission: Admission,
    *,
    meeting_date: dt.date,
    minutes: str,
    pilot_nodes: Sequence[Node] = (),
) -> Admission:
    """The review meeting approved: the module goes live county-wide, or only below
    ``pilot_nodes`` (试点先行) until widened."""
    _check_state(admission, {AdmissionState.IN_REVIEW})
    admission.minutes = _clean_text(minutes, "minutes")
    admission.meeting_date = _check_meeting_date(session, meeting_date)
    admission.decided_at = utcnow()
    admission.pilot_nodes = [AdmissionPilotNode(node_id=n.id) for n in _check_nodes(pilot_nodes)]
    admission.state = AdmissionState.APPROVED
    note = admission.minutes
    if pilot_nodes:
        note += "\n" + str(_("试点：%(n)s", n="、".join(n.name for n in pilot_nodes)))
    _step(session, actor, admission, "approve", note=note, after=_snapshot(admission))
    return admission


def reject_admission(
    session: Session, actor: User, admission: Admission, *, meeting_date: dt.date, reasons: str
) -> Admission:
    """The review meeting rejected the application, with reasons; the department may apply
    again."""
    _check_state(admission, {AdmissionState.IN_REVIEW})
    admission.rejection_reasons = _clean_text(reasons, "reasons")
    admission.meeting_date = _check_meeting_date(session, meeting_date)
    admission.decided_at = utcnow()
    admission.state = AdmissionState.REJECTED
    _step(session, actor, admission, "reject", note=admission.rejection_reasons)
    return admission


def widen_admission(
    session: Session, actor: User, admission: Admission, *, nodes: Sequence[Node] = ()
) -> Admission:
    """Widen an approved pilot: add ``nodes``, or with none, go live county-wide."""
    _check_state(admission, {AdmissionState.APPROVED})
    if not admission.is_pilot:
        raise DomainError(_("该模块已在全县准入，无需扩大"), field="node_ids")
    before = _snapshot(admission)
    if nodes:
        have = {p.node_id for p in admission.pilot_nodes}
        added = [n for n in _check_nodes(nodes) if n.id not in have]
        admission.pilot_nodes.extend(AdmissionPilotNode(node_id=n.id) for n in added)
        note = str(_("扩大试点：%(n)s", n="、".join(n.name for n in added)))
    else:
        admission.pilot_nodes.clear()
        note = str(_("推广到全县"))
    session.flush()
    _step(session, actor, admission, "widen", note=note, before=before, after=_snapshot(admission))
    return admission


def suspend_admission(
    session: Session, actor: User, admission: Admission, *, reason: str
) -> Admission:
    """Stop the module for now: no new work; what it stored stays readable."""
    _check_state(admission, {AdmissionState.APPROVED})
    admission.state = AdmissionState.SUSPENDED
    _step(session, actor, admission, "suspend", note=_clean_text(reason, "reason"))
    return admission


def resume_admission(
    session: Session, actor: User, admission: Admission, *, reason: str
) -> Admission:
    """Lift a suspension: the module is live again where it was before."""
    _check_state(admission, {AdmissionState.SUSPENDED})
    admission.state = AdmissionState.APPROVED
    _step(session, actor, admission, "resume", note=_clean_text(reason, "reason"))
    return admission


def withdraw_admission(
    session: Session, actor: User, admission: Admission, *, reason: str
) -> Admission:
    """End the module in the county for good; its records stay, read-only. A new application
    is needed to bring it back."""
    _check_state(admission, {AdmissionState.APPROVED, AdmissionState.SUSPENDED})
    admission.state = AdmissionState.WITHDRAWN
    _step(session, actor, admission, "withdraw", note=_clean_text(reason, "reason"))
    return admission


# --- helpers of the workflow ------------------------------------------------------------------


def _check_state(admission: Admission, allowed: set[AdmissionState]) -> None:
    if admission.state not in allowed:
        raise Conflict(
            _(
                "准入申请当前为“%(state)s”，不能进行此操作",
                state=STATE_LABELS[AdmissionState(admission.state)],
            )
        )


def _clean_text(value: str | None, field: str) -> str:
    text = check_text((value or "").strip(), field=field)
    if not text:
        label = FIVE_ITEM_LABELS.get(field)
        message = _("请填写%(item)s", item=label) if label else _("请填写此项")
        raise DomainError(message, field=field)
    if len(text) > MAX_TEXT:
        raise DomainError(_("最多 %(n)d 字", n=MAX_TEXT), field=field)
    return text


def _check_meeting_date(session: Session, day: dt.date) -> dt.date:
    if day > clock_of(session).today():
        raise DomainError(_("会议日期不能在将来"), field="meeting_date")
    return day


def _check_nodes(nodes: Sequence[Node]) -> list[Node]:
    for node in nodes:
        if node.is_retired:
            raise DomainError(_("节点 %(name)s 已撤销", name=node.name), field="node_ids")
    return list(dict.fromkeys(nodes))


def _check_requirements(
    required: Sequence[Any],
    answers: dict[str, str],
    attachments: list[tuple[StoredFile, str | None]],
    actor: User,
) -> dict[str, str]:
    texts = {r.code for r in required if r.kind == RequirementKind.TEXT}
    files = {r.code for r in required if r.kind == RequirementKind.FILE}
    unknown = sorted(set(answers) - texts)
    if unknown:
        raise DomainError(_("该模块没有这项要求：%(c)s", c=unknown[0]), field="requirements")
    cleaned: dict[str, str] = {}
    for r in required:
        if r.code in texts:
            text = (answers.get(r.code) or "").strip()
            if not text:
                raise DomainError(_("请填写：%(label)s", label=r.label), field="requirements")
            cleaned[r.code] = text[:MAX_TEXT]
    for stored, code in attachments:
        if code is not None and code not in files:
            raise DomainError(_("该模块没有这项材料：%(c)s", c=code), field="attachments")
        # An applicant attaches only what they uploaded for an application themselves.
        if stored.purpose != FILE_PURPOSE or stored.created_by_id != actor.id:
            raise NotFound(_("没有这个文件"), field="attachments")
    attached = {code for _f, code in attachments}
    for r in required:
        if r.code in files and r.code not in attached:
            raise DomainError(_("请上传：%(label)s", label=r.label), field="attachments")
    return cleaned


def _step(
    session: Session,
    actor: User,
    admission: Admission,
    action: str,
    *,
    note: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AdmissionEvent(
            admission_id=admission.id,
            action=action,
            state=admission.state,
            actor_id=actor.id,
            actor_name=f"{actor.name} ({actor.username})",
            note=note,
        )
    )
    audit.record(
        session,
        actor,
        f"admission.{action}",
        "admission",
        admission.id,
        before=before,
        after=after or {"module": admission.module, "state": admission.state, "note": note},
    )
    session.flush()


def _snapshot(admission: Admission) -> dict[str, Any]:
    return {
        "module": admission.module,
        "department_id": admission.department_id,
        "state": admission.state,
        "pilot_node_ids": sorted(p.node_id for p in admission.pilot_nodes),
        "meeting_date": admission.meeting_date.isoformat() if admission.meeting_date else None,
    }
