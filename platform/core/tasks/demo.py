"""Demo tasks for the demo county (长山区), so ``make demo`` shows lists, cards and dashboards.

Every task is made through the service, by the staff the manifest gives each grid, so the log,
deadlines and counters are exactly what real use would produce. Invented content only.
"""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import tenant_scope
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import service as tasks
from gridgov.core.tasks.models import Task
from gridgov.core.tenancy.models import Tenant

DEMO_TENANT = "demo"
DEMO_TASKS = 160

EXAMPLES = [
    ("民生事项", "路灯不亮", "小区 3 号楼前路灯连续三晚不亮"),
    ("民生事项", "下水道堵塞", "单元门口污水外溢"),
    ("社情民意", "居民反映停车难", "晚间车辆占用消防通道"),
    ("特殊人群服务", "独居老人需要代办", "王大爷腿脚不便，需代办医保报销"),
    ("矛盾纠纷", "邻里漏水纠纷", "楼上卫生间漏水，双方协商未果"),
    ("突发事项", "电动车楼道充电起火隐患", "楼道内飞线充电"),
    ("治安防控", "夜间可疑人员", "巡查发现夜间有人撬车锁"),
]

# The paths a demo task may go down: each step is (who, action, comment).
PATHS = [
    [],
    [("worker", "resolve", "现场处置完毕")],
    [("worker", "resolve", "现场处置完毕"), ("worker", "revisit", "电话回访")],
    [("worker", "escalate", "需社区协调"), ("station", "accept", "")],
    [
        ("worker", "escalate", "需社区协调"),
        ("station", "accept", ""),
        ("station", "dispatch", ""),
    ],
    [
        ("worker", "escalate", "需社区协调"),
        ("station", "accept", ""),
        ("station", "dispatch", ""),
        ("worker", "handle", "已协调物业处理"),
        ("station", "close", ""),
    ],
]


def add_demo_tasks(session: Session, tenants: list[Tenant]) -> int:
    """Give the demo county its demo tasks once (a second run adds none); returns how many."""
    made = 0
    for tenant in tenants:
        if tenant.slug != DEMO_TENANT:
            continue
        with tenant_scope(session, tenant.id):
            if session.scalar(select(func.count(Task.id))):
                continue
            made += _fill(session, tenant)
    return made


def _fill(session: Session, tenant: Tenant) -> int:
    pick = random.Random(20261124)  # noqa: S311 (demo content, fixed seed: same demo every time)
    grids = list(
        session.scalars(
            select(Node)
            .where(Node.level == tenant.grid_level, Node.retired_at.is_(None))
            .order_by(Node.code)
        )
    )
    made = 0
    for _ in range(DEMO_TASKS):
        grid = pick.choice(grids)
        worker = accounts.responsible_worker(session, grid)
        station = _station_of(session, grid)
        if worker is None or station is None:
            continue
        category, title, description = pick.choice(EXAMPLES)
        track = "emergency" if category == "突发事项" else pick.choice(["general", "coordinate"])
        task, _created = tasks.report_task(
            session,
            worker,
            grid,
            tasks.Report(category=category, title=title, description=description, track=track),
        )
        people = {"worker": worker, "station": station}
        for who, action, comment in pick.choice(PATHS):
            actor = people[who]
            move = tasks.Move(comment=comment or "同意", target_node=grid)
            try:
                task = tasks.transition(
                    session, actor, scope_of(session, actor), task, action, move
                )
            except DomainError:
                break  # e.g. an emergency cannot be resolved on the spot: it stays where it is
        made += 1
    session.flush()
    return made


def _station_of(session: Session, grid: Node) -> User | None:
    if grid.parent_id is None:
        return None
    parent = session.get(Node, grid.parent_id)
    assert parent is not None
    staff = [u for u in accounts.staff_of(session, parent) if u.role == Role.STATION_STAFF]
    return staff[0] if staff else None
