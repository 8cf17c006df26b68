"""Demo records of the fire-safety module for the demo county (长山区), so that ``make demo``
shows it at work: grid workers' checklists and the hazards they found at every stage (being
rectified, awaiting the re-check, eliminated on time or late, overdue), a major hazard the
county listed and published, residents' reports at each step, four-abilities checks with a
re-visit due, and fire leaders in some communities.

Everything goes through the module's services and ``gridgov.sdk``, by the staff the manifest gives
each grid; a patrol and the steps of its hazards happen on their own days (under the core's
pinned clock), so the stage clocks, the rectification days and the card sweep agree. Invented
content only; loaded once (a county with patrols is left as it is).
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.sdk import caller, forms, registry, tasks
from gridgov.sdk.caller import Role, Scope, User, scope_of
from gridgov.sdk.county import Tenant, clock_of, pinned_clock
from gridgov.sdk.forms import FieldType
from gridgov.sdk.registry import Node, Person, SiteKind, SiteView
from gridgov_plugins.fire_safety import hazards, inspections
from gridgov_plugins.fire_safety.checklists import (
    ABILITY_FORM_DEFINITION,
    PATROL_FORMS,
    SITE_TYPES,
)
from gridgov_plugins.fire_safety.figures import LEADER, LEADER_TAG, community_level
from gridgov_plugins.fire_safety.models import Hazard, Patrol
from gridgov_plugins.fire_safety.workflow import NAME, REPORT

PATROLLED_GRIDS = 12
EVERYWHERE = Scope(everything=True)
# Mostly recent patrols (their hazards are eliminated on time), some older (late, overdue).
INSPECTED_DAYS_AGO = (1, 2, 3, 4, 5, 6, 10, 15, 25)
SITE_TYPE_OF_KIND = {
    SiteKind.SHOP: "shop",
    SiteKind.SCHOOL: "school",
    SiteKind.MARKET: "market",
    SiteKind.INDIVIDUAL_BUSINESS: "shop",
}
# A 1×1 PNG standing in for a phone photo of a hazard.
PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)
NOTES = {
    "hydrant": "室外消火栓无水，已报自来水公司",
    "extinguisher": "2 具灭火器指针在红区",
    "evacuation": "疏散通道堆放纸箱",
    "exits": "安全出口上锁",
    "wiring": "电动车飞线充电",
    "open_flame": "店内使用明火炉灶",
    "straw": "柴草堆靠墙堆放",
    "flammables": "楼道堆放易燃杂物",
    "billboard": "广告牌遮挡外窗",
    "facilities": "喷淋系统关停",
}
REPORTS = (
    ("火灾隐患举报", "商铺后门被封堵", "商铺后门长期用铁链锁住，里面还住人"),
    ("消防违法行为投诉", "小区消防通道被占", "晚上消防通道停满车辆，消防车进不来"),
    ("火灾隐患举报", "楼道里有人给电动车充电", "3 单元楼道每天晚上拉线充电"),
)


def load(session: Session, tenant: Tenant) -> list[str]:
    """Fill the demo county once; returns the lines ``gridgov demo`` prints."""
    if session.scalar(select(func.count(Patrol.id))):
        return ["  消防安全 fire_safety: demo records already loaded"]
    pick = random.Random(20261124)  # noqa: S311 (demo content, fixed seed: same demo every time)
    every_grid = registry.nodes_at_level(session, EVERYWHERE, tenant.grid_level)
    # Grids spread over the county (the first one is wg010101's), so every level has figures;
    # the demo reports under them, so it takes the nodes themselves.
    grids = [
        registry.get_node(session, grid.id)
        for grid in every_grid[:: max(len(every_grid) // PATROLLED_GRIDS, 1)][:PATROLLED_GRIDS]
    ]
    officer = _user(session, "bm.xiaofang")
    admin = _user(session, "cs.admin")
    made = {"patrols": 0, "reports": 0, "checks": 0, "leaders": 0}
    for index, grid in enumerate(grids):
        worker = caller.responsible_worker(session, grid)
        if worker is None:
            continue
        station = _station_of(session, grid)
        for site_type, site in _places(session, grid):
            days_ago = pick.choice(INSPECTED_DAYS_AGO)
            inspected_at = _inspection_moment(pick, tenant, days_ago)
            with pinned_clock(inspected_at):
                patrol = _patrol(session, pick, worker, grid, site_type, site)
            made["patrols"] += 1
            for hazard, _task in inspections.hazards_of_patrol(session, patrol):
                _progress(session, pick, tenant, hazard, worker, station, inspected_at)
        if index < 4:
            made["checks"] += _ability_checks(session, worker, grid, index)
    if officer is not None and admin is not None and grids:
        _major_hazard(session, officer, admin, grids[min(7, len(grids) - 1)])
        made["reports"] += _reports(session, officer, grids)
    made["leaders"] = _leaders(session, tenant)
    made["hazards"] = session.scalar(select(func.count(Hazard.id))) or 0
    return [
        f"  消防安全 fire_safety: {made['patrols']} patrols, {made['hazards']} hazards, "
        f"{made['reports']} residents' reports, {made['checks']} four-abilities checks, "
        f"{made['leaders']} fire leaders (log in as bm.xiaofang, cs.admin or wg010101: "
        f"menu 🧯 消防安全)"
    ]


def _user(session: Session, username: str) -> User | None:
    return caller.get_user_by_username(session, username)


def _sites_of(session: Session, grid: Node) -> list[SiteView]:
    """The grid's registry sites in the order they were registered."""
    return sorted(registry.sites_at(session, [grid.id]), key=lambda site: site.id)


def _station_of(session: Session, grid: Node) -> User | None:
    if grid.parent_id is None:
        return None
    parent = registry.get_node(session, grid.parent_id)
    return next((u for u in caller.staff_of(session, parent) if u.role == Role.STATION_STAFF), None)


def _places(session: Session, grid: Node) -> list[tuple[str, SiteView | None]]:
    """What a grid worker patrols in the demo: the grid's registry site and a residential
    building of its compound."""
    places: list[tuple[str, SiteView | None]] = [("residential", None)]
    for site in _sites_of(session, grid):
        kind = "key_site" if site.is_key else SITE_TYPE_OF_KIND.get(SiteKind(site.kind), "shop")
        places.append((kind, site))
    return places


def _patrol(
    session: Session,
    pick: random.Random,
    worker: User,
    grid: Node,
    site_type: str,
    site: SiteView | None,
) -> Patrol:
    """One checklist, filled in on the day the clock says."""
    today = clock_of(session).today()
    items = SITE_TYPES[site_type].items
    failing = set(pick.sample(items, k=pick.choice((0, 1, 1, 2))))
    data: dict[str, Any] = {
        "place": site.name if site else f"{grid.name}示例小区 1 号楼",
        "inspected_on": today.isoformat(),
    }
    if "extinguisher" in items:
        data["extinguisher_count"] = pick.randint(2, 12)
        data["extinguisher_expiry"] = (today + dt.timedelta(days=pick.randint(30, 700))).isoformat()
    for code in items:
        data[f"{code}_ok"] = code not in failing
        if code in failing:
            data[f"{code}_grade"] = "general"
            data[f"{code}_note"] = NOTES[code]
            data[f"{code}_photo"] = forms.store_upload(
                session, worker, FieldType.PHOTO, name="隐患.png", data=PHOTO, field=code
            ).id
            if code == "hydrant":
                data["hydrant_problems"] = ["dry"]
            if code == "extinguisher":
                data["extinguisher_problems"] = ["no_pressure"]
    form = PATROL_FORMS[SITE_TYPES[site_type].form_code]
    submission = forms.submit_form(session, worker, form, module=NAME, node=grid, data=data)
    return inspections.process_patrol(session, submission, site=site)


def _inspection_moment(pick: random.Random, tenant: Tenant, days_ago: int) -> dt.datetime:
    """A moment of the working day ``days_ago`` county days ago (never later than now)."""
    clock = tenant.clock
    day = clock.today() - dt.timedelta(days=days_ago)
    moment = clock.at(day, dt.time(9, 0)) + dt.timedelta(minutes=pick.randint(0, 7 * 60))
    return min(moment, clock.now() - dt.timedelta(minutes=30))


def _progress(
    session: Session,
    pick: random.Random,
    tenant: Tenant,
    hazard: Any,
    worker: User,
    station: User | None,
    inspected_at: dt.datetime,
) -> None:
    """Move a demo hazard along, some days after the patrol found it: some wait, some wait for
    the re-check, most are eliminated (re-checked by the community's station the next day)."""
    steps = pick.choice(((), ("rectify",), ("rectify", "pass"), ("rectify", "pass")))
    if station is None:
        steps = steps[:1]
    task = hazards.task_of(session, hazard)
    now = tenant.clock.now()
    waited = now - inspected_at
    moment = inspected_at + waited * pick.uniform(0.2, 0.6)
    for action in steps:
        actor = worker if action == "rectify" else station
        comment = "已清理整改，附整改后照片" if action == "rectify" else "现场复查合格"
        with pinned_clock(min(moment, now - dt.timedelta(minutes=10))):
            task = tasks.transition(
                session, actor, scope_of(session, actor), task, action, tasks.Move(comment=comment)
            )
        moment += waited * pick.uniform(0.05, 0.3)


def _major_hazard(session: Session, officer: User, admin: User, grid: Node) -> None:
    """The brigade finds a major hazard; it goes up to the county, which lists and publishes
    it (挂牌督办、向社会公告)."""
    site = next(iter(_sites_of(session, grid)), None)
    hazard = hazards.record_hazard(
        session,
        officer,
        scope_of(session, officer),
        grid,
        hazards.HazardInput(
            place=site.name if site else f"{grid.name}示例市场",
            item="facilities",
            grade="major",
            description="自动喷水灭火系统长期关停，消防控制室无人值班（示例）",
            site_id=site.id if site else None,
            site_type="key_site",
        ),
    )
    task = hazards.task_of(session, hazard)
    scope = scope_of(session, admin)
    if not task.is_supervised:  # the county decides each listing itself (auto_list_major off)
        tasks.transition(
            session,
            admin,
            scope,
            task,
            "list",
            tasks.Move(comment="区政府挂牌督办，限期整改（示例）"),
        )
    hazards.publish_hazard(session, admin, scope, hazard)


def _reports(session: Session, officer: User, grids: list[Node]) -> int:
    """Residents' reports (举报投诉) at three stages: answered with a reward, answered as not
    confirmed, and just received."""
    paths = (
        [
            ("investigate", ""),
            ("confirm", "经查属实，已责令商户当场拆除铁链"),
            ("reward", "奖励举报人 200 元（示例）"),
            ("answer", "感谢举报，隐患已整改，奖励已发放"),
        ],
        [("investigate", ""), ("dismiss", "夜间复查未发现占用"), ("answer", "已核查，将持续巡查")],
        [],
    )
    scope = scope_of(session, officer)
    for (category, title, description), path, grid in zip(REPORTS, paths, grids, strict=False):
        task = tasks.report_as_resident(
            session,
            grid,
            tasks.Report(
                task_type=REPORT,
                category=category,
                title=title,
                description=description,
                track="coordinate",
            ),
        )
        for action, comment in path:
            task = tasks.transition(
                session, officer, scope, task, action, tasks.Move(comment=comment)
            )
        if path and path[1][0] == "confirm":
            hazards.record_hazard(
                session,
                officer,
                scope,
                grid,
                hazards.HazardInput(
                    place=f"{grid.name}示例商铺",
                    item="exits",
                    grade="general",
                    description=description,
                    report_task_id=task.id,
                ),
            )
    return len(REPORTS)


def _ability_checks(session: Session, worker: User, grid: Node, index: int) -> int:
    """Four-abilities checks of the grid's site: passed long ago (its re-visit due), passed
    and re-visited, or failed."""
    site = next(iter(_sites_of(session, grid)), None)
    if site is None:
        return 0
    today = clock_of(session).today()
    history = {0: [(200, True)], 1: [(150, True), (10, True)], 2: [(20, False)], 3: [(30, True)]}
    for days_ago, passed in history[index]:
        data: dict[str, Any] = {
            "place": site.name,
            "checked_on": (today - dt.timedelta(days=days_ago)).isoformat(),
            "eliminate": True,
            "extinguish": passed,
            "evacuate": True,
            "educate": True,
            "facilities": True,
            "notes": "已指导完善微型消防站配置" if passed else "员工不会使用灭火器，需再培训",
        }
        submission = forms.submit_form(
            session, worker, ABILITY_FORM_DEFINITION, module=NAME, node=grid, data=data
        )
        inspections.process_ability_check(session, submission, site=site)
    return len(history[index])


def _leaders(session: Session, tenant: Tenant) -> int:
    """One fire leader in five of the communities (the 1 % target is met in those only)."""
    communities = registry.nodes_at_level(
        session, EVERYWHERE, community_level(tenant.grid_level), limit=5
    )
    tagged = 0
    for community in communities:
        person = session.scalar(
            registry.people_query(Scope(paths=(community.path,)))
            .order_by(None)
            .order_by(Person.id)
            .limit(1)
        )
        if person is not None:
            registry.tag_person(session, None, person, LEADER_TAG, catalogue={LEADER_TAG: LEADER})
            tagged += 1
    return tagged
