"""Test data builders. Nodes and users are made through the services (paths, history and the
one-worker-per-grid rule live there), so factories build what production code would."""

from __future__ import annotations

from dataclasses import dataclass, field

import factory
from sqlalchemy.orm import Session

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role, User
from gridgov.core.db import db_session, set_tenant
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant

PASSWORD = "Grid-Test-2026"


class TenantFactory(factory.Factory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"county-{n}")
    name = factory.Sequence(lambda n: f"测试县{n}")
    level_names = factory.LazyFunction(lambda: ["县", "乡镇", "社区", "网格"])

    @classmethod
    def _create(cls, model_class: type[Tenant], **kwargs: object) -> Tenant:
        return tenancy.create_tenant(db_session(), None, **kwargs)  # type: ignore[arg-type]


class UserFactory(factory.Factory):
    """A user of the session's current tenant; pass ``nodes=[...]`` to assign them."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"职员{n}")
    role = Role.GRID_WORKER.value
    password = PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], nodes: list[Node] = (), **kwargs: object) -> User:
        session = db_session()
        user = accounts.create_user(session, None, **kwargs)  # type: ignore[arg-type]
        user.must_change_password = False  # staff who chose their password long ago
        tenant = tenancy.current_tenant(session)
        for node in nodes:
            accounts.assign(session, None, tenant, user, node)
        return user


@dataclass
class County:
    """A small county: 1 top node, ``townships`` × ``communities`` × ``grids`` below, a user per
    role (county admin; staff of township 0 / community 0-0; worker of each grid) and a
    department serving the whole county, with no officers yet."""

    tenant: Tenant
    top: Node
    townships: list[Node] = field(default_factory=list)
    communities: list[Node] = field(default_factory=list)
    grids: list[Node] = field(default_factory=list)
    admin: User | None = None
    township_staff: User | None = None
    station_staff: User | None = None
    supervisor: User | None = None
    workers: list[User] = field(default_factory=list)
    volunteer: User | None = None
    auditor: User | None = None
    department: Department | None = None


def build_county(
    session: Session,
    slug: str = "changshan",
    *,
    townships: int = 2,
    communities: int = 2,
    grids: int = 2,
) -> County:
    """Create a 4-level county and leave the session scoped to it."""
    tenant = TenantFactory(slug=slug, name=f"{slug}县")
    set_tenant(session, tenant.id)
    prefix = slug[:3].upper()
    top = hierarchy.create_node(
        session, tenant, None, parent=None, code=f"{prefix}", name=f"{slug}县"
    )
    county = County(tenant=tenant, top=top)
    for t in range(townships):
        town = hierarchy.create_node(
            session, tenant, None, parent=top, code=f"{prefix}-T{t}", name=f"{slug}第{t}镇"
        )
        county.townships.append(town)
        for c in range(communities):
            comm = hierarchy.create_node(
                session,
                tenant,
                None,
                parent=town,
                code=f"{prefix}-T{t}C{c}",
                name=f"第{t}镇第{c}社区",
            )
            county.communities.append(comm)
            for g in range(grids):
                county.grids.append(
                    hierarchy.create_node(
                        session,
                        tenant,
                        None,
                        parent=comm,
                        code=f"{prefix}-T{t}C{c}G{g}",
                        name=f"第{t}镇第{c}社区第{g}网格",
                    )
                )
    county.admin = UserFactory(username=f"{slug}-admin", role=Role.COUNTY_ADMIN.value)
    county.auditor = UserFactory(username=f"{slug}-audit", role=Role.AUDIT_ADMIN.value)
    county.security = UserFactory(username=f"{slug}-security", role=Role.SECURITY_ADMIN.value)
    county.township_staff = UserFactory(
        username=f"{slug}-town", role=Role.TOWNSHIP_STAFF.value, nodes=[county.townships[0]]
    )
    county.station_staff = UserFactory(
        username=f"{slug}-station", role=Role.STATION_STAFF.value, nodes=[county.communities[0]]
    )
    county.supervisor = UserFactory(
        username=f"{slug}-super", role=Role.SUPERVISOR.value, nodes=county.grids[:2]
    )
    county.volunteer = UserFactory(
        username=f"{slug}-vol", role=Role.VOLUNTEER.value, nodes=[county.communities[0]]
    )
    for i, grid in enumerate(county.grids):
        county.workers.append(
            UserFactory(username=f"{slug}-w{i}", role=Role.GRID_WORKER.value, nodes=[grid])
        )
    county.department = departments.create_department(
        session, None, code=f"{prefix}-XF", name=f"{slug}消防救援大队", node=top
    )
    session.flush()
    return county
