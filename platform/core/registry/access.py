"""Who may see and change the registry: the access rules the API and the portal both apply.

Reading follows the user's scope: a record filed under a grid outside it is NotFound, like
another county's. Staff who work with residents (county, township, station, grid workers)
change records in their scope; supervisors and department officers read; volunteers and the
audit administrator (三员分立) have no access to residents' records. Imports are for county
administrators and township staff (rows are checked against their scope).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridgov.core.accounts import access as accounts_access
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import (
    Building,
    Compound,
    Dwelling,
    Household,
    Person,
    Rental,
    Site,
)

EDITOR_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.STATION_STAFF, Role.GRID_WORKER}
)
READER_ROLES = EDITOR_ROLES | {Role.SUPERVISOR, Role.DEPARTMENT_OFFICER}
IMPORTER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})


def may_read(user: User) -> bool:
    return user.role in READER_ROLES


def may_edit(user: User) -> bool:
    return user.role in EDITOR_ROLES


def may_import(user: User) -> bool:
    return user.role in IMPORTER_ROLES


def check_may_read(user: User) -> None:
    """Volunteers and the audit administrator do not see residents' records."""
    if not may_read(user):
        raise Forbidden(_("你的角色不能查看人口和房屋信息"))


def check_may_edit(user: User) -> None:
    """Only staff working with residents change the registry."""
    if not may_edit(user):
        raise Forbidden(_("你的角色不能修改人口和房屋信息"))


def check_may_import(user: User) -> None:
    """Imports are for county administrators and township staff."""
    if not may_import(user):
        raise Forbidden(_("只有县级管理员和乡镇（街道）工作人员可以导入数据"))


def _check_in_scope(
    session: Session, user: User, scope: Scope, node_id: int, message: object
) -> None:
    check_may_read(user)
    if not registry.in_scope(session, scope, node_id):
        raise NotFound(message)


def visible_person(session: Session, user: User, scope: Scope, person_id: int) -> Person:
    """The person if ``user`` may see them, else NotFound (Forbidden for roles that see none)."""
    person = registry.get_person(session, person_id)
    _check_in_scope(session, user, scope, person.node_id, _("没有这个人员"))
    return person


def visible_dwelling(session: Session, user: User, scope: Scope, dwelling_id: int) -> Dwelling:
    """The dwelling if ``user`` may see it, else NotFound."""
    dwelling = registry.get_dwelling(session, dwelling_id)
    _check_in_scope(session, user, scope, dwelling.node_id, _("没有这处房屋"))
    return dwelling


def visible_household(session: Session, user: User, scope: Scope, household_id: int) -> Household:
    """The household if ``user`` may see it, else NotFound."""
    household = registry.get_household(session, household_id)
    _check_in_scope(session, user, scope, household.node_id, _("没有这一户"))
    return household


def visible_site(session: Session, user: User, scope: Scope, site_id: int) -> Site:
    """The site if ``user`` may see it, else NotFound."""
    site = registry.get_site(session, site_id)
    _check_in_scope(session, user, scope, site.node_id, _("没有这个单位场所"))
    return site


def visible_compound(session: Session, user: User, scope: Scope, compound_id: int) -> Compound:
    """The compound if ``user`` may see it (filed in or above their scope), else NotFound."""
    check_may_read(user)
    compound = registry.get_compound(session, compound_id)
    if not registry.place_in_scope(session, scope, compound.node_id):
        raise NotFound(_("没有这个小区"))
    return compound


def visible_building(session: Session, user: User, scope: Scope, building_id: int) -> Building:
    """The building if ``user`` may see it (filed in or above their scope), else NotFound."""
    check_may_read(user)
    building = registry.get_building(session, building_id)
    if not registry.place_in_scope(session, scope, building.node_id):
        raise NotFound(_("没有这栋楼"))
    return building


def visible_rental(session: Session, user: User, scope: Scope, rental_id: int) -> Rental:
    """The rental if ``user`` may see its dwelling, else NotFound."""
    rental = registry.get_rental(session, rental_id)
    dwelling = registry.get_dwelling(session, rental.dwelling_id)
    _check_in_scope(session, user, scope, dwelling.node_id, _("没有这条出租记录"))
    return rental


def editable_grid(session: Session, user: User, scope: Scope, node_id: int) -> Node:
    """The node ``user`` files a new record under: Forbidden for a role that does not edit,
    NotFound outside their scope."""
    check_may_edit(user)
    return accounts_access.visible_node(session, scope, node_id)
