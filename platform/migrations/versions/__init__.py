"""Alembic revisions of the gridgov schema, oldest first (0001, 0002, …)."""
