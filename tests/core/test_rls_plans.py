"""Subtree and scope filters are index conditions under row-level security (issue 20, item 1).

Each query is the one the application sends (captured at the cursor, ORM criteria included),
explained as the application's role with its county set, so RLS applies as in production.
Sequential scans are switched off for the EXPLAIN: on these small tables the planner would
rightly prefer them, and what is asserted is that the path filter *can* be read from its index —
which a bare ``LIKE`` cannot under RLS (the control below), whatever the table's size.

Runs on its own PostgreSQL database (``postgres_urls``) whatever the main test database is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from gridgov.app import create_app
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import db_session, make_engine, tenant_scope
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import reading, reporting
from gridgov.core.tasks.models import Task
from tests.conftest import empty_postgres_tenants
from tests.factories import County, build_county

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def rls_app(
    postgres_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    owner_url, app_url = postgres_urls
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app_url,
            "MIGRATION_DATABASE_URL": owner_url,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("plans")),
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_ENABLED": False,
        }
    )
    yield app
    app.extensions["gridgov.engine"].dispose()
    owner = make_engine(owner_url)
    with owner.begin() as connection:
        empty_postgres_tenants(connection)
    owner.dispose()


COPIES = 300  # of each grid's task: enough rows that an index range beats reading them all


@pytest.fixture(scope="module")
def county(rls_app: Flask, postgres_urls: tuple[str, str]) -> Iterator[County]:
    """16 grids with 301 reported tasks each, committed by the application's role, analyzed
    (by the owner: statistics are the table owner's) so the planner knows the paths' spread."""
    with rls_app.app_context():
        session = db_session()
        built = build_county(session, "plans", townships=2, communities=4, grids=2)
        for worker, grid in zip(built.workers, built.grids, strict=True):
            reporting.file_task(
                session, worker, grid, reporting.Report(category="民生事项", title="路灯不亮")
            )
        columns = [c.name for c in Task.__table__.columns if c.name != "id"]
        copied = {"code": "t.code || '-' || g", "idempotency_key": "NULL", "external_id": "NULL"}
        session.execute(
            text(
                f"INSERT INTO tasks ({', '.join(columns)})"  # noqa: S608 (the model's own names)
                f" SELECT {', '.join(copied.get(c, f't.{c}') for c in columns)}"
                f" FROM tasks t CROSS JOIN generate_series(1, {COPIES}) g"
            )
        )
        session.commit()
        owner = make_engine(postgres_urls[0])
        with owner.begin() as connection:
            connection.execute(text("ANALYZE tasks, nodes"))
        owner.dispose()
        yield built
        session.close()


@pytest.fixture
def in_county(county: County) -> Iterator[Session]:
    """The module's session (its app context stays pushed), scoped to the county."""
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        yield session
    session.rollback()


def sent(session: Session, run: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements ``run`` sends, with their parameters, as the cursor sees them."""
    statements: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]


def plan(session: Session, statement: str, parameters: Any) -> dict[str, Any]:
    connection = session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        row = connection.exec_driver_sql(
            f"EXPLAIN (FORMAT JSON) {statement}", parameters
        ).scalar_one()
    finally:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = on")
    return (json.loads(row) if isinstance(row, str) else row)[0]["Plan"]


def index_conditions(node: dict[str, Any]) -> list[str]:
    """Every ``Index Cond`` of a plan tree, with the index it reads."""
    found = []
    if "Index Cond" in node:
        found.append(f"{node.get('Index Name')}: {node['Index Cond']}")
    for child in node.get("Plans", []):
        found.extend(index_conditions(child))
    return found


def path_ranges(session: Session, run: Callable[[], Any], table: str) -> list[str]:
    """The index conditions on a ``table`` path column in the plans of ``run``'s SELECTs on
    ``table``; fails if ``run`` sent none."""
    statements = [(s, p) for s, p in sent(session, run) if f"FROM {table}" in s]
    assert statements, f"no SELECT on {table} was sent"
    found = []
    for statement, parameters in statements:
        found.extend(
            c for c in index_conditions(plan(session, statement, parameters)) if "~>=~" in c
        )
    return found


def test_the_station_list_of_reported_tasks_reads_the_path_index(
    in_county: Session, county: County
):
    station = county.station_staff
    scope = scope_of(in_county, station)
    query = reading.visible_tasks(
        in_county, station, scope, reading.TaskFilter(state="reported", is_open=True)
    )
    found = path_ranges(in_county, lambda: in_county.scalars(query).all(), "tasks")
    assert any("filed_path" in c for c in found), found
    assert any("current_path" in c for c in found), found


def test_a_scope_filter_reads_the_path_index(in_county: Session, county: County):
    scope = scope_of(in_county, county.township_staff)
    query = select(Task.id).where(scope.path_filter(Task.filed_path))
    found = path_ranges(in_county, lambda: in_county.scalars(query).all(), "tasks")
    assert found and all("filed_path" in c for c in found), found


def test_a_hierarchy_subtree_reads_the_path_index(in_county: Session, county: County):
    query = hierarchy.subtree_query(county.townships[0])
    found = path_ranges(in_county, lambda: in_county.scalars(query).all(), "nodes")
    assert found and all("(path)::text ~>=~" in c for c in found), found


def test_control_a_bare_like_is_no_index_condition_under_rls(in_county: Session, county: County):
    """The premise of the three above: what they guard against is real on this server."""
    prefix = county.townships[0].path
    query = select(Node.id).where(Node.path.startswith(prefix, autoescape=True))
    statements = [s for s in sent(in_county, lambda: in_county.scalars(query).all())]
    assert statements
    conditions = [c for s, p in statements for c in index_conditions(plan(in_county, s, p))]
    assert not any("~~" in c or "~>=~" in c for c in conditions), conditions


def test_the_station_waiting_list_reads_its_nodes_and_states_from_an_index(
    in_county: Session, county: County
):
    station = county.station_staff
    query = reading.waiting_on(in_county, station, scope_of(in_county, station))
    statements = [
        (s, p)
        for s, p in sent(in_county, lambda: in_county.scalars(query).all())
        if "FROM tasks" in s
    ]
    assert statements, "the waiting list sent no SELECT on tasks"
    found = [c for s, p in statements for c in index_conditions(plan(in_county, s, p))]
    # The arm of the station's own nodes: its tenant, nodes and states in the index's condition.
    assert any(
        c.startswith("ix_tasks_tenant_id_current_node_id_state:")
        and "current_node_id = ANY" in c
        and "(state)::text = ANY" in c
        for c in found
    ), found
