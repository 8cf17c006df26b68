"""Fictional family-planning records for the demo county (长山区), in 城关街道 only (the
office's pilot township): women of child-bearing age, two special families, a birth making a
newborn family, follow-ups on time and late, some due and overdue, and entitlements in every
state — made through the module's services by the demo's staff, back-dated under the core's
pinned clock. Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.sdk import caller, county, registry
from gridgov.sdk.caller import User, scope_of
from gridgov.sdk.county import Tenant, pinned_clock
from gridgov.sdk.registry import PersonView
from gridgov_plugins.family_planning import births, entitlements, follow_ups, targets
from gridgov_plugins.family_planning.models import Scheme, SpecialKind, Target, TargetKind

WORKERS = ("wg010101", "wg010102", "wg010103")
STATION, TOWNSHIP, OFFICER = "sq0101", "jd01", "bm.jisheng"
TITLE = "  计划生育"


def load(session: Session, tenant: Tenant) -> list[str]:
    """Make the demo records once; returns the line the demo prints."""
    existing = session.scalar(select(func.count(Target.id))) or 0
    if existing:
        return [f"{TITLE}: already loaded ({existing} demo targets)"]
    found = (
        caller.get_user_by_username(session, name)
        for name in (*WORKERS, STATION, TOWNSHIP, OFFICER)
    )
    staff = {user.username: user for user in found if user is not None}
    if len(staff) < 6:
        return [f"{TITLE}: the demo staff are missing, no demo records"]
    made = _Demo(session, tenant, staff).run()
    return [f"{TITLE}: {made} demo targets in 城关街道 (log in as {OFFICER}, {WORKERS[0]})"]


class _Demo:
    def __init__(self, session: Session, tenant: Tenant, staff: dict[str, User]) -> None:
        self.session = session
        self.clock = tenant.clock
        self.today = self.clock.today()
        self.staff = staff

    def at(self, days_ago: int) -> pinned_clock:
        return pinned_clock(self.clock.at(self.today - dt.timedelta(days=days_ago), dt.time(10)))

    def people(self, worker: str) -> list[PersonView]:
        user = self.staff[worker]
        query = registry.people_query(scope_of(self.session, user)).limit(40)
        return [PersonView.of(person) for person in self.session.scalars(query)]

    def target(self, worker: str, person: PersonView, kind: str, days_ago: int, **extra) -> Target:
        user = self.staff[worker]
        with self.at(days_ago):
            made = targets.register_target(
                self.session,
                user,
                scope_of(self.session, user),
                targets.TargetInput(person_id=person.id, kind=kind, **extra),
            )
            made.found_on = self.today - dt.timedelta(days=days_ago)
            return made

    def follow_up(self, worker: str, target: Target, days_ago: int, condition: str, notes: str):
        user = self.staff[worker]
        node = registry.get_node(self.session, target.node_id)
        day = self.today - dt.timedelta(days=days_ago)
        with self.at(days_ago):
            form = county.open_form(follow_ups.FORM_CODE, node)
            data = {
                "visited_on": day.isoformat(),
                "met_in_person": True,
                "condition": condition,
                "notes": notes,
                "services": ["policy"],
            }
            if condition == "hardship":
                data["needs"] = "希望协助申请扶助金"
            follow_ups.file_follow_up(
                self.session, user, scope_of(self.session, user), target, form, data
            )

    def run(self) -> int:
        made: list[Target] = []
        women: list[tuple[str, PersonView]] = []
        elders: list[tuple[str, PersonView]] = []
        for worker in WORKERS:
            for person in self.people(worker):
                age = person.age(self.today)
                if person.sex == "female" and age is not None and 20 <= age <= 45:
                    women.append((worker, person))
                elif age is not None and age >= 60:
                    elders.append((worker, person))
        used: set[int] = set()
        # Women of child-bearing age: one followed up on time, one late, one overdue now.
        plan = ((120, "on_time"), (100, "late"), (95, None), (20, None))
        for (worker, person), (days_ago, visit) in zip(women, plan, strict=False):
            target = self.target(worker, person, TargetKind.WOMAN.value, days_ago)
            made.append(target)
            used.add(person.id)
            if visit == "on_time":
                self.follow_up(worker, target, 40, "good", "本人在家，身体健康，已宣传生育政策")
            elif visit == "late":
                self.follow_up(worker, target, 2, "attention", "本人外出务工刚回，补做随访")
        # A birth to the first woman's household: a newborn family, due monthly.
        if women:
            worker, mother = women[0]
            user = self.staff[worker]
            with self.at(12):
                births.register_birth(
                    self.session,
                    user,
                    scope_of(self.session, user),
                    births.BirthInput(
                        mother_id=mother.id,
                        child_name="示例宝宝",
                        sex="female",
                        born_on=self.today - dt.timedelta(days=15),
                        place_of_birth="长山区妇幼保健院",
                        certificate_number="R150100123",
                    ),
                )
        # Two special families, each due a 特别扶助; one followed up.
        kinds = (SpecialKind.LOST_ONLY_CHILD, SpecialKind.DISABLED_ONLY_CHILD)
        specials = [(w, p) for w, p in elders if p.id not in used][:2]
        for (worker, person), special_kind in zip(specials, kinds, strict=False):
            target = self.target(
                worker,
                person,
                TargetKind.SPECIAL.value,
                60,
                special_kind=special_kind.value,
                recognised_on=self.today - dt.timedelta(days=900),
            )
            made.append(target)
            used.add(person.id)
            if special_kind == SpecialKind.LOST_ONLY_CHILD:
                self.follow_up(worker, target, 10, "hardship", "老两口独居，情绪低落，需心理慰藉")
        self.entitlements(specials, [(w, p) for w, p in elders if p.id not in used])
        return len(made)

    def entitlements(
        self, specials: list[tuple[str, PersonView]], elders: list[tuple[str, PersonView]]
    ) -> None:
        """One application in each state: applied, checked, approved (unpaid: overdue past
        the payment date), paid, refused."""
        township, office = self.staff[TOWNSHIP], self.staff[OFFICER]
        session = self.session

        def apply(worker: str, person: PersonView, scheme: str, days_ago: int, year: int):
            user = self.staff[worker]
            with self.at(days_ago):
                return entitlements.apply_for(
                    session,
                    user,
                    scope_of(session, user),
                    entitlements.ApplicationInput(person_id=person.id, scheme=scheme, year=year),
                )

        def step(user: User, days_ago: int, run) -> None:
            with self.at(days_ago):
                run(session, user, scope_of(session, user))

        year = self.today.year
        if specials:
            worker, person = specials[0]
            paid = apply(worker, person, Scheme.SPECIAL.value, 200, year)
            step(township, 190, lambda s, u, sc: entitlements.check(s, u, sc, paid))
            step(office, 180, lambda s, u, sc: entitlements.approve(s, u, sc, paid))
            step(
                office,
                170,
                lambda s, u, sc: entitlements.record_payment(
                    s,
                    u,
                    sc,
                    paid,
                    amount=Decimal("7080"),
                    paid_on=self.today - dt.timedelta(days=170),
                ),
            )
        states = ("approved", "checked", "applied", "refused")
        for (worker, person), state in zip(elders, states, strict=False):
            made = apply(worker, person, Scheme.REWARD.value, 60, year)
            if state in ("checked", "approved"):
                step(township, 50, lambda s, u, sc, e=made: entitlements.check(s, u, sc, e))
            if state == "approved":
                step(office, 40, lambda s, u, sc, e=made: entitlements.approve(s, u, sc, e))
            if state == "refused":
                step(
                    township,
                    50,
                    lambda s, u, sc, e=made: entitlements.refuse(
                        s, u, sc, e, "子女数不符合奖励扶助条件"
                    ),
                )
