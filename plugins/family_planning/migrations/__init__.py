"""The family-planning module's Alembic migrations: a branch labelled ``family_planning``."""
