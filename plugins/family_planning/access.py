"""Who sees and keeps the module's records — among the most sensitive in the county (births,
a child's death or disability, money paid to a family).

- Staff working with residents read the records filed in their scope: the county, the
  township (街道), the community station, the supervisor and the grid worker (their grids).
- A department officer reads them only when their department is the one the county admitted
  the module for (城关街道卫生健康和计划生育办公室), within their scope; another department's
  officer sees nothing.
- Volunteers, the security and the audit administrators (三员分立) see nothing: no menu entry,
  every page 404, every API call 403.

Keeping them: grid workers, station and township staff and the office register targets and
births and file follow-ups; entitlements are applied for by the grid worker or the station,
checked (审核) by the township and approved (审批) and paid by the office (``entitlements``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridgov.sdk import caller, county, registry
from gridgov.sdk.caller import Role, Scope, User
from gridgov.sdk.errors import DomainError, Forbidden, NotFound
from gridgov.sdk.i18n import Localized
from gridgov.sdk.registry import Node, Person

MODULE = "family_planning"

STAFF_READERS = frozenset(
    {
        Role.COUNTY_ADMIN,
        Role.TOWNSHIP_STAFF,
        Role.STATION_STAFF,
        Role.SUPERVISOR,
        Role.GRID_WORKER,
    }
)
KEEPERS = frozenset(
    {Role.GRID_WORKER, Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.DEPARTMENT_OFFICER}
)


def is_office(session: Session, user: User) -> bool:
    """Whether ``user`` is an officer of the department the county admitted the module for."""
    if user.role != Role.DEPARTMENT_OFFICER:
        return False
    office = county.module_department(session, MODULE)
    return office is not None and any(
        department.id == office.id for department in caller.departments_of(session, user)
    )


def may_read(session: Session, user: User) -> bool:
    """Whether ``user``'s role reads the module's records at all (in their scope)."""
    return user.role in STAFF_READERS or is_office(session, user)


def check_may_read(session: Session, user: User) -> None:
    """Forbidden unless ``user`` may read the module's records."""
    if not may_read(session, user):
        raise Forbidden(
            Localized(
                "您的角色不能查看计划生育记录", "Your role cannot see family-planning records"
            )
        )


def may_keep(session: Session, user: User) -> bool:
    """Whether ``user`` registers targets and births and files follow-ups."""
    return user.role in KEEPERS and may_read(session, user)


def check_may_keep(session: Session, user: User, scope: Scope, node: Node) -> None:
    """Refuse ``user`` keeping a record at ``node``: NotFound outside their scope or where the
    module is not admitted (a pilot's other townships), Conflict while suspended, Forbidden
    for a role that keeps none."""
    if not scope.contains(node):
        raise NotFound(Localized("没有这个网格", "No such grid"), field="node_id")
    county.check_open_for_work(session, MODULE, node)
    if not may_keep(session, user):
        raise Forbidden(
            Localized(
                "您的角色不能登记计划生育记录", "Your role cannot keep family-planning records"
            )
        )


def in_scope(scope: Scope, filed_path: str, what: Localized) -> None:
    """NotFound unless the record filed at ``filed_path`` lies in ``scope``."""
    if not scope.contains_path(filed_path):
        raise NotFound(what)


def person_named(session: Session, user: User, scope: Scope, person_id: int, field: str) -> Person:
    """The registry person a form names in ``field``, if ``user`` sees them; else a
    DomainError on that field (someone outside the scope reads as no one)."""
    try:
        return registry.visible_person(session, user, scope, person_id)
    except NotFound:
        raise DomainError(Localized("人口库中没有这个人", "No such person"), field=field) from None
