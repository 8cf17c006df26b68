"""The audit log's hash chain: each county's events are linked by SHA-256 (an event stores the
hash of its canonical content and of the event before it), so an event changed, removed or
slipped in afterwards shows when the chain is verified (``gridgov audit verify``); and the purge
that removes events past the retention period without breaking the chain.

Events are linked as they are flushed. Two transactions writing a county's events at once would
both read the same last event and fork the chain: on PostgreSQL the linking takes a per-county
advisory lock held to the end of the transaction (the unique ``(tenant_id, seq)`` refuses a fork
even if something skipped the lock); SQLite lets one writer at a time anyway (``BEGIN
IMMEDIATE``, ``gridgov.core.db``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, event, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gridgov.core.audit.models import AuditChain, AuditEvent
from gridgov.core.db import current_tenant_id, utcnow
from gridgov.core.errors import DomainError
from gridgov.core.i18n import _

GENESIS = "0" * 64  # what a county's first event follows
# pg_advisory_xact_lock(namespace, tenant_id): the namespace keeps these locks apart from any
# other advisory lock on the database ("gga1").
LOCK_NAMESPACE = 0x67676131
# Set (for its transaction only) by the purge: the trigger on audit_events lets a DELETE of
# events up to the county's anchor through only then (migration 0018).
PURGE_SETTING = "gridgov.audit_purge"
MIN_RETENTION_DAYS = 183  # six months: MLPS level 3 and the Cybersecurity Law, art. 21
_VERIFY_BATCH = 2000

_events = AuditEvent.__table__
_chains = AuditChain.__table__


def canonical_content(row: Any) -> bytes:
    """What an event's hash covers, as bytes that read the same whichever database stored it:
    every column but its row id and its own hash."""
    at = row.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    content = {
        "tenant_id": row.tenant_id,
        "seq": row.seq,
        "at": at,
        "actor_type": row.actor_type,
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "before": row.before,
        "after": row.after,
        "ip": row.ip,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(prev_hash: str, row: Any) -> str:
    """The hash an event must carry after the event whose hash is ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_content(row)).hexdigest()


# --- linking new events ----------------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _link_new_events(session: Session, _context: Any, _instances: Any) -> None:
    pending: dict[int, list[AuditEvent]] = {}
    for obj in session.new:  # in the order they were added
        if isinstance(obj, AuditEvent):
            tenant_id = obj.tenant_id or current_tenant_id(session)
            if tenant_id is None:
                continue  # the tenant stamp refuses it with a clear error
            pending.setdefault(tenant_id, []).append(obj)
    for tenant_id, new_events in pending.items():
        seq, prev_hash = _lock_head(session.connection(), tenant_id)
        for obj in new_events:
            seq += 1
            obj.tenant_id = tenant_id
            obj.seq = seq
            obj.at = obj.at or utcnow()
            # Stored as JSON, read back as what json.loads gives: hash that, not the original
            # (tuples, non-string keys).
            obj.before = _as_stored(obj.before)
            obj.after = _as_stored(obj.after)
            obj.prev_hash = prev_hash
            obj.hash = prev_hash = event_hash(prev_hash, obj)


def _lock_head(connection: Connection, tenant_id: int) -> tuple[int, str]:
    """Take the county's chain for this transaction; its last event's place and hash."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :tenant)"),
            {"namespace": LOCK_NAMESPACE, "tenant": tenant_id},
        )
    last = connection.execute(
        select(_events.c.seq, _events.c.hash)
        .where(_events.c.tenant_id == tenant_id)
        .order_by(_events.c.seq.desc())
        .limit(1)
    ).first()
    if last is not None:
        return last.seq, last.hash
    return _anchor(connection, tenant_id)


def _anchor(connection: Connection, tenant_id: int) -> tuple[int, str]:
    anchor = connection.execute(
        select(_chains.c.anchor_seq, _chains.c.anchor_hash).where(_chains.c.tenant_id == tenant_id)
    ).first()
    return (anchor.anchor_seq, anchor.anchor_hash) if anchor is not None else (0, GENESIS)


def _as_stored(values: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else json.loads(json.dumps(values))


# --- verifying -------------------------------------------------------------------------------


class Problem(StrEnum):
    MISSING = "missing"  # events before this one were removed (a gap in the places)
    RELINKED = "relinked"  # it does not follow the event before it: that one was changed
    ALTERED = "altered"  # its content no longer matches its hash: it was changed


@dataclass(frozen=True)
class Break:
    """The first event where a county's chain does not hold."""

    event_id: int
    seq: int
    expected_seq: int
    problem: Problem


@dataclass(frozen=True)
class Verification:
    """A county's chain, checked from its anchor to its last event."""

    events: int
    anchor_seq: int
    head_seq: int
    head_hash: str  # note it outside the database: a later verify must reach it again
    broken: Break | None

    @property
    def is_intact(self) -> bool:
        return self.broken is None


def verify_chain(session: Session, tenant_id: int) -> Verification:
    """Recompute the county's chain from its anchor; the first event that breaks it, if any."""
    connection = session.connection()
    anchor_seq, prev_hash = _anchor(connection, tenant_id)
    seq, count = anchor_seq, 0
    for row in _rows_in_order(connection, tenant_id):
        count += 1
        problem = None
        if row.seq != seq + 1:
            problem = Problem.MISSING
        elif row.prev_hash != prev_hash:
            problem = Problem.RELINKED
        elif event_hash(prev_hash, row) != row.hash:
            problem = Problem.ALTERED
        if problem is not None:
            broken = Break(event_id=row.id, seq=row.seq, expected_seq=seq + 1, problem=problem)
            return Verification(count, anchor_seq, seq, prev_hash, broken)
        seq, prev_hash = row.seq, row.hash
    return Verification(count, anchor_seq, seq, prev_hash, None)


def _rows_in_order(connection: Connection, tenant_id: int) -> Iterator[Any]:
    # In batches by place, so a county's million events are never all in memory.
    after = -1
    while True:
        rows = connection.execute(
            select(_events)
            .where(_events.c.tenant_id == tenant_id, _events.c.seq > after)
            .order_by(_events.c.seq)
            .limit(_VERIFY_BATCH)
        ).all()
        yield from rows
        if len(rows) < _VERIFY_BATCH:
            return
        after = rows[-1].seq


# --- purging ---------------------------------------------------------------------------------


class ChainBroken(DomainError):
    """The chain does not verify: a purge would remove the evidence, so none is done."""


@dataclass(frozen=True)
class Purge:
    """What a purge removed (or, dry, would remove) from a county's log."""

    events: int
    anchor_seq: int
    anchor_hash: str
    cutoff: dt.datetime


def retention_cutoff(now: dt.datetime, retention_days: int) -> dt.datetime:
    """The moment before which events may be purged; a retention under six months is refused."""
    if retention_days < MIN_RETENTION_DAYS:
        raise DomainError(
            _(
                "审计日志至少保存 %(min)d 天（六个月），不能设为 %(days)d 天",
                min=MIN_RETENTION_DAYS,
                days=retention_days,
            ),
            field="retention_days",
        )
    return now - dt.timedelta(days=retention_days)


def purge_events(
    session: Session, tenant_id: int, *, retention_days: int, dry_run: bool = False
) -> Purge:
    """Remove the county's oldest events, those older than the retention period, and make the
    last one removed the chain's new anchor (``audit.service.purge`` records the purge itself).

    Runs as the schema owner (the application's role may not delete audit events). Only a run
    of the oldest events goes, so the chain stays one piece; a chain that does not verify is
    refused (ChainBroken) rather than purged.
    """
    cutoff = retention_cutoff(utcnow(), retention_days)
    connection = session.connection()
    head_seq, _head = _lock_head(connection, tenant_id)
    checked = verify_chain(session, tenant_id)
    if checked.broken is not None:
        raise ChainBroken(
            _("审计日志的哈希链在第 %(seq)d 条处断开，未清理", seq=checked.broken.seq)
        )
    first_kept = connection.execute(
        select(func.min(_events.c.seq)).where(
            _events.c.tenant_id == tenant_id, _events.c.at >= cutoff
        )
    ).scalar_one()
    through = head_seq if first_kept is None else first_kept - 1
    if through <= checked.anchor_seq:
        return Purge(0, checked.anchor_seq, _anchor(connection, tenant_id)[1], cutoff)
    anchor_hash = connection.execute(
        select(_events.c.hash).where(_events.c.tenant_id == tenant_id, _events.c.seq == through)
    ).scalar_one()
    count = through - checked.anchor_seq  # the chain verified: no gaps
    if dry_run:
        return Purge(count, through, anchor_hash, cutoff)
    chain = session.scalar(select(AuditChain).where(AuditChain.tenant_id == tenant_id))
    if chain is None:
        chain = AuditChain(tenant_id=tenant_id, purged_events=0)
        session.add(chain)
    chain.anchor_seq, chain.anchor_hash = through, anchor_hash
    chain.purged_at = utcnow()
    chain.purged_events += count
    session.flush()
    _allow_purge(connection, True)
    connection.execute(
        delete(_events).where(_events.c.tenant_id == tenant_id, _events.c.seq <= through)
    )
    _allow_purge(connection, False)
    for obj in list(session.identity_map.values()):  # the rows gone, their objects go too
        if isinstance(obj, AuditEvent) and obj.tenant_id == tenant_id and obj.seq <= through:
            session.expunge(obj)
    return Purge(count, through, anchor_hash, cutoff)


def _allow_purge(connection: Connection, allowed: bool) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": PURGE_SETTING, "value": "on" if allowed else ""},
        )
