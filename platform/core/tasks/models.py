"""Tasks (事件), their append-only transition log, links, cards, supervision, notifications,
the county's versioned rule table and calendar overrides, and the dashboard counters."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from gridgov.core.db import Base, TenantScoped, utcnow
from gridgov.core.files.models import FileJob, StoredFile
from gridgov.core.i18n import _
from gridgov.core.tenancy import county_cache

if TYPE_CHECKING:
    from gridgov.core.hierarchy.models import Node


class Track(StrEnum):
    """The three tracks of DOMAIN.md "The task cycle"."""

    GENERAL = "general"  # 一般性: handled on the spot, then registered
    COORDINATE = "coordinate"  # 需要协调: taken back to the station and coordinated
    EMERGENCY = "emergency"  # 突发: reported upward at once


class Source(StrEnum):
    PATROL = "patrol"  # 网格员巡查
    RESIDENT = "resident"  # 居民反映
    DEPARTMENT = "department"  # 职能部门
    HOTLINE = "hotline"  # 12345 热线等外部系统
    SYSTEM = "system"  # 系统规则（如走访到期）


class Card(StrEnum):
    NONE = "none"
    YELLOW = "yellow"  # 黄牌: near the stage's limit
    RED = "red"  # 红牌: over it


class Rating(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASIC = "basic"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


class Task(TenantScoped, Base):
    """One event (事件). ``node_id`` is the grid it was filed under and keeps it through
    re-gridding; ``current_node_id`` is the level it waits on now (escalation moves it up)."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        # A key belongs to its reporter: another reporter's equal key is a key of their own.
        UniqueConstraint("tenant_id", "reporter_id", "source", "external_id"),
        UniqueConstraint("tenant_id", "reporter_id", "idempotency_key"),
        Index("ix_tasks_tenant_id_node_id_due_at", "tenant_id", "node_id", "due_at"),
        Index(
            "ix_tasks_tenant_id_filed_path",
            "tenant_id",
            "filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        ),
        Index(
            "ix_tasks_tenant_id_current_path",
            "tenant_id",
            "current_path",
            postgresql_ops={"current_path": "text_pattern_ops"},
        ),
        Index("ix_tasks_tenant_id_current_node_id_state", "tenant_id", "current_node_id", "state"),
        Index("ix_tasks_tenant_id_is_open_due_at", "tenant_id", "is_open", "due_at"),
        # The card sweep's candidates, both colours: a stage's yellow threshold is never after
        # its red one (deadlines.start_stage).
        Index("ix_tasks_tenant_id_is_open_yellow_at", "tenant_id", "is_open", "yellow_at"),
        Index(
            "ix_tasks_tenant_id_card_filed_path",
            "tenant_id",
            "card",
            "filed_path",
            postgresql_ops={"filed_path": "text_pattern_ops"},
        ),
        # Partial where most tasks have no value (no department, not closed): every index entry
        # a carded task's row would need costs the sweep ~2 µs, and such a row needs none here.
        Index(
            "ix_tasks_tenant_id_department_id",
            "tenant_id",
            "department_id",
            postgresql_where=text("department_id IS NOT NULL"),
            sqlite_where=text("department_id IS NOT NULL"),
        ),
        # The waiting lists: the tasks of a type in the states a rule starts from.
        Index("ix_tasks_tenant_id_task_type_state", "tenant_id", "task_type", "state"),
        # Period reports count tasks reported or closed within a county's days.
        Index("ix_tasks_tenant_id_reported_at", "tenant_id", "reported_at"),
        Index(
            "ix_tasks_tenant_id_closed_at",
            "tenant_id",
            "closed_at",
            postgresql_where=text("closed_at IS NOT NULL"),
            sqlite_where=text("closed_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), comment="tracking code, the resident's handle")
    task_type: Mapped[str] = mapped_column(String(64), comment="a registered TaskType name")
    category: Mapped[str] = mapped_column(String(64), comment="e.g. 民生事项, 矛盾纠纷")
    source: Mapped[str] = mapped_column(String(16), comment="a Source value")
    track: Mapped[str] = mapped_column(String(16), comment="a Track value")
    state: Mapped[str] = mapped_column(String(32), comment="a state of the task type's workflow")
    is_open: Mapped[bool] = mapped_column(default=True, comment="False once closed or after")
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the grid it was filed under"
    )
    filed_path: Mapped[str] = mapped_column(
        String(255), comment="path of the filed grid at report time: scope and counters use it"
    )
    current_node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the level it waits on now"
    )
    current_path: Mapped[str] = mapped_column(String(255), comment="path of current_node")
    assignee_role: Mapped[str | None] = mapped_column(
        String(32), comment="dispatched to this role at current_node"
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), comment="dispatched to a department"
    )
    dispatcher_node_id: Mapped[int | None] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"),
        comment="the level that dispatched it: returns and results go back there",
    )
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), comment="None: a resident or another system"
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location_text: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    longitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    priority: Mapped[int] = mapped_column(default=2, comment="1 high, 2 normal, 3 low")
    deadline: Mapped[dt.datetime | None] = mapped_column(comment="overall deadline, if given")
    stage_started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    yellow_at: Mapped[dt.datetime | None] = mapped_column(comment="the stage's yellow threshold")
    due_at: Mapped[dt.datetime | None] = mapped_column(
        comment="the stage's limit (SLA), never later than the deadline"
    )
    red_at: Mapped[dt.datetime | None] = mapped_column(comment="the stage's red threshold")
    rule_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_rule_versions.id", ondelete="RESTRICT"),
        comment="the county's rules in force when the stage started; None: the engine's",
    )
    card: Mapped[str] = mapped_column(String(8), default=Card.NONE.value)
    card_at: Mapped[dt.datetime | None] = mapped_column(comment="when the current card was given")
    is_supervised: Mapped[bool] = mapped_column(default=False, comment="督办: under supervision")
    rating: Mapped[str | None] = mapped_column(String(16), comment="a Rating value")
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    external_id: Mapped[str | None] = mapped_column(
        String(100), comment="the id another system (12345 hotline) gave it: intake is idempotent"
    )
    idempotency_key: Mapped[str | None] = mapped_column(
        String(100), comment="the key an offline draft was sent with: resent, it is not doubled"
    )
    reported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    transitions: Mapped[list[TaskTransition]] = relationship(
        back_populates="task", order_by="TaskTransition.id", viewonly=True
    )
    # What the task's page shows beside it, loaded with the task in one statement
    # (gridgov.core.tasks.detail); read-only: links, cards and files are added by their
    # services (gridgov.core.tasks.reporting.attach_file expires ``attachments``).
    node: Mapped[Node] = relationship(foreign_keys=[node_id], viewonly=True)
    current_node: Mapped[Node] = relationship(foreign_keys=[current_node_id], viewonly=True)
    links: Mapped[list[TaskLink]] = relationship(order_by="TaskLink.id", viewonly=True)
    cards: Mapped[list[TaskCard]] = relationship(order_by="TaskCard.id", viewonly=True)
    attachments: Mapped[list[StoredFile]] = relationship(
        secondary="task_attachments", order_by="TaskAttachment.id", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Task {self.code} {self.state}>"


class TaskTransition(TenantScoped, Base):
    """One step of a task's life. Append-only: the ORM refuses changes and, on PostgreSQL, the
    application's role may only insert (APPEND_ONLY_TABLES)."""

    __tablename__ = "task_transitions"
    __table_args__ = (
        Index("ix_task_transitions_tenant_id_task_id", "tenant_id", "task_id"),
        Index("ix_task_transitions_tenant_id_department_id_at", "tenant_id", "department_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(32), comment="report, accept, dispatch …")
    from_state: Mapped[str | None] = mapped_column(String(32), comment="None: the report")
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), comment="None: a resident or the system"
    )
    actor_name: Mapped[str] = mapped_column(String(100))
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="where the task waits afterwards"
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"),
        comment="the department the step concerned: dispatched to it, handled or returned by it",
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    file_ids: Mapped[list[str]] = mapped_column(default=list, comment="stored_files ids")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    task: Mapped[Task] = relationship(back_populates="transitions")


class TaskTransitionIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_log_rewrites(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TaskTransition) and (obj in session.deleted or session.is_modified(obj)):
            raise TaskTransitionIsAppendOnly("task transitions cannot be changed or deleted")


class TaskLink(TenantScoped, Base):
    """A person, dwelling or site the task concerns. No foreign key on purpose: the registry
    lives in another package and resolves ``(kind, ref_id)`` itself."""

    __tablename__ = "task_links"
    __table_args__ = (
        UniqueConstraint("tenant_id", "task_id", "kind", "ref_id"),
        Index("ix_task_links_tenant_id_kind_ref_id", "tenant_id", "kind", "ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), comment="person, dwelling or site")
    ref_id: Mapped[int] = mapped_column(comment="id of the registry row")


class TaskAttachment(TenantScoped, Base):
    """A photo or document of a task (the file itself is in stored_files)."""

    __tablename__ = "task_attachments"
    __table_args__ = (Index("ix_task_attachments_tenant_id_task_id", "tenant_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TaskCard(TenantScoped, Base):
    """A yellow or red card a task got in a stage: kept for assessment (考核)."""

    __tablename__ = "task_cards"
    __table_args__ = (
        Index("ix_task_cards_tenant_id_task_id", "tenant_id", "task_id"),
        Index("ix_task_cards_tenant_id_at", "tenant_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    color: Mapped[str] = mapped_column(String(8), comment="yellow or red")
    state: Mapped[str] = mapped_column(String(32), comment="the stage it was given in")
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the level the task waited on"
    )
    due_at: Mapped[dt.datetime] = mapped_column()
    rule_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_rule_versions.id", ondelete="RESTRICT"),
        comment="the rules (and card points) in force for the stage; None: the engine's",
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Supervision(TenantScoped, Base):
    """督办 / 挂牌督办: a county or township watches a task until it is closed."""

    __tablename__ = "task_supervisions"
    __table_args__ = (
        Index(
            "ix_task_supervisions_tenant_id_node_id_ended_at", "tenant_id", "node_id", "ended_at"
        ),
        Index("ix_task_supervisions_tenant_id_task_id", "tenant_id", "task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the supervising level"
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"),
        comment="who ordered it; NULL: a county's standing rule did (e.g. 重大隐患自动挂牌)",
    )
    note: Mapped[str] = mapped_column(Text)
    due_at: Mapped[dt.datetime] = mapped_column()
    is_listed: Mapped[bool] = mapped_column(default=False, comment="挂牌督办: posted publicly")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(comment="set when the task closes")

    task: Mapped[Task] = relationship()


class Notification(TenantScoped, Base):
    """An in-app message to a user about a task (a card, an emergency, a dispatch)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_tenant_id_user_id_read_at", "tenant_id", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32), comment="card.yellow, card.red, emergency …")
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column()


class TaskRuleVersion(TenantScoped, Base):
    """One version of a county's rule table (办理时限、红黄牌、自动上报、扣分). Every change
    is a new version with who made it and when; a task's stage keeps the version it started
    under, and a card the version it was given under. Versions are never changed or deleted."""

    __tablename__ = "task_rule_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(comment="1, 2, … within the county")
    source: Mapped[str] = mapped_column(String(16), comment="portal, api, manifest or migration")
    note: Mapped[str] = mapped_column(Text, default="", comment="why the rules changed")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), comment="None: a manifest or a migration"
    )
    created_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TaskRule(TenantScoped, Base):
    """One row of a version of the county's rule table. The keys (type, category, level,
    stage) say where it applies, None meaning "any"; each setting left None is taken from the
    next less specific rule, and in the end from the engine's defaults (``rules.py``)."""

    __tablename__ = "task_rules"
    __table_args__ = (Index("ix_task_rules_tenant_id_version_id", "tenant_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("task_rule_versions.id", ondelete="RESTRICT")
    )
    task_type: Mapped[str | None] = mapped_column(String(64), comment="None: every type")
    category: Mapped[str | None] = mapped_column(String(64), comment="None: every category")
    level: Mapped[int | None] = mapped_column(comment="level the task waits on; None: any")
    state: Mapped[str | None] = mapped_column(String(32), comment="the stage; None: every stage")
    hours: Mapped[float | None] = mapped_column(
        Numeric(8, 2, asdecimal=False), comment="the stage's limit in working hours"
    )
    yellow_percent: Mapped[int | None] = mapped_column(comment="yellow card at this % of it")
    red_percent: Mapped[int | None] = mapped_column(comment="red card at this % of it")
    escalate: Mapped[bool | None] = mapped_column(comment="a red task goes up by itself")
    escalate_to_level: Mapped[int | None] = mapped_column(comment="to this level; None: next")
    yellow_points: Mapped[float | None] = mapped_column(
        Numeric(5, 2, asdecimal=False), comment="assessment points a yellow card deducts"
    )
    red_points: Mapped[float | None] = mapped_column(
        Numeric(5, 2, asdecimal=False), comment="assessment points a red card deducts"
    )


class CalendarDay(TenantScoped, Base):
    """A county's override of the national calendar: a local holiday or an extra working day."""

    __tablename__ = "work_calendar_days"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    is_workday: Mapped[bool] = mapped_column()
    note: Mapped[str] = mapped_column(String(100), default="")


class TaskCounter(TenantScoped, Base):
    """How many tasks of one node, report month, category, track, state, level and rating there
    are, kept up to date in the transaction of every change: a dashboard sums these rows for a
    subtree instead of scanning the tasks."""

    __tablename__ = "task_counters"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "node_id", "month", "category", "track", "state", "level", "rating"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    month: Mapped[dt.date] = mapped_column(Date, comment="first day of the report month")
    category: Mapped[str] = mapped_column(String(64))
    track: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(comment="level of the node the tasks wait on")
    rating: Mapped[str] = mapped_column(String(16), comment="'' when not rated")
    tasks: Mapped[int] = mapped_column(default=0)
    handling_seconds: Mapped[int] = mapped_column(
        BigInteger, default=0, comment="sum of report-to-close times of the closed ones"
    )


class Patrol(TenantScoped, Base):
    """A patrol check-in (一日双巡: two patrols a day), with the time and place."""

    __tablename__ = "patrols"
    __table_args__ = (Index("ix_patrols_tenant_id_user_id_at", "tenant_id", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    place: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    longitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    note: Mapped[str] = mapped_column(Text, default="")


class WorkerLog(TenantScoped, Base):
    """A grid worker's daily log (网格员日志): one entry per worker and day."""

    __tablename__ = "worker_logs"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    day: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NoticeBoardEntry(TenantScoped, Base):
    """What a grid's notice board (公示板) may show of its worker: the phone only if allowed."""

    __tablename__ = "notice_board_entries"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    shows_phone: Mapped[bool] = mapped_column(default=False)
    photo_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_files.id", ondelete="SET NULL"), comment="the worker's photo"
    )


class SpentChallenge(Base):
    """A resident form's challenge once checked: the same one sent again before it expires is
    refused, whichever web process gets it. No tenant: a nonce is random and tells nothing."""

    __tablename__ = "spent_challenges"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(
        index=True, comment="when the challenge would have expired anyway; forgotten after"
    )


class TaskExport(FileJob, TenantScoped, Base):
    """A task list written to .xlsx by a background job (the red- or yellow-card list of a
    subtree can hold tens of thousands of tasks): what was asked, how far it is, the file."""

    __tablename__ = "task_exports"
    not_found = _("没有这次导出")
    not_ready = _("导出文件尚未生成")
    __table_args__ = (
        Index("ix_task_exports_tenant_id_created_by_id_id", "tenant_id", "created_by_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="RESTRICT"), comment="the subtree listed"
    )
    card: Mapped[str] = mapped_column(String(16), comment="Card: the list of red or yellow")
    rows: Mapped[int | None] = mapped_column(comment="tasks written")
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_files.id", ondelete="RESTRICT"), comment="the .xlsx once written"
    )


# The rule table (gridgov.core.tasks.rules) and the calendar's overrides
# (gridgov.core.tasks.calendar) are kept between requests.
county_cache.watch(TaskRuleVersion, TaskRule, CalendarDay)
