"""Writing and reading the audit log."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core import personal_data, runtime
from gridgov.core.audit import chain
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import current_tenant_id, utcnow

USERNAME_KEPT = 100  # characters of a tried username the log keeps (actor_name's length)

# Fields that hold personal data: their values never reach the audit log in clear. ID numbers,
# phones and birth dates are kept in the masked forms of gridgov.core.personal_data, the same
# every page shows (README, "Personal data").
PERSONAL_FIELDS = frozenset(
    {"phone", "id_number", "birth_date", "address", "password", "password_hash"}
)


class Acting(Protocol):
    """Who can act: a county user or a platform operator (``accounts.models``). The audit log
    sits below accounts, so it knows them by this shape rather than by their classes."""

    actor_type: ClassVar[str]  # "user" or "operator", as the log records it
    id: Any
    name: Any
    username: Any


Actor = Acting | None  # None: the system itself (a job, a migration)


def mask_value(field: str, value: Any) -> Any:
    """The masked form of a personal value as the audit log stores and shows it."""
    if value is None or field not in PERSONAL_FIELDS:
        return value
    if field in {"phone", "id_number"}:
        return personal_data.mask(field, str(value))
    if field == "birth_date":
        return personal_data.birth_year(value)
    return "***"


def mask_personal(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """``values`` with every personal field masked (again: masking a masked value keeps it, and
    brings an event stored in an older, weaker form down to today's)."""
    if values is None:
        return None
    return {key: mask_value(key, value) for key, value in values.items()}


def record(
    session: Session,
    actor: Actor,
    action: str,
    obj_type: str,
    obj_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
    tenant_id: int | None = None,
) -> AuditEvent:
    """Append one event to the current tenant's audit log (flushed with the change it records,
    and then linked into the county's hash chain, ``audit.chain``).
    ``ip`` defaults to the address of the caller being served (``gridgov.core.runtime.call``)."""
    if actor is None:
        actor_type, actor_id, actor_name = "system", None, "system"
    else:
        actor_type, actor_id = actor.actor_type, actor.id
        actor_name = f"{actor.name} ({actor.username})"
    return _append(
        session,
        actor_type,
        actor_id,
        actor_name,
        action,
        obj_type,
        obj_id,
        before=before,
        after=after,
        ip=ip,
        tenant_id=tenant_id,
    )


def record_failed_login(
    session: Session,
    username: str,
    account_id: int | None,
    *,
    channel: str,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record a refused login (``channel``: portal, api) by whoever gave ``username``; an
    unknown username is recorded too, with no account. The password or token never is."""
    tried = username[:USERNAME_KEPT]
    return _append(
        session,
        "anonymous",
        None,
        tried or "?",
        "user.login_failed",
        "user",
        account_id if account_id is not None else "",
        before=None,
        after={"username": tried, "channel": channel, **(detail or {})},
    )


def purge(
    session: Session, tenant_id: int, *, retention_days: int, dry_run: bool = False
) -> chain.Purge:
    """Remove the county's events older than ``retention_days`` (at least six months) keeping
    the chain verifiable, and record the purge in the log (``audit.chain.purge_events``)."""
    done = chain.purge_events(session, tenant_id, retention_days=retention_days, dry_run=dry_run)
    if done.events and not dry_run:
        record(
            session,
            None,
            "audit.purge",
            "audit_log",
            tenant_id,
            after={
                "events": done.events,
                "through_seq": done.anchor_seq,
                "anchor_hash": done.anchor_hash,
                "older_than": done.cutoff.isoformat(timespec="seconds"),
                "retention_days": retention_days,
            },
            tenant_id=tenant_id,
        )
        session.flush()
    return done


def _append(
    session: Session,
    actor_type: str,
    actor_id: int | None,
    actor_name: str,
    action: str,
    obj_type: str,
    obj_id: object,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    ip: str | None = None,
    tenant_id: int | None = None,
) -> AuditEvent:
    event = AuditEvent(
        tenant_id=tenant_id if tenant_id is not None else current_tenant_id(session),
        at=utcnow(),
        actor_type=actor_type,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        before=_jsonable(mask_personal(before)),
        after=_jsonable(mask_personal(after)),
        ip=ip or runtime.caller().address,
    )
    session.add(event)
    return event


def list_events(
    session: Session,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
) -> Any:
    """A SELECT of the current tenant's audit events, newest first, optionally filtered."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    return query


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {key: value if _is_plain(value) else str(value) for key, value in values.items()}


def _is_plain(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(v) for v in value.values())
    return value is None or isinstance(value, str | int | float | bool)
