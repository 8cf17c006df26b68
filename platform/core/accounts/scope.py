"""A user's scope: the subtrees of the hierarchy they may see.

The three administrators (三员) see the whole county's structure; everyone else sees the
subtrees of the nodes they are assigned to. What the security and audit administrators see of
it stops at nodes and accounts: they read no residents' records, tasks or reports
(``NON_WORKING_ROLES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import ADMINISTRATOR_ROLES, User
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.tenancy import county_cache

COUNTY_WIDE_ROLES = ADMINISTRATOR_ROLES


def is_county_wide(user: User) -> bool:
    """Whether ``user``'s role sees the whole county, whatever nodes they are posted at."""
    return user.role in COUNTY_WIDE_ROLES


@dataclass(frozen=True)
class Scope:
    """``paths`` are materialized paths of the roots of visible subtrees; ``everything`` wins."""

    everything: bool = False
    paths: tuple[str, ...] = ()

    def contains(self, node: Node) -> bool:
        return self.everything or any(node.path.startswith(p) for p in self.paths)

    def contains_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.paths)

    def node_filter(self) -> Any:
        """A WHERE clause on ``Node`` selecting the nodes in scope."""
        if self.everything:
            return Node.id.is_not(None)
        return self.path_filter(Node.path)

    def path_filter(self, column: Any) -> Any:
        """A WHERE clause keeping rows whose materialized-path ``column`` lies in the scope."""
        if self.everything:
            return true()
        if not self.paths:
            return false()
        return or_(*(subtree(column, p) for p in self.paths))

    def is_ancestor_of_scope(self, node: Node) -> bool:
        """True when ``node`` lies above one of the scope's roots (shown as context only)."""
        return any(p.startswith(node.path) and p != node.path for p in self.paths)


def scope_of(session: Session, user: User) -> Scope:
    """The scope of ``user``; an inactive user sees nothing."""
    if not user.is_active:
        return Scope()
    if user.role in COUNTY_WIDE_ROLES:
        return Scope(everything=True)
    # Every request of the user needs it: kept between requests while the county's tree and
    # postings stay as they are (gridgov.core.tenancy.county_cache).
    return county_cache.cached(session, "scope", lambda: _posted_scope(session, user), user.id)


def _posted_scope(session: Session, user: User) -> Scope:
    paths = session.scalars(
        select(Node.path)
        .join(Assignment, Assignment.node_id == Node.id)
        .where(Assignment.user_id == user.id, Node.retired_at.is_(None))
    ).all()
    # Drop roots already covered by another root, so filters stay short.
    roots = sorted(set(paths), key=len)
    kept: list[str] = []
    for path in roots:
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return Scope(paths=tuple(kept))
