"""Stored form versions (one row per distinct definition) and the submissions made with them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.core.db import Base, TenantScoped, utcnow
from gridgov.core.hierarchy.models import Node


class FormVersion(Base):
    """A form definition as a module declared it at some point, stored once by its hash. Shared
    by every county: it holds the module's published form, no county's data."""

    __tablename__ = "form_versions"
    __table_args__ = (Index("ix_form_versions_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(127), comment="the form's code, <module>.<name>")
    digest: Mapped[str] = mapped_column(
        String(64), unique=True, comment="sha256 of the canonical JSON"
    )
    definition: Mapped[dict[str, Any]] = mapped_column(comment="canonical JSON of the definition")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FormSubmission(TenantScoped, Base):
    """A filled-in form, at a node, validated against (and forever rendered with) its version."""

    __tablename__ = "form_submissions"
    __table_args__ = (
        Index("ix_form_submissions_tenant_id_code_at", "tenant_id", "form_code", "submitted_at"),
        Index("ix_form_submissions_tenant_id_node_id", "tenant_id", "node_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_version_id: Mapped[int] = mapped_column(
        ForeignKey("form_versions.id", ondelete="RESTRICT")
    )
    form_code: Mapped[str] = mapped_column(String(127))
    module: Mapped[str] = mapped_column(String(63))
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    data: Mapped[dict[str, Any]] = mapped_column(comment="the values, hidden fields left out")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    version: Mapped[FormVersion] = relationship()
    node: Mapped[Node] = relationship()
