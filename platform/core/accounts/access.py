"""Who may see and change what: the access rules both the API and the portal apply.

Reading follows the user's scope (``scope.py``): anything outside it is NotFound, exactly like
another county's object, so a user cannot even learn that it exists. Changing needs a role on
top: county administrators re-grid the whole county, township staff only the nodes strictly
inside their township (the township node itself is the county's to change).

三员分立: the county administrator (系统管理员) runs the county — its structure, departments and
rules; the security administrator (安全管理员) manages accounts, roles, assignments and locks; the
audit administrator (审计管理员) reads the audit log and nothing else. None of them can act on
another administrator's account here (reset a password, deactivate it, change or grant an
administrator role): that is done on the server's command line, and audited there too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import ADMINISTRATOR_ROLES, Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.i18n import _
from gridgov.core.tenancy.models import Tenant

SYSTEM_ADMIN_ROLES = frozenset({Role.COUNTY_ADMIN})  # the county's structure and set-up
ACCOUNT_ADMIN_ROLES = frozenset({Role.SECURITY_ADMIN})  # accounts, roles, assignments, locks
AUDIT_READER_ROLES = frozenset({Role.AUDIT_ADMIN})
# Township staff manage the communities and grids below their township (DOMAIN.md).
SUBTREE_EDITOR_ROLES = frozenset({Role.TOWNSHIP_STAFF})

NO_REGRID = _(
    "无权调整这个节点：县级管理员可调整全县，乡镇（街道）工作人员只能调整本辖区以内的下级节点"
)


# --- the hierarchy ---------------------------------------------------------------------------


def visible_node(session: Session, scope: Scope, node_id: int) -> Node:
    """The node with this id if ``scope`` sees it, else NotFound (never Forbidden)."""
    node = hierarchy.get_node(session, node_id)
    if scope.contains(node):
        return node
    # A retired grid lies outside every assignment (its staff were detached), but whoever
    # works on what it became may look back at it: records filed under it are theirs now.
    if node.is_retired and any(
        scope.contains(successor) for successor in hierarchy.successors(session, node)
    ):
        return node
    raise NotFound(_("没有这个节点"))


def scope_roots(session: Session, scope: Scope) -> list[Node]:
    """The tops of what ``scope`` sees: the county's top nodes for county-wide roles,
    otherwise the nodes the user is assigned to (minus those inside another of them)."""
    if scope.everything:
        return hierarchy.roots(session)
    if not scope.paths:
        return []
    nodes = session.scalars(select(Node).where(Node.path.in_(scope.paths))).all()
    return sorted(nodes, key=lambda n: (n.level, n.code))


def may_change(user: User, scope: Scope, node: Node) -> bool:
    """Whether ``user``'s role and scope allow re-gridding ``node``. A retired node passes here;
    the hierarchy service then refuses the change with a message that says why."""
    if user.role in SYSTEM_ADMIN_ROLES:
        return True
    return user.role in SUBTREE_EDITOR_ROLES and any(
        node.path.startswith(p) and node.path != p for p in scope.paths
    )


def may_place_under(user: User, scope: Scope, parent: Node | None) -> bool:
    """Whether ``user`` may create or move a node under ``parent`` (None: the top level)."""
    if user.role in SYSTEM_ADMIN_ROLES:
        return True
    return user.role in SUBTREE_EDITOR_ROLES and parent is not None and scope.contains(parent)


def may_add_child(user: User, scope: Scope, tenant: Tenant, node: Node) -> bool:
    """Whether a child can be added under ``node`` by ``user`` (it is active, above the grid
    level, and placing under it is allowed)."""
    if node.is_retired or node.level >= tenant.grid_level:
        return False
    return may_place_under(user, scope, node)


def changeable_node(session: Session, user: User, scope: Scope, node_id: int) -> Node:
    """The node if ``user`` may change it: NotFound outside their scope, Forbidden when they
    see it but their role may not change it."""
    node = visible_node(session, scope, node_id)
    if not may_change(user, scope, node):
        raise Forbidden(NO_REGRID)
    return node


def check_may_place_under(user: User, scope: Scope, parent: Node | None) -> None:
    """Raise Forbidden unless ``user`` may create or move a node under ``parent``."""
    if not may_place_under(user, scope, parent):
        raise Forbidden(NO_REGRID)


# --- accounts and audit ----------------------------------------------------------------------


def may_manage_users(user: User) -> bool:
    return user.role in ACCOUNT_ADMIN_ROLES


def check_may_manage_users(user: User) -> None:
    """Only the security administrator creates and changes accounts and their assignments."""
    if not may_manage_users(user):
        raise Forbidden(_("只有安全管理员可以管理账号"))


ADMIN_ACCOUNTS_ON_SERVER = _(
    "系统管理员、安全管理员和审计管理员的账号（三员分立）只能由服务器管理人员用命令行 "
    "gridgov users 管理"
)


def may_manage_account(user: User, other: User) -> bool:
    """Whether ``user`` may change ``other``'s account (its name, role, password, second
    factor, tokens, whether it is active): the security administrator, for staff accounts."""
    return may_manage_users(user) and other.role not in ADMINISTRATOR_ROLES


def check_may_manage_account(user: User, other: User) -> None:
    """Forbidden unless ``user`` may change ``other``'s account (``may_manage_account``)."""
    check_may_manage_users(user)
    if other.role in ADMINISTRATOR_ROLES:
        raise Forbidden(ADMIN_ACCOUNTS_ON_SERVER)


def check_may_grant(user: User, role: str) -> None:
    """Forbidden unless ``user`` may give an account ``role``: administrator roles are given
    on the server only, never by one administrator to an account of their choosing."""
    check_may_manage_users(user)
    if role in ADMINISTRATOR_ROLES:
        raise Forbidden(ADMIN_ACCOUNTS_ON_SERVER, field="role")


def check_may_unlock(user: User) -> None:
    """Lifting a lockout grants nothing, so the security administrator may do it for every
    account, administrators' included (an administrator locked out is not left waiting)."""
    check_may_manage_users(user)


def may_manage_departments(user: User) -> bool:
    return user.role in SYSTEM_ADMIN_ROLES


def check_may_manage_departments(user: User) -> None:
    """Departments and who acts for them are set up by the county's administrators."""
    if not may_manage_departments(user):
        raise Forbidden(_("只有县级管理员可以设置部门"))


def may_read_audit(user: User) -> bool:
    return user.role in AUDIT_READER_ROLES


def check_may_read_audit(user: User) -> None:
    """The audit log is for the audit administrator (三员分立): it records what the other
    administrators did, so they do not read it."""
    if not may_read_audit(user):
        raise Forbidden(_("只有审计管理员可以查看审计日志"))


def _assigned_in(scope: Scope, user_id: Any) -> Any:
    """EXISTS: the user has an assignment to a node inside ``scope``."""
    return exists(
        select(Assignment.id)
        .join(Node, Node.id == Assignment.node_id)
        .where(Assignment.user_id == user_id, scope.node_filter())
    )


def visible_users(
    user: User,
    scope: Scope,
    *,
    role: str | None = None,
    node: Node | None = None,
    is_active: bool | None = None,
) -> Any:
    """SELECT of the accounts ``user`` may see, by username: everyone for county-wide roles,
    otherwise those attached somewhere inside the scope, and the user. ``node`` keeps those
    attached to it or below it."""
    query = select(User).options(selectinload(User.assignments)).order_by(User.username)
    if not scope.everything:
        query = query.where(_assigned_in(scope, User.id) | (User.id == user.id))
    if node is not None:
        query = query.where(_assigned_in(Scope(paths=(node.path,)), User.id))
    if role is not None:
        query = query.where(User.role == role)
    if is_active is not None:
        query = query.where(User.is_active.is_(is_active))
    return query


def visible_user(session: Session, user: User, scope: Scope, user_id: int) -> User:
    """The account with this id if ``user`` may see it, else NotFound."""
    other = accounts.get_user(session, user_id)
    if scope.everything or other.id == user.id:
        return other
    if session.scalar(select(_assigned_in(scope, other.id))):
        return other
    raise NotFound(_("没有这个用户"))
