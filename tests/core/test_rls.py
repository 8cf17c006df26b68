"""PostgreSQL row-level security: the application's role, with no ORM filter at all, sees and
writes only the rows of the tenant set for the transaction (shared/DESIGN.md, "RLS done right").

Runs on its own PostgreSQL database (the ``postgres_urls`` fixture) whatever the main test
database is.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from gridgov.core.accounts.models import User
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import TENANT_SETTING, SessionFactory, make_engine, set_tenant
from gridgov.core.hierarchy.models import Node
from gridgov.core.tenancy.models import Tenant
from tests.conftest import empty_postgres_tenants

pytestmark = pytest.mark.postgres

TABLES_WITH_ROWS = ("nodes", "users", "audit_events")


@pytest.fixture(scope="module")
def owner_engine(postgres_owner_engine: Engine) -> Engine:
    return postgres_owner_engine


@pytest.fixture(scope="module")
def app_engine(postgres_app_engine: Engine) -> Engine:
    return postgres_app_engine


@pytest.fixture(scope="module")
def counties(owner_engine: Engine) -> Iterator[dict[str, int]]:
    """Two counties, each with nodes, a user and an audit event, committed by the owner.

    The owner is subject to RLS too (FORCE), so each county's rows are written with that county
    set, through the same session machinery the app uses.
    """
    session = SessionFactory(bind=owner_engine)
    ids: dict[str, int] = {}
    for slug in ("alpha", "beta"):
        set_tenant(session, None)
        tenant = Tenant(slug=slug, name=f"{slug}县", level_names=["县", "乡镇", "网格"])
        session.add(tenant)
        session.flush()
        ids[slug] = tenant.id
        set_tenant(session, tenant.id)
        top = Node(code=f"{slug}-top", name=f"{slug}县", level=0, path="")
        session.add(top)
        session.flush()
        session.add(Node(code=f"{slug}-t1", name="一镇", level=1, parent_id=top.id, path=""))
        session.add(User(username=f"{slug}-admin", name="管理员", role="county_admin"))
        session.add(
            AuditEvent(
                actor_type="system",
                actor_name="test",
                action="node.create",
                object_type="node",
                object_id=str(top.id),
            )
        )
    session.commit()
    session.close()
    yield ids
    with owner_engine.begin() as connection:
        empty_postgres_tenants(connection)


def use_tenant(connection: Connection, tenant_id: int | None) -> None:
    connection.execute(
        text("SELECT set_config(:name, :value, true)"),
        {"name": TENANT_SETTING, "value": "" if tenant_id is None else str(tenant_id)},
    )


def tenant_ids_seen(connection: Connection, table: str) -> list[int]:
    return list(connection.execute(text(f"SELECT tenant_id FROM {table}")).scalars())  # noqa: S608


def test_app_role_sees_only_the_rows_of_the_tenant_set_for_the_transaction(
    app_engine: Engine, counties: dict[str, int]
):
    for tenant_id in counties.values():
        with app_engine.begin() as connection:
            use_tenant(connection, tenant_id)
            for table in TABLES_WITH_ROWS:
                seen = tenant_ids_seen(connection, table)
                assert seen, f"{table}: the tenant's own rows must be visible"
                assert set(seen) == {tenant_id}, f"{table} shows another county's rows"


def test_with_no_tenant_set_the_app_role_sees_no_rows(
    app_engine: Engine, owner_engine: Engine, counties: dict[str, int]
):
    with app_engine.connect() as connection:
        for table in TABLES_WITH_ROWS:
            assert tenant_ids_seen(connection, table) == [], table
        use_tenant(connection, None)  # the value a pooled connection reads after a commit
        for table in TABLES_WITH_ROWS:
            assert tenant_ids_seen(connection, table) == [], table
    # the rows are there: the owner sees them once it names the tenant
    with owner_engine.begin() as connection:
        use_tenant(connection, counties["alpha"])
        assert tenant_ids_seen(connection, "nodes")


def test_owner_is_subject_to_rls_as_well(owner_engine: Engine, counties: dict[str, int]):
    with owner_engine.connect() as connection:
        assert tenant_ids_seen(connection, "nodes") == []


def test_insert_into_another_tenant_is_refused(app_engine: Engine, counties: dict[str, int]):
    with pytest.raises(DBAPIError, match="row-level security"), app_engine.begin() as connection:
        use_tenant(connection, counties["alpha"])
        connection.execute(
            text(
                "INSERT INTO nodes (tenant_id, code, name, level, path, created_at)"
                " VALUES (:tenant, 'smuggled', '偷渡', 0, '', now())"
            ),
            {"tenant": counties["beta"]},
        )


def test_moving_a_row_to_another_tenant_is_refused(app_engine: Engine, counties: dict[str, int]):
    with pytest.raises(DBAPIError, match="row-level security"), app_engine.begin() as connection:
        use_tenant(connection, counties["alpha"])
        connection.execute(
            text("UPDATE nodes SET tenant_id = :beta WHERE code = 'alpha-t1'"),
            {"beta": counties["beta"]},
        )


def test_update_and_delete_cannot_reach_another_tenants_rows(
    app_engine: Engine, counties: dict[str, int]
):
    with app_engine.connect() as connection, connection.begin() as transaction:
        use_tenant(connection, counties["alpha"])
        renamed = connection.execute(text("UPDATE nodes SET name = 'x' WHERE code LIKE 'beta-%'"))
        deleted = connection.execute(text("DELETE FROM users WHERE username = 'beta-admin'"))
        assert (renamed.rowcount, deleted.rowcount) == (0, 0)
        transaction.rollback()


def test_tenant_setting_is_empty_after_commit_and_does_not_leak_through_the_pool(
    postgres_urls: tuple[str, str], counties: dict[str, int]
):
    # One pooled connection, so the second checkout is the very same server session.
    engine = make_engine(postgres_urls[1], pool_size=1, max_overflow=0)
    setting = text(f"SELECT current_setting('{TENANT_SETTING}', true)")
    try:
        with engine.connect() as connection:
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            connection.commit()
            use_tenant(connection, counties["alpha"])
            assert tenant_ids_seen(connection, "nodes")
            connection.commit()
            assert connection.execute(setting).scalar_one() == ""
            assert tenant_ids_seen(connection, "nodes") == []
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() == backend
            assert connection.execute(setting).scalar_one() == ""
            assert tenant_ids_seen(connection, "nodes") == []
    finally:
        engine.dispose()


def test_a_session_scoped_to_a_tenant_hands_it_to_postgres_per_transaction(
    app_engine: Engine, counties: dict[str, int]
):
    """gridgov.core.db sets the tenant at each transaction start: even text() is filtered."""
    session = SessionFactory(bind=app_engine)
    query = text("SELECT DISTINCT tenant_id FROM nodes")
    try:
        set_tenant(session, counties["alpha"])
        assert session.execute(query).scalars().all() == [counties["alpha"]]
        session.commit()
        set_tenant(session, counties["beta"])
        assert session.execute(query).scalars().all() == [counties["beta"]]
        set_tenant(session, None)  # switching inside a transaction applies at once
        assert session.execute(query).scalars().all() == []
    finally:
        session.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
def test_app_role_cannot_change_or_delete_audit_events(
    app_engine: Engine, counties: dict[str, int], statement: str
):
    with pytest.raises(DBAPIError, match="permission denied"), app_engine.begin() as connection:
        use_tenant(connection, counties["alpha"])
        connection.execute(text(statement))


def test_app_role_can_read_and_append_audit_events(app_engine: Engine, counties: dict[str, int]):
    with app_engine.connect() as connection, connection.begin() as transaction:
        use_tenant(connection, counties["alpha"])
        before = len(tenant_ids_seen(connection, "audit_events"))
        connection.execute(
            text(
                "INSERT INTO audit_events (tenant_id, at, actor_type, actor_name, action,"
                " object_type, object_id, seq, prev_hash, hash) SELECT :tenant, now(), 'system',"
                " 'test', 'x', 'y', '1', max(seq) + 1, '', '' FROM audit_events"
            ),
            {"tenant": counties["alpha"]},
        )
        assert len(tenant_ids_seen(connection, "audit_events")) == before + 1
        transaction.rollback()


def test_app_role_is_not_superuser_nor_bypassrls_nor_owner(app_engine: Engine):
    with app_engine.connect() as connection:
        role = connection.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
        assert (role.rolsuper, role.rolbypassrls) == (False, False)
        owned = connection.execute(
            text(
                "SELECT count(*) FROM pg_tables"
                " WHERE schemaname = current_schema() AND tableowner = current_user"
            )
        ).scalar_one()
        assert owned == 0
        # nor a member of the owning role, which would give it the owner's rights
        inherits_owner = connection.execute(
            text(
                "SELECT pg_has_role(current_user, tableowner, 'MEMBER') FROM pg_tables"
                " WHERE schemaname = current_schema() AND tablename = 'nodes'"
            )
        ).scalar_one()
        assert inherits_owner is False
