"""Task engine fixtures: a county with staff of every role and a helper to report tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.tasks import reporting, transitions
from gridgov.core.tasks.models import Task
from tests.factories import County, build_county


@pytest.fixture
def county(session: Session) -> County:
    return build_county(session)


@pytest.fixture
def report(session: Session, county: County) -> Callable[..., Task]:
    """File a task as grid worker 0 in grid 0 (or as ``by`` in ``node``, wherever the test
    needs it: who may report where is test_reporting's)."""

    def _report(by: User | None = None, node: Any = None, **fields: Any) -> Task:
        fields.setdefault("category", "民生事项")
        fields.setdefault("title", "路灯不亮")
        task, _created = reporting.file_task(
            session, by or county.workers[0], node or county.grids[0], reporting.Report(**fields)
        )
        return task

    return _report


@pytest.fixture
def act(session: Session) -> Callable[..., Task]:
    """Take an action as ``user`` with their own scope."""

    def _act(user: User, task: Task, action: str, **move: Any) -> Task:
        move.setdefault("comment", "已处理")
        return transitions.transition(
            session, user, scope_of(session, user), task, action, transitions.Move(**move)
        )

    return _act
