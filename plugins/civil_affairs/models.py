"""The civil-affairs module's tables: what a tag cannot hold about a person in care (disability
category and level, subsistence allowance status and review date, illness), the care visits
(走访记录), the assistance given (物资、资金、服务), the errands run on residents' behalf
(居民事务代办, each riding on a core task) and the alerts sent to stations about overdue visits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.sdk.storage import Base, TenantScoped, utcnow


class DisabilityCategory(StrEnum):
    """残疾类别 (GB/T 26341)."""

    VISION = "vision"  # 视力
    HEARING = "hearing"  # 听力
    SPEECH = "speech"  # 言语
    PHYSICAL = "physical"  # 肢体
    INTELLECTUAL = "intellectual"  # 智力
    MENTAL = "mental"  # 精神
    MULTIPLE = "multiple"  # 多重


class DisabilityLevel(StrEnum):
    """残疾等级: 一级 is the most severe."""

    ONE = "1"
    TWO = "2"
    THREE = "3"
    FOUR = "4"


class AllowanceStatus(StrEnum):
    """低保 (subsistence allowance) status."""

    APPLYING = "applying"  # 申请中
    RECEIVING = "receiving"  # 享受中
    SUSPENDED = "suspended"  # 暂停
    ENDED = "ended"  # 已退出


class Condition(StrEnum):
    """How the visitor found the person (走访情况)."""

    GOOD = "good"  # 良好
    FAIR = "fair"  # 一般
    POOR = "poor"  # 较差
    URGENT = "urgent"  # 急需帮助


class AssistanceKind(StrEnum):
    GOODS = "goods"  # 物资
    MONEY = "money"  # 资金
    SERVICE = "service"  # 服务


class ErrandKind(StrEnum):
    """居民事务代办: what a grid worker runs for a resident who cannot go themselves."""

    ALLOWANCE = "allowance"  # 低保、救助申请
    PENSION = "pension"  # 养老金资格认证
    MEDICAL = "medical"  # 医保报销、慢病证办理
    DISABILITY_CARD = "disability_card"  # 残疾人证办理
    CERTIFICATE = "certificate"  # 开具证明
    OTHER = "other"


class CareRecord(TenantScoped, Base):
    """The module's file on one person of the registry (档案信息): the details their core tags
    (disabled, hardship, subsistence_allowance, serious_illness …) cannot carry."""

    __tablename__ = "civil_affairs_records"
    __table_args__ = (UniqueConstraint("tenant_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    disability_category: Mapped[str | None] = mapped_column(
        String(16), comment="a DisabilityCategory"
    )
    disability_level: Mapped[str | None] = mapped_column(String(2), comment="a DisabilityLevel")
    allowance_status: Mapped[str | None] = mapped_column(String(16), comment="an AllowanceStatus")
    allowance_review_on: Mapped[dt.date | None] = mapped_column(Date, comment="低保复核日期")
    illness: Mapped[str] = mapped_column(String(200), default="", comment="大病: the diagnosis")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CareVisit(TenantScoped, Base):
    """走访记录: a visit to a person in care, with the household visit it also recorded in the
    registry (so the grid worker's due list and the module's agree)."""

    __tablename__ = "civil_affairs_visits"
    __table_args__ = (
        Index("ix_civil_affairs_visits_tenant_id_person_id", "tenant_id", "person_id"),
        Index("ix_civil_affairs_visits_tenant_id_visited_by_id", "tenant_id", "visited_by_id"),
        Index(
            "ix_civil_affairs_visits_tenant_id_filed_path",
            "tenant_id",
            "filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    household_visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="RESTRICT"))
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the grid, kept through re-gridding"
    )
    filed_path: Mapped[str] = mapped_column(String(255), comment="the grid's path then")
    visited_on: Mapped[dt.date] = mapped_column(Date)
    visited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    condition: Mapped[str] = mapped_column(String(16), comment="a Condition")
    needs: Mapped[str] = mapped_column(Text, default="", comment="需求")
    follow_up: Mapped[str] = mapped_column(Text, default="", comment="跟进措施")
    needs_follow_up: Mapped[bool] = mapped_column(default=False)
    is_on_time: Mapped[bool] = mapped_column(comment="made before the visit fell overdue")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Assistance(TenantScoped, Base):
    """救助帮扶: goods, money or a service given to a person or a household."""

    __tablename__ = "civil_affairs_assistance"
    __table_args__ = (
        Index("ix_civil_affairs_assistance_tenant_id_person_id", "tenant_id", "person_id"),
        Index(
            "ix_civil_affairs_assistance_tenant_id_filed_path",
            "tenant_id",
            "filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="RESTRICT")
    )
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    filed_path: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), comment="an AssistanceKind")
    what: Mapped[str] = mapped_column(String(200), comment="大米 2 袋, 临时救助金, 上门理发 …")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), comment="yuan, for money")
    quantity: Mapped[int | None] = mapped_column(comment="pieces, for goods")
    given_on: Mapped[dt.date] = mapped_column(Date)
    given_by: Mapped[str] = mapped_column(String(100), comment="发放单位或人员, as written")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Errand(TenantScoped, Base):
    """居民事务代办: what the task engine does not know about an errand. One per task of type
    ``civil_affairs.errand``; the task carries state, place, deadlines and the log."""

    __tablename__ = "civil_affairs_errands"
    __table_args__ = (
        UniqueConstraint("tenant_id", "task_id"),
        Index("ix_civil_affairs_errands_tenant_id_done_by_id", "tenant_id", "done_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="RESTRICT"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16), default=ErrandKind.OTHER.value)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    done_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OverdueAlert(TenantScoped, Base):
    """The station was told that a person's visit is overdue: one row per person and overdue
    spell (``due_key``: the day the visit fell due, or "never" for someone never visited), so
    the periodic job tells the station once, not on every run."""

    __tablename__ = "civil_affairs_alerts"
    __table_args__ = (UniqueConstraint("tenant_id", "person_id", "due_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    due_key: Mapped[str] = mapped_column(String(10))
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the station told"
    )
    alerted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
