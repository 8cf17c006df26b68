"""Reward and assistance entitlements (奖励扶助、特别扶助): one person, one scheme, one year,
from the application to the payment.

application (申请) → check (审核) → approval (审批) → payment (已发放), or refusal with its
reason at the check or the approval. Who takes each step, chosen after how the 计生 work is
split in a 街道: the grid worker or the community station applies for a resident of their
grids (they know the family); the township's staff check it (they hold the household
records); only an officer of the office the county admitted the module for approves it,
refuses it at approval and records the payment (the money is theirs). Every step is written
to the county's audit log. A county sets its payment date (``family_planning.payment_due``,
"MM-DD", default 09-30): an entitlement not paid nor refused by then is overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gridgov.sdk import audit, registry
from gridgov.sdk.caller import Role, Scope, User, path_filter
from gridgov.sdk.county import clock_of, current_tenant
from gridgov.sdk.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.sdk.i18n import Localized
from gridgov.sdk.registry import PersonView
from gridgov_plugins.family_planning import access
from gridgov_plugins.family_planning.access import MODULE
from gridgov_plugins.family_planning.models import (
    Entitlement,
    EntitlementState,
    Scheme,
    Target,
    TargetKind,
)

SCHEME_LABELS = {
    Scheme.REWARD: Localized("农村部分计划生育家庭奖励扶助", "Reward for family-planning families"),
    Scheme.SPECIAL: Localized("计划生育家庭特别扶助", "Special assistance"),
}
STATE_LABELS = {
    EntitlementState.APPLIED: Localized("待审核", "Applied, to check"),
    EntitlementState.CHECKED: Localized("待审批", "Checked, to approve"),
    EntitlementState.APPROVED: Localized("已审批，未发放", "Approved, not paid"),
    EntitlementState.PAID: Localized("已发放", "Paid"),
    EntitlementState.REFUSED: Localized("不予通过", "Refused"),
}
APPLICANTS = frozenset({Role.GRID_WORKER, Role.STATION_STAFF})
CHECKERS = frozenset({Role.TOWNSHIP_STAFF})
REWARD_AGE = 60  # 奖励扶助 goes to parents from 60 (周岁)
DEFAULT_PAYMENT_DUE = "09-30"
UNSETTLED = (
    EntitlementState.APPLIED.value,
    EntitlementState.CHECKED.value,
    EntitlementState.APPROVED.value,
)
NO_ENTITLEMENT = Localized("没有这条扶助记录", "No such entitlement")


def payment_due(settings: Mapping[str, Any], year: int) -> dt.date:
    """The county's payment date of ``year`` (``family_planning.payment_due``, "MM-DD")."""
    text = str(settings.get(MODULE, {}).get("payment_due", DEFAULT_PAYMENT_DUE))
    try:
        month, day = (int(part) for part in text.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        return dt.date.fromisoformat(f"{year}-{DEFAULT_PAYMENT_DUE}")


def is_overdue(entitlement: Entitlement, settings: Mapping[str, Any], today: dt.date) -> bool:
    """Neither paid nor refused after the county's payment date of its year."""
    return entitlement.state in UNSETTLED and today > payment_due(settings, entitlement.year)


# --- steps -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationInput:
    person_id: int
    scheme: str
    year: int | None = None  # None: this county year
    note: str = ""


def apply_for(session: Session, actor: User, scope: Scope, data: ApplicationInput) -> Entitlement:
    """Apply for ``scheme`` in ``year`` for a person of the actor's grids; Conflict if the
    person has an application of that scheme and year already."""
    person = access.person_named(session, actor, scope, data.person_id, "person_id")
    node = registry.get_node(session, person.node_id)
    access.check_may_keep(session, actor, scope, node)
    if actor.role not in APPLICANTS:
        raise Forbidden(Localized("由网格员或社区工作站申请", "Grid workers or the station apply"))
    today = clock_of(session).today()
    year = data.year or today.year
    if year not in (today.year, today.year - 1):
        raise DomainError(
            Localized("只能申请今年或上一年", "This year or last year only"), field="year"
        )
    if data.scheme == Scheme.SPECIAL:
        special = session.scalar(
            select(Target.id).where(
                Target.person_id == person.id, Target.kind == TargetKind.SPECIAL.value
            )
        )
        if special is None:
            raise DomainError(
                Localized(
                    "特别扶助只面向已认定的计生特殊家庭", "Only for a recognised special family"
                ),
                field="person_id",
            )
    elif data.scheme == Scheme.REWARD:
        age = PersonView.of(person).age(today)
        if age is not None and age < REWARD_AGE:
            raise DomainError(
                Localized("奖励扶助对象须年满 60 周岁", "Reward claimants are 60 or older"),
                field="person_id",
            )
    else:
        raise DomainError(Localized("请选择扶助项目", "Choose the scheme"), field="scheme")
    exists = session.scalar(
        select(Entitlement.id).where(
            Entitlement.person_id == person.id,
            Entitlement.year == year,
            Entitlement.scheme == data.scheme,
        )
    )
    if exists is not None:
        raise Conflict(Localized("此人该年度已有此项申请", "Already applied for this year"))
    entitlement = Entitlement(
        person_id=person.id,
        year=year,
        scheme=data.scheme,
        state=EntitlementState.APPLIED.value,
        node_id=node.id,
        filed_path=node.path,
        note=(data.note or "").strip()[:2000],
        applied_by_id=actor.id,
        applied_on=today,
    )
    session.add(entitlement)
    session.flush()
    _audit(session, actor, entitlement, "apply", None)
    return entitlement


def check(session: Session, actor: User, scope: Scope, entitlement: Entitlement) -> Entitlement:
    """The township's check (审核): applied → checked."""
    _may_step(session, actor, scope, entitlement, EntitlementState.APPLIED, CHECKERS)
    before = entitlement.state
    entitlement.state = EntitlementState.CHECKED.value
    entitlement.checked_by_id, entitlement.checked_on = actor.id, clock_of(session).today()
    _audit(session, actor, entitlement, "check", before)
    return entitlement


def approve(session: Session, actor: User, scope: Scope, entitlement: Entitlement) -> Entitlement:
    """The office's approval (审批): checked → approved (未发放)."""
    _may_step(session, actor, scope, entitlement, EntitlementState.CHECKED, None)
    before = entitlement.state
    entitlement.state = EntitlementState.APPROVED.value
    entitlement.approved_by_id, entitlement.approved_on = actor.id, clock_of(session).today()
    _audit(session, actor, entitlement, "approve", before)
    return entitlement


def refuse(
    session: Session, actor: User, scope: Scope, entitlement: Entitlement, reason: str
) -> Entitlement:
    """Refuse with a reason: the township at its check, the office at its approval."""
    if entitlement.state == EntitlementState.APPLIED:
        _may_step(session, actor, scope, entitlement, EntitlementState.APPLIED, CHECKERS)
    else:
        _may_step(session, actor, scope, entitlement, EntitlementState.CHECKED, None)
    text = (reason or "").strip()
    if not text:
        raise DomainError(Localized("请写明不予通过的理由", "Give the reason"), field="reason")
    before = entitlement.state
    entitlement.state = EntitlementState.REFUSED.value
    entitlement.refusal_reason = text[:2000]
    _audit(session, actor, entitlement, "refuse", before)
    return entitlement


def record_payment(
    session: Session,
    actor: User,
    scope: Scope,
    entitlement: Entitlement,
    *,
    amount: Any,
    paid_on: dt.date | None,
) -> Entitlement:
    """The office records the payment (已发放): its amount in 元 and the day, not in the future."""
    _may_step(session, actor, scope, entitlement, EntitlementState.APPROVED, None)
    try:
        money = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        money = Decimal(0)
    if not Decimal(0) < money < Decimal(1_000_000):
        raise DomainError(Localized("请填写发放金额（元）", "Give the amount paid"), field="amount")
    if paid_on is None or paid_on > clock_of(session).today():
        raise DomainError(
            Localized("请填写发放日期（不能在将来）", "Give the day paid (not in the future)"),
            field="paid_on",
        )
    before = entitlement.state
    entitlement.state = EntitlementState.PAID.value
    entitlement.amount, entitlement.paid_on = money, paid_on
    _audit(session, actor, entitlement, "pay", before)
    return entitlement


def _may_step(
    session: Session,
    actor: User,
    scope: Scope,
    entitlement: Entitlement,
    state: EntitlementState,
    roles: frozenset[str] | None,
) -> None:
    """Refuse a step: out of scope or not admitted there (NotFound), suspended (Conflict),
    the wrong role (Forbidden; None: the office's officers), the wrong state (Conflict)."""
    access.in_scope(scope, entitlement.filed_path, NO_ENTITLEMENT)
    access.check_may_keep(session, actor, scope, registry.get_node(session, entitlement.node_id))
    allowed = access.is_office(session, actor) if roles is None else actor.role in roles
    if not allowed:
        raise Forbidden(Localized("您不能办理这一步", "You cannot take this step"))
    if entitlement.state != state:
        raise Conflict(
            Localized(
                f"这条扶助记录现在是“{STATE_LABELS[EntitlementState(entitlement.state)].zh}”",
                "The entitlement is not at this step",
            )
        )


def _audit(
    session: Session, actor: User, entitlement: Entitlement, step: str, before: str | None
) -> None:
    session.flush()
    audit.record(
        session,
        actor,
        f"family_planning.entitlement.{step}",
        "family_planning_entitlement",
        entitlement.id,
        before=None if before is None else {"state": before},
        after={
            "state": entitlement.state,
            "scheme": entitlement.scheme,
            "year": entitlement.year,
            "amount": None if entitlement.amount is None else str(entitlement.amount),
        },
    )


def steps_for(session: Session, user: User, entitlement: Entitlement) -> list[str]:
    """The steps ``user``'s role may take on the entitlement now (check, approve, refuse, pay)."""
    office = access.is_office(session, user)
    if entitlement.state == EntitlementState.APPLIED and user.role in CHECKERS:
        return ["check", "refuse"]
    if entitlement.state == EntitlementState.CHECKED and office:
        return ["approve", "refuse"]
    if entitlement.state == EntitlementState.APPROVED and office:
        return ["pay"]
    return []


# --- reading -----------------------------------------------------------------------------------


def visible_entitlement(
    session: Session, user: User, scope: Scope, entitlement_id: int
) -> Entitlement:
    """The entitlement if ``user`` may see it (filed in their scope), else NotFound."""
    access.check_may_read(session, user)
    entitlement = session.get(Entitlement, entitlement_id)
    if entitlement is None:
        raise NotFound(NO_ENTITLEMENT)
    access.in_scope(scope, entitlement.filed_path, NO_ENTITLEMENT)
    return entitlement


def entitlements(scope: Scope, *, year: int | None = None, state: str | None = None) -> Select[Any]:
    """A SELECT of the entitlements filed in ``scope`` (of ``year``, in ``state``), newest first."""
    query = select(Entitlement).where(path_filter(Entitlement.filed_path, scope))
    if year is not None:
        query = query.where(Entitlement.year == year)
    if state is not None:
        query = query.where(Entitlement.state == state)
    return query.order_by(Entitlement.year.desc(), Entitlement.id.desc())


@dataclass(frozen=True)
class DueEntitlement:
    """Someone due an entitlement of ``scheme`` in ``year``: eligible with no application yet
    (``entitlement`` None), or approved and unpaid; ``is_overdue`` past the payment date."""

    person_id: int
    node_id: int
    scheme: str
    year: int
    entitlement: Entitlement | None
    is_overdue: bool


def due_entitlements(
    session: Session, user: User, scope: Scope, year: int | None = None
) -> list[DueEntitlement]:
    """Who in ``scope`` is due an entitlement of ``year`` (this county year by default): the
    special families with no 特别扶助 application, those paid a 奖励扶助 last year with none
    this year, and every approved one not paid; then everything unsettled past the payment
    date, marked overdue. Overdue first."""
    access.check_may_read(session, user)
    today = clock_of(session).today()
    year = year or today.year
    settings = current_tenant(session).settings or {}
    late = today > payment_due(settings, year)
    this_year = {
        (e.person_id, e.scheme): e for e in session.scalars(entitlements(scope, year=year))
    }
    due: list[DueEntitlement] = []
    special_families = session.scalars(
        select(Target).where(
            Target.kind == TargetKind.SPECIAL.value, path_filter(Target.filed_path, scope)
        )
    )
    for target in special_families:
        if (target.person_id, Scheme.SPECIAL.value) not in this_year:
            due.append(
                DueEntitlement(
                    target.person_id, target.node_id, Scheme.SPECIAL.value, year, None, late
                )
            )
    paid_before = session.scalars(
        entitlements(scope, year=year - 1, state=EntitlementState.PAID.value).where(
            Entitlement.scheme == Scheme.REWARD.value
        )
    )
    for previous in paid_before:
        if (previous.person_id, Scheme.REWARD.value) not in this_year:
            due.append(
                DueEntitlement(
                    previous.person_id, previous.node_id, Scheme.REWARD.value, year, None, late
                )
            )
    for entitlement in this_year.values():
        if entitlement.state == EntitlementState.APPROVED or is_overdue(
            entitlement, settings, today
        ):
            due.append(
                DueEntitlement(
                    entitlement.person_id,
                    entitlement.node_id,
                    entitlement.scheme,
                    year,
                    entitlement,
                    is_overdue(entitlement, settings, today),
                )
            )
    return sorted(due, key=lambda d: (not d.is_overdue, d.entitlement is not None, d.person_id))
