"""Meta-tests over the whole schema: every table with a tenant_id column is protected by
row-level security (PostgreSQL) and has an index led by tenant_id (any database).

Tables are listed from the models' metadata and, on PostgreSQL, from the live catalogue too,
so a table added by a migration alone cannot slip through.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Table, inspect, text
from sqlalchemy.engine import Connection, Engine

from gridgov.core import models  # noqa: F401  (registers every table on Base.metadata)
from gridgov.core.db import TENANT_SETTING, Base, make_engine


def model_tenant_tables() -> dict[str, Table]:
    return {name: table for name, table in Base.metadata.tables.items() if "tenant_id" in table.c}


def test_the_models_have_tenant_tables():
    """Guards the tests below against passing on an empty list."""
    assert {"nodes", "users", "audit_events"} <= set(model_tenant_tables())


@pytest.mark.parametrize("name", sorted(model_tenant_tables()))
def test_every_tenant_model_declares_an_index_led_by_tenant_id(name: str):
    table = model_tenant_tables()[name]
    leading = [index.columns[0].name for index in table.indexes] + [
        constraint.columns[0].name
        for constraint in table.constraints
        if constraint.__class__.__name__ == "UniqueConstraint"
    ]
    assert "tenant_id" in leading, f"{name}: add an index whose first column is tenant_id"


def tenant_tables_in_database(connection: Connection) -> set[str]:
    inspector = inspect(connection)
    return {
        name
        for name in inspector.get_table_names()
        if any(column["name"] == "tenant_id" for column in inspector.get_columns(name))
    }


def tables_without_tenant_index(connection: Connection) -> list[str]:
    inspector = inspect(connection)
    missing = []
    for name in sorted(tenant_tables_in_database(connection)):
        indexed = inspector.get_indexes(name) + inspector.get_unique_constraints(name)
        if not any(index["column_names"][:1] == ["tenant_id"] for index in indexed):
            missing.append(name)
    return missing


def test_every_tenant_table_of_the_test_database_has_an_index_led_by_tenant_id(
    database_urls: tuple[str, str],
):
    engine = make_engine(database_urls[0])
    try:
        with engine.connect() as connection:
            assert tenant_tables_in_database(connection) >= set(model_tenant_tables())
            assert tables_without_tenant_index(connection) == []
    finally:
        engine.dispose()


# --- PostgreSQL: RLS enabled, forced, with a policy that checks writes too --------------------


@pytest.fixture
def owner_connection(postgres_owner_engine: Engine) -> Iterator[Connection]:
    """The owner's connection; whatever a test leaves uncommitted is rolled back."""
    with postgres_owner_engine.connect() as connection:
        yield connection


def rls_problems(connection: Connection, table: str) -> list[str]:
    """What is wrong with the row-level security of ``table``: [] when it is done right."""
    state = connection.execute(
        text(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class"
            " WHERE oid = CAST(:table AS regclass)"
        ),
        {"table": table},
    ).one()
    policies = connection.execute(
        text(
            "SELECT policyname, cmd, qual, with_check FROM pg_policies"
            " WHERE schemaname = current_schema() AND tablename = :table"
        ),
        {"table": table},
    ).all()
    problems = []
    if not state.relrowsecurity:
        problems.append("row level security is not enabled")
    if not state.relforcerowsecurity:
        problems.append("row level security is not forced (the owner bypasses it)")
    checked = [
        policy
        for policy in policies
        if policy.cmd == "ALL"
        and TENANT_SETTING in (policy.qual or "")
        and TENANT_SETTING in (policy.with_check or "")
    ]
    if not checked:
        problems.append("no policy keyed on the tenant setting with USING and WITH CHECK")
    return problems


@pytest.mark.postgres
def test_every_tenant_table_in_the_models_has_forced_rls_and_a_checked_policy(
    owner_connection: Connection,
):
    problems = {
        name: rls_problems(owner_connection, name)
        for name in sorted(model_tenant_tables())
        if rls_problems(owner_connection, name)
    }
    assert problems == {}


@pytest.mark.postgres
def test_every_tenant_table_in_the_database_has_forced_rls_and_a_checked_policy(
    owner_connection: Connection,
):
    tables = tenant_tables_in_database(owner_connection)
    assert tables >= set(model_tenant_tables())
    problems = {
        name: rls_problems(owner_connection, name)
        for name in sorted(tables)
        if rls_problems(owner_connection, name)
    }
    assert problems == {}


@pytest.mark.postgres
def test_every_tenant_table_on_postgres_has_an_index_led_by_tenant_id(
    owner_connection: Connection,
):
    assert tables_without_tenant_index(owner_connection) == []


@pytest.mark.postgres
def test_the_rls_check_notices_an_unprotected_table(owner_connection: Connection):
    """The checks above can fail: a tenant table made without the helper is reported."""
    owner_connection.execute(text("CREATE TABLE stray (id int, tenant_id int)"))
    assert "stray" in tenant_tables_in_database(owner_connection)
    assert len(rls_problems(owner_connection, "stray")) == 3
    assert tables_without_tenant_index(owner_connection) == ["stray"]
