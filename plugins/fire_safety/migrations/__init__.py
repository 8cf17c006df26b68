"""The fire-safety module's Alembic migrations: a branch of its own labelled ``fire_safety``."""
