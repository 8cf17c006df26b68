"""Period report benchmark on PostgreSQL: the task benchmark's county (default 1,000,000 tasks
over the last year, loaded by bench/tasks.py) with departments' work in the transition log,
cards and household visits added in bulk; then the period report of the county, of a township
and of a grid is timed for a month, a quarter, a year and a run of days. See bench/README.md.

    BENCH_OWNER=postgresql+psycopg://owner@…/db BENCH_APP=postgresql+psycopg://app@…/db \\
        .venv/bin/python bench/reports.py [--tasks 1000000] [--runs 10] [--no-load]

The database named by BENCH_OWNER is emptied first (unless --no-load).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tasks as task_bench

from gridgov.app import create_app
from gridgov.core.db import db_session, make_engine, set_tenant
from gridgov.core.hierarchy.models import Node
from gridgov.core.reports import service as reports
from gridgov.core.tasks import reading
from gridgov.core.tenancy.county_time import Period
from gridgov.core.tenancy.models import Tenant


def add_report_data(owner_url: str) -> None:
    """Sources, three departments with a dispatch and (for most) a handle or return step for
    every dispatched-or-later task of the big county, a card for one task in ten, and 100,000
    household visits over the year."""
    engine = make_engine(owner_url)
    with engine.begin() as conn:
        tenant_id = conn.execute(text("SELECT id FROM tenants WHERE slug = 'big'")).scalar()
        conn.execute(
            text("SELECT set_config('gridgov.tenant_id', :t, true)"), {"t": str(tenant_id)}
        )
        top = conn.execute(text("SELECT id FROM nodes WHERE level = 0")).scalar()
        conn.execute(
            text(
                "UPDATE tasks SET source = (ARRAY['patrol','resident','hotline','department',"
                "'system'])[1 + id % 5]"
            )
        )
        conn.execute(
            text(
                "INSERT INTO departments (tenant_id, code, name, node_id, is_active, created_at)"
                " SELECT :t, 'D' || i, '部门' || i, :top, true, now()"
                " FROM generate_series(1, 3) i"
            ),
            {"t": tenant_id, "top": top},
        )
        departments = list(conn.execute(text("SELECT id FROM departments ORDER BY id")).scalars())
        actor = conn.execute(text("SELECT id FROM users WHERE role = 'county_admin'")).scalar()
        # A dispatch 2 hours after the report for half the tasks, then handled (or returned,
        # one in five) 1–60 hours later.
        conn.execute(
            text(
                """
                INSERT INTO task_transitions (tenant_id, task_id, action, from_state, to_state,
                    actor_id, actor_name, node_id, department_id, comment, file_ids, at)
                SELECT :t, id, 'dispatch', 'accepted', 'dispatched', :actor, '管理员', :top,
                       (ARRAY[:d1, :d2, :d3])[1 + id % 3], '', '[]',
                       reported_at + interval '2 hours'
                FROM tasks WHERE id % 2 = 0
                """
            ),
            {"t": tenant_id, "actor": actor, "top": top, **_three(departments)},
        )
        conn.execute(
            text(
                """
                INSERT INTO task_transitions (tenant_id, task_id, action, from_state, to_state,
                    actor_id, actor_name, node_id, department_id, comment, file_ids, at)
                SELECT :t, id, CASE WHEN id % 5 = 0 THEN 'return' ELSE 'handle' END,
                       'dispatched', CASE WHEN id % 5 = 0 THEN 'accepted' ELSE 'handled' END,
                       :actor, '管理员', node_id, (ARRAY[:d1, :d2, :d3])[1 + id % 3], '办理',
                       '[]', reported_at + interval '2 hours' + (1 + id % 60) * interval '1 hour'
                FROM tasks WHERE id % 2 = 0 AND id % 7 <> 0
                """
            ),
            {"t": tenant_id, "actor": actor, **_three(departments)},
        )
        conn.execute(
            text(
                """
                INSERT INTO task_cards (tenant_id, task_id, color, state, node_id, due_at, at)
                SELECT :t, id, CASE WHEN id % 20 = 0 THEN 'red' ELSE 'yellow' END, 'dispatched',
                       :top, reported_at + interval '40 hours',
                       reported_at + interval '2 hours' + (id % 50) * interval '1 hour'
                FROM tasks WHERE id % 10 = 0
                """
            ),
            {"t": tenant_id, "top": top},
        )
        conn.execute(
            text(
                """
                INSERT INTO dwellings (tenant_id, node_id, unit, number, address, is_rental,
                    created_at, updated_at)
                SELECT :t, g.id, '', i::text, '地址' || i, false, now(), now()
                FROM generate_series(1, 20) i CROSS JOIN nodes g WHERE g.level = 3
                """
            ),
            {"t": tenant_id},
        )
        conn.execute(
            text(
                "INSERT INTO households (tenant_id, dwelling_id, node_id, number, created_at,"
                " updated_at) SELECT :t, id, node_id, '', now(), now() FROM dwellings"
            ),
            {"t": tenant_id},
        )
        conn.execute(
            text(
                """
                INSERT INTO visits (tenant_id, household_id, visited_by_name, visited_at, notes,
                    created_at)
                SELECT :t, h.id, '网格员', now() - ((h.id * 7 + i * 104729) % 31536000)
                       * interval '1 second', '', now()
                FROM households h CROSS JOIN generate_series(1, 5) i
                """
            ),
            {"t": tenant_id},
        )
    engine.dispose()
    task_bench.vacuum(owner_url)


def _three(ids: list[int]) -> dict[str, int]:
    return {"d1": ids[0], "d2": ids[1], "d3": ids[2]}


def measure(app_url: str, instance: str, runs: int) -> list[tuple[str, float, float]]:
    """p50 and p95 (ms) of each report, as the application's role (ORM criteria + RLS)."""
    app = create_app({"DATABASE_URL": app_url, "INSTANCE_PATH": instance})
    figures = []
    with app.app_context():
        session = db_session()
        tenant = session.scalar(select(Tenant).where(Tenant.slug == "big"))
        set_tenant(session, tenant.id)
        registry = reading.registry()
        clock = tenant.clock
        top = session.scalar(select(Node).where(Node.level == 0))
        township = session.scalar(select(Node).where(Node.level == 1).order_by(Node.id))
        grid = session.scalar(select(Node).where(Node.level == 3).order_by(Node.id))
        today = clock.today()
        month = clock.month_of(today - dt.timedelta(days=31))
        quarter = reports.quarter_of(today - dt.timedelta(days=92), clock)
        year = Period(today - dt.timedelta(days=364), today, clock.zone)
        days = Period(today - dt.timedelta(days=45), today - dt.timedelta(days=15), clock.zone)
        cases = [
            ("county, a month (counters)", top, month),
            ("county, a quarter (counters)", top, quarter),
            ("county, 31 days (tasks)", top, days),
            ("county, the last 365 days (tasks)", top, year),
            ("township, a quarter", township, quarter),
            ("grid, a quarter", grid, quarter),
        ]
        for name, node, period in cases:
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                report = reports.period_report(session, tenant, registry, node, period)
                samples.append((time.perf_counter() - started) * 1000)
                session.rollback()
            samples.sort()
            p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
            figures.append((name, statistics.median(samples), p95))
            print(
                f"  {name}: reported {report.reported:,}, cards {report.cards.red:,} red, "
                f"received by departments {sum(d.received for d in report.departments):,}, "
                f"served {report.served.total:,}"
            )
        db_session.remove()
    app.extensions["gridgov.engine"].dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000, help="tasks of the big county")
    parser.add_argument("--runs", type=int, default=10, help="timed reports per case")
    parser.add_argument("--no-load", action="store_true", help="reuse the data already loaded")
    args = parser.parse_args()
    owner_url, app_url = os.environ["BENCH_OWNER"], os.environ["BENCH_APP"]
    if not args.no_load:
        task_bench.reset(owner_url, app_url)
        task_bench.load(owner_url, args.tasks)
        started = time.perf_counter()
        add_report_data(owner_url)
        took = time.perf_counter() - started
        print(f"added departments' steps, cards and visits in {took:.0f} s")
    with tempfile.TemporaryDirectory() as instance:
        figures = measure(app_url, instance, args.runs)
    print(
        f"\nbig county: {args.tasks:,} tasks over a year, {args.runs} runs each, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(f"{'period report':40} {'p50 ms':>8} {'p95 ms':>8}")
    for name, p50, p95 in figures:
        print(f"{name:40} {p50:8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
