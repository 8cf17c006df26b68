"""What the map keeps between requests: the outline of each township, community (or county)
that has no boundary of its own, as the union of its grids', stored with the stamp of the
county's boundaries it was merged from. A process that starts, or sees the boundaries change,
reads these rows instead of merging thousands of grids again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.core.db import Base, TenantScoped


class NodeOutline(TenantScoped, Base):
    """The merged outline of one node (GeoJSON; null when none of its grids has a boundary)."""

    __tablename__ = "node_outlines"
    __table_args__ = (UniqueConstraint("tenant_id", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    stamp: Mapped[str] = mapped_column(String(100), comment="the boundaries it was merged from")
    outline: Mapped[dict[str, Any] | None] = mapped_column(JSON)
