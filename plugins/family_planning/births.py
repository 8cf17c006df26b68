"""Births (出生登记): a child born to a mother of the registry, in her household. Registering
one makes the household a newborn family (新生儿家庭): its members get the module's tag and
the mother a target of that kind, so the monthly follow-ups of the first year fall due; once
the child has a registry record of its own, the birth links to it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gridgov.sdk import audit, registry, visits
from gridgov.sdk.caller import Scope, User, path_filter
from gridgov.sdk.county import clock_of
from gridgov.sdk.errors import Conflict, DomainError, NotFound
from gridgov.sdk.i18n import Localized
from gridgov_plugins.family_planning import access, targets
from gridgov_plugins.family_planning.models import Birth, Sex, Target, TargetKind

SEX_LABELS = {Sex.MALE: Localized("男", "Male"), Sex.FEMALE: Localized("女", "Female")}
NO_BIRTH = Localized("没有这条出生登记", "No such birth")
# 出生医学证明编号: a letter and nine digits on today's certificates; older ones differ, so
# only the length and the characters are checked.
CERTIFICATE_CHARS = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class BirthInput:
    """What the grid worker writes down about a birth."""

    mother_id: int
    child_name: str
    sex: str
    born_on: dt.date | None
    place_of_birth: str
    certificate_number: str | None = None


def _clean(session: Session, data: BirthInput) -> tuple[str, str | None]:
    name = (data.child_name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(
            Localized("请填写孩子姓名（100 字以内）", "Give the child's name"), field="child_name"
        )
    if data.sex not in set(Sex):
        raise DomainError(Localized("请选择性别", "Choose the sex"), field="sex")
    today = clock_of(session).today()
    if data.born_on is None or data.born_on > today:
        raise DomainError(
            Localized("请填写出生日期（不能在将来）", "Give the birth date (not in the future)"),
            field="born_on",
        )
    if data.born_on < today - dt.timedelta(days=targets.NEWBORN_DAYS):
        raise DomainError(
            Localized("只登记一年内的出生", "Only births within the last year are registered"),
            field="born_on",
        )
    place = (data.place_of_birth or "").strip()
    if not place or len(place) > 200:
        raise DomainError(
            Localized("请填写出生地点", "Give the place of birth"), field="place_of_birth"
        )
    number = (data.certificate_number or "").strip().upper() or None
    if number is not None and not (6 <= len(number) <= 32 and set(number) <= CERTIFICATE_CHARS):
        raise DomainError(
            Localized("出生医学证明编号格式不对", "Not a birth certificate number"),
            field="certificate_number",
        )
    return name, number


def register_birth(session: Session, actor: User, scope: Scope, data: BirthInput) -> Birth:
    """Register a birth to a mother the actor sees, in her household: its members are tagged
    a newborn family and the mother becomes a target of that kind (once per household)."""
    mother = access.person_named(session, actor, scope, data.mother_id, "mother_id")
    node = registry.get_node(session, mother.node_id)
    access.check_may_keep(session, actor, scope, node)
    if mother.sex != "female":
        raise DomainError(
            Localized("母亲须为女性", "The mother must be a woman"), field="mother_id"
        )
    if mother.household_id is None:
        raise DomainError(
            Localized("母亲未登记户，请先在人口库中建户", "The mother has no household yet"),
            field="mother_id",
        )
    household = visits.visible_household(session, actor, scope, mother.household_id)
    name, number = _clean(session, data)
    birth = Birth(
        household_id=household.id,
        mother_id=mother.id,
        child_name=name,
        sex=data.sex,
        born_on=data.born_on,
        place_of_birth=data.place_of_birth.strip(),
        certificate_number=number,
        node_id=node.id,
        filed_path=node.path,
        recorded_by_id=actor.id,
    )
    session.add(birth)
    session.flush()
    tag = targets.TAGS[TargetKind.NEWBORN].code
    for member in household.members:
        if member.merged_into_id is None:
            registry.tag_person(session, actor, member, tag, catalogue=targets.CATALOGUE)
    already = session.scalar(
        select(Target.id).where(
            Target.household_id == household.id, Target.kind == TargetKind.NEWBORN.value
        )
    )
    if already is None:
        targets.add_target(session, actor, mother, TargetKind.NEWBORN.value)
    audit.record(
        session,
        actor,
        "family_planning.birth.register",
        "family_planning_birth",
        birth.id,
        after={"household_id": household.id, "born_on": birth.born_on.isoformat()},
    )
    return birth


def visible_birth(session: Session, user: User, scope: Scope, birth_id: int) -> Birth:
    """The birth if ``user`` may see it (registered in their scope), else NotFound."""
    access.check_may_read(session, user)
    birth = session.get(Birth, birth_id)
    if birth is None:
        raise NotFound(NO_BIRTH)
    access.in_scope(scope, birth.filed_path, NO_BIRTH)
    return birth


def link_child(session: Session, actor: User, scope: Scope, birth: Birth, child_id: int) -> Birth:
    """Link the birth to the child's own registry record (registered later, in the same
    household); Conflict if it is linked already."""
    access.check_may_keep(session, actor, scope, registry.get_node(session, birth.node_id))
    if birth.child_id is not None:
        raise Conflict(Localized("已关联孩子的人口记录", "The child is linked already"))
    child = access.person_named(session, actor, scope, child_id, "child_id")
    if child.household_id != birth.household_id:
        raise DomainError(
            Localized("孩子须登记在同一户", "The child must be in the same household"),
            field="child_id",
        )
    birth.child_id = child.id
    session.flush()
    audit.record(
        session,
        actor,
        "family_planning.birth.link",
        "family_planning_birth",
        birth.id,
        after={"child_id": child.id},
    )
    return birth


def births(scope: Scope) -> Select[Any]:
    """A SELECT of the births registered in ``scope``, youngest first."""
    return (
        select(Birth)
        .where(path_filter(Birth.filed_path, scope))
        .order_by(Birth.born_on.desc(), Birth.id.desc())
    )


def masked_certificate(birth: Birth) -> str | None:
    """The certificate number as pages show it: its last four characters only."""
    number = birth.certificate_number
    return None if number is None else "*" * (len(number) - 4) + number[-4:]
