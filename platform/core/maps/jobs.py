"""The map's background work: merging the outlines of the county's map after its boundaries
changed (a publish, an import), so the first to open the map does not wait for it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridgov.core.jobs import job
from gridgov.core.maps import service


@job
def merge_county_outlines(session: Session) -> None:
    """Merge and store the outlines the county's own map draws (its townships')."""
    service.merge_county_outlines(session)
