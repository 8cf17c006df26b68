"""Alembic migrations of the gridgov schema, and the functions that apply them.

The Alembic environment lives in this package (``env.py``, ``versions/``): no alembic.ini is
needed at run time. Migrations run as the schema owner; on PostgreSQL the application's role is
then granted what it needs and nothing more (shared/DESIGN.md, "RLS done right").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import make_url, text
from sqlalchemy.engine import Connection

from gridgov.core.db import make_engine

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)

# Append-only (audit records are readable, never editable): the app role may only add rows.
APPEND_ONLY_TABLES = ("audit_events", "record_changes", "task_transitions", "admission_events")
# Alembic's bookkeeping: the application reads it (``gridgov db current``), never changes it.
READ_ONLY_TABLES = ("alembic_version",)

# How autogenerate compares the models with a database; env.py and the schema test share it.
COMPARE_OPTIONS: dict[str, Any] = {"compare_type": True}


def alembic_config(database_url: str, connection: Connection | None = None) -> Config:
    """An Alembic config for this package's migrations; ``connection``, when given, is used
    instead of a new engine (its transaction then covers the whole upgrade)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # '%' is ConfigParser's interpolation character: escape it in passwords.
    config.set_main_option(
        "sqlalchemy.url",
        make_url(database_url).render_as_string(hide_password=False).replace("%", "%%"),
    )
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(database_url: str, app_database_url: str | None = None, revision: str = "head") -> None:
    """Bring the schema at ``database_url`` (the owner's connection) up to ``revision``.

    ``app_database_url`` names the role the application connects as; on PostgreSQL that role is
    granted what it needs and nothing more. Running it again changes nothing.
    """
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
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
        with engine.begin() as connection:
            command.downgrade(alembic_config(database_url, connection), revision)
    finally:
        engine.dispose()


def current_revision(database_url: str) -> str | None:
    """The revision the database at ``database_url`` is at, or None if it was never migrated."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def schema_differences(connection: Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models: [] when the
    migrations and the models agree."""
    from gridgov.core import models  # noqa: F401  (registers every table on Base.metadata)
    from gridgov.core.db import Base

    context = MigrationContext.configure(connection, opts=COMPARE_OPTIONS)
    return compare_metadata(context, Base.metadata)


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
