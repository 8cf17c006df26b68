"""Reporting a task (上报): who may report, what a report says, and the one call that checks
the reporter, files the task and attaches its files; a resend answers the first task."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import NON_WORKING_ROLES, Role, User
from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind, StoredFile
from gridgov.core.hierarchy.geo import check_coordinates
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.registry import access as registry_access
from gridgov.core.tasks import counters
from gridgov.core.tasks.deadlines import start_stage
from gridgov.core.tasks.models import Source, Task, TaskAttachment, TaskLink, Track
from gridgov.core.tasks.notifications import notify_level_above
from gridgov.core.tasks.reading import categories, registry
from gridgov.core.tasks.steps import announce, check_module_open, log_step, snapshot
from gridgov.core.tasks.workflow import DEFAULT_TYPE, REPORT_ACTION, TaskType
from gridgov.core.tenancy.models import Tenant
from gridgov.core.tenancy.service import current_tenant
from gridgov.core.text import check_text

LINK_KINDS = ("person", "dwelling", "site")
# Tracking codes: no 0/O, 1/I/L, so a resident can read one out over the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


# Roles that report tasks (the audit administrator only reads the audit log, 三员分立).
REPORTER_ROLES = frozenset(role.value for role in Role) - NON_WORKING_ROLES


def may_report(user: User) -> bool:
    """Whether ``user``'s role files and works on tasks (everyone's but the audit role's)."""
    return user.role in REPORTER_ROLES


def check_may_report(user: User, scope: Scope, node: Node) -> None:
    """A task is filed by staff (not the audit role) under a node of their scope."""
    if not scope.contains(node):
        raise NotFound(_("没有这个节点"), field="node_id")
    if not may_report(user):
        raise Forbidden(_("您的角色不能上报事件"))


@dataclass(frozen=True)
class Report:
    """What a report says; ``idempotency_key`` or ``external_id`` make a resend harmless.

    A ``deadline`` already past is refused, unless the report is a ``late_entry``: a record of
    something found earlier (a module's inspection typed in days later), whose deadline is
    kept and gives the task its red card at the next sweep."""

    category: str
    title: str
    description: str = ""
    track: str = Track.GENERAL.value
    source: str = Source.PATROL.value
    task_type: str = DEFAULT_TYPE
    location_text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    priority: int = 2
    deadline: dt.datetime | None = None
    links: Sequence[tuple[str, int]] = ()
    idempotency_key: str | None = None
    external_id: str | None = None
    file_ids: Sequence[int] = ()
    late_entry: bool = False


@dataclass(frozen=True)
class Upload:
    """A file sent with a report (a photo taken on the spot), stored when the task is filed;
    its type is judged from the content (``kinds``), a refusal is an error on ``field``."""

    name: str
    data: bytes | BinaryIO
    kinds: frozenset[FileKind] = frozenset({FileKind.IMAGE})
    field: str = "photo"


def report_task(
    session: Session,
    actor: User,
    scope: Scope,
    node: Node,
    report: Report,
    *,
    uploads: Sequence[Upload] = (),
) -> tuple[Task, bool]:
    """Report a task under ``node`` as ``actor``, with its files; returns it and whether it is
    new. The one way a user reports, whatever the channel (API, portal, module).

    NotFound when ``node`` lies outside ``scope``, Forbidden for a role that does not report
    (``check_may_report``); then the task is filed (``file_task``) and gets its files: those
    ``actor`` uploaded before (``report.file_ids``; another's file is NotFound) and
    ``uploads``, stored now. All or nothing: a refused file leaves neither the task nor any
    file behind. A resend (the same idempotency key) answers the first task and stores no
    file again."""
    check_may_report(actor, scope, node)
    with session.begin_nested():
        task, created = file_task(session, actor, node, report)
        if not created:
            return task, False
        attached = [
            _own_file(session, actor, file_id) for file_id in dict.fromkeys(report.file_ids)
        ]
        stored: list[StoredFile] = []
        try:
            for upload in uploads:
                stored.append(
                    files.store_file(
                        session,
                        actor,
                        name=upload.name,
                        data=upload.data,
                        kinds=upload.kinds,
                        purpose="task_attachment",
                        field=upload.field,
                    )
                )
        except DomainError:
            for kept in stored:  # their bytes are on disk already; the rows go with the savepoint
                files.delete_file(session, kept)
            raise
        for found in (*attached, *stored):
            attach_file(session, actor, task, found)
    return task, True


def file_task(
    session: Session, actor: User | None, node: Node, report: Report, *, actor_name: str = ""
) -> tuple[Task, bool]:
    """File a task under ``node`` without asking whether ``actor`` may report there; returns
    it and whether it is new. For a report with no user to check (a resident's:
    ``public.report_as_resident``) or one whose reporter the caller has checked by a stricter
    rule (a module's record); a user's report goes through ``report_task``.

    An idempotency key (an offline draft's) and an external id (another system's case number)
    belong to the reporter who sent them, in this county: resent by the same reporter with the
    same content, the report returns the task the first send created; the same key from
    another reporter is another key (a new task, never theirs); the same key from the same
    reporter with other content is a Conflict, so a client that reuses keys loses no report
    silently. A report without a reporter (a resident's) cannot carry a key."""
    existing = _already_reported(session, actor, node, report)
    if existing is not None:
        return existing, False
    tenant = current_tenant(session)
    task_type = registry().get(report.task_type)
    check_module_open(session, task_type, node)
    _check_report(tenant, task_type, node, report)
    _check_links(session, actor, report.links)
    now = utcnow()
    task = Task(
        code=_new_code(),
        task_type=task_type.name,
        category=report.category,
        source=report.source,
        track=report.track,
        state=task_type.initial,
        is_open=task_type.state(task_type.initial).is_open,
        node_id=node.id,
        filed_path=node.path,
        current_node_id=node.id,
        current_path=node.path,
        reporter_id=actor.id if actor else None,
        title=report.title.strip(),
        description=report.description.strip(),
        location_text=report.location_text.strip(),
        latitude=report.latitude,
        longitude=report.longitude,
        priority=report.priority,
        deadline=report.deadline,
        idempotency_key=report.idempotency_key,
        external_id=report.external_id,
        reported_at=now,
        updated_at=now,
    )
    start_stage(session, tenant, task_type, task, node, now)
    try:
        with session.begin_nested():
            session.add(task)
            session.flush()
    except IntegrityError:
        # The same draft sent twice at once: the other request won, answer with its task.
        existing = _already_reported(session, actor, node, report)
        if existing is None:
            raise
        return existing, False
    for kind, ref_id in dict.fromkeys(report.links):
        session.add(TaskLink(task_id=task.id, kind=kind, ref_id=ref_id))
    log_step(
        session,
        task,
        actor,
        REPORT_ACTION,
        None,
        node,
        comment="",
        file_ids=report.file_ids,
        now=now,
        actor_name=actor_name,
    )
    counters.apply(session, None, counters.share_of(task, node.level, tenant.clock.zone))
    audit.record(session, actor, "task.report", "task", task.id, after=snapshot(task))
    announce(session, tenant, task, REPORT_ACTION, None, actor, task.description)
    if task.track == Track.EMERGENCY:
        notify_level_above(
            session,
            task,
            node,
            "emergency",
            _("突发事件 %(code)s：%(title)s", code=task.code, title=task.title),
        )
    session.flush()
    return task, True


def attach_file(
    session: Session, actor: User | None, task: Task, stored: StoredFile
) -> TaskAttachment:
    """Attach a stored file (a photo, a document) to ``task``."""
    attachment = TaskAttachment(task_id=task.id, file_id=stored.id)
    session.add(attachment)
    session.flush()
    session.expire(task, ["attachments"])  # read with the task (a step's lock), now one more
    audit.record(session, actor, "task.attach", "task", task.id, after={"file_id": stored.id})
    return attachment


def attach_own_files(session: Session, actor: User, task: Task, file_ids: Sequence[int]) -> None:
    """Attach files ``actor`` uploaded before (by id) to ``task``; another's is NotFound."""
    for file_id in dict.fromkeys(file_ids):
        attach_file(session, actor, task, _own_file(session, actor, file_id))


def _own_file(session: Session, actor: User, file_id: int) -> StoredFile:
    """A file ``actor`` uploaded: naming someone else's must not attach it (and so show it)."""
    stored = files.get_file(session, file_id)
    if stored.created_by_id != actor.id:
        raise NotFound(_("没有这个文件"), field="file_ids")
    return stored


def _already_reported(
    session: Session, actor: User | None, node: Node, report: Report
) -> Task | None:
    """The task ``actor`` already made with this report's idempotency key or external id, or
    None; a Conflict when that task says something else (see ``file_task``)."""
    if not (report.idempotency_key or report.external_id):
        return None
    key_field = "idempotency_key" if report.idempotency_key else "external_id"
    if actor is None:
        raise DomainError(_("只有登录的上报人才能使用幂等键"), field=key_field)
    mine = select(Task).where(Task.reporter_id == actor.id)
    if report.idempotency_key:
        found = session.scalar(mine.where(Task.idempotency_key == report.idempotency_key))
    else:
        found = session.scalar(
            mine.where(Task.source == report.source, Task.external_id == report.external_id)
        )
    if found is None:
        return None
    if _report_of(found) != _report_of_new(node, report):
        raise Conflict(
            _(
                "这个键已用于您的另一条上报（%(code)s），内容不同；新的上报请换一个键",
                code=found.code,
            ),
            field=key_field,
        )
    return found


def _report_of(task: Task) -> tuple[Any, ...]:
    """What makes two sends the same report (photos are uploaded again on a resend)."""
    return (task.node_id, task.task_type, task.category, task.track, task.title, task.description)


def _report_of_new(node: Node, report: Report) -> tuple[Any, ...]:
    return (
        node.id,
        report.task_type,
        report.category,
        report.track,
        report.title.strip(),
        report.description.strip(),
    )


def _check_report(tenant: Tenant, task_type: TaskType, node: Node, report: Report) -> None:
    if node.is_retired:
        raise DomainError(
            _("网格 %(name)s 已撤销，请选择现在的网格", name=node.name), field="node_id"
        )
    if report.category not in categories(tenant, task_type):
        raise DomainError(_("未知的事件类别：%(c)s", c=report.category), field="category")
    if report.track not in {t.value for t in Track}:
        raise DomainError(_("未知的处置类型：%(t)s", t=report.track), field="track")
    if report.source not in {s.value for s in Source}:
        raise DomainError(_("未知的事件来源：%(s)s", s=report.source), field="source")
    title = check_text(report.title.strip(), field="title", one_line=True)
    if not title or len(title) > 200:
        raise DomainError(_("标题不能为空，最长 200 个字符"), field="title")
    check_text(report.description, field="description")
    check_text(report.location_text, field="location_text")
    if report.priority not in (1, 2, 3):
        raise DomainError(_("优先级须为 1（高）、2（中）或 3（低）"), field="priority")
    check_coordinates(report.latitude, report.longitude)
    if report.deadline is not None and report.deadline <= utcnow() and not report.late_entry:
        raise DomainError(_("期限已过：请填写将来的时间，或不填"), field="deadline")
    for kind, _ref in report.links:
        if kind not in LINK_KINDS:
            raise DomainError(_("未知的关联对象类型：%(k)s", k=kind), field="links")


def _check_links(session: Session, actor: User | None, links: Sequence[tuple[str, int]]) -> None:
    """Each linked person, dwelling or site must be a record of this county that the reporting
    user may see (residents and other systems link nothing they could not name)."""
    visible = {
        "person": registry_access.visible_person,
        "dwelling": registry_access.visible_dwelling,
        "site": registry_access.visible_site,
    }
    scope = scope_of(session, actor) if actor is not None and links else None
    for kind, ref_id in links:
        try:
            if actor is None:
                raise NotFound(_LINK_MISSING[kind])
            visible[kind](session, actor, scope, ref_id)
        except (NotFound, Forbidden):
            raise DomainError(_LINK_MISSING[kind] % {"id": ref_id}, field="links") from None


_LINK_MISSING = {
    "person": _("关联的人员 %(id)s 不存在或不在您的查看范围内"),
    "dwelling": _("关联的房屋 %(id)s 不存在或不在您的查看范围内"),
    "site": _("关联的单位场所 %(id)s 不存在或不在您的查看范围内"),
}


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
