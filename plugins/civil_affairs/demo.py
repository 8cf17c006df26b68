"""Fictional care records for the demo county (长山区): the people the demo registry tagged as
empty-nest elderly, disabled, in hardship or left-behind children get the module's details,
visits by their grid workers (some on time, some late, some never made, so that due and
overdue lists and the station's alerts show), assistance, and errands in each state — made
through the module's own services by the demo's staff, under the core's pinned clock.
Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.sdk import registry
from gridgov.sdk.caller import Scope, User, responsible_worker, scope_of
from gridgov.sdk.county import Tenant, pinned_clock
from gridgov.sdk.registry import Person, get_node
from gridgov_plugins.civil_affairs import service
from gridgov_plugins.civil_affairs.models import CareRecord

PEOPLE = 40  # the first people in care (by name) of grids with a worker get records
ALLOWANCE_REVIEW_DAYS = 60


def add_demo_records(session: Session, tenant: Tenant) -> list[str]:
    """Fill the module's records once; returns the line the demo prints."""
    existing = session.scalar(select(func.count(CareRecord.id))) or 0
    if existing:
        return [f"  民政特殊人群关爱: {existing} demo care records"]
    made = _DemoCare(session, tenant).run()
    return [f"  民政特殊人群关爱: {made} demo care records (log in as bm.minzheng, wg010101)"]


class _DemoCare:
    def __init__(self, session: Session, tenant: Tenant) -> None:
        self.session = session
        self.clock = tenant.clock
        self.today = self.clock.today()

    def at(self, days_ago: int, hour: int = 10) -> dt.datetime:
        return min(
            self.clock.at(self.today - dt.timedelta(days=days_ago), dt.time(hour, 0)),
            self.clock.now(),
        )

    def people(self) -> list[tuple[Person, User]]:
        query = registry.people_query(Scope(everything=True)).where(service.care_filter())
        found: list[tuple[Person, User]] = []
        for person in self.session.scalars(query):
            worker = responsible_worker(self.session, get_node(self.session, person.node_id))
            if worker is not None and person.household_id is not None:
                found.append((person, worker))
            if len(found) >= PEOPLE:
                break
        return found

    def run(self) -> int:
        made = 0
        for n, (person, worker) in enumerate(self.people()):
            scope = scope_of(self.session, worker)
            tags = service.care_tags(person)
            with pinned_clock(self.at(40)):
                service.save_record(self.session, worker, scope, person, self.details(n, tags))
            made += 1
            # A third visited a week ago (on time), a third 45 days ago (overdue now),
            # the rest never (overdue: the station is told).
            if n % 3 != 2:
                days_ago = 7 if n % 3 == 0 else 45
                with pinned_clock(self.at(days_ago)):
                    service.record_care_visit(
                        self.session,
                        worker,
                        scope,
                        person,
                        service.VisitInput(
                            visited_on=self.today - dt.timedelta(days=days_ago),
                            condition=("good", "fair", "poor")[n % 3],
                            needs=("", "希望协助申请临时救助", "行动不便，需代办医保报销")[n % 3],
                            follow_up="" if n % 3 == 0 else "下周再次上门了解情况",
                            needs_follow_up=n % 3 != 0,
                        ),
                    )
            if n % 4 == 0:
                with pinned_clock(self.at(20)):
                    service.record_assistance(
                        self.session,
                        worker,
                        scope,
                        person,
                        service.AssistanceInput(
                            kind=("money", "goods", "service")[n % 3],
                            what=("临时救助金", "大米 2 袋、食用油 1 桶", "上门理发、打扫卫生")[
                                n % 3
                            ],
                            amount=Decimal("500.00") if n % 3 == 0 else None,
                            quantity=3 if n % 3 == 1 else None,
                            given_on=self.today - dt.timedelta(days=20),
                            given_by="长山区民政局",
                            to_household=n % 3 == 1,
                        ),
                    )
            if n % 5 == 0:
                self.errand(person, worker, n // 5)
        return made

    def details(self, n: int, tags: list[str]) -> service.RecordInput:
        if "disabled" in tags:
            categories = ("vision", "hearing", "physical", "intellectual", "mental", "multiple")
            return service.RecordInput(
                disability_category=categories[n % len(categories)],
                disability_level=str(n % 4 + 1),
                note="持有残疾人证",
            )
        if "hardship" in tags:
            return service.RecordInput(
                allowance_status="receiving",
                allowance_review_on=self.today + dt.timedelta(days=ALLOWANCE_REVIEW_DAYS - n),
                illness="慢性肾病" if n % 2 else "",
            )
        return service.RecordInput(note="子女在外地务工，每周电话联系")

    def errand(self, person: Person, worker: User, which: int) -> None:
        """Errands in each state: requested, being run, done, confirmed, cancelled."""
        scope = scope_of(self.session, worker)
        kinds = ("pension", "medical", "allowance", "disability_card", "certificate")
        titles = (
            "养老金资格认证",
            "代办医保报销",
            "代交低保复核材料",
            "代办残疾人证换证",
            "开具居住证明",
        )
        state = which % 5
        with pinned_clock(self.at(10 - state, 9)):
            errand = service.request_errand(
                self.session,
                worker,
                scope,
                person,
                service.ErrandInput(kind=kinds[state], title=titles[state]),
            )
        steps: list[tuple[str, str, str | None]] = []
        if state >= 1 and state != 4:
            steps.append(("accept", "", None))
        if state in (2, 3):
            steps.append(("done", "已代为办理完毕，材料已送回居民家中", None))
        if state == 3:
            steps.append(("confirm", "居民电话确认已办好", "satisfied"))
        if state == 4:
            steps.append(("cancel", "居民家属已自行办理", None))
        for hour, (action, comment, rating) in enumerate(steps, start=11):
            with pinned_clock(self.at(10 - state, hour)):
                service.take_errand_step(
                    self.session, worker, scope, errand, action, comment, rating
                )
