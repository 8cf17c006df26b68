"""Alembic migrations of the gridgov schema, and the functions that apply them.

The Alembic environment lives in this package (``env.py``, ``versions/``): no alembic.ini is
needed at run time. Migrations run as the schema owner; on PostgreSQL the application's role is
then granted what it needs and nothing more (shared/DESIGN.md, "RLS done right").

The core's migrations are the branch labelled ``core``; each installed department module
brings its own folder (``gridgov_migrations`` hook) as a branch labelled with its name that
depends on the core revision it builds on. ``upgrade`` takes every branch to its head.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import make_url, text
from sqlalchemy.engine import Connection, Engine

from gridgov.core.db import make_engine

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)
CORE_VERSIONS = str(Path(SCRIPT_LOCATION) / "versions")
CORE_BRANCH = "core"

# Append-only (audit records are readable, never editable): the app role may only add rows.
APPEND_ONLY_TABLES = (
    "audit_events",
    "record_changes",
    "task_transitions",
    "admission_events",
    # A rule table version is history: a change is a new version, never an edit.
    "task_rule_versions",
    "task_rules",
)
# Alembic's bookkeeping: the application reads it (``gridgov db current``), never changes it.
# Where a county's audit chain starts after a purge: only the purge (as the owner) moves it.
READ_ONLY_TABLES = ("alembic_version", "audit_chains")

# How autogenerate compares the models with a database; env.py and the schema test share it.
COMPARE_OPTIONS: dict[str, Any] = {"compare_type": True}


def alembic_config(database_url: str, connection: Connection | None = None) -> Config:
    """An Alembic config for this package's migrations; ``connection``, when given, is used
    instead of a new engine (its transaction then covers the whole upgrade)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # os.pathsep between folders: a path with a space in it stays one folder.
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", os.pathsep.join([CORE_VERSIONS, *module_version_locations()])
    )
    # '%' is ConfigParser's interpolation character: escape it in passwords.
    config.set_main_option(
        "sqlalchemy.url",
        make_url(database_url).render_as_string(hide_password=False).replace("%", "%%"),
    )
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def module_version_locations() -> list[str]:
    """The migration folders of the installed department modules, by module name."""
    from gridgov.core.plugins.manager import get_plugin_host

    host = get_plugin_host()
    return [
        str(host.installed[name].migrations)
        for name in sorted(host.installed)
        if host.installed[name].migrations
    ]


def upgrade(
    database_url: str, app_database_url: str | None = None, revision: str = "heads"
) -> None:
    """Bring the schema at ``database_url`` (the owner's connection) up to ``revision`` (by
    default the head of the core and of every installed module).

    ``app_database_url`` names the role the application connects as; on PostgreSQL that role is
    granted what it needs and nothing more. Running it again changes nothing.
    """
    engine = make_engine(database_url)
    try:
        with _schema_transaction(engine) as connection:
            command.upgrade(alembic_config(database_url, connection), revision)
            if app_database_url and connection.dialect.name == "postgresql":
                app_role = make_url(app_database_url).username
                if app_role and app_role != make_url(database_url).username:
                    grant_application_role(connection, app_role)
    finally:
        engine.dispose()


def downgrade(database_url: str, revision: str) -> None:
    """Take the schema at ``database_url`` (the owner's connection) down to ``revision``."""
    engine = make_engine(database_url)
    try:
        with _schema_transaction(engine) as connection:
            command.downgrade(alembic_config(database_url, connection), revision)
    finally:
        engine.dispose()


@contextmanager
def _schema_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for the schema changes. On SQLite the foreign keys are off during it and
    checked as a whole before it commits (SQLite's documented way to alter a table): batch mode
    recreates a table by dropping it, which other tables' keys (tasks ← task_transitions) would
    refuse or cascade. The engine is disposed afterwards, so the switch does not outlive it."""
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        if is_sqlite:  # outside any transaction, where SQLite honours it
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with connection.begin():
            yield connection
            if is_sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")


def current_revision(database_url: str) -> str | None:
    """The revisions the database at ``database_url`` is at (the core's, then the modules',
    comma-separated), or None if it was never migrated."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    return ",".join(sorted(heads, key=lambda head: (not head[:1].isdigit(), head))) or None


def schema_differences(connection: Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models: [] when the
    migrations and the models agree."""
    from gridgov.core.db import Base

    load_models()
    context = MigrationContext.configure(connection, opts=COMPARE_OPTIONS)
    return compare_metadata(context, Base.metadata)


def load_models() -> None:
    """Register every table on ``Base.metadata``: the core's models, and the installed modules'
    (importing a module's package imports its models)."""
    from gridgov.core import models  # noqa: F401
    from gridgov.core.plugins.manager import get_plugin_host

    get_plugin_host()


def grant_application_role(connection: Connection, role: str) -> None:
    """Give the application's role exactly the rights it needs on the current schema.

    Everything is granted afresh after each upgrade, so tables added by later migrations are
    covered without ALTER DEFAULT PRIVILEGES; GRANT and REVOKE are idempotent.
    """
    quote = connection.dialect.identifier_preparer.quote
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    grantee, schema_name = quote(role), quote(schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {schema_name} TO {grantee}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema_name} TO {grantee}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_name} TO {grantee}",
    ]
    existing = set(
        connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"), {"schema": schema}
        ).scalars()
    )
    for table in APPEND_ONLY_TABLES + READ_ONLY_TABLES:
        if table not in existing:
            continue
        kept = (
            "UPDATE, DELETE, TRUNCATE"
            if table in APPEND_ONLY_TABLES
            else ("INSERT, UPDATE, DELETE, TRUNCATE")
        )
        statements.append(f"REVOKE {kept} ON {schema_name}.{quote(table)} FROM {grantee}")
    for statement in statements:
        connection.execute(text(statement))
