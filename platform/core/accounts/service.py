"""Use cases of accounts: staff users and their node assignments, logging in with lockout,
platform operators, and API bearer tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from typing import Any, NoReturn

from authlib.common.security import generate_token
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from gridgov.core.accounts.models import (
    ApiToken,
    Assignment,
    Operator,
    OperatorToken,
    Role,
    User,
)
from gridgov.core.accounts.passwords import (
    check_strength,
    hash_password,
    needs_rehash,
    one_time_password,
    verify_password,
)
from gridgov.core.audit import service as audit
from gridgov.core.audit.service import Actor
from gridgov.core.db import current_tenant_id, utcnow
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tenancy.models import Tenant
from gridgov.core.tenancy.service import current_tenant
from gridgov.core.text import check_text

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")

# Roles that may only be attached to basic grids, and the one of them that is responsible.
GRID_ONLY_ROLES = frozenset({Role.GRID_WORKER, Role.SUPERVISOR})

# OAuth scopes a county user's token may carry. Writes need their own scope.
USER_SCOPES = (
    "hierarchy:read",
    "hierarchy:write",
    "users:read",
    "users:write",
    "audit:read",
    "departments:read",
    "departments:write",
    "registry:read",
    "registry:write",
    "registry:unmask",
    "admission:read",
    "admission:write",
    "forms:read",
    "forms:write",
)
USER_SCOPES += ("tasks:read", "tasks:write", "tasks:intake")
# The county's rule table and work calendar: read by staff, changed by county administrators.
USER_SCOPES += ("rules:read", "rules:write")
# The monthly assessment: sheets are read by the worker and their reviewers; writes are the
# review, objections, human inputs, leave, runs and the lock (each checked by role).
USER_SCOPES += ("assessment:read", "assessment:write")
OPERATOR_SCOPES = ("tenants:read", "tenants:write")
OPERATOR_SCOPES += ("plugins:read",)
# Least privilege by default: a token asked for without scopes may only read (not unmask, not
# take residents' reports in); anything more is asked for by name.
DEFAULT_USER_SCOPES = tuple(s for s in USER_SCOPES if s.endswith(":read"))
DEFAULT_OPERATOR_SCOPES = tuple(s for s in OPERATOR_SCOPES if s.endswith(":read"))
# Every token expires: after TOKEN_DAYS unless asked otherwise, never later than MAX_TOKEN_DAYS.
TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366


class LoginFailed(DomainError):
    """Wrong username or password: one message for both, so a failure never tells whether the
    account exists. ``known`` says it to the caller's code only, never to the person: the web
    layer uses it to lock unknown names exactly as accounts lock (``AccountLocked``)."""

    status = 401

    def __init__(self, message: Any, *, known: bool) -> None:
        super().__init__(message)
        self.known = known


class AccountLocked(LoginFailed):
    """The account is locked until ``until`` after repeated failures. Said to everyone who tries
    it, whatever password they give, so a guesser learns nothing more during the lockout."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(_("账号已被锁定"), known=True)
        self.until = until


# --- users -----------------------------------------------------------------------------------


def get_user(session: Session, user_id: int) -> User:
    """The user with this id in the current tenant, or NotFound."""
    user = session.get(User, user_id)
    if user is None or user.tenant_id != current_tenant_id(session):
        raise NotFound(_("没有这个用户"))
    return user


def get_user_by_username(session: Session, username: str) -> User | None:
    """The user with this username in the current tenant, or None."""
    return session.scalar(select(User).where(User.username == username))


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    name: str,
    role: str,
    phone: str | None = None,
    password: str | None = None,
    locale: str | None = None,
) -> User:
    """Create a staff account in the current tenant; without a password it cannot log in yet."""
    username = _clean_username(username)
    if get_user_by_username(session, username) is not None:
        raise Conflict(_("用户名 %(u)s 已存在", u=username), field="username")
    user = User(
        username=username,
        name=_clean_person_name(name),
        role=_clean_role(role),
        phone=clean_phone(phone),
        locale=locale,
    )
    if password is not None:
        check_strength(password, username=username)
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        user.must_change_password = True  # someone else chose it: the owner changes it first
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, after=_snapshot(user))
    return user


def update_user(
    session: Session,
    actor: Actor,
    user: User,
    *,
    name: str | None = None,
    role: str | None = None,
    phone: Any = ...,
    is_active: bool | None = None,
    locale: Any = ...,
) -> User:
    """Change a user's name, role, phone, locale or whether the account is active."""
    before = _snapshot(user)
    if name is not None:
        user.name = _clean_person_name(name)
    if role is not None and role != user.role:
        new_role = _clean_role(role)
        if new_role in GRID_ONLY_ROLES:
            _check_grid_only(session, user, new_role, [a.node_id for a in user.assignments])
        user.role = new_role
        _sync_responsibility(session, user)
    if phone is not ...:
        user.phone = clean_phone(phone)
    if locale is not ...:
        user.locale = locale
    if is_active is not None:
        user.is_active = is_active
    after = _snapshot(user)
    if after != before:
        audit.record(session, actor, "user.update", "user", user.id, before=before, after=after)
    return user


def unlock(session: Session, actor: Actor, user: User) -> None:
    """Lift the lockout after failed logins before it runs out (the county administrator,
    when the user calls)."""
    if user.locked_until is None and not user.failed_logins:
        return
    user.locked_until = None
    user.failed_logins = 0
    audit.record(session, actor, "user.unlock", "user", user.id)


def set_password(
    session: Session,
    actor: Actor,
    user: User | Operator,
    password: str,
    *,
    one_time: bool = False,
    hashed: str | None = None,
) -> None:
    """Set a new password (complexity checked) and lift any lockout. ``one_time``: someone
    else set it (an initial password, a reset), so its owner must change it at their next
    login. ``hashed`` is the password's hash when the caller made it already: the demo gives
    its one shared password to a hundred accounts, and a hash costs a tenth of a second by
    design."""
    check_strength(password, username=user.username)
    if not one_time and user.password_hash and verify_password(user.password_hash, password):
        raise DomainError(_("新密码不能与当前密码相同"), field="password")
    user.password_hash = hashed if hashed is not None else hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = one_time
    user.failed_logins = 0
    user.locked_until = None
    if isinstance(user, User):
        audit.record(
            session, actor, "user.set_password", "user", user.id, after={"one_time": one_time}
        )


def issue_one_time_password(session: Session, actor: Actor, user: User | Operator) -> str:
    """Give ``user`` a random password to be changed at first login; returns it (shown once)."""
    password = one_time_password(user.username)
    set_password(session, actor, user, password, one_time=True)
    return password


def change_own_password(session: Session, user: User | Operator, current: str, new: str) -> None:
    """The account holder changes their password, proving they know the current one (a
    stolen open session alone cannot take the account over)."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_("当前密码不对"), field="current")
    set_password(session, user if isinstance(user, User) else None, user, new)


def assign(session: Session, actor: Actor, tenant: Tenant, user: User, node: Node) -> Assignment:
    """Attach ``user`` to ``node``. A grid worker becomes the responsible worker of the grid and
    a grid can have only one (一格一员); grid workers and supervisors attach to basic grids."""
    if node.is_retired:
        raise DomainError(_("节点 %(name)s 已撤销", name=node.name), field="nodes")
    existing = session.scalar(
        select(Assignment).where(Assignment.user_id == user.id, Assignment.node_id == node.id)
    )
    if existing is not None:
        return existing
    if user.role in GRID_ONLY_ROLES and node.level != tenant.grid_level:
        raise DomainError(
            _(
                "%(role)s 只能分配到最低一级（%(level)s）",
                role=role_label(user.role),
                level=tenant.level_names[-1],
            ),
            field="nodes",
        )
    responsible = user.role == Role.GRID_WORKER
    if responsible:
        holder = session.scalar(
            select(User)
            .join(Assignment, Assignment.user_id == User.id)
            .where(Assignment.node_id == node.id, Assignment.is_responsible.is_(True))
        )
        if holder is not None:
            raise Conflict(
                _(
                    "网格 %(grid)s 已有网格员 %(name)s（一格一员）",
                    grid=node.name,
                    name=holder.name,
                ),
                field="nodes",
            )
    assignment = Assignment(user_id=user.id, node_id=node.id, is_responsible=responsible)
    # Append (the cascade adds it to the session) rather than add first: touching the collection
    # lazy-loads it, and the autoflush of an already added assignment listed it twice.
    user.assignments.append(assignment)
    session.flush()
    audit.record(
        session,
        actor,
        "assignment.create",
        "user",
        user.id,
        after={"node": node.code, "is_responsible": responsible},
    )
    return assignment


def unassign(session: Session, actor: Actor, user: User, node: Node) -> None:
    """Detach ``user`` from ``node`` (nothing happens if they were not attached)."""
    assignment = session.scalar(
        select(Assignment).where(Assignment.user_id == user.id, Assignment.node_id == node.id)
    )
    if assignment is None:
        return
    user.assignments.remove(assignment)
    session.delete(assignment)
    audit.record(
        session,
        actor,
        "assignment.end",
        "user",
        user.id,
        before={"node": node.code, "is_responsible": assignment.is_responsible},
    )


def set_assignments(
    session: Session, actor: Actor, tenant: Tenant, user: User, nodes: Sequence[Node]
) -> None:
    """Make ``nodes`` exactly the nodes ``user`` is attached to."""
    wanted = {n.id: n for n in nodes}
    for assignment in list(user.assignments):
        if assignment.node_id not in wanted:
            node = session.get(Node, assignment.node_id)
            assert node is not None
            unassign(session, actor, user, node)
    for node in nodes:
        assign(session, actor, tenant, user, node)


def responsible_worker(session: Session, node: Node) -> User | None:
    """The grid worker responsible for ``node`` (一格一员), or None while the grid is vacant."""
    return session.scalar(
        select(User)
        .join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.node_id == node.id, Assignment.is_responsible.is_(True))
    )


def staff_of(session: Session, node: Node) -> list[User]:
    """Everyone attached to ``node`` itself, responsible worker first."""
    return list(
        session.scalars(
            select(User)
            .join(Assignment, Assignment.user_id == User.id)
            .where(Assignment.node_id == node.id)
            .order_by(Assignment.is_responsible.desc(), User.role, User.name)
        )
    )


def role_label(role: str) -> str:
    """The role's name as the UI shows it."""
    return str(ROLE_LABELS.get(role, role))


ROLE_LABELS = {
    Role.COUNTY_ADMIN: _("县级管理员"),
    Role.TOWNSHIP_STAFF: _("乡镇（街道）工作人员"),
    Role.STATION_STAFF: _("社区工作站人员"),
    Role.SUPERVISOR: _("督导员"),
    Role.GRID_WORKER: _("网格员"),
    Role.VOLUNTEER: _("信息员"),
    Role.DEPARTMENT_OFFICER: _("职能部门人员"),
    Role.SECURITY_ADMIN: _("安全管理员"),
    Role.AUDIT_ADMIN: _("审计管理员"),
}


# --- logging in ------------------------------------------------------------------------------


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    max_failures: int,
    lockout: dt.timedelta,
    operator: bool = False,
) -> User | Operator:
    """The active account with these credentials, or LoginFailed (AccountLocked while it is
    locked). Counts failures and locks the account for ``lockout`` after ``max_failures`` in a
    row; records the time of a good login. An inactive account fails like an unknown one."""
    account: User | Operator | None
    if operator:
        account = session.scalar(select(Operator).where(Operator.username == username))
    else:
        account = get_user_by_username(session, username)
    now = utcnow()
    ok = verify_password(account.password_hash if account else None, password)
    if account is None or not account.is_active:
        raise LoginFailed(_("用户名或密码错误"), known=False)
    if account.is_locked(now):
        assert account.locked_until is not None
        raise AccountLocked(account.locked_until)
    if not ok:
        fail(session, account, max_failures=max_failures, lockout=lockout)
    # With a second factor the login is not done yet: the count goes on until the code is
    # right (second_factor.check_code), or the right password would wipe out wrong codes and
    # give a code guesser as many tries as they like.
    if getattr(account, "totp_confirmed_at", None) is None:
        account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    if account.password_hash and needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account


def fail(
    session: Session, account: User | Operator, *, max_failures: int, lockout: dt.timedelta
) -> NoReturn:
    """Count a failed attempt at ``account`` (a wrong password or second-factor code): raise
    LoginFailed, or AccountLocked when it is the ``max_failures``-th in a row."""
    account.failed_logins += 1
    if account.failed_logins >= max_failures:
        account.locked_until = utcnow() + lockout
        account.failed_logins = 0
        if isinstance(account, User):
            audit.record(session, None, "user.locked", "user", account.id)
        raise AccountLocked(account.locked_until)
    raise LoginFailed(_("用户名或密码错误"), known=True)


# --- operators -------------------------------------------------------------------------------


def create_operator(session: Session, *, username: str, name: str, password: str) -> Operator:
    """Create a platform operator account."""
    username = _clean_username(username)
    if session.scalar(select(Operator).where(Operator.username == username)) is not None:
        raise Conflict(_("用户名 %(u)s 已存在", u=username), field="username")
    check_strength(password, username=username)
    operator = Operator(
        username=username,
        name=_clean_person_name(name),
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
    )
    session.add(operator)
    session.flush()
    return operator


# --- API tokens ------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    # Tokens carry 43 random characters (~256 bits), so a plain SHA-256 is enough, no KDF:
    # it only keeps a database reader from using the stored value as a token.
    return hashlib.sha256(token.encode()).hexdigest()


def token_tenant_slug(token: str) -> str | None:
    """The tenant a token string names (``ggv_<slug>_<secret>``), or None if it names none."""
    if not token.startswith("ggv_"):
        return None
    slug, sep, _secret = token[4:].rpartition("_")
    return slug if sep else None


def create_token(
    session: Session,
    actor: Actor,
    tenant: Tenant,
    user: User,
    *,
    scopes: Sequence[str] | None = None,
    description: str = "",
    expires_in: dt.timedelta | None = None,
) -> tuple[str, ApiToken]:
    """Mint a bearer token for ``user``; returns the token (shown once) and its stored record.
    Without ``scopes`` it may only read (``DEFAULT_USER_SCOPES``); it expires after
    ``expires_in`` (default ``TOKEN_DAYS``, at most ``MAX_TOKEN_DAYS``).

    The token string names its tenant, so a token presented at another tenant's URL is refused
    as 404 without ever being looked up there.
    """
    scopes = list(scopes or DEFAULT_USER_SCOPES)
    bad = sorted(set(scopes) - set(USER_SCOPES))
    if bad:
        raise DomainError(_("未知的权限范围：%(s)s", s=" ".join(bad)), field="scope")
    token = f"ggv_{tenant.slug}_{generate_token(43)}"
    record = ApiToken(
        user_id=user.id,
        token_hash=token_hash(token),
        scope=" ".join(scopes),
        description=description,
        expires_at=utcnow() + _lifetime(expires_in),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        "user",
        user.id,
        after={"token_id": record.id, "scope": record.scope},
    )
    return token, record


def create_operator_token(
    session: Session,
    operator: Operator,
    *,
    scopes: Sequence[str] | None = None,
    description: str = "",
    expires_in: dt.timedelta | None = None,
) -> tuple[str, OperatorToken]:
    """Mint a bearer token for the operator API (read-only and expiring, as ``create_token``)."""
    token = f"ggo_{generate_token(43)}"
    record = OperatorToken(
        operator_id=operator.id,
        token_hash=token_hash(token),
        scope=" ".join(scopes or DEFAULT_OPERATOR_SCOPES),
        description=description,
        expires_at=utcnow() + _lifetime(expires_in),
    )
    session.add(record)
    session.flush()
    return token, record


def _lifetime(expires_in: dt.timedelta | None) -> dt.timedelta:
    lifetime = expires_in if expires_in is not None else dt.timedelta(days=TOKEN_DAYS)
    if not dt.timedelta(0) < lifetime <= dt.timedelta(days=MAX_TOKEN_DAYS):
        raise DomainError(
            _("令牌有效期为 1 到 %(n)d 天", n=MAX_TOKEN_DAYS), field="expires_in_days"
        )
    return lifetime


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """``user``'s tokens, newest first, the revoked and expired ones too (for the record)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def get_token(session: Session, user: User, token_id: int) -> ApiToken:
    """``user``'s token with this id, or NotFound (also for another user's)."""
    record = session.get(ApiToken, token_id)
    if record is None or record.user_id != user.id or record.tenant_id != user.tenant_id:
        raise NotFound(_("没有这个令牌"))
    return record


def revoke_token(session: Session, actor: Actor, record: ApiToken) -> None:
    """End a token now (it is kept, marked revoked). Revoking twice changes nothing."""
    if record.revoked_at is not None:
        return
    record.revoked_at = utcnow()
    audit.record(
        session,
        actor,
        "token.revoke",
        "user",
        record.user_id,
        before={"token_id": record.id, "scope": record.scope},
    )


def token_state(record: ApiToken | OperatorToken, now: dt.datetime) -> str:
    """ "active", "expired" or "revoked"."""
    if record.revoked_at is not None:
        return "revoked"
    if record.expires_at is not None and record.expires_at <= now:
        return "expired"
    return "active"


def find_token(session: Session, token: str) -> ApiToken | None:
    """The current tenant's token record for this token string, or None."""
    return session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == token_hash(token))
        .options(joinedload(ApiToken.user))  # every request needs its user next: one statement
    )


def find_operator_token(session: Session, token: str) -> OperatorToken | None:
    """The operator token record for this token string, or None."""
    return session.scalar(
        select(OperatorToken).where(OperatorToken.token_hash == token_hash(token))
    )


# --- internals -------------------------------------------------------------------------------


def _check_grid_only(session: Session, user: User, role: str, node_ids: list[int]) -> None:
    tenant = current_tenant(session)
    for node in session.scalars(select(Node).where(Node.id.in_(node_ids))):
        if node.level != tenant.grid_level:
            raise DomainError(
                _(
                    "%(role)s 只能分配到最低一级，请先取消 %(name)s 的分配",
                    role=role_label(role),
                    name=node.name,
                ),
                field="role",
            )


def _sync_responsibility(session: Session, user: User) -> None:
    """After a role change, a grid worker is responsible for their grids and nobody else is."""
    for assignment in user.assignments:
        should = user.role == Role.GRID_WORKER
        if assignment.is_responsible == should:
            continue
        if should and session.scalar(
            select(Assignment.id).where(
                Assignment.node_id == assignment.node_id,
                Assignment.is_responsible.is_(True),
                Assignment.id != assignment.id,
            )
        ):
            raise Conflict(_("该网格已有网格员（一格一员）"), field="role")
        assignment.is_responsible = should


def _clean_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise DomainError(_("用户名为 2–64 位字母、数字、下划线、点或连字符"), field="username")
    return username


def _clean_person_name(name: str) -> str:
    name = check_text((name or "").strip(), field="name", one_line=True)
    if not name or len(name) > 100:
        raise DomainError(_("姓名不能为空，最长 100 个字符"), field="name")
    return name


def _clean_role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError:
        raise DomainError(_("未知角色：%(role)s", role=role), field="role") from None


def clean_phone(phone: str | None) -> str | None:
    """A staff or office phone in its stored form (None when blank); DomainError on "phone"."""
    if phone is None or not str(phone).strip():
        return None
    phone = str(phone).strip().replace(" ", "")
    if not PHONE_RE.match(phone):
        raise DomainError(_("电话号码格式不对（手机 11 位，或带区号的固定电话）"), field="phone")
    return phone


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.name,
        "role": user.role,
        "phone": user.phone,
        "is_active": user.is_active,
    }
