"""Who may see and change what through the tenant API.

Reading follows the caller's hierarchy scope (accounts/scope.py): anything outside it answers
404, exactly like another county's object, so a caller cannot even learn that it exists.
Changing needs a role on top of the token's scope: county administrators may re-grid the whole
county, township staff only the nodes strictly inside their township (not the township node
itself), and only county administrators manage accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import g
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Assignment, Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _

AUDIT_READER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.AUDIT_ADMIN})


@dataclass(frozen=True)
class Caller:
    """The user behind a verified token, the subtrees they may see and the token's scopes."""

    user: User
    scope: Scope
    token_scopes: frozenset[str]

    @property
    def role(self) -> str:
        return self.user.role


def current_caller() -> Caller:
    """The caller of this tenant API request (set by the token check)."""
    return g.caller


# --- the hierarchy ---------------------------------------------------------------------------


def visible_node(session: Session, caller: Caller, node_id: int) -> Node:
    """The node with this id if the caller may see it, else NotFound (never Forbidden)."""
    node = hierarchy.get_node(session, node_id)
    if caller.scope.contains(node):
        return node
    # A retired grid lies outside every assignment (its staff were detached), but whoever
    # works on what it became may look back at it: records filed under it are theirs now.
    # The portal applies the same rule.
    if node.is_retired and any(
        caller.scope.contains(successor) for successor in hierarchy.successors(session, node)
    ):
        return node
    raise NotFound(_("没有这个节点"))


def visible_roots(session: Session, caller: Caller) -> list[Node]:
    """The tops of what the caller sees: the county's top nodes for county-wide roles,
    otherwise the nodes they are assigned to (minus those inside another of them)."""
    if caller.scope.everything:
        return hierarchy.roots(session)
    if not caller.scope.paths:
        return []
    return list(
        session.scalars(select(Node).where(Node.path.in_(caller.scope.paths)).order_by(Node.code))
    )


def may_change(caller: Caller, node: Node) -> bool:
    """Whether the caller may rename, move, split, merge or retire ``node``."""
    if caller.role == Role.COUNTY_ADMIN:
        return True
    if caller.role == Role.TOWNSHIP_STAFF:
        return any(node.path.startswith(p) and node.path != p for p in caller.scope.paths)
    return False


def changeable_node(session: Session, caller: Caller, node_id: int) -> Node:
    """The node with this id if the caller may change it: NotFound outside their scope,
    Forbidden when they see it but their role may not change it."""
    node = visible_node(session, caller, node_id)
    if not may_change(caller, node):
        raise Forbidden(_NO_REGRID)
    return node


def check_may_place_under(caller: Caller, parent: Node | None) -> None:
    """Refuse (Forbidden) to create or move a node under ``parent`` (None: the top level)
    unless the new position lies inside what the caller may change."""
    if caller.role == Role.COUNTY_ADMIN:
        return
    if caller.role == Role.TOWNSHIP_STAFF and parent is not None and caller.scope.contains(parent):
        return
    raise Forbidden(_NO_REGRID)


_NO_REGRID = _(
    "无权调整这个节点：县级管理员可调整全县，乡镇（街道）工作人员只能调整本辖区以内的下级节点"
)


# --- accounts --------------------------------------------------------------------------------


def check_may_manage_users(caller: Caller) -> None:
    """Only county administrators create and change accounts and their assignments."""
    if caller.role != Role.COUNTY_ADMIN:
        raise Forbidden(_("只有县级管理员可以管理账号"))


def _assigned_in(scope: Scope, user_id: Any) -> Any:
    """EXISTS: the user has an assignment to a node inside ``scope``."""
    return exists(
        select(Assignment.id)
        .join(Node, Node.id == Assignment.node_id)
        .where(Assignment.user_id == user_id, scope.node_filter())
    )


def visible_users(
    caller: Caller,
    *,
    role: str | None = None,
    node: Node | None = None,
    is_active: bool | None = None,
) -> Any:
    """SELECT of the accounts the caller may see, by username: everyone for county-wide roles,
    otherwise those attached somewhere inside the caller's scope, and the caller. ``node``
    keeps those attached to it or below it."""
    query = select(User).options(selectinload(User.assignments)).order_by(User.username)
    if not caller.scope.everything:
        query = query.where(_assigned_in(caller.scope, User.id) | (User.id == caller.user.id))
    if node is not None:
        query = query.where(_assigned_in(Scope(paths=(node.path,)), User.id))
    if role is not None:
        query = query.where(User.role == role)
    if is_active is not None:
        query = query.where(User.is_active.is_(is_active))
    return query


def visible_user(session: Session, caller: Caller, user_id: int) -> User:
    """The account with this id if the caller may see it, else NotFound."""
    user = accounts.get_user(session, user_id)
    if caller.scope.everything or user.id == caller.user.id:
        return user
    if session.scalar(select(_assigned_in(caller.scope, user.id))):
        return user
    raise NotFound(_("没有这个用户"))


def assignable_nodes(session: Session, caller: Caller, node_ids: Sequence[int]) -> list[Node]:
    """The nodes to attach someone to, each one visible to the caller, duplicates dropped."""
    return [visible_node(session, caller, node_id) for node_id in dict.fromkeys(node_ids)]


# --- audit -----------------------------------------------------------------------------------


def check_may_read_audit(caller: Caller) -> None:
    """The audit log is for county administrators and the audit administrator (三员分立)."""
    if caller.role not in AUDIT_READER_ROLES:
        raise Forbidden(_("只有县级管理员和审计管理员可以查看审计日志"))
