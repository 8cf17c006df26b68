"""The family-planning module's tables: its targets (计生对象) with what the tag cannot hold,
births (出生登记) linked to the household, follow-up visits (随访) filed with the declared form,
and the yearly reward and assistance entitlements (奖励扶助、特别扶助).

Each row keeps the path of the grid it was filed under (``filed_path``), like a task, so that
"everything in this subtree" is one indexed prefix match and re-gridding does not move it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.sdk.storage import Base, TenantScoped, utcnow


class TargetKind(StrEnum):
    """计生对象的类别: each is a person tag of the module with its own follow-up schedule."""

    WOMAN = "woman"  # 育龄妇女
    NEWBORN = "newborn"  # 新生儿家庭
    SPECIAL = "special"  # 计生特殊家庭


class SpecialKind(StrEnum):
    """Why a family is a 计生特殊家庭."""

    LOST_ONLY_CHILD = "lost_only_child"  # 独生子女死亡
    DISABLED_ONLY_CHILD = "disabled_only_child"  # 独生子女伤残


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Scheme(StrEnum):
    """扶助项目."""

    REWARD = "reward"  # 农村部分计划生育家庭奖励扶助
    SPECIAL = "special"  # 计划生育家庭特别扶助


class EntitlementState(StrEnum):
    APPLIED = "applied"  # 已申请, waiting for the township's check
    CHECKED = "checked"  # 已审核, waiting for the office's approval
    APPROVED = "approved"  # 已审批, 未发放
    PAID = "paid"  # 已发放
    REFUSED = "refused"  # 不予通过, with the reason


class Target(TenantScoped, Base):
    """A person found to be a family-planning target of one kind: who found them and when,
    and for a special family which kind and when it was recognised (认定)."""

    __tablename__ = "family_planning_targets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "person_id", "kind"),
        Index(
            "ix_family_planning_targets_tenant_id_filed_path",
            "tenant_id",
            "filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        ),
        Index(
            "ix_family_planning_targets_tenant_id_found_by_id_found_on",
            "tenant_id",
            "found_by_id",
            "found_on",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16), comment="a TargetKind")
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), comment="the person's household"
    )
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the person's grid when found"
    )
    filed_path: Mapped[str] = mapped_column(String(255), comment="path of the grid when found")
    special_kind: Mapped[str | None] = mapped_column(
        String(24), comment="a SpecialKind, for a special family"
    )
    recognised_on: Mapped[dt.date | None] = mapped_column(
        Date, comment="认定日期 of a special family"
    )
    found_on: Mapped[dt.date] = mapped_column(Date, comment="the county day it was registered")
    found_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Birth(TenantScoped, Base):
    """出生登记: a child born into a household of the registry, to a mother of the registry;
    ``child_id`` links the child's own registry record once it exists."""

    __tablename__ = "family_planning_births"
    __table_args__ = (
        Index(
            "ix_family_planning_births_tenant_id_filed_path",
            "tenant_id",
            "filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        ),
        Index("ix_family_planning_births_tenant_id_household_id", "tenant_id", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="RESTRICT"))
    mother_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    child_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), comment="the child in the registry, later"
    )
    child_name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(8), comment="a Sex")
    born_on: Mapped[dt.date] = mapped_column(Date)
    place_of_birth: Mapped[str] = mapped_column(String(200), comment="出生地点（医院）")
    certificate_number: Mapped[str | None] = mapped_column(
        String(32), comment="出生医学证明编号, optional"
    )
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    filed_path: Mapped[str] = mapped_column(String(255))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FollowUp(TenantScoped, Base):
    """随访: one follow-up visit of a target, filled in with the module's form; the visit to
    the household is recorded in the registry too (``visit_id``), so the schedule resets."""

    __tablename__ = "family_planning_follow_ups"
    __table_args__ = (
        UniqueConstraint("tenant_id", "submission_id"),
        Index("ix_family_planning_follow_ups_tenant_id_target_id", "tenant_id", "target_id"),
        Index(
            "ix_family_planning_follow_ups_tenant_id_visitor_day",
            "tenant_id",
            "visited_by_id",
            "visited_on",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("family_planning_targets.id", ondelete="CASCADE")
    )
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("form_submissions.id", ondelete="RESTRICT"), comment="the form as filled in"
    )
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), comment="the registry's household visit"
    )
    visited_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date, comment="when this follow-up fell due")
    is_on_time: Mapped[bool] = mapped_column(comment="visited by the day it fell due")
    visited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Entitlement(TenantScoped, Base):
    """One person's reward or assistance (奖励扶助、特别扶助) for one year: applied by the grid
    worker or station, checked (审核) by the township, approved (审批) and paid by the office."""

    __tablename__ = "family_planning_entitlements"
    __table_args__ = (
        UniqueConstraint("tenant_id", "person_id", "year", "scheme"),
        Index(
            "ix_family_planning_entitlements_tenant_id_filed_path",
            "tenant_id",
            "filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        ),
        Index("ix_family_planning_entitlements_tenant_id_year_state", "tenant_id", "year", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column()
    scheme: Mapped[str] = mapped_column(String(16), comment="a Scheme")
    state: Mapped[str] = mapped_column(String(16), comment="an EntitlementState")
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    filed_path: Mapped[str] = mapped_column(String(255))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), comment="元, when paid")
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_on: Mapped[dt.date] = mapped_column(Date)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_on: Mapped[dt.date | None] = mapped_column(Date)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
