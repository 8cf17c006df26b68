"""Two station members accept one task at the same moment, each in its own transaction on
PostgreSQL: the second waits for the first's row lock, then finds the task accepted and is told
so (a Conflict, 409), not that there is no such task (404).

The accept moves the task's current node from its grid up to the community. A locked read that
joined the current node lost the task: PostgreSQL re-checks a waiting FOR UPDATE on the row's
new version but joins it to the node row it had read before, which no longer matches."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Engine

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import SessionFactory, set_tenant
from gridgov.core.errors import Conflict
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Assignment
from gridgov.core.tasks import reading, reporting, transitions
from gridgov.core.tenancy.models import Tenant
from tests.conftest import empty_postgres_tenants

pytestmark = pytest.mark.postgres


@pytest.fixture
def reported(app: Flask, postgres_owner_engine: Engine) -> Iterator[tuple[int, int, int]]:
    """A county of one community and grid, its station member and a task reported in the grid,
    committed: (tenant id, station member id, task id)."""
    with app.app_context():  # the task types of the runtime
        session = SessionFactory(bind=postgres_owner_engine)
        set_tenant(session, None)
        tenant = Tenant(slug="stepping", name="步县", level_names=["县", "社区", "网格"])
        session.add(tenant)
        session.flush()
        set_tenant(session, tenant.id)
        top = hierarchy.create_node(session, tenant, None, parent=None, code="S", name="步县")
        community = hierarchy.create_node(
            session, tenant, None, parent=top, code="S-1", name="一社区"
        )
        grid = hierarchy.create_node(
            session, tenant, None, parent=community, code="S-1-1", name="一网格"
        )
        worker = User(username="stepping-w", name="网格员", role="grid_worker")
        station = User(username="stepping-s", name="站员", role="station_staff")
        session.add_all([worker, station])
        session.flush()
        session.add_all(
            [
                Assignment(user_id=worker.id, node_id=grid.id),
                Assignment(user_id=station.id, node_id=community.id),
            ]
        )
        session.flush()
        task, _ = reporting.file_task(
            session, worker, grid, reporting.Report(category="民生事项", title="路灯不亮")
        )
        session.commit()
        ids = (tenant.id, station.id, task.id)
        session.close()
    yield ids
    with postgres_owner_engine.begin() as connection:
        empty_postgres_tenants(connection)


def waiting_on_a_lock(engine: Engine) -> bool:
    """Whether a session of ``engine``'s role waits for a lock (pg_stat_activity shows a role
    only its own sessions' waits)."""
    with engine.connect() as connection:
        return bool(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        )


def test_the_second_of_two_accepts_at_once_is_told_the_task_was_accepted(
    app: Flask, postgres_app_engine: Engine, reported
):
    tenant_id, station_id, task_id = reported
    first_locked = threading.Event()
    outcomes: dict[str, object] = {}

    def accept(name: str) -> None:
        ctx = app.app_context()
        ctx.push()
        session = SessionFactory(bind=postgres_app_engine)
        try:
            set_tenant(session, tenant_id)
            station = session.get(User, station_id)
            scope = scope_of(session, station)
            if name == "second":
                first_locked.wait(timeout=10)
            task = reading.visible_task(session, station, scope, task_id, for_update=True)
            if name == "first":
                first_locked.set()
                deadline = time.monotonic() + 10
                while not waiting_on_a_lock(postgres_app_engine):  # the second is blocked
                    assert time.monotonic() < deadline, "the second accept never waited"
                    time.sleep(0.02)
            transitions.transition(session, station, scope, task, "accept")
            session.commit()
            outcomes[name] = "accepted"
        except Exception as error:  # looked at below, in the test's thread
            outcomes[name] = error
            session.rollback()
        finally:
            session.close()
            ctx.pop()

    threads = [threading.Thread(target=accept, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes["first"] == "accepted"
    assert isinstance(outcomes["second"], Conflict), outcomes["second"]
