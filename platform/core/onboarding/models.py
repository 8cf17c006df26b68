"""What onboarding remembers of a county's manifest between applies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.core.db import Base, TenantScoped, utcnow


class AppliedManifest(TenantScoped, Base):
    """What the county's manifest said when it was last applied, one row per county: the third
    side of the merge that lets a re-apply tell a change in the file from a change made in the
    portal (``gridgov.core.onboarding.manifest``)."""

    __tablename__ = "applied_manifests"
    __table_args__ = (Index("ix_applied_manifests_tenant_id", "tenant_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(255), comment="the file's name when applied")
    digest: Mapped[str] = mapped_column(String(64), comment="sha256 of the file's text")
    state: Mapped[dict[str, Any]] = mapped_column(
        comment="the values the file set: tenant, nodes, users, departments by their codes"
    )
    applied_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<AppliedManifest {self.source} {self.digest[:8]}>"
