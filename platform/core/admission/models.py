"""Admissions (准入): a department's application for a module in its county, the county's
decision, the pilot townships, the attachments and the admission's own history."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.core.db import Base, TenantScoped, utcnow
from gridgov.core.departments.models import Department
from gridgov.core.files.models import StoredFile
from gridgov.core.hierarchy.models import Node
from gridgov.core.tenancy import county_cache


class AdmissionState(StrEnum):
    IN_REVIEW = "in_review"  # applied, waiting for the review meeting (综治委主任办公会)
    APPROVED = "approved"  # live: county-wide, or in the pilot townships (试点先行)
    REJECTED = "rejected"  # the meeting said no, with reasons; the department may apply again
    SUSPENDED = "suspended"  # stopped for now: no new work, records readable
    WITHDRAWN = "withdrawn"  # stopped for good: records stay, read-only


# States in which an admission still holds its module for the county (one at a time).
HOLDING_STATES = frozenset(
    {AdmissionState.IN_REVIEW, AdmissionState.APPROVED, AdmissionState.SUSPENDED}
)


class Admission(TenantScoped, Base):
    """A department's application for a module and what became of it. The five items of
    两明确、三到位 are stated in words; the module may ask for more (``requirements``)."""

    __tablename__ = "admissions"
    __table_args__ = (
        Index("ix_admissions_tenant_id_module", "tenant_id", "module"),
        Index("ix_admissions_tenant_id_department_id", "tenant_id", "department_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module: Mapped[str] = mapped_column(String(63), comment="the module's name, e.g. fire_safety")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(16), comment="an AdmissionState value")
    reason: Mapped[str] = mapped_column(Text, comment="明确事由: why the department needs them")
    tasks: Mapped[str] = mapped_column(Text, comment="明确具体任务: what the grids are to do")
    authority: Mapped[str] = mapped_column(Text, comment="工作授权到位: the authority delegated")
    training: Mapped[str] = mapped_column(Text, comment="业务培训到位: the training delivered")
    funding: Mapped[str] = mapped_column(Text, comment="工作经费到位: the funding provided")
    requirements: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment="answers to the module's own admission requirements, by code"
    )
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    meeting_date: Mapped[dt.date | None] = mapped_column(comment="date of the review meeting")
    minutes: Mapped[str | None] = mapped_column(Text, comment="会议纪要: what the meeting decided")
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    rejection_reasons: Mapped[str | None] = mapped_column(Text)

    department: Mapped[Department] = relationship()
    pilot_nodes: Mapped[list[AdmissionPilotNode]] = relationship(
        cascade="all, delete-orphan", order_by="AdmissionPilotNode.id"
    )
    files: Mapped[list[AdmissionFile]] = relationship(
        cascade="all, delete-orphan", order_by="AdmissionFile.id"
    )
    events: Mapped[list[AdmissionEvent]] = relationship(order_by="AdmissionEvent.id")

    @property
    def is_pilot(self) -> bool:
        return bool(self.pilot_nodes)

    def __repr__(self) -> str:
        return f"<Admission {self.module} {self.state}>"


class AdmissionPilotNode(TenantScoped, Base):
    """A township (or any node) where an approved pilot is live; none: the whole county."""

    __tablename__ = "admission_pilot_nodes"
    __table_args__ = (UniqueConstraint("tenant_id", "admission_id", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    admission_id: Mapped[int] = mapped_column(ForeignKey("admissions.id", ondelete="CASCADE"))
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))

    node: Mapped[Node] = relationship()


class AdmissionFile(TenantScoped, Base):
    """A document attached to an application (a requirement's file, or a general one)."""

    __tablename__ = "admission_files"
    __table_args__ = (UniqueConstraint("tenant_id", "admission_id", "file_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    admission_id: Mapped[int] = mapped_column(ForeignKey("admissions.id", ondelete="CASCADE"))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="RESTRICT"))
    requirement: Mapped[str | None] = mapped_column(
        String(63), comment="the module requirement it answers; None: a general attachment"
    )

    file: Mapped[StoredFile] = relationship()


class AdmissionEvent(TenantScoped, Base):
    """One step of an admission's history (append-only, like the audit log)."""

    __tablename__ = "admission_events"
    __table_args__ = (
        Index("ix_admission_events_tenant_id_admission_id", "tenant_id", "admission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    admission_id: Mapped[int] = mapped_column(ForeignKey("admissions.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(
        String(16), comment="apply, approve, reject, widen, suspend, resume, withdraw"
    )
    state: Mapped[str] = mapped_column(String(16), comment="the state after the step")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="", comment="minutes, reasons, what changed")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# Which modules are live (gridgov.core.admission.service) is kept between requests.
county_cache.watch(Admission, AdmissionPilotNode, AdmissionEvent)
