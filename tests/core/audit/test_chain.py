"""The audit log's hash chain: verified as written, broken by an edit behind the application's
back (the verify names the event), and kept verifiable by the purge. Edits and purges behind
the application's back run on SQLite (``sqlite_session``), where the owner may rewrite rows;
on PostgreSQL the trigger refuses them (test_chain_postgres.py)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select, text

from gridgov.core.audit import chain
from gridgov.core.audit import service as audit
from gridgov.core.audit.models import AuditChain, AuditEvent
from gridgov.core.db import pinned_clock, set_tenant, utcnow
from gridgov.core.errors import DomainError
from tests.factories import build_county


def events_of(session, tenant_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.seq)
        )
    )


def note(session, what: str) -> AuditEvent:
    event = audit.record(session, None, what, "node", 1, after={"n": what})
    session.flush()
    return event


def test_a_countys_events_are_linked_in_order_and_verify(session):
    county = build_county(session)
    note(session, "x.one")
    note(session, "x.two")
    events = events_of(session, county.tenant.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == chain.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    result = chain.verify_chain(session, county.tenant.id)
    assert result.is_intact
    assert (result.events, result.head_seq, result.head_hash) == (
        len(events),
        events[-1].seq,
        events[-1].hash,
    )


def test_each_county_has_a_chain_of_its_own(session):
    a = build_county(session, "county-a")
    b = build_county(session, "county-b")
    set_tenant(session, a.tenant.id)
    assert events_of(session, a.tenant.id)[0].seq == 1
    set_tenant(session, b.tenant.id)
    assert events_of(session, b.tenant.id)[0].seq == 1
    assert chain.verify_chain(session, b.tenant.id).is_intact


def test_an_event_edited_with_raw_sql_is_named_by_verify(sqlite_session):
    county = build_county(sqlite_session)
    victim = note(sqlite_session, "x.victim")
    note(sqlite_session, "x.after")
    # what the schema owner can do on SQLite, where no trigger stands in the way
    sqlite_session.execute(
        text("UPDATE audit_events SET actor_name = 'someone else' WHERE id = :id"),
        {"id": victim.id},
    )
    result = chain.verify_chain(sqlite_session, county.tenant.id)
    assert result.broken is not None
    assert (result.broken.event_id, result.broken.problem) == (victim.id, chain.Problem.ALTERED)
    assert result.head_seq == victim.seq - 1  # the chain holds up to the event before it


def test_an_event_rehashed_after_its_edit_breaks_the_chain_at_the_next_one(sqlite_session):
    county = build_county(sqlite_session)
    victim = note(sqlite_session, "x.victim")
    following = note(sqlite_session, "x.after")
    # someone who knows how the hash is made recomputes the edited event's own hash
    sqlite_session.execute(
        text("UPDATE audit_events SET action = 'x.forged' WHERE id = :id"), {"id": victim.id}
    )
    row = sqlite_session.execute(
        select(AuditEvent.__table__).where(AuditEvent.__table__.c.id == victim.id)
    ).one()
    sqlite_session.execute(
        text("UPDATE audit_events SET hash = :h WHERE id = :id"),
        {"id": victim.id, "h": chain.event_hash(row.prev_hash, row)},
    )
    broken = chain.verify_chain(sqlite_session, county.tenant.id).broken
    assert broken is not None
    assert (broken.event_id, broken.problem) == (following.id, chain.Problem.RELINKED)


def test_a_deleted_event_is_named_by_the_gap_it_leaves(sqlite_session):
    county = build_county(sqlite_session)
    victim = note(sqlite_session, "x.victim")
    following = note(sqlite_session, "x.after")
    sqlite_session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": victim.id})
    broken = chain.verify_chain(sqlite_session, county.tenant.id).broken
    assert broken is not None
    assert (broken.event_id, broken.seq, broken.expected_seq, broken.problem) == (
        following.id,
        victim.seq + 1,
        victim.seq,
        chain.Problem.MISSING,
    )


def test_an_event_slipped_in_without_its_links_is_named(session):
    county = build_county(session)
    head = events_of(session, county.tenant.id)[-1]
    session.execute(
        text(
            "INSERT INTO audit_events (tenant_id, at, actor_type, actor_name, action,"
            " object_type, object_id, seq, prev_hash, hash)"
            " VALUES (:t, :at, 'system', 'x', 'user.login', 'user', '1', :seq, :prev, :h)"
        ),
        {"t": county.tenant.id, "at": utcnow(), "seq": head.seq + 1, "prev": head.hash, "h": "0"},
    )
    broken = chain.verify_chain(session, county.tenant.id).broken
    assert broken is not None and broken.problem == chain.Problem.ALTERED


def old_and_new_events(session) -> tuple[int, list[AuditEvent]]:
    """A county whose first events are two years old, then a few recent ones."""
    with pinned_clock(utcnow() - dt.timedelta(days=730)):
        county = build_county(session)
        note(session, "x.old")
    old = events_of(session, county.tenant.id)
    note(session, "x.new")
    note(session, "x.newer")
    return county.tenant.id, old


def test_purge_removes_the_events_past_retention_and_the_chain_still_verifies(sqlite_session):
    tenant_id, old = old_and_new_events(sqlite_session)
    done = audit.purge(sqlite_session, tenant_id, retention_days=365)
    assert (done.events, done.anchor_seq, done.anchor_hash) == (len(old), old[-1].seq, old[-1].hash)
    left = events_of(sqlite_session, tenant_id)
    assert [e.action for e in left] == ["x.new", "x.newer", "audit.purge"]
    assert left[0].prev_hash == old[-1].hash
    anchor = sqlite_session.scalars(select(AuditChain)).one()
    assert (anchor.anchor_seq, anchor.purged_events) == (old[-1].seq, len(old))
    result = chain.verify_chain(sqlite_session, tenant_id)
    assert result.is_intact and result.anchor_seq == old[-1].seq


def test_the_purge_is_recorded_in_the_log_it_purged(sqlite_session):
    tenant_id, old = old_and_new_events(sqlite_session)
    audit.purge(sqlite_session, tenant_id, retention_days=365)
    record = events_of(sqlite_session, tenant_id)[-1]
    assert record.action == "audit.purge"
    assert record.after["events"] == len(old)
    assert record.after["through_seq"] == old[-1].seq
    assert record.after["retention_days"] == 365


def test_a_second_purge_with_nothing_old_changes_nothing(sqlite_session):
    tenant_id, _old = old_and_new_events(sqlite_session)
    audit.purge(sqlite_session, tenant_id, retention_days=365)
    count = sqlite_session.scalar(select(func.count()).select_from(AuditEvent))
    again = audit.purge(sqlite_session, tenant_id, retention_days=365)
    assert again.events == 0
    assert sqlite_session.scalar(select(func.count()).select_from(AuditEvent)) == count
    assert chain.verify_chain(sqlite_session, tenant_id).is_intact


def test_a_dry_purge_removes_nothing(session):
    tenant_id, old = old_and_new_events(session)
    count = session.scalar(select(func.count()).select_from(AuditEvent))
    assert audit.purge(session, tenant_id, retention_days=365, dry_run=True).events == len(old)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == count


def test_events_after_a_purge_keep_the_chain_going(sqlite_session):
    tenant_id, _old = old_and_new_events(sqlite_session)
    audit.purge(sqlite_session, tenant_id, retention_days=365)
    note(sqlite_session, "x.later")
    assert chain.verify_chain(sqlite_session, tenant_id).is_intact


def test_a_purge_of_everything_leaves_the_anchor_to_follow(sqlite_session):
    with pinned_clock(utcnow() - dt.timedelta(days=730)):
        county = build_county(sqlite_session)
    old = events_of(sqlite_session, county.tenant.id)
    audit.purge(sqlite_session, county.tenant.id, retention_days=365)
    purge_record = events_of(sqlite_session, county.tenant.id)
    assert [e.action for e in purge_record] == ["audit.purge"]
    assert purge_record[0].prev_hash == old[-1].hash
    assert chain.verify_chain(sqlite_session, county.tenant.id).is_intact


def test_purge_refuses_a_retention_under_six_months(session):
    tenant_id, _old = old_and_new_events(session)
    count = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(DomainError, match="183"):
        audit.purge(session, tenant_id, retention_days=182)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == count


def test_purge_refuses_a_broken_chain_and_keeps_the_evidence(sqlite_session):
    tenant_id, old = old_and_new_events(sqlite_session)
    sqlite_session.execute(
        text("UPDATE audit_events SET actor_name = 'x' WHERE id = :id"), {"id": old[0].id}
    )
    count = sqlite_session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(chain.ChainBroken):
        audit.purge(sqlite_session, tenant_id, retention_days=365)
    assert sqlite_session.scalar(select(func.count()).select_from(AuditEvent)) == count
