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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from gridgov.app import create_app
from gridgov.core import db as core_db
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import db_session, make_engine, set_tenant
from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import cards, reading, transitions
from gridgov.core.tasks import dashboard as dashboards
from gridgov.core.tasks.models import Task
from gridgov.core.tenancy.models import Tenant
from gridgov.migrations import upgrade

TOWNSHIPS, COMMUNITIES, GRIDS = 10, 10, 10  # 1,000 grids in the big county
SMALL_TENANTS, SMALL_TASKS = 20, 2000


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
                -- the state's draw r varies within a grid too (i / n.c: the grid's j-th task);
                -- i * 7919 % 100 alone is the same for every task of a grid of 1,000
                SELECT i, ((i / n.c) * 37 + i * 7919) % 100 AS r,
                       now() - ((i * 104729) % 31536000) * interval '1 second' AS at
                FROM generate_series(1::bigint, :count) i CROSS JOIN n
            )
            INSERT INTO tasks (tenant_id, code, task_type, category, source, track, state, is_open,
                node_id, filed_path, current_node_id, current_path, title, description,
                location_text, priority, stage_started_at, yellow_at, due_at, red_at, card,
                is_supervised,
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

Figure = tuple[float, float]  # p50, p95 in ms
FILTER_OFF = "bench.tenant_filter_off"


def timed_pair(runs: int, on: Callable[[], Any], off: Callable[[], Any]) -> tuple[Figure, Figure]:
    """(p50, p95) of ``runs`` calls of ``on`` and of ``off``, after 3 warm-up calls of each.
    The calls alternate, so a load that comes and goes on the machine weighs on both alike."""
    for _ in range(3):
        on()
        off()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for call, kept in zip((on, off), samples, strict=True):
            started = time.perf_counter()
            call()
            kept.append((time.perf_counter() - started) * 1000)
    on_figure, off_figure = (_percentiles(kept) for kept in samples)
    return on_figure, off_figure


def _percentiles(samples: list[float]) -> Figure:
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


@contextlib.contextmanager
def tenant_filter_off(owner: Engine) -> Iterator[None]:
    """Sessions marked ``FILTER_OFF`` get no ORM tenant criteria, and the owner (who owns the
    tables) is not held to RLS: FORCE ROW LEVEL SECURITY is lifted while the block runs and put
    back afterwards. The application's role stays under RLS, so the two can run side by side."""
    with owner.begin() as conn:
        forced = list(
            conn.execute(
                text("SELECT relname FROM pg_class WHERE relforcerowsecurity ORDER BY relname")
            ).scalars()
        )
        for table in forced:
            conn.execute(text(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"))
    event.remove(Session, "do_orm_execute", core_db._filter_by_tenant)
    event.listen(Session, "do_orm_execute", _filter_unless_off)
    try:
        yield
    finally:
        event.remove(Session, "do_orm_execute", _filter_unless_off)
        event.listen(Session, "do_orm_execute", core_db._filter_by_tenant)
        with owner.begin() as conn:
            for table in forced:
                conn.execute(text(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY"))


def _filter_unless_off(state: Any) -> None:
    if not state.session.info.get(FILTER_OFF):
        core_db._filter_by_tenant(state)


@dataclass
class Side:
    """What one side (filter on or off) works with: its session and the big county's rows."""

    session: Session
    tenant: Tenant
    top: Node
    worker: User
    station: User
    admin: User

    @classmethod
    def of(cls, session: Session) -> Side:
        set_tenant(session, None)
        tenant = session.scalar(select(Tenant).where(Tenant.slug == "big"))
        set_tenant(session, tenant.id)
        top = session.scalar(select(Node).where(Node.level == 0))
        worker = session.scalar(select(User).where(User.role == Role.GRID_WORKER).order_by(User.id))
        station = session.scalar(
            select(User).where(User.role == Role.STATION_STAFF).order_by(User.id)
        )
        admin = session.scalar(select(User).where(User.role == Role.COUNTY_ADMIN))
        return cls(session, tenant, top, worker, station, admin)


def measure(
    owner_url: str, app_url: str, instance: str, runs: int
) -> tuple[dict[str, tuple[Figure, Figure]], cards.SweepResult]:
    """Every figure with the tenant filter on (the app's role) and off (the owner, unfiltered),
    the calls of both sides interleaved; the sweep once per side."""
    app = create_app({"DATABASE_URL": app_url, "INSTANCE_PATH": instance})
    owner = make_engine(owner_url)
    figures: dict[str, tuple[Figure, Figure]] = {}
    with app.app_context(), tenant_filter_off(owner):
        on = Side.of(db_session())
        unfiltered = core_db.SessionFactory(bind=owner)
        unfiltered.info[FILTER_OFF] = True
        off = Side.of(unfiltered)
        registry = reading.registry()
        print(_what_is_loaded(on))

        def dashboard(side: Side) -> Callable[[], Any]:
            return lambda: dashboards.dashboard(side.session, side.tenant, registry, side.top)

        def worker_list(side: Side) -> Callable[[], Any]:
            def call() -> None:
                query = reading.my_tasks(
                    side.session, side.worker, scope_of(side.session, side.worker)
                )
                count = select(func.count()).select_from(query.order_by(None).subquery())
                side.session.scalar(count)
                list(side.session.scalars(query.limit(50)))

            return call

        def waiting_list(side: Side, role: str) -> Callable[[], Any]:
            def call() -> None:
                user = getattr(side, role)
                scope = scope_of(side.session, user)
                query = reading.waiting_on(side.session, user, scope)
                count = select(func.count()).select_from(query.order_by(None).subquery())
                side.session.scalar(count)
                list(side.session.scalars(query.limit(50)))

            return call

        figures["county dashboard"] = timed_pair(runs, dashboard(on), dashboard(off))
        for role, label in (("station", "a station's"), ("admin", "the county's")):
            figures[f"{label} waiting list (count + page of 50)"] = timed_pair(
                runs, waiting_list(on, role), waiting_list(off, role)
            )
        figures["worker's task list (count + page of 50)"] = timed_pair(
            runs, worker_list(on), worker_list(off)
        )

        def reported_list(side: Side) -> Callable[[], Any]:
            def call() -> None:
                scope = scope_of(side.session, side.station)
                query = reading.visible_tasks(side.session, side.station, scope, REPORTED_FILTER)
                count = select(func.count()).select_from(query.order_by(None).subquery())
                side.session.scalar(count)
                list(side.session.scalars(query.limit(50)))

            return call

        figures["a station's reported list (count + page of 50)"] = timed_pair(
            runs, reported_list(on), reported_list(off)
        )
        candidates = _candidates(on.session, 2 * (runs + 3) + 1)
        spare = candidates.pop()
        figures["transition (accept, committed)"] = timed_pair(
            runs,
            _accept(on.session, iter(candidates[0::2])),
            _accept(off.session, iter(candidates[1::2])),
        )
        per_transition = _statements_per_accept(on.session, spare)
        swept = {}
        for name, side in (("off", off), ("on", on)):
            started = time.perf_counter()
            swept[name] = cards.sweep_cards(side.session)
            side.session.commit()
            swept[name + " ms"] = (time.perf_counter() - started) * 1000
            if name == "off":
                clear_cards(owner_url)  # the second sweep has the same work to do
        figures["card sweep (once)"] = ((swept["on ms"],) * 2, (swept["off ms"],) * 2)
        print(f"statements per transition (reading task, user, scope included): {per_transition}")
        unfiltered.close()
        db_session.remove()
    app.extensions["gridgov.engine"].dispose()
    owner.dispose()
    return figures, swept["on"]


REPORTED_FILTER = reading.TaskFilter(state="reported", is_open=True)


def _what_is_loaded(side: Side) -> str:
    """The banner: the big county's tasks by state, and the open tasks of the timed worker and
    station (a list with nothing in it would time nothing)."""
    session = side.session
    by_state = session.execute(
        select(Task.state, func.count()).group_by(Task.state).order_by(func.count().desc())
    ).all()
    worker = session.scalar(
        select(func.count()).select_from(
            reading.my_tasks(session, side.worker, scope_of(session, side.worker))
            .order_by(None)
            .subquery()
        )
    )
    station = session.scalar(
        select(func.count()).select_from(
            reading.visible_tasks(
                session, side.station, scope_of(session, side.station), REPORTED_FILTER
            )
            .order_by(None)
            .subquery()
        )
    )
    states = ", ".join(f"{state} {count:,}" for state, count in by_state)
    return (
        f"big county by state: {states}\n"
        f"the timed grid worker has {worker:,} open tasks; the timed station {station:,}"
        " reported tasks in its community"
    )


def _candidates(session: Session, count: int) -> list[tuple[int, int]]:
    """Tasks reported at a grid and waiting there (the station accepts them)."""
    return [
        (row[0], row[1])
        for row in session.execute(
            select(Task.id, Task.current_node_id)
            .where(Task.state == "reported", Task.current_node_id == Task.node_id)
            .limit(count)
        )
    ]


def _accept(session: Session, queue: Iterator[tuple[int, int]]) -> Callable[[], None]:
    """One call: the community station accepts the next task, as a request would (the user's
    scope, the task read under its lock, the transition, the commit)."""
    stations: dict[int, User] = {}

    def accept() -> None:
        task_id, grid_id = next(queue)
        grid = session.get(Node, grid_id)
        station = stations.get(grid.parent_id)
        if station is None:
            station = session.scalar(
                select(User).where(User.username == f"station_staff{grid.parent_id}")
            )
            stations[grid.parent_id] = station
        scope = scope_of(session, station)
        task = reading.visible_task(session, station, scope, task_id, for_update=True)
        transitions.transition(session, station, scope, task, "accept")
        session.commit()

    return accept


def _statements_per_accept(session: Session, spare: tuple[int, int]) -> int:
    """The SQL statements of one more accept (on a task no timed call took), with a fresh
    station cache, as a request has."""
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(session.get_bind(), "after_cursor_execute", count)
    try:
        _accept(session, iter([spare]))()
    finally:
        event.remove(session.get_bind(), "after_cursor_execute", count)
    return statements


def sweep_growth(owner_url: str, app_url: str, sizes: list[int]) -> None:
    """The card sweep alone (the application's role, RLS on) on a big county of each size,
    loaded afresh, and how its time grows with the tasks and with the cards it gives."""
    print(f"{'tasks':>10} {'yellow':>8} {'red':>8} {'sweep ms':>9} {'µs/card':>8} {'load':>6}")
    first: tuple[int, float] | None = None
    for size in sizes:
        reset(owner_url, app_url)
        load(owner_url, size)
        with tempfile.TemporaryDirectory() as instance:
            app = create_app({"DATABASE_URL": app_url, "INSTANCE_PATH": instance})
            with app.app_context():
                side = Side.of(db_session())
                started = time.perf_counter()
                swept = cards.sweep_cards(side.session)
                side.session.commit()
                ms = (time.perf_counter() - started) * 1000
                db_session.remove()
            app.extensions["gridgov.engine"].dispose()
        given = swept.yellow + swept.red
        with open("/proc/loadavg") as loadavg:
            load_now = loadavg.read().split()[0]
        print(
            f"{size:>10,} {swept.yellow:>8,} {swept.red:>8,} {ms:>9.0f} "
            f"{ms * 1000 / max(given, 1):>8.1f} {load_now:>6}"
        )
        first = first or (size, ms)
    if first is not None and len(sizes) > 1:
        print(f"growth: x{sizes[-1] / first[0]:.0f} tasks took x{ms / first[1]:.1f} the time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000, help="tasks of the big county")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per figure")
    parser.add_argument("--no-load", action="store_true", help="reuse the data already loaded")
    parser.add_argument(
        "--sweep-growth",
        metavar="N,N,…",
        help="only the card sweep, on a big county of each of these sizes (e.g. 100000,1000000)",
    )
    args = parser.parse_args()
    owner_url, app_url = os.environ["BENCH_OWNER"], os.environ["BENCH_APP"]
    if args.sweep_growth:
        sweep_growth(owner_url, app_url, [int(n) for n in args.sweep_growth.split(",")])
        return
    if args.no_load:
        clear_cards(owner_url)
    else:
        reset(owner_url, app_url)
        load(owner_url, args.tasks)
    with tempfile.TemporaryDirectory() as instance:
        figures, swept = measure(owner_url, app_url, instance, args.runs)
    print(
        f"\nbig county: {args.tasks:,} tasks, {TOWNSHIPS * COMMUNITIES * GRIDS:,} grids; "
        f"{SMALL_TENANTS} small counties of {SMALL_TASKS:,} tasks; {args.runs} runs each "
        f"(filter on and off interleaved), {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(f"{'figure':45} {'p50 ms':>8} {'p95 ms':>8} {'p50 off':>8} {'p95 off':>8} {'on/off':>7}")
    for name, ((p50, p95), (off_p50, off_p95)) in figures.items():
        print(f"{name:45} {p50:8.1f} {p95:8.1f} {off_p50:8.1f} {off_p95:8.1f} {p95 / off_p95:7.2f}")
    print(f"the sweep gave {swept.yellow:,} yellow and {swept.red:,} red cards")


if __name__ == "__main__":
    main()
