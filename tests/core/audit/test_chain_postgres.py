"""The audit chain on PostgreSQL: the trigger refuses rewrites even by the schema owner, an edit
made anyway (trigger switched off) is named by the verify, writers at once in one county do not
fork the chain, and the purge gets through the trigger for the events past retention only."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gridgov.core.audit import chain
from gridgov.core.audit import service as audit
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import SessionFactory, pinned_clock, set_tenant, utcnow
from gridgov.core.tenancy.models import Tenant
from tests.conftest import empty_postgres_tenants

pytestmark = pytest.mark.postgres


@pytest.fixture
def county(postgres_owner_engine: Engine) -> Iterator[int]:
    """A county with three events two years old and two recent ones, committed."""
    session = SessionFactory(bind=postgres_owner_engine)
    set_tenant(session, None)
    tenant = Tenant(slug="chained", name="链县", level_names=["县", "网格"])
    session.add(tenant)
    session.flush()
    set_tenant(session, tenant.id)
    with pinned_clock(utcnow() - dt.timedelta(days=730)):
        for n in range(3):
            audit.record(session, None, "x.old", "node", n)
    session.flush()
    for n in range(2):
        audit.record(session, None, "x.new", "node", n)
    session.commit()
    session.close()
    yield tenant.id
    with postgres_owner_engine.begin() as connection:
        empty_postgres_tenants(connection)


def in_county(connection: Connection, tenant_id: int) -> Session:
    session = SessionFactory(bind=connection, join_transaction_mode="create_savepoint")
    set_tenant(session, tenant_id)
    return session


def use_tenant(connection: Connection, tenant_id: int) -> None:
    connection.execute(
        text("SELECT set_config('gridgov.tenant_id', :t, true)"), {"t": str(tenant_id)}
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor_name = 'someone else'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
def test_the_trigger_refuses_the_owner_rewriting_audit_events(
    postgres_owner_engine: Engine, county: int, statement: str
):
    with (
        pytest.raises(DBAPIError, match="append-only"),
        postgres_owner_engine.begin() as connection,
    ):
        use_tenant(connection, county)
        connection.execute(text(statement))


def test_declaring_the_purge_does_not_let_the_owner_delete_recent_events(
    postgres_owner_engine: Engine, county: int
):
    with (
        pytest.raises(DBAPIError, match="append-only"),
        postgres_owner_engine.begin() as connection,
    ):
        use_tenant(connection, county)
        connection.execute(text(f"SELECT set_config('{chain.PURGE_SETTING}', 'on', true)"))
        connection.execute(text("DELETE FROM audit_events"))


def test_moving_the_anchor_does_not_let_the_owner_delete_events_within_six_months(
    postgres_owner_engine: Engine, county: int
):
    with (
        pytest.raises(DBAPIError, match="append-only"),
        postgres_owner_engine.begin() as connection,
    ):
        use_tenant(connection, county)
        connection.execute(
            text(
                "INSERT INTO audit_chains (tenant_id, anchor_seq, anchor_hash, purged_at,"
                " purged_events) VALUES (:t, 5, '', now(), 5)"
            ),
            {"t": county},
        )
        connection.execute(text(f"SELECT set_config('{chain.PURGE_SETTING}', 'on', true)"))
        connection.execute(text("DELETE FROM audit_events WHERE seq > 3"))  # the recent two


def test_an_owner_edit_with_the_trigger_switched_off_is_named_by_verify(
    postgres_owner_engine: Engine, county: int
):
    with postgres_owner_engine.connect() as connection, connection.begin() as transaction:
        use_tenant(connection, county)
        connection.execute(
            text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        )
        victim = connection.execute(
            text("SELECT id FROM audit_events WHERE seq = 2 AND tenant_id = :t"), {"t": county}
        ).scalar_one()
        connection.execute(
            text("UPDATE audit_events SET actor_name = 'someone else' WHERE id = :id"),
            {"id": victim},
        )
        broken = chain.verify_chain(in_county(connection, county), county).broken
        transaction.rollback()
    assert broken is not None
    assert (broken.event_id, broken.problem) == (victim, chain.Problem.ALTERED)


def test_writers_at_once_in_one_county_do_not_fork_the_chain(
    postgres_app_engine: Engine, county: int
):
    writers, events_each = 4, 15
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        session = SessionFactory(bind=postgres_app_engine)
        try:
            set_tenant(session, county)
            start.wait()
            for i in range(events_each):
                audit.record(session, None, "x.race", "node", f"{n}-{i}")
                session.flush()
                session.execute(text("SELECT pg_sleep(0.002)"))  # widen the window
                session.commit()
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    session = SessionFactory(bind=postgres_app_engine)
    try:
        set_tenant(session, county)
        result = chain.verify_chain(session, county)
        seqs = session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    finally:
        session.close()
    assert result.is_intact
    assert seqs == list(range(1, 5 + writers * events_each + 1))


def test_the_purge_gets_through_the_trigger_and_the_chain_verifies(
    postgres_owner_engine: Engine, postgres_app_engine: Engine, county: int
):
    session = SessionFactory(bind=postgres_owner_engine)
    try:
        set_tenant(session, county)
        done = audit.purge(session, county, retention_days=365)
        session.commit()
    finally:
        session.close()
    assert done.events == 3
    session = SessionFactory(bind=postgres_app_engine)  # the app's role reads the anchor
    try:
        set_tenant(session, county)
        result = chain.verify_chain(session, county)
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    finally:
        session.close()
    assert result.is_intact and result.anchor_seq == 3
    assert actions == ["x.new", "x.new", "audit.purge"]


def test_the_app_role_cannot_move_the_anchor(postgres_app_engine: Engine, county: int):
    with (
        pytest.raises(DBAPIError, match="permission denied"),
        postgres_app_engine.begin() as connection,
    ):
        use_tenant(connection, county)
        connection.execute(
            text(
                "INSERT INTO audit_chains (tenant_id, anchor_seq, anchor_hash, purged_at,"
                " purged_events) VALUES (:t, 5, '', now(), 5)"
            ),
            {"t": county},
        )
