"""Alembic environment of gridgov: the target is every model of the core and of the installed
department modules, the connection is handed in by ``gridgov.migrations`` (or made from the
configured URL)."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext

from gridgov.core.db import Base, UTCDateTime, make_engine
from gridgov.migrations import COMPARE_OPTIONS, load_models

load_models()
config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render gridgov's column types as plain SQLAlchemy types, so that a migration does not
    import application code that may change after it was written."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        **COMPARE_OPTIONS,
        # SQLite cannot ALTER most things: batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("gridgov migrations run online only: give a database URL")
run_migrations_online()
