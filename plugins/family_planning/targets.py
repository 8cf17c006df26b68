"""Family-planning targets (计生对象): the module's person tags, each kind with its follow-up
schedule, registering a target, the lists of targets and of follow-ups due and overdue.

The tags are the kinds (育龄妇女、新生儿家庭、计生特殊家庭); the core's generic tag
``family_planning`` (计生对象, no schedule) stays the core's. A ``Target`` row holds what a
tag cannot: who found the person and when, and for a special family which kind and when it
was recognised. The schedule is the registry's: ``visits.due_visits`` under these tags, so the
grid worker's list of due visits and the module's agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gridgov.sdk import audit, registry, visits
from gridgov.sdk.caller import Scope, User, path_filter, responsible_worker
from gridgov.sdk.county import clock_of, current_tenant
from gridgov.sdk.errors import Conflict, DomainError, NotFound
from gridgov.sdk.i18n import Localized
from gridgov.sdk.registry import Person, PersonView, TagDefinition
from gridgov_plugins.family_planning import access
from gridgov_plugins.family_planning.access import MODULE
from gridgov_plugins.family_planning.models import Birth, SpecialKind, Target, TargetKind

TAGS: dict[str, TagDefinition] = {
    TargetKind.WOMAN: TagDefinition(
        f"{MODULE}.woman",
        "育龄妇女",
        "Woman of child-bearing age",
        visit_interval_days=90,
        module=MODULE,
    ),
    TargetKind.NEWBORN: TagDefinition(
        f"{MODULE}.newborn",
        "新生儿家庭",
        "Family with a newborn",
        visit_interval_days=30,
        module=MODULE,
    ),
    TargetKind.SPECIAL: TagDefinition(
        f"{MODULE}.special_family",
        "计生特殊家庭",
        "Bereaved or disabled only-child family",
        visit_interval_days=30,
        module=MODULE,
    ),
}
CATALOGUE = {definition.code: definition for definition in TAGS.values()}
KIND_OF_TAG = {definition.code: kind for kind, definition in TAGS.items()}
KIND_LABELS = {
    TargetKind.WOMAN: Localized("育龄妇女", "Woman of child-bearing age"),
    TargetKind.NEWBORN: Localized("新生儿家庭", "Family with a newborn"),
    TargetKind.SPECIAL: Localized("计生特殊家庭", "Special family"),
}
SPECIAL_LABELS = {
    SpecialKind.LOST_ONLY_CHILD: Localized("独生子女死亡", "Lost their only child"),
    SpecialKind.DISABLED_ONLY_CHILD: Localized("独生子女伤残", "Only child disabled"),
}
CHILD_BEARING_AGES = (15, 49)  # 育龄: 15–49 周岁
NEWBORN_DAYS = 365  # a newborn family is followed up monthly during the child's first year
NO_TARGET = Localized("没有这个计生对象", "No such target")


def interval_days(kind: str, settings: Mapping[str, Any]) -> int | None:
    """Days between follow-ups of a target of ``kind``: the county's override of the tag's
    schedule (``registry.visit_intervals.<tag>``, 0 switches it off) or the tag's own."""
    definition = TAGS[TargetKind(kind)]
    overrides = settings.get("registry", {}).get("visit_intervals", {})
    return overrides.get(definition.code, definition.visit_interval_days) or None


@dataclass(frozen=True)
class TargetInput:
    """What the finder says about a target; a special family names its kind and the day it
    was recognised (认定)."""

    person_id: int
    kind: str
    special_kind: str | None = None
    recognised_on: dt.date | None = None
    note: str = ""


def _check_kind(session: Session, person: Person, data: TargetInput) -> None:
    today = clock_of(session).today()
    if data.kind == TargetKind.WOMAN:
        age = PersonView.of(person).age(today)
        low, high = CHILD_BEARING_AGES
        if person.sex != "female" or (age is not None and not low <= age <= high):
            raise DomainError(
                Localized("育龄妇女须为 15–49 周岁的女性", "Must be a woman aged 15 to 49"),
                field="person_id",
            )
    elif data.kind == TargetKind.SPECIAL:
        if data.special_kind not in set(SpecialKind):
            raise DomainError(
                Localized("请选择特殊家庭类别", "Choose the kind of special family"),
                field="special_kind",
            )
        if data.recognised_on is None or data.recognised_on > today:
            raise DomainError(
                Localized("请填写认定日期（不能在将来）", "Give the day it was recognised"),
                field="recognised_on",
            )
    elif data.kind == TargetKind.NEWBORN:
        raise DomainError(
            Localized("新生儿家庭由出生登记产生", "A newborn family comes from a birth record"),
            field="kind",
        )
    else:
        raise DomainError(Localized("类别无效", "Unknown kind"), field="kind")


def register_target(session: Session, actor: User, scope: Scope, data: TargetInput) -> Target:
    """Register a person the actor sees as a target of one kind and tag them, so their
    follow-ups fall due; Conflict if they are one already."""
    person = access.person_named(session, actor, scope, data.person_id, "person_id")
    node = registry.get_node(session, person.node_id)
    access.check_may_keep(session, actor, scope, node)
    _check_kind(session, person, data)
    special = data.kind == TargetKind.SPECIAL
    return add_target(
        session,
        actor,
        person,
        data.kind,
        special_kind=data.special_kind if special else None,
        recognised_on=data.recognised_on if special else None,
        note=(data.note or "").strip()[:2000],
    )


def add_target(
    session: Session,
    actor: User | None,
    person: Person,
    kind: str,
    *,
    special_kind: str | None = None,
    recognised_on: dt.date | None = None,
    note: str = "",
) -> Target:
    """Make ``person`` a target of ``kind`` and tag them (access already checked); Conflict
    if they are one already."""
    found = session.scalar(select(Target).where(Target.person_id == person.id, Target.kind == kind))
    if found is not None:
        raise Conflict(Localized("此人已登记为该类计生对象", "Already a target of this kind"))
    node = registry.get_node(session, person.node_id)
    target = Target(
        person_id=person.id,
        kind=kind,
        household_id=person.household_id,
        node_id=node.id,
        filed_path=node.path,
        special_kind=special_kind,
        recognised_on=recognised_on,
        found_on=clock_of(session).today(),
        found_by_id=actor.id if actor is not None else None,
        note=note,
    )
    session.add(target)
    session.flush()
    registry.tag_person(session, actor, person, TAGS[TargetKind(kind)].code, catalogue=CATALOGUE)
    audit.record(
        session,
        actor,
        "family_planning.target.register",
        "family_planning_target",
        target.id,
        after={"kind": kind, "special_kind": special_kind},
    )
    return target


def get_target(session: Session, target_id: int) -> Target:
    """The current county's target with this id, or NotFound."""
    target = session.get(Target, target_id)
    if target is None:
        raise NotFound(NO_TARGET)
    return target


def visible_target(session: Session, user: User, scope: Scope, target_id: int) -> Target:
    """The target if ``user`` may see it (found in their scope), else NotFound."""
    access.check_may_read(session, user)
    target = get_target(session, target_id)
    access.in_scope(scope, target.filed_path, NO_TARGET)
    return target


def targets(scope: Scope, *, kind: str | None = None, node_path: str | None = None) -> Select[Any]:
    """A SELECT of the targets found in ``scope`` (of ``kind``, under ``node_path``), newest
    first."""
    query = select(Target).where(path_filter(Target.filed_path, scope))
    if kind is not None:
        query = query.where(Target.kind == kind)
    if node_path is not None:
        query = query.where(path_filter(Target.filed_path, Scope(paths=(node_path,))))
    return query.order_by(Target.found_on.desc(), Target.id.desc())


def people_of(session: Session, rows: list[Any]) -> dict[int, PersonView]:
    """The people of these targets, births or entitlements (``person_id`` or ``mother_id``)
    as lists show them, by id: no ID number, no phone."""
    ids = {getattr(row, "person_id", None) or getattr(row, "mother_id", None) for row in rows}
    return registry.person_views(session, {i for i in ids if i is not None})


def count_targets(session: Session, scope: Scope) -> dict[str, int]:
    """The targets found in ``scope``, by kind (every kind present, 0 when none)."""
    rows = session.execute(
        select(Target.kind, func.count(Target.id))
        .where(path_filter(Target.filed_path, scope))
        .group_by(Target.kind)
    ).all()
    counted = {str(kind): 0 for kind in TargetKind}
    counted.update({kind: count for kind, count in rows})
    return counted


# --- follow-ups due ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DueFollowUp:
    """A target whose follow-up is due (``is_overdue``: past the day it fell due), in the
    grid ``node_id`` with its responsible grid worker."""

    target: Target
    person: PersonView
    due_on: dt.date
    is_overdue: bool
    node_id: int
    worker_name: str | None


def due_follow_ups(
    session: Session, user: User, scope: Scope, *, grid_id: int | None = None
) -> list[DueFollowUp]:
    """The targets in ``scope`` (grid ``grid_id`` only, if given) due for a follow-up by today
    under their tag's schedule, the most overdue first; one line per target (a newborn
    family's members share their household's line), none once a newborn's first year is over."""
    access.check_may_read(session, user)
    return due_lines(session, scope, grid_id=grid_id)


def due_lines(session: Session, scope: Scope, *, grid_id: int | None = None) -> list[DueFollowUp]:
    """``due_follow_ups`` without a user: for the figures of a scope."""
    today = clock_of(session).today()
    settings = current_tenant(session).settings or {}
    due = visits.due_visits(session, scope, today=today, tags=list(TAGS.values()), grid_id=grid_id)
    by_person: dict[tuple[int, str], Target] = {}
    by_household: dict[tuple[int, str], Target] = {}
    for target in session.scalars(targets(scope)):
        by_person[(target.person_id, target.kind)] = target
        if target.household_id is not None:
            by_household.setdefault((target.household_id, target.kind), target)
    first_year = _households_in_first_year(session, today)
    lines: dict[int, DueFollowUp] = {}
    workers: dict[int, str | None] = {}
    for item in due:
        kind = KIND_OF_TAG.get(item.tag.code)
        if kind is None:
            continue
        person = item.person
        target = by_person.get((person.id, kind))
        if target is None and person.household_id is not None:
            target = by_household.get((person.household_id, kind))
        if target is None or target.id in lines:
            continue
        if kind == TargetKind.NEWBORN and target.household_id not in first_year:
            continue
        days = interval_days(kind, settings) or 0
        due_on = item.due_on or target.found_on + dt.timedelta(days=days)
        if target.node_id not in workers:
            worker = responsible_worker(session, registry.get_node(session, target.node_id))
            workers[target.node_id] = worker.name if worker is not None else None
        lines[target.id] = DueFollowUp(
            target=target,
            person=PersonView.of(person),
            due_on=min(due_on, today),
            is_overdue=due_on < today,
            node_id=target.node_id,
            worker_name=workers[target.node_id],
        )
    return sorted(lines.values(), key=lambda line: (line.due_on, line.target.id))


def _households_in_first_year(session: Session, today: dt.date) -> set[int]:
    since = today - dt.timedelta(days=NEWBORN_DAYS)
    return set(session.scalars(select(Birth.household_id).where(Birth.born_on > since)))


def end_newborn_years(session: Session, _tenant_id: int) -> None:
    """Take the newborn tag off the members of households whose youngest child is past its
    first year (the periodic job ``family_planning.newborn_year``): their monthly follow-ups
    end; the target and its follow-ups stay on record."""
    today = clock_of(session).today()
    first_year = _households_in_first_year(session, today)
    code = TAGS[TargetKind.NEWBORN].code
    for person in session.scalars(registry.people_query(Scope(everything=True), tag=code)):
        if person.household_id not in first_year:
            registry.untag_person(session, None, person, code)
