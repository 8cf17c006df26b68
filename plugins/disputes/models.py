"""The dispute module's tables: a case (矛盾纠纷) riding on a core task, its parties, mediation
sessions, agreement and follow-up visits."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.sdk.storage import Base, TenantScoped, utcnow


class Kind(StrEnum):
    """纠纷类型."""

    NEIGHBOUR = "neighbour"  # 邻里纠纷
    FAMILY = "family"  # 婚姻家庭纠纷
    PROPERTY = "property"  # 物业纠纷
    LABOUR = "labour"  # 劳动争议
    LAND = "land"  # 土地纠纷
    DEBT = "debt"  # 债务纠纷
    OTHER = "other"


class Risk(StrEnum):
    LOW = "low"  # 一般
    MEDIUM = "medium"  # 较大
    HIGH = "high"  # 重大


class FoundBy(StrEnum):
    VOLUNTEER = "volunteer"  # 信息员
    GRID_WORKER = "grid_worker"  # 网格员
    HOTLINE = "hotline"  # 热线
    STAFF = "staff"  # 社区、街道或司法所工作人员


class Outcome(StrEnum):
    RESOLVED = "resolved"  # 调解成功
    PARTLY = "partly"  # 部分达成
    FAILED = "failed"  # 调解不成


class Referral(StrEnum):
    """Where a failed mediation was sent on (调解不成的去向)."""

    COURT = "court"  # 引导诉讼
    PETITION_OFFICE = "petition_office"  # 信访部门
    ARBITRATION = "arbitration"  # 劳动（人事）争议仲裁


class Level(StrEnum):
    """The level of the dispute grid a case was closed at."""

    UNIT = "unit"  # 网格单元: the grid, on the spot
    GROUP = "group"  # 网格组: the community, by the group leader 组长
    AREA = "area"  # 片格: the township, by the area leader 片长
    OFFICE = "office"  # 司法所


class PartyRole(StrEnum):
    APPLICANT = "applicant"  # 申请人
    RESPONDENT = "respondent"  # 被申请人
    OTHER = "other"  # 其他当事人


class Case(TenantScoped, Base):
    """A dispute: what the task engine does not know about it. One per task of type
    ``disputes.case``; the task carries state, place, deadlines and the log."""

    __tablename__ = "disputes_cases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "task_id"),
        Index("ix_disputes_cases_tenant_id_risk_level", "tenant_id", "risk_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16), default=Kind.OTHER.value, comment="a Kind")
    risk_level: Mapped[str] = mapped_column(String(8), default=Risk.LOW.value, comment="a Risk")
    petition_risk: Mapped[bool] = mapped_column(
        default=False, comment="could become a group petition (群体性上访)"
    )
    people_involved: Mapped[int] = mapped_column(default=2, comment="涉及人数")
    found_by: Mapped[str] = mapped_column(String(16), comment="a FoundBy value")
    finder_name: Mapped[str] = mapped_column(
        String(100), default="", comment="the information volunteer, when not a platform user"
    )
    outcome: Mapped[str | None] = mapped_column(String(16), comment="an Outcome; None: open")
    referral: Mapped[str | None] = mapped_column(String(16), comment="a Referral, if failed")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    closed_level: Mapped[str | None] = mapped_column(String(8), comment="a Level")
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Party(TenantScoped, Base):
    """当事人: a person of the registry (``person_id``) or an outsider by name, with an
    optional phone kept like the registry keeps phones (AES-GCM, never in clear)."""

    __tablename__ = "disputes_parties"
    __table_args__ = (Index("ix_disputes_parties_tenant_id_case_id", "tenant_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disputes_cases.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), comment="a PartyRole")
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), comment="None: not in the registry"
    )
    name: Mapped[str] = mapped_column(String(100))
    phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary, comment="AES-GCM")


class MediationSession(TenantScoped, Base):
    """调解记录: one sitting of a mediation."""

    __tablename__ = "disputes_sessions"
    __table_args__ = (Index("ix_disputes_sessions_tenant_id_case_id", "tenant_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disputes_cases.id", ondelete="CASCADE"))
    held_on: Mapped[dt.date] = mapped_column(Date)
    mediator: Mapped[str] = mapped_column(String(100), comment="调解员, as written")
    attendees: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Agreement(TenantScoped, Base):
    """调解协议: its text and the scan of the signed paper."""

    __tablename__ = "disputes_agreements"
    __table_args__ = (UniqueConstraint("tenant_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disputes_cases.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    signed_on: Mapped[dt.date] = mapped_column(Date)
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_files.id", ondelete="RESTRICT"), comment="the signed scan"
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FollowUp(TenantScoped, Base):
    """回访: a visit after the case closed, and whether the agreement is being kept."""

    __tablename__ = "disputes_follow_ups"
    __table_args__ = (
        Index("ix_disputes_follow_ups_tenant_id_case_id", "tenant_id", "case_id"),
        Index("ix_disputes_follow_ups_tenant_id_visited_by_id", "tenant_id", "visited_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disputes_cases.id", ondelete="CASCADE"))
    visited_on: Mapped[dt.date] = mapped_column(Date)
    visited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    is_kept: Mapped[bool] = mapped_column(comment="the agreement is being kept (履行)")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
