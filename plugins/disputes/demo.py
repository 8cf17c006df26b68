"""Fictional disputes for the demo county (长山区): a few in each state of the dispute grid in
城关街道 (the justice office's pilot township), made through the module's own services by the
demo's staff, so that ``make demo`` shows the module at work. Each case happens over the
county's last weeks (its steps a few hours apart, under the core's pinned clock), so the open
ones are past their stage limits when the demo's card sweep runs and the closed ones wait for
their follow-up visits. Idempotent."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.sdk import caller, registry
from gridgov.sdk.caller import Scope, User, scope_of
from gridgov.sdk.county import Tenant, pinned_clock
from gridgov_plugins.disputes import service
from gridgov_plugins.disputes.models import Case

# How many county days ago each demo case began; its steps follow STEP apart.
BEGAN_DAYS_AGO = {"leak": 21, "fee": 16, "family": 12, "wages": 22, "boundary": 26, "noise": 1}
STEP = dt.timedelta(hours=5)

# The demo manifest's staff (tenants/demo.yaml) who play each level of the dispute grid.
WORKERS = ("wg010101", "wg010102", "wg010103")
VOLUNTEER, GROUP_LEADER, AREA_LEADER, OFFICER = "xx0101", "sq0101", "jd01", "bm.sifa"


def add_demo_cases(session: Session, tenant: Tenant) -> list[str]:
    """Report and move the demo disputes once; returns the line the demo prints."""
    existing = session.scalar(select(func.count(Case.id))) or 0
    if existing:
        return [f"  矛盾纠纷调解: {existing} demo disputes"]
    found = (
        caller.get_user_by_username(session, username)
        for username in (*WORKERS, VOLUNTEER, GROUP_LEADER, AREA_LEADER, OFFICER)
    )
    staff = {user.username: user for user in found if user is not None}
    if len(staff) < 7:
        return ["  矛盾纠纷调解: the demo staff are missing, no demo disputes"]
    made = _DemoCases(session, staff, tenant).run()
    return [f"  矛盾纠纷调解: {made} demo disputes in 城关街道 (log in as {OFFICER}, {WORKERS[0]})"]


class _DemoCases:
    def __init__(self, session: Session, staff: dict[str, User], tenant: Tenant) -> None:
        self.session = session
        self.staff = staff
        self.clock = tenant.clock
        self.made = 0
        self.moment = self.clock.now()

    def begin(self, name: str) -> None:
        """The next case begins at 9:00 (county time), BEGAN_DAYS_AGO[name] days ago."""
        day = self.clock.today() - dt.timedelta(days=BEGAN_DAYS_AGO[name])
        self.moment = self.clock.at(day, dt.time(9, 0)) - STEP

    @contextlib.contextmanager
    def next_step(self) -> Iterator[dt.date]:
        """The next step of the case, STEP after the last one (never later than now); yields
        its county day."""
        self.moment = min(self.moment + STEP, self.clock.now())
        with pinned_clock(self.moment):
            yield self.clock.day_of(self.moment)

    def report(self, who: str, grid: str, data: service.CaseInput) -> Case:
        user = self.staff[who]
        node = registry.get_node_by_code(self.session, grid)
        assert node is not None
        self.made += 1
        with self.next_step():
            return service.report_case(self.session, user, scope_of(self.session, user), node, data)

    def step(self, who: str, case: Case, action: str, comment: str = "") -> None:
        user = self.staff[who]
        with self.next_step():
            service.take_step(
                self.session, user, scope_of(self.session, user), case, action, comment
            )

    def close(self, who: str, case: Case, outcome: str, note: str, referral: str | None = None):
        user = self.staff[who]
        with self.next_step():
            service.record_outcome(
                self.session,
                user,
                scope_of(self.session, user),
                case,
                outcome=outcome,
                referral=referral,
                note=note,
            )

    def mediate(self, who: str, case: Case, notes: str, attendees: str) -> None:
        user = self.staff[who]
        with self.next_step() as day:
            service.record_session(
                self.session,
                user,
                case,
                service.SessionInput(
                    held_on=day, mediator=user.name, attendees=attendees, notes=notes
                ),
            )

    def add_party(self, user: User, case: Case, party: service.PartyInput) -> None:
        with self.next_step():
            service.add_party(self.session, user, scope_of(self.session, user), case, party)

    def run(self) -> int:
        applicant, respondent = service.PartyInput, service.PartyInput
        self.begin("leak")
        leak = self.report(
            "wg010101",
            "CS-01-01-01",
            service.CaseInput(
                title="楼上卫生间漏水，楼下住户要求赔偿",
                kind="neighbour",
                description="3号楼 502 卫生间防水层破损，402 天花板渗水，双方为赔偿金额争执。",
                location_text="长山花园 3号楼",
                parties=(
                    applicant("applicant", name="林晓燕", phone="13800001201"),
                    respondent("respondent", name="赵德胜"),
                ),
            ),
        )
        person = self.session.scalars(
            registry.people_query(Scope(everything=True), grid_id=leak_grid(self.session))
        ).first()
        worker = self.staff["wg010101"]
        if person is not None:
            self.add_party(worker, leak, service.PartyInput(role="other", person_id=person.id))
        self.close("wg010101", leak, "resolved", "现场调解：502 自费修复防水层并赔偿 800 元。")
        self.moment += dt.timedelta(days=3)  # the follow-up visit, a few days later
        with self.next_step() as day:
            service.record_follow_up(
                self.session,
                worker,
                scope_of(self.session, worker),
                leak,
                visited_on=day,
                is_kept=True,
                note="防水已修复，赔偿已付清，双方满意。",
            )

        self.begin("fee")
        fee = self.report(
            VOLUNTEER,
            "CS-01-01-02",
            service.CaseInput(
                title="业主拒交物业费，与物业公司争执",
                kind="property",
                finder_name="楼栋长 钱秀英",
                people_involved=6,
                parties=(applicant("applicant", name="长山花园物业服务中心"),),
            ),
        )
        self.step(GROUP_LEADER, fee, "confirm")
        self.mediate(
            GROUP_LEADER, fee, "物业承诺一周内修好电梯，业主同意补交物业费。", "物业经理、6 户业主"
        )
        with self.next_step() as day:
            service.record_agreement(
                self.session,
                self.staff[GROUP_LEADER],
                fee,
                text="物业公司于 7 日内修复 2 号楼电梯；业主于电梯修复后 3 日内补交物业费。",
                signed_on=day,
            )
        self.close(GROUP_LEADER, fee, "resolved", "双方签订调解协议。")

        self.begin("family")
        family = self.report(
            "wg010101",
            "CS-01-01-01",
            service.CaseInput(
                title="老人赡养费分摊，兄弟三人有争议", kind="family", people_involved=4
            ),
        )
        self.step(GROUP_LEADER, family, "confirm")

        self.begin("wages")
        wages = self.report(
            "wg010102",
            "CS-01-01-02",
            service.CaseInput(
                title="装修队拖欠 18 名工人工资",
                kind="labour",
                risk_level="high",
                petition_risk=True,
                people_involved=18,
                description="工人称若月底前拿不到工资将到区政府集体上访。",
            ),
        )
        self.step(GROUP_LEADER, wages, "confirm")
        self.step(GROUP_LEADER, wages, "escalate", "涉及人数多，社区无法协调包工头，报片长研判。")
        area = self.staff[AREA_LEADER]
        with self.next_step():
            service.refer_to_office(
                self.session,
                area,
                scope_of(self.session, area),
                wages,
                "有集体上访苗头，请司法所牵头调解，人社所配合。",
                "high",
            )
        self.mediate(
            OFFICER, wages, "包工头承认欠薪，约定分两期支付。", "包工头、工人代表 3 名、人社所"
        )

        self.begin("boundary")
        boundary = self.report(
            "wg010103",
            "CS-01-01-03",
            service.CaseInput(title="院墙占地边界纠纷", kind="land", risk_level="medium"),
        )
        self.step(GROUP_LEADER, boundary, "confirm")
        self.step(GROUP_LEADER, boundary, "escalate", "双方情绪激烈，需片区研判。")
        with self.next_step():
            service.refer_to_office(
                self.session, area, scope_of(self.session, area), boundary, "交司法所调解", "medium"
            )
        self.mediate(OFFICER, boundary, "双方各执一词，未达成一致。", "双方当事人")
        self.close(OFFICER, boundary, "failed", "引导当事人向区人民法院起诉。", referral="court")

        self.begin("noise")
        self.report(
            VOLUNTEER,
            "CS-01-01-03",
            service.CaseInput(title="广场舞噪声扰民", kind="neighbour", people_involved=12),
        )
        rumour = self.report(
            VOLUNTEER,
            "CS-01-01-02",
            service.CaseInput(title="传言拆迁补偿不公", kind="other"),
        )
        self.step(GROUP_LEADER, rumour, "dismiss", "核实为误传，无实际纠纷。")
        return self.made


def leak_grid(session: Session) -> int | None:
    node = registry.get_node_by_code(session, "CS-01-01-01")
    return node.id if node else None
