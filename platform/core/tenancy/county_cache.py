"""What a county's requests read on every step and its staff rarely change — its rule table,
its calendar's overrides, its admitted modules, a user's scope — kept by each process between
requests, and trusted only while the county's ``config_stamp`` is the one it was read under.

The stamp is on the county's ``tenants`` row, which every request reads anyway (the county of
its URL), so checking costs no statement. Any flush that adds, changes or deletes a row of a
class registered with ``watch`` (or an UPDATE / DELETE statement on one) draws the county a new
stamp in the same transaction: committed with the change, gone with it on a rollback, and the
next request of any process sees the new one and reads afresh.

Why this is safe without locks:
- a request reads the stamp before the data, so what it keeps under a stamp is at least as new
  as that stamp (newer at worst, when a change committed in between: the next request's new
  stamp misses it and reads again);
- the transaction that drew a new stamp reads past the cache until it ends and keeps nothing
  (what it reads is not committed and may roll back);
- a stamp is random, not a counter, so a stamp rolled back or a county created again under an
  id used before (SQLite reuses them) never meets entries kept for another state.

Values kept must be plain (frozen dataclasses, tuples, dicts no one changes), never ORM objects:
they outlive the session they were read in.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import set_committed_value

from gridgov.core.db import current_tenant_id
from gridgov.core.tenancy.models import Tenant, new_stamp

T = TypeVar("T")

# A bound, not an eviction policy: past it everything is dropped and read again (a county has
# a handful of kinds and one scope per user who signed in, so it is reached only by a process
# serving very many counties).
MAX_ENTRIES = 50_000

_watched: set[type] = set()
_entries: dict[tuple[int, str, Hashable], tuple[int, Any]] = {}

# session.info: the counties whose stamp the session's transaction has drawn anew.
_DRAWN = "gridgov.config_stamp_drawn"


def watch(*classes: type) -> None:
    """Changes to rows of ``classes`` (tenant-scoped models) make the county read afresh."""
    _watched.update(classes)


def cached(session: Session, kind: str, load: Callable[[], T], key: Hashable = None) -> T:
    """``load()``'s value for the session's county (and ``key``), kept between requests while
    the county's configuration stays as it was; ``load`` runs in ``session``'s county."""
    tenant_id = current_tenant_id(session)
    if tenant_id is None:
        return load()
    if _has_pending_changes(session):
        session.flush()  # draws the new stamp if a watched row is about to change
    if tenant_id in session.info.get(_DRAWN, ()):
        return load()
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        return load()
    stamp = tenant.config_stamp
    slot = (tenant_id, kind, key)
    found = _entries.get(slot)
    if found is not None and found[0] == stamp:
        return found[1]
    value = load()
    if tenant_id not in session.info.get(_DRAWN, ()):  # load() may have flushed a change
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[slot] = (stamp, value)
    return value


def _has_pending_changes(session: Session) -> bool:
    return any(
        type(obj) in _watched
        for group in (session.new, session.dirty, session.deleted)
        for obj in group
    )


def _draw(session: Session, tenant_id: int) -> None:
    drawn = session.info.setdefault(_DRAWN, set())
    if tenant_id in drawn:
        return  # one new stamp covers the whole transaction: no one sees it before it commits
    stamp = new_stamp()
    session.connection().execute(
        update(Tenant.__table__)
        .where(Tenant.__table__.c.id == tenant_id)
        .values(config_stamp=stamp)
    )
    drawn.add(tenant_id)
    tenant = session.identity_map.get(session.identity_key(Tenant, tenant_id))
    if tenant is not None:
        set_committed_value(tenant, "config_stamp", stamp)


@event.listens_for(Session, "before_flush")
def _draw_on_change(session: Session, _context: Any, _instances: Any) -> None:
    changed = {
        obj.tenant_id or current_tenant_id(session)
        for obj in (*session.new, *session.deleted)
        if type(obj) in _watched
    }
    changed.update(
        obj.tenant_id
        for obj in session.dirty
        if type(obj) in _watched and session.is_modified(obj, include_collections=False)
    )
    for tenant_id in changed - {None}:
        _draw(session, tenant_id)


@event.listens_for(Session, "do_orm_execute")
def _draw_on_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    tenant_id = current_tenant_id(state.session)
    if tenant_id is not None and any(m.class_ in _watched for m in state.all_mappers):
        _draw(state.session, tenant_id)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _transaction_over(session: Session, *_args: Any) -> None:
    # A rolled-back stamp was never seen by anyone else; the session's tenant objects may still
    # hold it, which costs this session a miss, nothing more (a stamp is never drawn twice).
    session.info.pop(_DRAWN, None)
