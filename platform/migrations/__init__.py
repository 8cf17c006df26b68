"""Alembic migrations of the gridgov schema, and the function that applies them."""

from __future__ import annotations

from sqlalchemy import create_engine

from gridgov.core.db import Base


def upgrade(database_url: str, app_database_url: str | None = None, revision: str = "head") -> None:
    """Bring the schema at ``database_url`` (the owner's connection) up to ``revision``.

    ``app_database_url`` names the role the application connects as; on PostgreSQL that role is
    granted what it needs and nothing more.
    """
    # Placeholder until the Alembic environment lands (same session): create the tables directly.
    from gridgov.core import models  # noqa: F401  (registers every table on Base.metadata)

    engine = create_engine(database_url)
    Base.metadata.create_all(engine)
    engine.dispose()
