"""Assessment fixtures: a county whose clock stands early in December 2026 (county time), so
November 2026 is a finished month to score, and helpers that put records at given moments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import User
from gridgov.core.db import pinned_clock
from gridgov.core.tasks import reporting
from gridgov.core.tasks.models import Patrol, Source, Task
from tests.factories import County, build_county

UTC = dt.UTC
BEIJING = dt.timezone(dt.timedelta(hours=8))
# 2026-12-02 10:00 in the county: November is over, December has begun.
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=BEIJING)
MONTH = "2026-11"


def local(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> dt.datetime:
    """A moment of November 2026 on the county's wall clock (UTC+8), as UTC."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def county(session: Session, clock: None) -> County:
    return build_county(session)


@pytest.fixture
def patrol(session: Session, county: County) -> Callable[..., Patrol]:
    def _patrol(worker: User, at: dt.datetime) -> Patrol:
        grid = county.grids[county.workers.index(worker)]
        row = Patrol(user_id=worker.id, node_id=grid.id, at=at)
        session.add(row)
        session.flush()
        return row

    return _patrol


@pytest.fixture
def report(session: Session, county: County) -> Callable[..., Task]:
    """File a task at ``at`` as ``by`` (default worker 0) in the reporter's grid."""

    def _report(at: dt.datetime, by: User | None = None, node: Any = None, **fields: Any) -> Task:
        by = by or county.workers[0]
        node = node or county.grids[county.workers.index(by) if by in county.workers else 0]
        fields.setdefault("category", "民生事项")
        fields.setdefault("title", "路灯不亮")
        fields.setdefault("source", Source.PATROL.value)
        with pinned_clock(at):
            task, _created = reporting.file_task(session, by, node, reporting.Report(**fields))
        return task

    return _report
