"""Audit events. Append-only: the ORM refuses updates and deletes, and on PostgreSQL the
application's role is granted only SELECT and INSERT on the table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from gridgov.core.db import Base, TenantScoped, utcnow


class AuditEvent(TenantScoped, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_tenant_id_at", "tenant_id", "at"),
        Index("ix_audit_events_tenant_id_object", "tenant_id", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(16), comment="user, operator or system")
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), comment="e.g. node.split, user.create")
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(comment="personal fields masked")
    after: Mapped[dict[str, Any] | None] = mapped_column(comment="personal fields masked")
    ip: Mapped[str | None] = mapped_column(String(45))


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("audit events cannot be changed or deleted")
