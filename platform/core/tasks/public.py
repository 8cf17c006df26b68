"""What residents see without logging in: a grid's notice board (公示板), reporting a problem
and following it by its tracking code; and the challenge that keeps scripts out of the form.

The challenge is a small sum whose answer is never sent to the browser: the form carries a
signed nonce and a keyed hash of nonce + answer, so no outside service (no captcha provider,
counties often run on an intranet) is needed and a page view stores nothing. A challenge is
spent when it is checked, answered right or wrong (``spent_challenges``, shared by every web
process), so one solved answer cannot be sent again and again, nor a sum guessed twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role, User
from gridgov.core.db import utcnow
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files.models import StoredFile
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tasks import reading, reporting
from gridgov.core.tasks.dashboard import RATINGS
from gridgov.core.tasks.models import NoticeBoardEntry, Source, SpentChallenge, Task
from gridgov.core.tenancy.models import Tenant

CHALLENGE_MAX_AGE = 30 * 60  # seconds a form's challenge stays valid


@dataclass(frozen=True)
class NoticeBoard:
    """A grid's notice board: the grid, its worker, the phone only if they allow it."""

    grid: Node
    worker: User | None
    phone: str | None
    photo: StoredFile | None


def public_grid(session: Session, tenant: Tenant, code: str) -> Node:
    """The active basic grid with this code, or NotFound."""
    grid = hierarchy.get_node_by_code(session, code)
    if grid is None or grid.is_retired or grid.level != tenant.grid_level:
        raise NotFound(_("没有这个网格"), field="grid")
    return grid


def notice_board(session: Session, grid: Node) -> NoticeBoard:
    """What the grid's notice board shows."""
    worker = accounts.responsible_worker(session, grid)
    entry = _entry(session, worker) if worker else None
    photo = session.get(StoredFile, entry.photo_file_id) if entry and entry.photo_file_id else None
    phone = worker.phone if worker and entry and entry.shows_phone else None
    return NoticeBoard(grid=grid, worker=worker, phone=phone, photo=photo)


NOTICE_BOARD_ROLES = frozenset({Role.GRID_WORKER})  # a grid's board shows its worker


def may_keep_notice_board(user: User) -> bool:
    """Whether ``user`` has a notice board of their own to keep (the grid worker)."""
    return user.role in NOTICE_BOARD_ROLES


def set_notice_board(
    session: Session, user: User, *, shows_phone: bool, photo: StoredFile | None = None
) -> NoticeBoardEntry:
    """The grid worker decides whether the notice board shows their phone, and their photo."""
    entry = _entry(session, user)
    if entry is None:
        entry = NoticeBoardEntry(user_id=user.id)
        session.add(entry)
    entry.shows_phone = shows_phone
    if photo is not None:
        entry.photo_file_id = photo.id
    session.flush()
    return entry


def _entry(session: Session, user: User) -> NoticeBoardEntry | None:
    return session.scalar(select(NoticeBoardEntry).where(NoticeBoardEntry.user_id == user.id))


def report_as_resident(session: Session, grid: Node, report: reporting.Report) -> Task:
    """A resident's report of a problem in ``grid``; answers the task (its code is the
    resident's handle). No name, phone or ID number is asked for or kept."""
    if report.track not in ("general", "coordinate"):
        raise DomainError(_("居民上报请选择一般或需要协调"), field="track")
    if not reading.registry().get(report.task_type).public:
        raise DomainError(_("这类问题不能在此上报"), field="category")
    task, _created = reporting.file_task(
        session,
        None,
        grid,
        reporting.Report(**{**report.__dict__, "source": Source.RESIDENT.value}),
        actor_name=str(_("居民")),
    )
    return task


@dataclass(frozen=True)
class TrackedStep:
    """One step as the resident sees it: when, the state it led to, and the answer if the
    type marks the step as the answer to the resident (``answers_resident``), else ""."""

    at: dt.datetime
    state: str
    answer: str


@dataclass(frozen=True)
class Tracking:
    """What the tracking page shows of a task: public facts, the answers, the rating. Never who
    handled it, their comments or phone numbers."""

    code: str
    title: str
    state: str
    steps: list[TrackedStep]
    answer: str  # the latest answer to the resident ("" before one)
    rating: str | None  # the rating's label (满意 …), None before one
    may_rate: bool  # the task's type lets it be rated now


def tracking(session: Session, task: Task) -> Tracking:
    """The resident's view of ``task`` (found by its tracking code)."""
    task_type = reading.registry().get(task.task_type)
    steps = [
        TrackedStep(
            at=entry.at,
            state=str(task_type.state(entry.to_state).label),
            answer=entry.comment if task_type.answers_resident(entry.action) else "",
        )
        for entry in reading.history(session, task)
    ]
    answers = [step.answer for step in steps if step.answer]
    return Tracking(
        code=task.code,
        title=task.title,
        state=str(task_type.state(task.state).label),
        steps=steps,
        answer=answers[-1] if answers else "",
        rating=str(RATINGS[task.rating]) if task.rating in RATINGS else None,
        may_rate=task_type.rating_rule(task) is not None,
    )


# --- the challenge ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    question: str
    token: str


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="gridgov.public.challenge")


def _digest(secret: str, nonce: str, answer: str) -> str:
    return hmac.new(secret.encode(), f"{nonce}:{answer}".encode(), hashlib.sha256).hexdigest()


def new_challenge(secret: str) -> Challenge:
    """A small sum to answer, with the signed token the form carries."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    nonce = secrets.token_urlsafe(12)
    token = _serializer(secret).dumps({"n": nonce, "h": _digest(secret, nonce, str(a + b))})
    return Challenge(question=f"{a} + {b} = ?", token=token)


def check_challenge(session: Session, secret: str, token: str, answer: str) -> None:
    """DomainError on the ``answer`` field unless it answers the token's sum in time and the
    token was never checked before; the token is spent either way (commit it, whatever
    happens next)."""
    try:
        data, issued = _serializer(secret).loads(
            token or "", max_age=CHALLENGE_MAX_AGE, return_timestamp=True
        )
    except SignatureExpired:
        raise DomainError(_("验证题已过期，请重新作答"), field="answer") from None
    except BadSignature:
        raise DomainError(_("验证题无效，请刷新页面"), field="answer") from None
    nonce = str(data.get("n", ""))
    _spend(session, nonce, issued + dt.timedelta(seconds=CHALLENGE_MAX_AGE))
    expected = data.get("h", "")
    given = _digest(secret, nonce, (answer or "").strip())
    if not hmac.compare_digest(expected, given):
        raise DomainError(_("验证题答案不对"), field="answer")


def _spend(session: Session, nonce: str, expires_at: dt.datetime) -> None:
    now = utcnow()
    session.execute(delete(SpentChallenge).where(SpentChallenge.expires_at < now))
    try:
        # A savepoint: a second send of the same token (even at the same moment, from another
        # web process) fails on the primary key without undoing the rest of the request.
        with session.begin_nested():
            session.add(SpentChallenge(nonce=nonce, expires_at=expires_at))
    except IntegrityError:
        raise DomainError(_("这道验证题已经用过，请回答新的验证题"), field="answer") from None
