"""Use cases of the dispute module: report a case, add its parties, record mediation sessions,
the agreement, the outcome and follow-up visits, move it through the dispute grid; the
early-warning list, the dashboard figures and the assessment points.

A case's workflow is the core task engine's (``workflow.CASE_TYPE``): these functions store the
module's own records and then take the task's step, in one transaction, so a refused step
leaves nothing behind. ``react`` is the module's ``gridgov_task_transition``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from gridgov.core.plugins.hookspecs import DashboardFigure, ScoringContext, ScoringResult
from gridgov.sdk import audit, county, files, inputs, registry, tasks
from gridgov.sdk.caller import Department, Role, Scope, User, assigned_node_ids, path_filter
from gridgov.sdk.county import Period, current_tenant_id
from gridgov.sdk.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.sdk.files import StoredFile
from gridgov.sdk.i18n import Localized
from gridgov.sdk.registry import Node
from gridgov.sdk.storage import utcnow
from gridgov.sdk.tasks import Source, Task, Track
from gridgov_plugins.disputes.models import (
    Agreement,
    Case,
    FollowUp,
    FoundBy,
    Kind,
    Level,
    MediationSession,
    Outcome,
    Party,
    PartyRole,
    Referral,
    Risk,
)
from gridgov_plugins.disputes.workflow import CASE, CATEGORY, LEVEL_OF_STATE

MODULE = "disputes"
FILE_PURPOSE = "disputes_agreement"

KIND_LABELS = {
    Kind.NEIGHBOUR: Localized("邻里纠纷", "Neighbours"),
    Kind.FAMILY: Localized("婚姻家庭纠纷", "Family"),
    Kind.PROPERTY: Localized("物业纠纷", "Property management"),
    Kind.LABOUR: Localized("劳动争议", "Labour"),
    Kind.LAND: Localized("土地纠纷", "Land"),
    Kind.DEBT: Localized("债务纠纷", "Debt"),
    Kind.OTHER: Localized("其他纠纷", "Other"),
}
RISK_LABELS = {
    Risk.LOW: Localized("一般", "Low"),
    Risk.MEDIUM: Localized("较大", "Medium"),
    Risk.HIGH: Localized("重大", "High"),
}
FOUND_BY_LABELS = {
    FoundBy.VOLUNTEER: Localized("信息员", "Information volunteer"),
    FoundBy.GRID_WORKER: Localized("网格员", "Grid worker"),
    FoundBy.HOTLINE: Localized("热线", "Hotline"),
    FoundBy.STAFF: Localized("工作人员", "Staff"),
}
OUTCOME_LABELS = {
    Outcome.RESOLVED: Localized("调解成功", "Resolved"),
    Outcome.PARTLY: Localized("部分达成", "Partly resolved"),
    Outcome.FAILED: Localized("调解不成", "Failed"),
}
REFERRAL_LABELS = {
    Referral.COURT: Localized("引导诉讼（法院）", "Referred to court"),
    Referral.PETITION_OFFICE: Localized("移交信访部门", "Referred to the petition office"),
    Referral.ARBITRATION: Localized("申请劳动仲裁", "Referred to arbitration"),
}
LEVEL_LABELS = {
    Level.UNIT: Localized("网格单元", "Grid unit"),
    Level.GROUP: Localized("网格组", "Group"),
    Level.AREA: Localized("片格", "Area"),
    Level.OFFICE: Localized("司法所", "Justice office"),
}
PARTY_ROLE_LABELS = {
    PartyRole.APPLICANT: Localized("申请人", "Applicant"),
    PartyRole.RESPONDENT: Localized("被申请人", "Respondent"),
    PartyRole.OTHER: Localized("其他当事人", "Other party"),
}

# Who keeps a case's records (parties, sessions, agreement): those who mediate at some level.
MEDIATOR_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.STATION_STAFF,
        Role.TOWNSHIP_STAFF,
        Role.DEPARTMENT_OFFICER,
        Role.COUNTY_ADMIN,
    }
)
# Resolved at unit or group level: "化解在网格" (the seeds' 矛盾化解在网格内).
IN_GRID_LEVELS = (Level.UNIT.value, Level.GROUP.value)
MAX_TEXT = 4000


# --- reading ---------------------------------------------------------------------------------


def case_of(session: Session, task: Task) -> Case | None:
    """The case riding on ``task``, or None (another type's task)."""
    return session.scalar(select(Case).where(Case.task_id == task.id))


def task_of(session: Session, case: Case) -> Task:
    return tasks.get_task(session, case.task_id)


def visible_case(session: Session, user: User, scope: Scope, case_id: int) -> Case:
    """The case if ``user`` sees its task, else NotFound (never Forbidden)."""
    case = session.get(Case, case_id)
    if case is None or case.tenant_id != current_tenant_id(session):
        raise NotFound(Localized("没有这个矛盾纠纷", "No such dispute"))
    tasks.visible_task(session, user, scope, case.task_id)
    return case


@dataclass(frozen=True)
class CaseFilter:
    is_open: bool | None = None
    kind: str | None = None
    risk_level: str | None = None


def visible_cases(
    session: Session, user: User, scope: Scope, filters: CaseFilter = CaseFilter()
) -> Select[Any]:
    """SELECT of (Case, Task) the user sees, most urgent first."""
    query = (
        select(Case, Task)
        .join(Task, Task.id == Case.task_id)
        .where(tasks.visible_filter(session, user, scope))
    )
    if filters.is_open is not None:
        query = query.where(Task.is_open.is_(filters.is_open))
    if filters.kind:
        query = query.where(Case.kind == filters.kind)
    if filters.risk_level:
        query = query.where(Case.risk_level == filters.risk_level)
    return query.order_by(Task.is_open.desc(), Task.priority, Task.due_at, Case.id.desc())


# Five or more people make a dispute "群体性": the petition rules ask a group to send at most
# five representatives (信访工作条例), so from five on it is a group's matter.
GROUP_SIZE = 5


def is_warning() -> Any:
    """A WHERE clause on Case: high risk, flagged as a possible group petition, or involving a
    group of people."""
    return or_(
        Case.risk_level == Risk.HIGH.value,
        Case.petition_risk.is_(True),
        Case.people_involved >= GROUP_SIZE,
    )


def early_warnings(session: Session, user: User, scope: Scope) -> Select[Any]:
    """Open cases that could become group petitions (群体性上访), most people involved first."""
    return (
        select(Case, Task)
        .join(Task, Task.id == Case.task_id)
        .where(tasks.visible_filter(session, user, scope), Task.is_open.is_(True), is_warning())
        .order_by(Case.people_involved.desc(), Case.id)
    )


def follow_ups_due(session: Session, user: User, scope: Scope) -> Select[Any]:
    """Closed cases with an agreement reached (fully or partly) and no follow-up visit yet,
    oldest first."""
    return (
        select(Case, Task)
        .join(Task, Task.id == Case.task_id)
        .where(
            tasks.visible_filter(session, user, scope),
            Task.state == "closed",
            Case.outcome.in_([Outcome.RESOLVED.value, Outcome.PARTLY.value]),
        )
        .order_by(Case.closed_at, Case.id)
    )


def parties(session: Session, case: Case) -> list[Party]:
    return list(session.scalars(select(Party).where(Party.case_id == case.id).order_by(Party.id)))


def masked_phone(party: Party) -> str | None:
    """The party's phone as every page shows it (138********), or None."""
    return registry.masked_phone(party.tenant_id, party.phone_cipher)


def sessions(session: Session, case: Case) -> list[MediationSession]:
    return list(
        session.scalars(
            select(MediationSession)
            .where(MediationSession.case_id == case.id)
            .order_by(MediationSession.held_on, MediationSession.id)
        )
    )


def agreement(session: Session, case: Case) -> Agreement | None:
    return session.scalar(select(Agreement).where(Agreement.case_id == case.id))


def agreement_scan(session: Session, case: Case) -> StoredFile:
    """The signed scan of the case's agreement, or NotFound."""
    found = agreement(session, case)
    if found is None or found.file_id is None:
        raise NotFound(Localized("没有协议扫描件", "No signed scan"))
    try:
        return files.get_file(session, found.file_id)
    except NotFound:
        raise NotFound(Localized("没有协议扫描件", "No signed scan")) from None


def follow_ups(session: Session, case: Case) -> list[FollowUp]:
    return list(
        session.scalars(
            select(FollowUp).where(FollowUp.case_id == case.id).order_by(FollowUp.visited_on)
        )
    )


def office(session: Session) -> Department | None:
    """The justice office (司法所) running the module in this county: the department the
    county admitted it for; None when it was never applied for."""
    return county.module_department(session, MODULE)


# --- the task engine's hook ------------------------------------------------------------------


def react(
    session: Session, task: Task, action: str, from_state: str | None, actor: User | None
) -> None:
    """The module's rules on every step of a dispute's task (``gridgov_task_transition``)."""
    if task.task_type != CASE:
        return
    if action == "report":
        if case_of(session, task) is None:
            session.add(Case(task_id=task.id, found_by=_found_by(task, actor)))
            session.flush()
        return
    case = case_of(session, task)
    if case is None:  # filed before the module's table existed: nothing to keep in step
        return
    if action == "dispatch":
        justice_office = office(session)
        if justice_office is None or task.department_id != justice_office.id:
            name = justice_office.name if justice_office else ""
            raise DomainError(
                Localized(
                    f"矛盾纠纷只能交本辖区司法所（{name}）调解",
                    f"A dispute can only be referred to the justice office ({name})",
                ),
                field="department_id",
            )
    elif action == "close":
        if case.outcome is None:
            raise DomainError(
                Localized("请先登记调解结果", "Record the outcome first"), field="outcome"
            )
        case.closed_level = LEVEL_OF_STATE[from_state or "reported"]
        case.closed_at = utcnow()
    elif action == "revisit" and not follow_ups(session, case):
        raise DomainError(
            Localized("请先登记回访情况", "Record the follow-up visit first"), field="note"
        )


def _found_by(task: Task, actor: User | None) -> str:
    if task.source == Source.HOTLINE:
        return FoundBy.HOTLINE.value
    if actor is not None and actor.role == Role.VOLUNTEER:
        return FoundBy.VOLUNTEER.value
    if actor is not None and actor.role == Role.GRID_WORKER:
        return FoundBy.GRID_WORKER.value
    return FoundBy.STAFF.value


# --- reporting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyInput:
    role: str
    name: str = ""
    person_id: int | None = None
    phone: str | None = None


@dataclass(frozen=True)
class CaseInput:
    title: str
    kind: str
    description: str = ""
    risk_level: str = Risk.LOW.value
    petition_risk: bool = False
    people_involved: int = 2
    found_by: str | None = None  # None: from the reporter's role
    finder_name: str = ""
    location_text: str = ""
    parties: Sequence[PartyInput] = field(default_factory=tuple)
    idempotency_key: str | None = None


# Who files a dispute: the staff who report tasks, but not the supervisors (督导员), who
# follow the grid workers' work rather than the grid's people.
REPORTER_ROLES = tasks.REPORTER_ROLES - {Role.SUPERVISOR}


def may_report_case(user: User) -> bool:
    """Whether ``user`` files disputes (the portal's menu asks this too)."""
    return user.role in REPORTER_ROLES


def report_case(session: Session, actor: User, scope: Scope, node: Node, data: CaseInput) -> Case:
    """File a dispute under ``node`` (a grid, the 网格单元) with its parties; it then waits for
    the group leader's confirmation."""
    if not may_report_case(actor):
        raise Forbidden(Localized("您的角色不能上报纠纷", "Your role does not report disputes"))
    kind = inputs.choice(data.kind, Kind, "kind", Localized("请选择纠纷类型", "Choose the type"))
    risk = inputs.choice(data.risk_level, Risk, "risk_level", Localized("请选择风险等级", "Choose"))
    found_by = None
    if data.found_by:
        found_by = inputs.choice(
            data.found_by, FoundBy, "found_by", Localized("请选择来源", "Choose")
        )
    if not 1 <= data.people_involved <= 100000:
        raise DomainError(
            Localized("涉及人数须为正整数", "A positive number"), field="people_involved"
        )
    finder = inputs.text(data.finder_name, "finder_name", limit=100, required=False)
    source = Source.HOTLINE.value if found_by == FoundBy.HOTLINE else Source.PATROL.value
    task, created = tasks.report(
        session,
        actor,
        scope,
        node,
        tasks.Report(
            task_type=CASE,
            category=CATEGORY,
            title=data.title,
            description=inputs.text(
                data.description, "description", limit=MAX_TEXT, required=False
            ),
            track=Track.EMERGENCY.value if data.petition_risk else Track.COORDINATE.value,
            source=source,
            location_text=data.location_text,
            priority=1 if risk == Risk.HIGH or data.petition_risk else 2,
            idempotency_key=data.idempotency_key,
        ),
    )
    case = case_of(session, task)
    assert case is not None, "the module's reaction files a case with every report"
    if not created:
        return case
    case.kind = kind
    case.risk_level = risk
    case.petition_risk = data.petition_risk
    case.people_involved = data.people_involved
    case.finder_name = finder
    if found_by is not None:
        case.found_by = found_by
    for party in data.parties:
        _add_party(session, actor, scope, case, party)
    session.flush()
    audit.record(
        session, actor, "disputes.case.report", "disputes_case", case.id, after=_snap(case)
    )
    return case


def _snap(case: Case) -> dict[str, Any]:
    return {
        "task_id": case.task_id,
        "kind": case.kind,
        "risk_level": case.risk_level,
        "petition_risk": case.petition_risk,
        "people_involved": case.people_involved,
        "found_by": case.found_by,
        "outcome": case.outcome,
        "referral": case.referral,
        "closed_level": case.closed_level,
    }


# --- the case's own records ------------------------------------------------------------------


def is_mediator(user: User) -> bool:
    """Whether ``user``'s role mediates (keeps a case's records, follows its agreement up)."""
    return user.role in MEDIATOR_ROLES


def check_may_keep_records(session: Session, user: User, case: Case) -> Task:
    """Mediators keep a case's records while the module takes new work where it was filed:
    Forbidden for other roles, Conflict while the county has the module suspended."""
    if not is_mediator(user):
        raise Forbidden(Localized("您的角色不能登记调解记录", "Your role cannot keep records"))
    task = task_of(session, case)
    node = registry.get_node(session, task.node_id)
    county.check_open_for_work(session, MODULE, node)
    return task


def add_party(session: Session, actor: User, scope: Scope, case: Case, data: PartyInput) -> Party:
    """Add a party: a person of the registry the actor may see, or an outsider by name."""
    check_may_keep_records(session, actor, case)
    party = _add_party(session, actor, scope, case, data)
    audit.record(
        session,
        actor,
        "disputes.party.add",
        "disputes_case",
        case.id,
        after={"party_id": party.id, "role": party.role, "person_id": party.person_id},
    )
    return party


def _add_party(session: Session, actor: User, scope: Scope, case: Case, data: PartyInput) -> Party:
    role = inputs.choice(
        data.role, PartyRole, "role", Localized("请选择当事人身份", "Choose the role")
    )
    phone_cipher = None
    if data.person_id is not None:
        try:
            person = registry.visible_person(session, actor, scope, data.person_id)
        except (NotFound, Forbidden):
            raise DomainError(
                Localized("人口库中没有这个人，或不在您的查看范围内", "No such person for you"),
                field="person_id",
            ) from None
        name = person.name
    else:
        name = inputs.text(data.name, "name", limit=100)
        if data.phone:
            phone = registry.clean_phone(data.phone, field="phone")
            phone_cipher = registry.encrypt_phone(case.tenant_id, phone)
    party = Party(
        case_id=case.id,
        role=role,
        person_id=data.person_id,
        name=name,
        phone_cipher=phone_cipher,
    )
    session.add(party)
    session.flush()
    return party


@dataclass(frozen=True)
class SessionInput:
    held_on: dt.date | None
    mediator: str
    attendees: str = ""
    notes: str = ""


def record_session(
    session: Session, actor: User, case: Case, data: SessionInput
) -> MediationSession:
    """Record a mediation session (调解记录) of an open case."""
    task = check_may_keep_records(session, actor, case)
    if not task.is_open:
        raise Conflict(Localized("已办结的纠纷不能再登记调解", "The case is closed"))
    sitting = MediationSession(
        case_id=case.id,
        held_on=inputs.past_date(session, data.held_on, "held_on"),
        mediator=inputs.text(data.mediator, "mediator", limit=100),
        attendees=inputs.text(data.attendees, "attendees", limit=500, required=False),
        notes=inputs.text(data.notes, "notes", limit=MAX_TEXT),
        created_by_id=actor.id,
    )
    session.add(sitting)
    session.flush()
    audit.record(
        session,
        actor,
        "disputes.session.record",
        "disputes_case",
        case.id,
        after={"session_id": sitting.id, "held_on": sitting.held_on.isoformat()},
    )
    return sitting


def record_agreement(
    session: Session,
    actor: User,
    case: Case,
    *,
    text: str,
    signed_on: dt.date | None,
    scan: StoredFile | None = None,
) -> Agreement:
    """Record the mediation agreement (调解协议) and its signed scan; one per case."""
    check_may_keep_records(session, actor, case)
    if agreement(session, case) is not None:
        raise Conflict(Localized("该纠纷已登记调解协议", "The agreement is already recorded"))
    signed = Agreement(
        case_id=case.id,
        text=inputs.text(text, "text", limit=MAX_TEXT),
        signed_on=inputs.past_date(session, signed_on, "signed_on"),
        file_id=scan.id if scan is not None else None,
        created_by_id=actor.id,
    )
    session.add(signed)
    session.flush()
    audit.record(
        session,
        actor,
        "disputes.agreement.record",
        "disputes_case",
        case.id,
        after={"agreement_id": signed.id, "file_id": signed.file_id},
    )
    return signed


# --- steps of the dispute grid ---------------------------------------------------------------

STEPS = ("confirm", "dismiss", "escalate", "return")


def take_step(
    session: Session, actor: User, scope: Scope, case: Case, action: str, comment: str = ""
) -> Task:
    """Confirm, dismiss, escalate to the area or return to it (the steps that carry nothing
    but a comment)."""
    if action not in STEPS:
        raise DomainError(Localized("未知的操作", "Unknown step"), field="action")
    return tasks.transition(
        session, actor, scope, task_of(session, case), action, tasks.Move(comment=comment)
    )


def refer_to_office(
    session: Session, actor: User, scope: Scope, case: Case, comment: str, risk_level: str
) -> Task:
    """The area leader's analysis (研判): the risk as they judge it, then the case goes to the
    justice office."""
    risk = inputs.choice(risk_level, Risk, "risk_level", Localized("请选择风险等级", "Choose"))
    justice_office = office(session)
    if justice_office is None:
        raise DomainError(Localized("本县没有运行本模块的司法所", "No justice office"))
    _set_risk(session, actor, case, risk)
    return tasks.transition(
        session,
        actor,
        scope,
        task_of(session, case),
        "dispatch",
        tasks.Move(comment=comment, department_id=justice_office.id),
    )


def _set_risk(session: Session, actor: User, case: Case, risk: str) -> None:
    if case.risk_level == risk:
        return
    before = case.risk_level
    case.risk_level = risk
    task = task_of(session, case)
    task.priority = 1 if risk == Risk.HIGH or case.petition_risk else 2
    audit.record(
        session,
        actor,
        "disputes.case.risk",
        "disputes_case",
        case.id,
        before={"risk_level": before},
        after={"risk_level": risk},
    )


def record_outcome(
    session: Session,
    actor: User,
    scope: Scope,
    case: Case,
    *,
    outcome: str,
    referral: str | None = None,
    note: str = "",
) -> Task:
    """Close the case with its outcome; a failed mediation names where it was sent on."""
    chosen = inputs.choice(outcome, Outcome, "outcome", Localized("请选择调解结果", "Choose"))
    sent_on = None
    if chosen == Outcome.FAILED:
        sent_on = inputs.choice(
            referral,
            Referral,
            "referral",
            Localized("调解不成须写明去向（法院、信访、仲裁）", "Say where it was referred"),
        )
    before = _snap(case)
    case.outcome = chosen
    case.referral = sent_on
    case.outcome_note = inputs.text(note, "note", limit=MAX_TEXT)
    task = tasks.transition(
        session, actor, scope, task_of(session, case), "close", tasks.Move(comment=note)
    )
    audit.record(
        session,
        actor,
        "disputes.case.outcome",
        "disputes_case",
        case.id,
        before=before,
        after=_snap(case),
    )
    return task


def record_follow_up(
    session: Session,
    actor: User,
    scope: Scope,
    case: Case,
    *,
    visited_on: dt.date | None,
    is_kept: bool,
    note: str,
) -> FollowUp:
    """Record a follow-up visit (回访) of a closed case; the first one marks it followed up."""
    task = task_of(session, case)
    if case.outcome is None:
        raise Conflict(Localized("纠纷办结后才能回访", "Only a closed case is followed up"))
    visit = FollowUp(
        case_id=case.id,
        visited_on=inputs.past_date(session, visited_on, "visited_on"),
        visited_by_id=actor.id,
        is_kept=is_kept,
        note=inputs.text(note, "note", limit=MAX_TEXT),
    )
    session.add(visit)
    session.flush()
    if task.state == "closed":
        tasks.transition(session, actor, scope, task, "revisit", tasks.Move(comment=visit.note))
    else:
        check_may_keep_records(session, actor, case)
        tasks.visible_task(session, actor, scope, task.id)
    audit.record(
        session,
        actor,
        "disputes.follow_up.record",
        "disputes_case",
        case.id,
        after={"follow_up_id": visit.id, "is_kept": is_kept},
    )
    return visit


# --- figures and assessment ------------------------------------------------------------------


def _filed_in(scope: Scope) -> Any:
    return path_filter(Task.filed_path, scope)


@dataclass(frozen=True)
class Figures:
    reported: int  # 上报矛盾纠纷
    handled: int  # 协助处理 (closed with an outcome)
    resolved: int
    resolved_in_grid: int
    open: int
    warnings: int

    @property
    def resolved_rate(self) -> float:
        return self.resolved / self.handled if self.handled else 0.0

    @property
    def in_grid_rate(self) -> float:
        return self.resolved_in_grid / self.handled if self.handled else 0.0


def figures(session: Session, scope: Scope, period: Period | None = None) -> Figures:
    """The dispute figures of the cases filed in ``scope`` (reported in ``period``, if given;
    one aggregate query)."""
    dismissed = Task.state == "dismissed"
    handled = Case.outcome.is_not(None)
    resolved = Case.outcome == Outcome.RESOLVED.value
    warning = and_(Task.is_open.is_(True), is_warning())

    row = session.execute(
        select(
            func.count(Case.id).filter(~dismissed),
            func.count(Case.id).filter(handled),
            func.count(Case.id).filter(resolved),
            func.count(Case.id).filter(resolved, Case.closed_level.in_(IN_GRID_LEVELS)),
            func.count(Case.id).filter(Task.is_open.is_(True)),
            func.count(Case.id).filter(warning),
        )
        .join(Task, Task.id == Case.task_id)
        .where(_filed_in(scope), _reported_in(period))
    ).one()
    return Figures(*(int(value or 0) for value in row))


def _reported_in(period: Period | None) -> Any:
    if period is None:
        return true()
    return and_(Task.reported_at >= period.starts_at, Task.reported_at < period.ends_at)


def period_figures(session: Session, scope: Scope, period: Period) -> list[DashboardFigure]:
    """The figures of the disputes reported in ``period`` for a period report: reported (real
    ones), handled and resolved by now, and the share resolved within the grid."""
    found = figures(session, scope, period)
    return [
        DashboardFigure(
            "disputes.reported", "排查上报矛盾纠纷", "Disputes reported", found.reported, "条"
        ),
        DashboardFigure(
            "disputes.handled", "协助处理矛盾纠纷", "Disputes handled", found.handled, "条"
        ),
        DashboardFigure("disputes.resolved", "调解成功", "Disputes resolved", found.resolved, "条"),
        DashboardFigure(
            "disputes.in_grid_rate",
            "化解在网格",
            "Resolved within the grid",
            round(found.in_grid_rate * 100, 1),
            "%",
        ),
        DashboardFigure("disputes.open", "在办矛盾纠纷", "Open disputes", found.open, "件"),
    ]


def dashboard_figures(session: Session, scope: Scope) -> list[DashboardFigure]:
    """The figures as the county dashboard shows every module's."""
    found = figures(session, scope)
    return [
        DashboardFigure(
            "disputes.reported", "上报矛盾纠纷", "Disputes reported", found.reported, "条"
        ),
        DashboardFigure(
            "disputes.handled", "协助处理矛盾纠纷", "Disputes handled", found.handled, "条"
        ),
        DashboardFigure(
            "disputes.resolved_rate",
            "调解成功率",
            "Resolved",
            round(found.resolved_rate * 100, 1),
            "%",
        ),
        DashboardFigure(
            "disputes.in_grid_rate",
            "化解在网格",
            "Resolved within the grid",
            round(found.in_grid_rate * 100, 1),
            "%",
        ),
        DashboardFigure("disputes.open", "在办矛盾纠纷", "Open disputes", found.open, "件"),
        DashboardFigure(
            "disputes.warnings", "群体性上访预警", "Early warnings", found.warnings, "件"
        ),
    ]


def _period(context: ScoringContext) -> tuple[dt.datetime, dt.datetime]:
    return context.period.starts_at, context.period.ends_at


def reported_points(context: ScoringContext) -> ScoringResult:
    """One point per dispute the worker reported in the period that proved real."""
    start, end = _period(context)
    tasks = list(
        context.session.scalars(
            select(Task.id)
            .join(Case, Case.task_id == Task.id)
            .where(
                Task.reporter_id == context.user_id,
                Task.reported_at >= start,
                Task.reported_at < end,
                Task.state != "dismissed",
            )
            .order_by(Task.id)
        )
    )
    return ScoringResult(
        float(len(tasks)),
        f"上报矛盾纠纷 {len(tasks)} 件",
        f"{len(tasks)} disputes reported",
        {"task": tasks},
    )


def in_grid_points(context: ScoringContext) -> ScoringResult:
    """One point per dispute of the worker's grids resolved within the grid in the period."""
    start, end = _period(context)
    grids = assigned_node_ids(context.user_id)
    tasks = list(
        context.session.scalars(
            select(Task.id)
            .join(Case, Case.task_id == Task.id)
            .where(
                Task.node_id.in_(grids),
                Case.outcome == Outcome.RESOLVED.value,
                Case.closed_level.in_(IN_GRID_LEVELS),
                Case.closed_at >= start,
                Case.closed_at < end,
            )
            .order_by(Task.id)
        )
    )
    return ScoringResult(
        float(len(tasks)),
        f"在网格内化解 {len(tasks)} 件",
        f"{len(tasks)} resolved within the grid",
        {"task": tasks},
    )


FOLLOW_UP_POINTS = 0.5


def follow_up_points(context: ScoringContext) -> ScoringResult:
    """Half a point per follow-up visit the worker made in the period."""
    rows = context.session.execute(
        select(FollowUp.id, Case.task_id)
        .join(Case, Case.id == FollowUp.case_id)
        .where(
            FollowUp.visited_by_id == context.user_id,
            FollowUp.visited_on >= context.period_start,
            FollowUp.visited_on <= context.period_end,
        )
    ).all()
    return ScoringResult(
        len(rows) * FOLLOW_UP_POINTS,
        f"回访 {len(rows)} 次",
        f"{len(rows)} follow-up visits",
        {"task": sorted({task_id for _visit, task_id in rows})},
    )
