"""A department of a county and the officers who act for it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.core.accounts.models import User
from gridgov.core.db import Base, TenantScoped, utcnow
from gridgov.core.hierarchy.models import Node


class Department(TenantScoped, Base):
    """职能部门: 县消防救援大队, 某镇司法所 … It serves the subtree of ``node`` (the county's top
    node, or a township); tasks are dispatched to it and its modules go live through admission."""

    __tablename__ = "departments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_departments_tenant_id_node_id", "tenant_id", "node_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), comment="the county's code, e.g. XFJY")
    name: Mapped[str] = mapped_column(String(200), comment="e.g. 县消防救援大队")
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the node whose subtree it serves"
    )
    phone: Mapped[str | None] = mapped_column(String(32), comment="duty phone")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    node: Mapped[Node] = relationship()

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.name}>"


class DepartmentOfficer(TenantScoped, Base):
    """A user (role department_officer) acting for a department."""

    __tablename__ = "department_officers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "department_id", "user_id"),
        Index("ix_department_officers_tenant_id_user_id", "tenant_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
