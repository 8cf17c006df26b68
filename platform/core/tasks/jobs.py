"""Periodic work of the task engine, as jobs taking a tenant id (see ``gridgov.core.jobs``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridgov.core.jobs import job
from gridgov.core.tasks import cards, counters


@job
def sweep_cards(session: Session) -> cards.SweepResult:
    """Give the tenant's overdue tasks their yellow and red cards (cron: every few minutes)."""
    return cards.sweep_cards(session)


@job
def rebuild_counters(session: Session) -> int:
    """Recount the tenant's dashboard counters from its tasks (after a re-gridding)."""
    return counters.rebuild(session)
