"""Hierarchy nodes, their versions over time, their lineage through splits and merges, and
the staff posted at them."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.core.db import Base, TenantScoped, utcnow
from gridgov.core.tenancy import county_cache

if TYPE_CHECKING:
    from gridgov.core.accounts.models import User


class Node(TenantScoped, Base):
    """One unit of the hierarchy: a township, a community, a basic grid …

    ``path`` is the materialized path of ids, ``/1/5/23/``: everything under a node is the one
    indexed query ``path LIKE '/1/5/%'``. Retired nodes stay (records filed under them must
    still resolve); they just have ``retired_at`` set.
    """

    __tablename__ = "nodes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index(
            "ix_nodes_tenant_id_path",
            "tenant_id",
            "path",
            postgresql_ops={"path": "text_pattern_ops"},
        ),
        Index("ix_nodes_tenant_id_parent_id", "tenant_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), comment="the county's code for the node")
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(comment="0 = top level; tenant.grid_level = basic grid")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    path: Mapped[str] = mapped_column(String(255), default="", comment="/id/id/…/ from the top")
    boundary: Mapped[dict[str, Any] | None] = mapped_column(
        comment="四至界限: GeoJSON Polygon or MultiPolygon geometry (WGS 84)"
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(
        comment="set when retired, split, merged"
    )

    parent: Mapped[Node | None] = relationship(remote_side=[id])

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def __repr__(self) -> str:
        return f"<Node {self.code} {self.name}>"


class NodeChange(StrEnum):
    CREATE = "create"
    RENAME = "rename"
    MOVE = "move"
    BOUNDARY = "boundary"
    SPLIT = "split"
    MERGE = "merge"
    RETIRE = "retire"


class NodeVersion(TenantScoped, Base):
    """What a node was called and where it hung from ``valid_from`` until ``valid_to``."""

    __tablename__ = "node_versions"
    __table_args__ = (Index("ix_node_versions_tenant_id_node_id", "tenant_id", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    level: Mapped[int] = mapped_column()
    change: Mapped[str] = mapped_column(String(16), comment="NodeChange that opened this version")
    boundary: Mapped[dict[str, Any] | None] = mapped_column(
        comment="the node's 四至界限 in this version (GeoJSON, WGS 84)"
    )
    valid_from: Mapped[dt.datetime] = mapped_column(default=utcnow)
    valid_to: Mapped[dt.datetime | None] = mapped_column(comment="None: the current version")
    is_retired: Mapped[bool] = mapped_column(default=False)


class NodeLineage(TenantScoped, Base):
    """A split or merge: ``predecessor`` became (part of) ``successor`` at ``at``."""

    __tablename__ = "node_lineage"
    __table_args__ = (
        Index("ix_node_lineage_tenant_id_predecessor_id", "tenant_id", "predecessor_id"),
        Index("ix_node_lineage_tenant_id_successor_id", "tenant_id", "successor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    successor_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    change: Mapped[str] = mapped_column(String(16), comment="split or merge")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Assignment(TenantScoped, Base):
    """A user posted at a node (their scope is the subtrees of their posts). ``is_responsible``
    marks the one grid worker of a grid. Kept with the nodes, below accounts, so the tree can
    count and end the posts on it; accounts decides who may be posted where."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "node_id"),
        Index("ix_assignments_tenant_id_node_id", "tenant_id", "node_id"),
        # 一格一员: at most one responsible grid worker per basic grid, enforced by the database.
        Index(
            "uq_assignments_responsible_per_node",
            "tenant_id",
            "node_id",
            unique=True,
            sqlite_where=text("is_responsible"),
            postgresql_where=text("is_responsible"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    is_responsible: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="assignments")


class BoundaryDraft(TenantScoped, Base):
    """A boundary being drawn on the map for a node, not yet published: only its editors see
    it; the node's boundary (and so the map, locate and every report's grid) stays the
    published one until the draft is published, which opens a new version of the node."""

    __tablename__ = "boundary_drafts"
    __table_args__ = (UniqueConstraint("tenant_id", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    boundary: Mapped[dict[str, Any]] = mapped_column(comment="GeoJSON Polygon/MultiPolygon")
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    drafted_by_name: Mapped[str] = mapped_column(String(100), default="")
    drafted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# A user's scope (gridgov.core.accounts.scope) and the modules' pilot areas are kept between
# requests: a change to the tree or to a posting draws the county a new configuration stamp.
county_cache.watch(Node, Assignment)
