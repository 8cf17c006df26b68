"""The Alembic migrations build exactly the schema the models describe, and go down and up."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, Table, func, inspect, select, text
from sqlalchemy.engine import Connection

from gridgov import migrations
from gridgov.app import create_app
from gridgov.core.db import make_engine
from gridgov.migrations.commands import db


def differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return migrations.schema_differences(connection)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrated.db'}"


def test_the_core_has_one_head_revision():
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    core_heads = [
        head
        for head in script.get_heads()
        if script.get_revision(head).path.startswith(migrations.CORE_VERSIONS)
    ]
    assert len(core_heads) == 1, "merge the branches of the core's migration history"


SPY_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "spy_0001"
down_revision = None
branch_labels = ("spy",)
depends_on = "0002"


def upgrade():
    op.create_table(
        "spy_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    )


def downgrade():
    op.drop_table("spy_notes")
"""


def test_hook_migrations_of_a_module_run_as_a_branch_of_their_own(
    tmp_path: Path, sqlite_url: str, monkeypatch
):
    import types

    from gridgov.core.plugins import manager
    from gridgov.core.plugins.hookspecs import ModuleInfo, hookimpl

    folder = tmp_path / "spy_migrations"
    folder.mkdir()
    (folder / "spy_0001.py").write_text(SPY_MIGRATION, encoding="utf-8")
    spy = types.ModuleType("spy_module")
    spy.gridgov_module_info = hookimpl(
        lambda: ModuleInfo(name="spy", title="探针", department="测试", version="0")
    )
    spy.gridgov_migrations = hookimpl(lambda: str(folder))
    host = manager.get_plugin_host(load_entrypoints=False, plugins=(spy,))
    monkeypatch.setattr(manager, "get_plugin_host", lambda: host)

    migrations.upgrade(sqlite_url, sqlite_url)
    assert "spy_notes" in table_names(sqlite_url)
    assert migrations.current_revision(sqlite_url).endswith(",spy_0001")
    migrations.downgrade(sqlite_url, "spy@base")
    assert "spy_notes" not in table_names(sqlite_url) and "tenants" in table_names(sqlite_url)


def test_a_module_naming_a_missing_migrations_folder_is_skipped(tmp_path: Path):
    import types

    from gridgov.core.plugins import manager
    from gridgov.core.plugins.hookspecs import ModuleInfo, hookimpl

    spy = types.ModuleType("spy_module")
    spy.gridgov_module_info = hookimpl(
        lambda: ModuleInfo(name="spy", title="探针", department="测试", version="0")
    )
    spy.gridgov_migrations = hookimpl(lambda: str(tmp_path / "nowhere"))
    host = manager.get_plugin_host(load_entrypoints=False, plugins=(spy,))
    assert host.modules() == []
    assert "does not exist" in host.failures["spy_module"]


def test_migrations_on_an_empty_sqlite_database_match_the_models(sqlite_url: str):
    migrations.upgrade(sqlite_url, sqlite_url)
    assert differences(sqlite_url) == []
    assert migrations.current_revision(sqlite_url) is not None


def test_schema_comparison_notices_a_table_the_migrations_lack(sqlite_url: str):
    """The comparison above can fail: a model the migrations do not create shows up."""
    migrations.upgrade(sqlite_url, sqlite_url)
    from gridgov.core.db import Base

    extra = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(extra)
    Table("unmigrated", extra, Column("id", Integer, primary_key=True))
    engine = make_engine(sqlite_url)
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=migrations.COMPARE_OPTIONS)
        found = compare_metadata(context, extra)
    engine.dispose()
    assert [(diff[0], diff[1].name) for diff in found] == [("add_table", "unmigrated")]


def test_sqlite_downgrade_to_base_and_upgrade_again(sqlite_url: str):
    migrations.upgrade(sqlite_url, sqlite_url)
    migrations.downgrade(sqlite_url, "base")
    assert table_names(sqlite_url) == set()
    assert migrations.current_revision(sqlite_url) is None
    migrations.upgrade(sqlite_url, sqlite_url)
    assert differences(sqlite_url) == []


@pytest.mark.postgres
def test_migrations_on_postgres_match_the_models(postgres_urls: tuple[str, str]):
    owner_url, _app_url = postgres_urls
    assert differences(owner_url) == []


@pytest.mark.postgres
def test_postgres_downgrade_to_base_and_upgrade_again_restores_rls_and_grants(
    postgres_urls: tuple[str, str],
):
    owner_url, app_url = postgres_urls
    migrations.downgrade(owner_url, "base")
    assert table_names(owner_url) == set()
    migrations.upgrade(owner_url, app_url)
    migrations.upgrade(owner_url, app_url)  # a second run changes nothing and does not fail
    assert differences(owner_url) == []

    engine = make_engine(app_url)
    try:
        with engine.connect() as connection:
            assert _rls_tables(connection) >= {"nodes", "users", "audit_events"}
            # the app role got its grants back: reading a protected table works (0 rows, no tenant)
            assert connection.execute(text("SELECT count(*) FROM nodes")).scalar_one() == 0
    finally:
        engine.dispose()


def _rls_tables(connection: Connection) -> set[str]:
    return set(
        connection.execute(
            text(
                "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity"
                " AND relnamespace = current_schema()::regnamespace"
            )
        ).scalars()
    )


@pytest.mark.postgres
def test_app_role_may_read_but_not_change_the_migration_version(postgres_urls: tuple[str, str]):
    _owner_url, app_url = postgres_urls
    engine = make_engine(app_url)
    try:
        assert migrations.current_revision(app_url) is not None
        with engine.connect() as connection, pytest.raises(Exception, match="permission denied"):
            connection.execute(text("DELETE FROM alembic_version"))
    finally:
        engine.dispose()


def _invoke(app: Flask, *args: str) -> Result:
    result = app.test_cli_runner().invoke(db, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_db_commands_upgrade_and_report_the_revision(tmp_path: Path, sqlite_url: str):
    app = create_app(
        {"DATABASE_URL": sqlite_url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True}
    )
    assert _invoke(app, "current").output.strip() == "base"
    upgraded = _invoke(app, "upgrade").output
    current = _invoke(app, "current").output.strip()
    assert current in upgraded
    # The core's head and every installed module's are reached (a module's branch depends on
    # a core revision, so the database may record the module's head alone).
    script = ScriptDirectory.from_config(migrations.alembic_config(sqlite_url))
    reached = {rev.revision for rev in script.iterate_revisions(current.split(","), "base")}
    assert set(script.get_heads()) <= reached
    assert {"tenants", "nodes", "users"} <= table_names(sqlite_url)
    app.extensions["gridgov.engine"].dispose()


def _fill_row(connection: Connection, table: str, **given: object) -> None:
    """Insert a row into ``table`` with ``given`` values and a plain value in every other
    required column (the schema as it is at this revision, not as the models say)."""
    import datetime as dt

    values: dict[str, object] = dict(given)
    for column in inspect(connection).get_columns(table):
        name, kind = column["name"], str(column["type"]).upper()
        if name in values or column["nullable"] or column.get("default") is not None:
            continue
        if name == "id" or "INT" in kind:
            values[name] = 1
        elif "BOOL" in kind:
            values[name] = False
        elif "DATE" in kind or "TIME" in kind:
            values[name] = dt.datetime(2026, 1, 1)
        elif "JSON" in kind:
            values[name] = "{}"
        else:
            values[name] = f"{table[:4]}-{name}"[:8]
    connection.execute(Table(table, MetaData(), autoload_with=connection).insert(), values)


def test_scoping_keys_to_their_reporter_keeps_every_task_and_its_log_on_sqlite(sqlite_url: str):
    """0013 recreates ``tasks`` on SQLite (batch mode); the tables that refer to it must keep
    their rows rather than refuse the change or lose them to ON DELETE CASCADE."""
    migrations.upgrade(sqlite_url, sqlite_url, revision="0011")
    engine = make_engine(sqlite_url)
    try:
        with engine.begin() as connection:
            _fill_row(connection, "tenants", id=1, slug="t1", settings={})
            _fill_row(connection, "nodes", id=1, tenant_id=1, parent_id=None, path="/1/")
            _fill_row(connection, "users", id=1, tenant_id=1)
            _fill_row(
                connection,
                "tasks",
                id=1,
                tenant_id=1,
                node_id=1,
                current_node_id=1,
                reporter_id=1,
                idempotency_key="draft-1",
            )
            _fill_row(connection, "task_transitions", id=1, tenant_id=1, task_id=1, node_id=1)
            _fill_row(connection, "task_links", id=1, tenant_id=1, task_id=1)
        migrations.upgrade(sqlite_url, sqlite_url)
        with engine.connect() as connection:
            kept = [
                connection.execute(
                    select(func.count()).select_from(
                        Table(table, MetaData(), autoload_with=connection)
                    )
                ).scalar_one()
                for table in ("tasks", "task_transitions", "task_links")
            ]
            keys = {c["name"] for c in inspect(connection).get_unique_constraints("tasks")}
    finally:
        engine.dispose()
    assert kept == [1, 1, 1]
    assert "uq_tasks_tenant_id_reporter_id_idempotency_key" in keys
    assert differences(sqlite_url) == []
