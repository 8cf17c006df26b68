"""Users, operators and their API tokens. A user's posts at nodes are
``gridgov.core.hierarchy.models.Assignment``."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.core.db import Base, TenantScoped, utcnow
from gridgov.core.hierarchy.models import Assignment


class Role(StrEnum):
    """Roles of county staff (DOMAIN.md "Who uses the platform"). Operators are not users."""

    COUNTY_ADMIN = "county_admin"  # 综治办 / 网格化管理服务中心; the 系统管理员 of 三员分立
    TOWNSHIP_STAFF = "township_staff"  # 乡镇/街道 网格化管理服务所
    STATION_STAFF = "station_staff"  # 社区网格化管理服务站
    SUPERVISOR = "supervisor"  # 督导员
    GRID_WORKER = "grid_worker"  # 网格员
    VOLUNTEER = "volunteer"  # 信息员 / 楼栋长 / 志愿者
    DEPARTMENT_OFFICER = "department_officer"  # 职能部门
    SECURITY_ADMIN = "security_admin"  # 安全管理员 (三员分立): accounts, roles, assignments, locks
    AUDIT_ADMIN = "audit_admin"  # 审计管理员 (三员分立): reads the audit log, changes nothing


# 三员分立 (separation of administrators, GB/T 22239 level 3): the system administrator runs the
# county, the security administrator manages accounts, the audit administrator reads the audit
# log. None of them manages another's account in the portal or the API: administrator accounts
# are created and changed on the server's command line (``gridgov users``), audited.
ADMINISTRATOR_ROLES = frozenset({Role.COUNTY_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
# Administrators who do none of the county's work: they read no residents' records, no tasks
# and no reports, only what their office needs (accounts; the audit log).
NON_WORKING_ROLES = frozenset({Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


class Credentials:
    """Login state shared by county users and platform operators."""

    password_hash: Mapped[str | None] = mapped_column(
        String(255), comment="argon2id; None: no login"
    )
    failed_logins: Mapped[int] = mapped_column(default=0, comment="consecutive failures")
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    last_login_at: Mapped[dt.datetime | None] = mapped_column(comment="None: never logged in")
    password_changed_at: Mapped[dt.datetime | None] = mapped_column()
    must_change_password: Mapped[bool] = mapped_column(
        default=False, comment="set by someone else (initial, reset): change at next login"
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def is_locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


class User(Credentials, TenantScoped, Base):
    """A member of a county's staff (or a volunteer), seeing only the subtrees assigned to them."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "username"),)
    actor_type: ClassVar[str] = "user"  # in the audit log

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), comment="real name, e.g. 王建国")
    role: Mapped[str] = mapped_column(String(32), comment="a Role value")
    phone: Mapped[str | None] = mapped_column(
        String(32), comment="work phone shown on the grid's notice board (公示板) if allowed"
    )
    locale: Mapped[str | None] = mapped_column(String(8), comment="zh_CN (default) or en")
    # The second factor (accounts.second_factor): required of administrators.
    totp_secret_cipher: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="AES-GCM of the TOTP secret; None: no second factor"
    )
    totp_confirmed_at: Mapped[dt.datetime | None] = mapped_column(
        comment="None: enrolment not finished (or none)"
    )
    totp_last_step: Mapped[int | None] = mapped_column(
        comment="time step of the last code accepted (no replay)"
    )
    recovery_code_hashes: Mapped[list[str] | None] = mapped_column(
        JSON, comment="keyed hashes of the unused recovery codes"
    )

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Assignment.id"
    )

    # Flask-Login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"user:{self.id}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class Operator(Credentials, Base):
    """A platform operator (平台运维): manages tenants, belongs to none, sees no county's data."""

    __tablename__ = "operators"
    actor_type: ClassVar[str] = "operator"  # in the audit log

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))

    def get_id(self) -> str:
        return f"operator:{self.id}"


class ApiToken(TenantScoped, Base):
    """An OAuth 2 bearer token of a county user. Only a hash of the token is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash"),
        Index("ix_api_tokens_tenant_id_user_id", "tenant_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), comment="sha256 hex of the token")
    scope: Mapped[str] = mapped_column(String(500), comment="space-separated OAuth scopes")
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class OperatorToken(Base):
    """A bearer token of a platform operator, for the operator API (/api/v1/…)."""

    __tablename__ = "operator_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column()

    operator: Mapped[Operator] = relationship()
