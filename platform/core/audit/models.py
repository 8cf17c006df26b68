"""Audit events. Append-only: the ORM refuses updates and deletes, on PostgreSQL the
application's role is granted only SELECT and INSERT on the table and a trigger refuses updates
and deletes by anyone (the purge aside, ``gridgov.core.audit.chain``); each county's events form
a hash chain, so a change made anyway shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from gridgov.core.db import Base, TenantScoped, utcnow


class AuditEvent(TenantScoped, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_tenant_id_at", "tenant_id", "at"),
        Index("ix_audit_events_tenant_id_object", "tenant_id", "object_type", "object_id"),
        # One event per place in a county's chain: two writers can never fork it.
        UniqueConstraint("tenant_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(
        String(16),
        comment="user, operator, console (the server command line), system, or anonymous "
        "(a failed login)",
    )
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), comment="e.g. node.split, user.create")
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(comment="personal fields masked")
    after: Mapped[dict[str, Any] | None] = mapped_column(comment="personal fields masked")
    ip: Mapped[str | None] = mapped_column(String(45))
    seq: Mapped[int] = mapped_column(comment="place in the county's chain: 1, 2, 3, …")
    prev_hash: Mapped[str] = mapped_column(String(64), comment="hash of the event before")
    hash: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 of prev_hash and this event's canonical content"
    )


class AuditChain(TenantScoped, Base):
    """Where a county's chain starts once a purge removed its oldest events: the last purged
    event's place and hash. A county never purged has no row and starts from the genesis."""

    __tablename__ = "audit_chains"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    anchor_seq: Mapped[int] = mapped_column(comment="place of the last purged event")
    anchor_hash: Mapped[str] = mapped_column(String(64), comment="hash of the last purged event")
    purged_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    purged_events: Mapped[int] = mapped_column(comment="events removed by purges, in all")


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("audit events cannot be changed or deleted")
