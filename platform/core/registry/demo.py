"""Demo registry for a demo county: a few dwellings, households, invented residents (valid but
fictional ID numbers, names containing 示例, 170 phone numbers), tags, a rental and sites in
each grid. Loaded once: a county that already has people is left as it is."""

from __future__ import annotations

import datetime as dt
import itertools

from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.core.db import tenant_scope
from gridgov.core.hierarchy.models import Node
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Person, SiteKind
from gridgov.core.registry.service import PersonInput
from gridgov.core.registry.synthetic import people
from gridgov.core.tenancy.models import Tenant

DWELLINGS_PER_GRID = 3
RELATIONS = ("head", "spouse", "child", "parent")
# Every third household gets one of these tags on its eldest member, so due visits show up.
DEMO_TAGS = ("empty_nest_elderly", "disabled", "hardship", "left_behind_child")
SITES = (
    (SiteKind.SHOP, "商铺"),
    (SiteKind.SCHOOL, "小学"),
    (SiteKind.MARKET, "农贸市场"),
    (SiteKind.INDIVIDUAL_BUSINESS, "个体工商户"),
)


def load_demo_registry(session: Session, tenant: Tenant) -> int:
    """Fill the county's grids with demo people and places; returns how many people were made
    (0 when the county already had some)."""
    with tenant_scope(session, tenant.id):
        return _load(session, tenant)


def _load(session: Session, tenant: Tenant) -> int:
    if session.scalar(select(func.count()).select_from(Person)):
        return 0
    grids = session.scalars(
        select(Node)
        .where(Node.level == tenant.grid_level, Node.retired_at.is_(None))
        .order_by(Node.code)
    ).all()
    residents = people(len(grids) * DWELLINGS_PER_GRID * len(RELATIONS), seed=tenant.id)
    tags = itertools.cycle(DEMO_TAGS)
    made = 0
    for g, grid in enumerate(grids):
        for d in range(DWELLINGS_PER_GRID):
            dwelling = registry.create_dwelling(
                session,
                tenant,
                None,
                grid=grid,
                address=f"{grid.name}示例小区 {d + 1} 号楼",
                unit="1单元",
                number=f"{d + 1}01",
                is_rental=d == 2,
            )
            household = registry.create_household(
                session, None, dwelling=dwelling, number=f"{g:02d}{d}"
            )
            members = []
            for relation in RELATIONS:
                resident = next(residents)
                members.append(
                    registry.create_person(
                        session,
                        tenant,
                        None,
                        PersonInput(
                            name=resident.name,
                            id_number=resident.id_number,
                            phone=resident.phone,
                            relation=relation,
                            residence_type="floating" if d == 2 else "registered",
                        ),
                        household=household,
                    )
                )
                made += 1
            if d == 0:
                eldest = min(members, key=lambda p: p.birth_date or dt.date.max)
                registry.tag_person(session, None, eldest, next(tags))
            if d == 2:
                registry.create_rental(
                    session,
                    None,
                    dwelling=dwelling,
                    landlord=members[0],
                    occupants=members[1:],
                    starts_on=dt.date(2026, 1, 1),
                    ends_on=dt.date(2026, 12, 31),
                )
        kind, label = SITES[g % len(SITES)]
        is_key = g % 5 == 0
        latitude, longitude = _inside(grid)
        registry.create_site(
            session,
            tenant,
            None,
            grid=grid,
            name=f"{grid.name}示例{label}",
            kind=kind,
            contact_name="示例联系人",
            contact_phone=f"170{g:08d}",
            is_key=is_key,
            latitude=latitude,
            longitude=longitude,
        )
    return made


def _inside(grid: Node) -> tuple[float | None, float | None]:
    """A point inside the grid's boundary (the site's position on the map), or none."""
    if grid.boundary is None:
        return None, None
    point = shape(grid.boundary).representative_point()
    return round(point.y, 6), round(point.x, 6)
