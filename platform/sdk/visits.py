"""Household visits (入户走访) and the visit schedules tags carry: recording a visit, a
household's visits, and who is due for one.

A tag with ``visit_interval_days`` (the core's, such as ``empty_nest_elderly``, or a module's
own) makes its people due for a visit that often; a visit to their household resets the
schedule for every member. A module that keeps its own visit record (a form with the
condition, needs and follow-up) records the household visit too, so that the grid worker's
list of due visits and the module's agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.registry import service as _registry
from gridgov.core.registry.access import visible_household
from gridgov.core.registry.models import Household, Visit
from gridgov.core.registry.service import DueVisit, visits_of
from gridgov.core.registry.tags import CORE_TAGS, TagDefinition
from gridgov.core.tenancy.service import current_tenant

__all__ = [
    "DueVisit",
    "Household",
    "Visit",
    "due_visits",
    "record_visit",
    "visible_household",
    "visits_of",
]

_CORE_TAGS = {definition.code: definition for definition in CORE_TAGS}


def record_visit(
    session: Session,
    actor: User,
    household: Household,
    *,
    notes: str,
    visited_at: dt.datetime | None = None,
) -> Visit:
    """Record a visit to ``household`` by ``actor`` (``visited_at``: now when None, never in the
    future); the members' next visits fall due from it. Empty ``notes`` is a DomainError on
    ``notes``: a visit says whom the visitor saw and what they learnt."""
    return _registry.record_visit(session, actor, household, notes=notes, visited_at=visited_at)


def due_visits(
    session: Session,
    scope: Scope,
    *,
    today: dt.date,
    tags: Sequence[TagDefinition | str],
    grid_id: int | None = None,
) -> list[DueVisit]:
    """The people in ``scope`` (in grid ``grid_id`` only, if given) whom one of ``tags`` (a
    module's own definitions, or the codes of core tags) makes due for a visit by the county day
    ``today``, the most overdue first; ``due_on`` is None for someone never visited. The county's
    settings may change a tag's interval or switch its schedule off."""
    catalogue: dict[str, TagDefinition] = {}
    for tag in tags:
        if isinstance(tag, str) and tag not in _CORE_TAGS:
            raise ValueError(f"{tag!r} is not a core tag: pass a module's own TagDefinition")
        definition = _CORE_TAGS[tag] if isinstance(tag, str) else tag
        catalogue[definition.code] = definition
    return _registry.due_visits(
        session,
        current_tenant(session),
        scope,
        today=today,
        catalogue=catalogue,
        grid_id=grid_id,
    )
