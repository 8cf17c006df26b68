"""The tenant API's caller, and the access rules of ``gridgov.core.accounts.access`` applied to
it. The rules themselves live in the core, shared with the portal; this module only binds them
to the user and token scopes of the current request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import g
from sqlalchemy.orm import Session

from gridgov.core.accounts import access
from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.hierarchy.models import Node


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


def visible_node(session: Session, caller: Caller, node_id: int) -> Node:
    return access.visible_node(session, caller.scope, node_id)


def visible_roots(session: Session, caller: Caller) -> list[Node]:
    return access.scope_roots(session, caller.scope)


def changeable_node(session: Session, caller: Caller, node_id: int) -> Node:
    return access.changeable_node(session, caller.user, caller.scope, node_id)


def check_may_place_under(caller: Caller, parent: Node | None) -> None:
    access.check_may_place_under(caller.user, caller.scope, parent)


def check_may_manage_users(caller: Caller) -> None:
    access.check_may_manage_users(caller.user)


def check_may_grant(caller: Caller, role: str) -> None:
    access.check_may_grant(caller.user, role)


def check_may_manage_account(caller: Caller, other: User) -> None:
    access.check_may_manage_account(caller.user, other)


def check_may_manage_departments(caller: Caller) -> None:
    access.check_may_manage_departments(caller.user)


def check_may_read_audit(caller: Caller) -> None:
    access.check_may_read_audit(caller.user)


def visible_users(caller: Caller, **filters: Any) -> Any:
    return access.visible_users(caller.user, caller.scope, **filters)


def visible_user(session: Session, caller: Caller, user_id: int) -> User:
    return access.visible_user(session, caller.user, caller.scope, user_id)


def assignable_nodes(session: Session, caller: Caller, node_ids: Sequence[int]) -> list[Node]:
    """The nodes to attach someone to, each one visible to the caller, duplicates dropped."""
    return [visible_node(session, caller, node_id) for node_id in dict.fromkeys(node_ids)]
