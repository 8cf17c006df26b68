"""The fire-safety module's tables: checklist patrols (巡查), the hazards they find (火灾隐患,
each followed through the task engine), and the "four abilities" checks of sites (四个能力).

Each row keeps the path of the grid it was filed under (``filed_path``), like a task, so that
"everything in this subtree" is one indexed prefix match and re-gridding does not move it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.sdk.storage import Base, TenantScoped, utcnow


class Grade(StrEnum):
    """排查定级: the grade a hazard is given when it is found."""

    GENERAL = "general"  # 一般火灾隐患
    MAJOR = "major"  # 重大火灾隐患: reported to the county, put under supervision


class Patrol(TenantScoped, Base):
    """One filled-in hazard checklist (消防巡查检查单) of one site and how many hazards it
    found."""

    __tablename__ = "fire_safety_patrols"
    __table_args__ = (
        UniqueConstraint("tenant_id", "submission_id"),
        Index(
            "ix_fire_safety_patrols_tenant_id_filed_path",
            "tenant_id",
            "filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        ),
        Index(
            "ix_fire_safety_patrols_tenant_id_inspector_id_inspected_on",
            "tenant_id",
            "inspector_id",
            "inspected_on",
        ),
        Index("ix_fire_safety_patrols_tenant_id_site_id", "tenant_id", "site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("form_submissions.id", ondelete="RESTRICT"),
        comment="the checklist as filled in (the core keeps it with its form version)",
    )
    site_type: Mapped[str] = mapped_column(String(32), comment="residential, shop, market …")
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the grid patrolled"
    )
    filed_path: Mapped[str] = mapped_column(String(255), comment="path of the grid when filed")
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="RESTRICT"), comment="the registry's site, if it is one"
    )
    place: Mapped[str] = mapped_column(String(200), comment="场所或楼栋, as the patroller named it")
    inspected_on: Mapped[dt.date] = mapped_column(Date)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    findings: Mapped[int] = mapped_column(default=0, comment="hazards the checklist found")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Hazard(TenantScoped, Base):
    """A fire hazard (火灾隐患) with its grade, place and rectification deadline (整改期限).

    Its life — rectifying, waiting for the re-check (复查), eliminated — is the state of its
    task (type ``fire_safety.hazard``), so lists, cards, escalation and supervision are the
    task engine's; this row holds what only the fire-safety ledger (整改台帐) needs.
    """

    __tablename__ = "fire_safety_hazards"
    __table_args__ = (
        UniqueConstraint("tenant_id", "task_id"),
        Index(
            "ix_fire_safety_hazards_tenant_id_filed_path",
            "tenant_id",
            "filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        ),
        Index("ix_fire_safety_hazards_tenant_id_site_id", "tenant_id", "site_id"),
        Index("ix_fire_safety_hazards_tenant_id_patrol_id", "tenant_id", "patrol_id"),
        Index(
            "ix_fire_safety_hazards_tenant_id_found_by_id_found_on",
            "tenant_id",
            "found_by_id",
            "found_on",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="RESTRICT"))
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the grid it was found in"
    )
    filed_path: Mapped[str] = mapped_column(String(255), comment="path of the grid when found")
    patrol_id: Mapped[int | None] = mapped_column(
        ForeignKey("fire_safety_patrols.id", ondelete="RESTRICT"),
        comment="the checklist that found it",
    )
    report_task_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="RESTRICT"),
        comment="the resident's report (举报) whose investigation found it",
    )
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    site_type: Mapped[str] = mapped_column(String(32), default="", comment="'' when not known")
    place: Mapped[str] = mapped_column(String(200))
    item: Mapped[str] = mapped_column(String(32), comment="the checklist item, e.g. hydrant")
    grade: Mapped[str] = mapped_column(String(16), comment="a Grade value")
    description: Mapped[str] = mapped_column(Text, default="")
    found_on: Mapped[dt.date] = mapped_column(Date, comment="the day of the inspection")
    deadline: Mapped[dt.date] = mapped_column(Date, comment="整改期限: rectified by this day")
    found_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rectified_on: Mapped[dt.date | None] = mapped_column(
        Date, comment="the county day the re-check (复查) passed"
    )
    published_at: Mapped[dt.datetime | None] = mapped_column(
        comment="向社会公告: when the county published it"
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def is_major(self) -> bool:
        return self.grade == Grade.MAJOR


class AbilityCheck(TenantScoped, Base):
    """A "four abilities" check of a site (四个能力建设): 检查消除火灾隐患、扑救初起火灾、组织疏散
    逃生、消防宣传教育. A check of a site whose previous check passed is its re-visit (回头看)."""

    __tablename__ = "fire_safety_ability_checks"
    __table_args__ = (
        UniqueConstraint("tenant_id", "submission_id"),
        Index(
            "ix_fire_safety_ability_checks_tenant_id_filed_path",
            "tenant_id",
            "filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        ),
        Index(
            "ix_fire_safety_ability_checks_tenant_id_node_id_place", "tenant_id", "node_id", "place"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("form_submissions.id", ondelete="RESTRICT")
    )
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    filed_path: Mapped[str] = mapped_column(String(255))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    place: Mapped[str] = mapped_column(String(200))
    checked_on: Mapped[dt.date] = mapped_column(Date)
    passed: Mapped[bool] = mapped_column(comment="达标: every ability met, facilities working")
    failed: Mapped[list[str]] = mapped_column(
        default=list, comment="the abilities (or facilities) not met"
    )
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("fire_safety_ability_checks.id", ondelete="RESTRICT"),
        comment="the site's check before this one",
    )
    is_revisit: Mapped[bool] = mapped_column(
        default=False, comment="回头看: the previous check of the site had passed"
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
