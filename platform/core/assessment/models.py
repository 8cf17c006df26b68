"""Assessment records: the county's scheme versions, leave requests (请销假), manual scores,
the monthly runs and the sheets they produce, one line per rule of the scheme."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.core.db import Base, TenantScoped, utcnow
from gridgov.core.files.models import FileJob
from gridgov.core.i18n import _


class AssessmentScheme(TenantScoped, Base):
    """One version of a county's scheme (考核方案), in force from ``first_month`` on until a
    version made later takes over (``scheme.version_for``): a month is always scored with the
    version in force that month. Versions are never edited; a change is a new version."""

    __tablename__ = "assessment_schemes"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(comment="1, 2, … within the county")
    first_month: Mapped[str] = mapped_column(String(7), comment="YYYY-MM it applies from")
    definition: Mapped[dict[str, Any]] = mapped_column(
        comment="categories, lines, bands, floating share (assessment.scheme.Scheme)"
    )
    source: Mapped[str] = mapped_column(String(16), comment="default, portal, api or manifest")
    note: Mapped[str] = mapped_column(Text, default="", comment="why the scheme changed")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LeaveState(StrEnum):
    REQUESTED = "requested"  # 请假: waiting for the station
    APPROVED = "approved"  # 准假: the days do not count against the worker
    REFUSED = "refused"  # 不准假
    ENDED = "ended"  # 销假: the worker reported back (possibly early)
    CANCELLED = "cancelled"  # withdrawn by the worker before a decision


# Leave that lowers what is expected of a worker (an approved leave, and one reported back).
EXCUSING_STATES = frozenset({LeaveState.APPROVED, LeaveState.ENDED})


class LeaveRequest(TenantScoped, Base):
    """请销假: a grid worker asks for days off, the station approves or refuses, the worker
    reports back (销假). Approved days lower the patrols and logs expected in the assessment."""

    __tablename__ = "leave_requests"
    __table_args__ = (
        Index("ix_leave_requests_tenant_id_user_id_first_day", "tenant_id", "user_id", "first_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date, comment="inclusive; lowered when back early")
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), comment="a LeaveState value")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_name: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decision_note: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[dt.datetime | None] = mapped_column(comment="销假: when the worker came back")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ManualScore(TenantScoped, Base):
    """A person's score on a manual line of the scheme for one worker and month (the
    supervisor's, a resident representative's, the community's). Several scorers on one line
    are averaged."""

    __tablename__ = "assessment_manual_scores"
    __table_args__ = (
        UniqueConstraint("tenant_id", "month", "user_id", "line", "scorer"),
        Index("ix_assessment_manual_scores_tenant_id_month", "tenant_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), comment="YYYY-MM")
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), comment="the grid worker scored"
    )
    line: Mapped[str] = mapped_column(String(127), comment="the scheme line's code")
    scorer: Mapped[str] = mapped_column(
        String(100), comment="who gave it: a user's username, or a representative's name"
    )
    points: Mapped[float] = mapped_column(comment="0 … the line's points")
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_by_name: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AssessmentRun(FileJob, TenantScoped, Base):
    """One scoring of a county's month by a background job (RQ; inline on the embedded
    default): which scheme, how far it is, how many sheets it wrote."""

    __tablename__ = "assessment_runs"
    not_found = _("没有这次考核计算")
    __table_args__ = (Index("ix_assessment_runs_tenant_id_month", "tenant_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), comment="YYYY-MM")
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id", ondelete="RESTRICT"))
    sheets: Mapped[int | None] = mapped_column(comment="sheets written")
    error: Mapped[str | None] = mapped_column(Text)


class SheetState(StrEnum):
    DRAFT = "draft"  # computed; a re-run recomputes it
    LOCKED = "locked"  # the county confirmed the month: it never changes again


class AssessmentSheet(TenantScoped, Base):
    """A grid worker's month (考核表): the total out of 100, the band, the floating pay, the
    indicators, and one line per rule of the scheme explaining its points."""

    __tablename__ = "assessment_sheets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "month", "user_id"),
        Index("ix_assessment_sheets_tenant_id_month_node_path", "tenant_id", "month", "node_path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), comment="YYYY-MM")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    user_name: Mapped[str] = mapped_column(String(100), comment="the worker's name that month")
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("nodes.id", ondelete="SET NULL"), comment="the worker's (first) grid"
    )
    node_path: Mapped[str] = mapped_column(String(255), comment="its path, for scoped reading")
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id", ondelete="RESTRICT"))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment_runs.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(16), default=SheetState.DRAFT.value)
    total: Mapped[float] = mapped_column(comment="out of 100, two decimals")
    band: Mapped[str] = mapped_column(String(32), comment="the pay band's label, e.g. ≥90")
    pay_percent: Mapped[float] = mapped_column(comment="share of the floating pay paid")
    floating_amount: Mapped[float | None] = mapped_column(
        comment="yuan paid of the floating share; None: the county set no salary"
    )
    indicators: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment="valid-report, on-time, missed-report and visit rates"
    )
    pending_lines: Mapped[int] = mapped_column(default=0, comment="manual lines not scored yet")
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[AssessmentLine]] = relationship(
        cascade="all, delete-orphan", order_by="AssessmentLine.ordinal"
    )


class LineStatus(StrEnum):
    SCORED = "scored"
    NOT_APPLICABLE = "not_applicable"  # e.g. a module not admitted in the worker's township
    PENDING = "pending"  # a manual line nobody has scored yet


class AssessmentLine(TenantScoped, Base):
    """One line of a sheet: the rule, the figures behind it, the records counted (their ids by
    kind) and the points out of the line's maximum."""

    __tablename__ = "assessment_lines"
    __table_args__ = (
        Index("ix_assessment_lines_tenant_id_sheet_id", "tenant_id", "sheet_id"),
        # The sheet's foreign key alone: replacing a month's sheets deletes them, and the
        # database looks up each one's lines by sheet_id (a county of 10,000 workers).
        Index("ix_assessment_lines_sheet_id", "sheet_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("assessment_sheets.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(comment="place on the sheet")
    code: Mapped[str] = mapped_column(String(127), comment="the scheme line, e.g. core.patrols")
    category: Mapped[str] = mapped_column(String(16), comment="integrity, ability, …")
    source: Mapped[str] = mapped_column(String(63), comment="core, manual, or the module's name")
    label: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), comment="a LineStatus value")
    points: Mapped[float | None] = mapped_column(
        comment="the points counted: the rule's, or the latest adjustment's; None unless scored"
    )
    computed_points: Mapped[float | None] = mapped_column(comment="the rule's, before adjustment")
    adjustment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment_adjustments.id", ondelete="SET NULL"),
        comment="the adjustment in force on the line, if any",
    )
    max_points: Mapped[float] = mapped_column()
    detail: Mapped[str] = mapped_column(Text, default="", comment="the figures, in words")
    detail_en: Mapped[str] = mapped_column(
        Text, default="", comment="a module's own English words, if it gave them"
    )
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict, comment="the figures as data")
    evidence: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment="ids of the records counted, by kind (task, patrol, visit, …)"
    )


class Adjustment(TenantScoped, Base):
    """A reviewer's change to one line of a worker's month, with the reason (audited). The
    latest adjustment of a line holds: a re-run keeps it; after the month is locked a
    correction is a new adjustment by the county, never a re-run."""

    __tablename__ = "assessment_adjustments"
    __table_args__ = (
        Index("ix_assessment_adjustments_tenant_id_month_user_id", "tenant_id", "month", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), comment="YYYY-MM")
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), comment="the grid worker"
    )
    line: Mapped[str] = mapped_column(String(127), comment="the scheme line's code")
    points_before: Mapped[float | None] = mapped_column(comment="the line's points before")
    points: Mapped[float] = mapped_column(comment="the line's points from now on")
    reason: Mapped[str] = mapped_column(Text)
    objection_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment_objections.id", ondelete="SET NULL"),
        comment="the objection it answers, if any",
    )
    after_lock: Mapped[bool] = mapped_column(
        default=False, comment="a correction of a locked month"
    )
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    made_by_name: Mapped[str] = mapped_column(String(100))
    made_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ObjectionState(StrEnum):
    OPEN = "open"  # raised, waiting for the supervisor's answer
    ESCALATED = "escalated"  # not answered by the deadline: the township (then county) answers
    ANSWERED = "answered"


class Objection(TenantScoped, Base):
    """复核: a worker disputes a line of their sheet; the supervisor answers by a deadline the
    county sets (an unanswered objection escalates), and the answer is part of the sheet."""

    __tablename__ = "assessment_objections"
    __table_args__ = (
        Index("ix_assessment_objections_tenant_id_month_user_id", "tenant_id", "month", "user_id"),
        Index("ix_assessment_objections_tenant_id_state_due_at", "tenant_id", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), comment="YYYY-MM")
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), comment="the worker objecting"
    )
    line: Mapped[str] = mapped_column(String(127), comment="the line disputed")
    text: Mapped[str] = mapped_column(Text, comment="what the worker says")
    state: Mapped[str] = mapped_column(String(16), comment="an ObjectionState value")
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(comment="the answer is due by then")
    escalated_at: Mapped[dt.datetime | None] = mapped_column()
    answer: Mapped[str | None] = mapped_column(Text)
    upheld: Mapped[bool | None] = mapped_column(comment="True: the line was changed")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_by_name: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[dt.datetime | None] = mapped_column()


class PayoutState(StrEnum):
    PENDING = "pending"  # 待兑现
    PAID = "paid"  # 已兑现


# AssessmentPeriod.kind: a month the county locked, or a payout period.
LOCK = "lock"
PAYOUT = "payout"


class AssessmentPeriod(TenantScoped, Base):
    """A month the county confirmed and locked (its sheets never change again), or a payout
    period (a month, or a quarter ``YYYY-Qn``) with its payout status (待兑现 → 已兑现) and the
    date the county promised to pay by."""

    __tablename__ = "assessment_periods"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), comment="lock (a month) or payout")
    period: Mapped[str] = mapped_column(String(7), comment="YYYY-MM, or YYYY-Qn for a quarter")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="locked, or payout opened")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    by_name: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[dt.date | None] = mapped_column(Date, comment="payout: promised by this day")
    payout_state: Mapped[str | None] = mapped_column(String(16), comment="a PayoutState value")
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    amount: Mapped[float | None] = mapped_column(comment="payout: yuan of floating pay in total")


class SatisfactionAnswer(StrEnum):
    SATISFIED = "satisfied"
    BASIC = "basic"
    UNSATISFIED = "unsatisfied"


class SpotCheck(TenantScoped, Base):
    """抽查: someone asks a resident of a worker's grid whether they know their grid worker,
    were visited, and are satisfied — giving 知晓率、入户率、满意率 per worker."""

    __tablename__ = "assessment_spot_checks"
    __table_args__ = (
        Index("ix_assessment_spot_checks_tenant_id_user_id_at", "tenant_id", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), comment="the grid worker checked on"
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), comment="the household asked, if known"
    )
    resident: Mapped[str] = mapped_column(String(100), default="", comment="who was asked")
    knows_worker: Mapped[bool] = mapped_column(comment="knew their grid worker (知晓)")
    was_visited: Mapped[bool] = mapped_column(comment="says they were visited (入户)")
    satisfaction: Mapped[str] = mapped_column(String(16), comment="a SatisfactionAnswer value")
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_by_name: Mapped[str] = mapped_column(String(100))


class Meeting(TenantScoped, Base):
    """晨会: a station's morning meeting on a day; the station records who attended."""

    __tablename__ = "assessment_meetings"
    __table_args__ = (UniqueConstraint("tenant_id", "node_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the station (community) holding it"
    )
    day: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_by_name: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    attendance: Mapped[list[MeetingAttendance]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingAttendance.id"
    )


class MeetingAttendance(TenantScoped, Base):
    """Whether one grid worker expected at a morning meeting was there."""

    __tablename__ = "assessment_meeting_attendance"
    __table_args__ = (UniqueConstraint("tenant_id", "meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_meetings.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    present: Mapped[bool] = mapped_column()


class LogComment(TenantScoped, Base):
    """The station's comment on a worker's daily log (网格员日志): read, and what it says."""

    __tablename__ = "worker_log_comments"
    __table_args__ = (Index("ix_worker_log_comments_tenant_id_log_id", "tenant_id", "log_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("worker_logs.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
