"""Two sends of one offline draft at the same moment, each in its own transaction on
PostgreSQL: the unique index per county, reporter and key lets one task through, and the
other send answers with it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine

from gridgov.core.accounts.models import User
from gridgov.core.db import SessionFactory, set_tenant
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import reporting
from gridgov.core.tasks.models import Task
from gridgov.core.tenancy.models import Tenant
from tests.conftest import empty_postgres_tenants

pytestmark = pytest.mark.postgres


@pytest.fixture
def grid(postgres_owner_engine: Engine) -> Iterator[tuple[int, int, int]]:
    """A county with one grid and its worker, committed: (tenant id, grid id, worker id)."""
    session = SessionFactory(bind=postgres_owner_engine)
    set_tenant(session, None)
    tenant = Tenant(slug="racing", name="赛县", level_names=["县", "网格"])
    session.add(tenant)
    session.flush()
    set_tenant(session, tenant.id)
    top = Node(code="racing", name="赛县", level=0, path="")
    session.add(top)
    session.flush()
    leaf = Node(code="racing-1", name="一格", level=1, parent_id=top.id, path="")
    worker = User(username="racing-w", name="网格员", role="grid_worker")
    session.add_all([leaf, worker])
    session.commit()
    ids = (tenant.id, leaf.id, worker.id)
    session.close()
    yield ids
    with postgres_owner_engine.begin() as connection:
        empty_postgres_tenants(connection)


def test_two_sends_of_one_draft_at_once_make_one_task(
    app: Flask, postgres_app_engine: Engine, grid, monkeypatch
):
    tenant_id, grid_id, worker_id = grid
    both_looked = threading.Barrier(2, timeout=10)
    looked_up = reporting._already_reported

    def look_up_then_wait(session, actor, node, report):
        found = looked_up(session, actor, node, report)
        if not getattr(threading.current_thread(), "looked", False):
            threading.current_thread().looked = True  # type: ignore[attr-defined]
            both_looked.wait()  # neither has inserted yet: both go on to insert
        return found

    monkeypatch.setattr(reporting, "_already_reported", look_up_then_wait)
    answers: list[tuple[int, bool]] = []
    failures: list[BaseException] = []

    def send() -> None:
        # A thread starts with no context: the app's runtime (its task types) is installed.
        ctx = app.app_context()
        ctx.push()
        session = SessionFactory(bind=postgres_app_engine)
        try:
            set_tenant(session, tenant_id)
            worker = session.get(User, worker_id)
            node = session.get(Node, grid_id)
            # file_task: the race is in filing (the rights check of report_task is not)
            task, created = reporting.file_task(
                session,
                worker,
                node,
                reporting.Report(category="民生事项", title="路灯不亮", idempotency_key="draft-x"),
            )
            session.commit()
            answers.append((task.id, created))
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            session.close()
            ctx.pop()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert sorted(created for _id, created in answers) == [False, True]
    assert len({task_id for task_id, _created in answers}) == 1
    session = SessionFactory(bind=postgres_app_engine)
    set_tenant(session, tenant_id)
    assert len(session.scalars(select(Task)).all()) == 1
    session.close()
