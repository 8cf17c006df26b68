"""Task engine benchmark on PostgreSQL: one county with many tasks (default 1,000,000) plus 20
small counties, loaded in bulk with generate_series; then the county dashboard, a grid
worker's task list, a transition and the card sweep are timed, with the tenant filter (ORM
criteria + row-level security) on and off. See bench/README.md.

    BENCH_OWNER=postgresql+psycopg://owner@…/db BENCH_APP=postgresql+psycopg://app@…/db \\
        .venv/bin/python bench/tasks.py [--tasks 1000000] [--runs 200]

The database named by BENCH_OWNER is emptied first.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from gridgov.app import create_app
from gridgov.core import db as core_db
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import db_session, make_engine, set_tenant
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import dashboard as dashboards
from gridgov.core.tasks import service as tasks
from gridgov.core.tasks.models import Task
from gridgov.core.tenancy.models import Tenant
from gridgov.migrations import upgrade

TOWNSHIPS, COMMUNITIES, GRIDS = 10, 10, 10  # 1,000 grids in the big county
SMALL_TENANTS, SMALL_TASKS = 20, 2000
TASK_TABLES = (
    "tasks",
    "task_counters",
    "task_transitions",
    "task_cards",
    "notifications",
    "nodes",
    "users",
    "assignments",
    "task_sla_limits",
    "work_calendar_days",
    "task_supervisions",
)


def reset(owner_url: str, app_url: str) -> None:
    engine = make_engine(owner_url)
    app_role = engine.dialect.identifier_preparer.quote(app_url.split("//")[1].split(":")[0])
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {app_role}"))
    engine.dispose()
    upgrade(owner_url, app_url)


def load(owner_url: str, big_tasks: int) -> None:
    """Tenants, hierarchy, staff and tasks in bulk, as the owner (RLS forced: the tenant is set
    per transaction like the app does)."""
    engine = make_engine(owner_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tenants (slug, name, level_names, settings, modules, is_active,"
                " created_at) SELECT CASE WHEN i = 0 THEN 'big' ELSE 'small-' || i END,"
                " '县' || i, '[\"县\",\"乡镇\",\"社区\",\"网格\"]', '{}', '[]', true, now()"
                " FROM generate_series(0, :n) i"
            ),
            {"n": SMALL_TENANTS},
        )
    tenant_ids = _ids(engine, "SELECT id FROM tenants ORDER BY id")
    for index, tenant_id in enumerate(tenant_ids):
        big = index == 0
        sizes = (TOWNSHIPS, COMMUNITIES, GRIDS) if big else (2, 2, 2)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                text("SELECT set_config('gridgov.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
            _hierarchy(conn, tenant_id, *sizes)
            _staff(conn, tenant_id)
            _tasks(conn, tenant_id, big_tasks if big else SMALL_TASKS)
            _counters(conn, tenant_id)
        if big:
            took = time.perf_counter() - started
            print(f"loaded the big county: {big_tasks:,} tasks in {took:.0f} s")
    engine.dispose()
    vacuum(owner_url)


def vacuum(owner_url: str) -> None:
    """VACUUM ANALYZE, as autovacuum would have done on a live database by then (index-only
    scans need the visibility map)."""
    engine = make_engine(owner_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _ids(engine: Any, sql: str) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)).scalars())


def _hierarchy(conn: Any, tenant_id: int, towns: int, comms: int, grids: int) -> None:
    sql = text(
        "INSERT INTO nodes (tenant_id, code, name, level, parent_id, path, created_at)"
        " VALUES (:t, :code, :name, :level, :parent, '', now()) RETURNING id"
    )
    top = conn.execute(
        sql, {"t": tenant_id, "code": "C", "name": "县", "level": 0, "parent": None}
    ).scalar()
    conn.execute(text("UPDATE nodes SET path = '/' || id || '/' WHERE id = :id"), {"id": top})
    for level, count in ((1, towns), (2, comms), (3, grids)):
        conn.execute(
            text(
                "INSERT INTO nodes (tenant_id, code, name, level, parent_id, path, created_at)"
                " SELECT :t, p.code || '-' || i, p.name || i, :level, p.id, '', now()"
                " FROM nodes p, generate_series(1, :n) i WHERE p.tenant_id = :t AND p.level = :up"
            ),
            {"t": tenant_id, "level": level, "n": count, "up": level - 1},
        )
        conn.execute(
            text(
                "UPDATE nodes c SET path = p.path || c.id || '/' FROM nodes p"
                " WHERE c.parent_id = p.id AND c.tenant_id = :t AND c.level = :level"
            ),
            {"t": tenant_id, "level": level},
        )


def _staff(conn: Any, tenant_id: int) -> None:
    """A county admin, a station member per community, a grid worker per grid."""
    conn.execute(
        text(
            "INSERT INTO users (tenant_id, username, name, role, failed_logins, is_active,"
            " created_at) VALUES (:t, 'admin', '管理员', 'county_admin', 0, true, now())"
        ),
        {"t": tenant_id},
    )
    for role, level in (("station_staff", 2), ("grid_worker", 3)):
        conn.execute(
            text(
                "INSERT INTO users (tenant_id, username, name, role, failed_logins, is_active,"
                " created_at) SELECT :t, :role || n.id, '职员' || n.id, :role, 0, true, now()"
                " FROM nodes n WHERE n.tenant_id = :t AND n.level = :level"
            ),
            {"t": tenant_id, "role": role, "level": level},
        )
        conn.execute(
            text(
                "INSERT INTO assignments (tenant_id, user_id, node_id, is_responsible, created_at)"
                " SELECT :t, u.id, n.id, :resp, now() FROM nodes n JOIN users u"
                " ON u.username = :role || n.id AND u.tenant_id = :t"
                " WHERE n.tenant_id = :t AND n.level = :level"
            ),
            {"t": tenant_id, "role": role, "level": level, "resp": role == "grid_worker"},
        )


def _tasks(conn: Any, tenant_id: int, count: int) -> None:
    """``count`` tasks over the last year: ~70 % closed or later, the open ones spread over the
    stages with deadlines around now (some past: the sweep has work to do)."""
    conn.execute(
        text(
            """
            WITH grids AS (
                SELECT g.id, g.path, g.parent_id, p.path AS parent_path,
                       row_number() OVER (ORDER BY g.id) - 1 AS k
                FROM nodes g JOIN nodes p ON p.id = g.parent_id
                WHERE g.tenant_id = :t AND g.level = 3
            ), n AS (SELECT count(*) AS c FROM grids),
            s AS (
                SELECT i, (i * 7919) % 100 AS r,
                       now() - ((i * 104729) % 31536000) * interval '1 second' AS at
                FROM generate_series(1::bigint, :count) i
            )
            INSERT INTO tasks (tenant_id, code, task_type, category, source, track, state, is_open,
                node_id, filed_path, current_node_id, current_path, title, description,
                location_text, priority, stage_started_at, yellow_at, due_at, card, is_supervised,
                rating, rating_comment, reported_at, closed_at, updated_at)
            SELECT :t, 'B' || :t || 'X' || s.i, 'default',
                (ARRAY['民生事项', '社情民意', '特殊人群服务', '矛盾纠纷', '突发事项',
                       '治安防控'])[1 + s.i % 6],
                'patrol', (ARRAY['general','coordinate','emergency'])[1 + s.i % 3],
                CASE WHEN s.r < 40 THEN 'evaluated' WHEN s.r < 70 THEN 'closed'
                     WHEN s.r < 80 THEN 'reported' WHEN s.r < 88 THEN 'accepted'
                     WHEN s.r < 95 THEN 'dispatched' ELSE 'handled' END,
                s.r >= 70,
                g.id, g.path,
                CASE WHEN s.r BETWEEN 80 AND 94 THEN g.parent_id ELSE g.id END,
                CASE WHEN s.r BETWEEN 80 AND 94 THEN g.parent_path ELSE g.path END,
                '事件 ' || s.i, '', '', 2, s.at,
                CASE WHEN s.r >= 70 THEN now() + ((s.i % 200) - 20) * interval '1 hour' END,
                CASE WHEN s.r >= 70 THEN now() + ((s.i % 200) - 10) * interval '1 hour' END,
                'none', false,
                CASE WHEN s.r < 40 THEN (ARRAY['satisfied','basic','unsatisfied'])[1 + s.i % 3] END,
                '', s.at,
                CASE WHEN s.r < 70 THEN s.at + ((s.i % 96) + 1) * interval '1 hour' END,
                s.at
            FROM s CROSS JOIN n JOIN grids g ON g.k = s.i % n.c
            """
        ),
        {"t": tenant_id, "count": count},
    )


def _counters(conn: Any, tenant_id: int) -> None:
    """The dashboard counters as ``counters.rebuild`` computes them, in one statement."""
    conn.execute(
        text(
            """
            INSERT INTO task_counters (tenant_id, node_id, month, category, track, state, level,
                                       rating, tasks, handling_seconds)
            SELECT :t, a.node_id::int,
                   date_trunc('month', t.reported_at AT TIME ZONE 'Asia/Shanghai')::date,
                   t.category, t.track, t.state, c.level, coalesce(t.rating, ''), count(*),
                   coalesce(sum(extract(epoch FROM t.closed_at - t.reported_at)::bigint), 0)
            FROM tasks t
            JOIN nodes c ON c.id = t.current_node_id
            CROSS JOIN LATERAL
                unnest(string_to_array(trim(both '/' FROM t.filed_path), '/')) a(node_id)
            WHERE t.tenant_id = :t
            GROUP BY 2, 3, 4, 5, 6, 7, 8
            """
        ),
        {"t": tenant_id},
    )


def clear_cards(owner_url: str) -> None:
    """Take back the cards an earlier run gave, so the sweep has the same work to do again."""
    engine = make_engine(owner_url)
    with engine.begin() as conn:
        for tenant_id in conn.execute(text("SELECT id FROM tenants")).scalars():
            conn.execute(
                text("SELECT set_config('gridgov.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
            conn.execute(text("UPDATE tasks SET card = 'none' WHERE card <> 'none'"))
            conn.execute(text("DELETE FROM notifications"))
            conn.execute(text("DELETE FROM task_cards"))
    engine.dispose()
    vacuum(owner_url)


# --- timing -----------------------------------------------------------------------------------


def timed(runs: int, call: Callable[[], Any]) -> tuple[float, float]:
    """(p50, p95) in milliseconds of ``runs`` calls after 3 warm-up calls."""
    for _ in range(3):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


@contextlib.contextmanager
def tenant_filter_off(session: Session) -> Iterator[None]:
    """The same work with neither the ORM tenant criteria nor RLS: the owner's connection, RLS
    disabled on the task tables and the ORM listener detached. Transitions and the sweep commit,
    so RLS is disabled in a committed change and enabled again, committed, afterwards."""
    _set_rls(session, "DISABLE")
    event.remove(Session, "do_orm_execute", core_db._filter_by_tenant)
    try:
        yield
    finally:
        event.listen(Session, "do_orm_execute", core_db._filter_by_tenant)
        session.rollback()
        _set_rls(session, "ENABLE")


def _set_rls(session: Session, switch: str) -> None:
    for table in TASK_TABLES:
        session.execute(text(f"ALTER TABLE {table} {switch} ROW LEVEL SECURITY"))
    session.commit()


def measure(
    url: str, instance: str, runs: int, *, filter_on: bool
) -> tuple[dict[str, tuple[float, float]], tasks.SweepResult]:
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance})
    figures: dict[str, tuple[float, float]] = {}
    with app.app_context():
        session = db_session()
        set_tenant(session, None)
        tenant = session.scalar(select(Tenant).where(Tenant.slug == "big"))
        set_tenant(session, tenant.id)
        top = session.scalar(select(Node).where(Node.level == 0))
        worker = session.scalar(select(User).where(User.role == Role.GRID_WORKER).order_by(User.id))
        context = contextlib.nullcontext() if filter_on else tenant_filter_off(session)
        with context:
            registry = tasks.registry()
            figures["county dashboard"] = timed(
                runs, lambda: dashboards.dashboard(session, tenant, registry, top)
            )

            def worker_list() -> None:
                query = tasks.my_tasks(session, worker)
                session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
                list(session.scalars(query.limit(50)))

            figures["worker's task list (count + page of 50)"] = timed(runs, worker_list)
            figures["transition (accept, committed)"] = _transitions(session, runs)
            started = time.perf_counter()
            result = tasks.sweep_cards(session)
            session.commit()
            elapsed = (time.perf_counter() - started) * 1000
            figures["card sweep (once)"] = (elapsed, elapsed)
        session.rollback()
        db_session.remove()
    app.extensions["gridgov.engine"].dispose()
    return figures, result


def _transitions(session: Session, runs: int) -> tuple[float, float]:
    candidates = list(
        session.execute(
            select(Task.id, Task.current_node_id)
            .where(Task.state == "reported", Task.current_node_id == Task.node_id)
            .limit(runs + 3)
        )
    )
    stations: dict[int, User] = {}
    queue = iter(candidates)
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    def accept() -> None:
        task_id, grid_id = next(queue)
        grid = session.get(Node, grid_id)
        station = stations.get(grid.parent_id)
        if station is None:
            station = session.scalar(
                select(User).where(User.username == f"station_staff{grid.parent_id}")
            )
            stations[grid.parent_id] = station
        task = session.get(Task, task_id)
        tasks.transition(session, station, scope_of(session, station), task, "accept")
        session.commit()

    event.listen(session.get_bind(), "after_cursor_execute", count)
    figures = timed(runs, accept)
    event.remove(session.get_bind(), "after_cursor_execute", count)
    per_transition = statements / (runs + 3)
    print(f"statements per transition (reading task, user, scope included): {per_transition:.1f}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000, help="tasks of the big county")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per figure")
    parser.add_argument("--no-load", action="store_true", help="reuse the data already loaded")
    args = parser.parse_args()
    owner_url, app_url = os.environ["BENCH_OWNER"], os.environ["BENCH_APP"]
    if args.no_load:
        clear_cards(owner_url)
    else:
        reset(owner_url, app_url)
        load(owner_url, args.tasks)
    with tempfile.TemporaryDirectory() as instance:
        off, _swept = measure(owner_url, instance, args.runs, filter_on=False)
        clear_cards(owner_url)  # the second sweep has the same work to do
        on, swept = measure(app_url, instance, args.runs, filter_on=True)
    print(
        f"\nbig county: {args.tasks:,} tasks, {TOWNSHIPS * COMMUNITIES * GRIDS:,} grids; "
        f"{SMALL_TENANTS} small counties of {SMALL_TASKS:,} tasks; {args.runs} runs each, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(f"{'figure':45} {'p50 ms':>8} {'p95 ms':>8} {'p95 off':>8} {'on/off':>7}")
    for name, (p50, p95) in on.items():
        base = off.get(name)
        ratio = f"{p95 / base[1]:7.2f}" if base else ""
        off_p95 = f"{base[1]:8.1f}" if base else " " * 8
        print(f"{name:45} {p50:8.1f} {p95:8.1f} {off_p95} {ratio}")
    print(f"the sweep gave {swept.yellow:,} yellow and {swept.red:,} red cards")


if __name__ == "__main__":
    main()
