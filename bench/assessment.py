"""Monthly assessment benchmark on PostgreSQL: counties of N grid workers (default 1,000, 2,500,
5,000 and 10,000, one county each in one database) with a month of records loaded in bulk, then
``gridgov.core.assessment.run.score_month`` timed for that month next to one hand-written SQL
statement that aggregates per worker the same counts the core rules need (the floor), and the
growth from the smallest county to the largest. See bench/README.md.

    BENCH_OWNER=postgresql+psycopg://owner@…/db BENCH_APP=postgresql+psycopg://app@…/db \\
        .venv/bin/python bench/assessment.py [--workers 1000,2500,5000,10000] [--runs 3]
            [--tasks-per-worker 100] [--households 50] [--month YYYY-MM] [--no-load] [--profile]

Each county (10 townships × 10 communities × N/100 grids, a station member per community, one
grid worker per grid) has, for the month scored (by default the last full month, county time):

- tasks: ``--tasks-per-worker`` per worker (100: 1,000,000 at 10,000 workers; the task count
  scales with the workers), reported evenly over the month; 88 % reported on patrol by the
  grid's worker, 7 % by residents, 3 % by the hotline, 2 % by departments; 8 % still waiting
  at the first stage (not taken up), 17 % accepted / dispatched / handled, 40 % closed and 35 %
  closed and rated (75 % satisfied, 18 % basically, 7 % not) with an ``evaluate`` transition
  1–48 hours after closing (closing 1–96 hours after the report, so some of it falls in the
  next month); a yellow card at the grid for one task in ten, a red one (after a yellow) for
  one in 33;
- patrols (一日双巡): on each working day 2 per worker (3 on 10 % of the days, 1 on 8 %, none
  on 4 %): ~2 per working day;
- daily logs on 90 % of the working days;
- ``--households`` households per grid (one dwelling each; 50: 500,000 at 10,000 workers),
  40 % of them visited by the grid's worker in the month, one in ten of those twice;
- audit events: 8 portal logins and 4 registry updates per worker for 95 % of the workers
  (one in 100 never logged in at all);
- approved leave of 3 working days for one worker in 50.

The database named by BENCH_OWNER is emptied first (unless --no-load). ``score_month`` runs as
the application's role (ORM tenant criteria + row-level security) and commits, so each run
replaces the sheets of the one before, as a re-run does; the floor runs in the same session,
with JIT compilation off for its transaction (see ``floor``). ``--profile`` times each part of
``score_month`` (each core rule, reading the workers, writing the sheets …) and the SQL in it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tasks as task_bench

from gridgov.app import create_app
from gridgov.core.assessment import run as runs
from gridgov.core.assessment.rules import DATA_ACTIONS
from gridgov.core.db import db_session, make_engine, set_tenant
from gridgov.core.tasks.calendar import WorkCalendar
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, Period, zone_named
from gridgov.core.tenancy.models import Tenant

ZONE = DEFAULT_TIME_ZONE
TOWNSHIPS, COMMUNITIES = 10, 10  # grids per community: workers / 100
PER_DAY = 2  # the default scheme's patrols a day


def last_month() -> str:
    today = dt.datetime.now(zone_named(ZONE)).date()
    return (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def period_of(month: str) -> Period:
    year, number = (int(part) for part in month.split("-"))
    return Period.month(year, number, zone_named(ZONE))


def workdays_of(period: Period) -> list[dt.date]:
    """The month's working days by the national calendar (the counties set no overrides)."""
    calendar = WorkCalendar()
    days = (period.first + dt.timedelta(days=n) for n in range(period.days))
    return [day for day in days if calendar.is_workday(day)]


# --- loading ---------------------------------------------------------------------------------


def load(owner_url: str, sizes: list[int], month: str, per_worker: int, households: int) -> None:
    """One county per size, its hierarchy, staff and month of records, as the owner (RLS
    forced: the tenant is set per transaction like the app does)."""
    engine = make_engine(owner_url)
    period = period_of(month)
    with engine.begin() as conn:
        for size in sizes:
            conn.execute(
                text(
                    "INSERT INTO tenants (slug, name, level_names, settings, modules, is_active,"
                    ' created_at) VALUES (:slug, :name, \'["县","乡镇","社区","网格"]\','
                    " '{}', '[]', true, now())"
                ),
                {"slug": slug_of(size), "name": f"{size} 网格员县"},
            )
    for size in sizes:
        started = time.perf_counter()
        with engine.begin() as conn:
            tenant_id = conn.execute(
                text("SELECT id FROM tenants WHERE slug = :s"), {"s": slug_of(size)}
            ).scalar_one()
            conn.execute(
                text("SELECT set_config('gridgov.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
            task_bench._hierarchy(conn, tenant_id, TOWNSHIPS, COMMUNITIES, size // 100)
            task_bench._staff(conn, tenant_id)
            values = {
                "t": tenant_id,
                "start": period.starts_at,
                "seconds": period.days * 86400,
                "days": workdays_of(period),
                "zone": ZONE,
            }
            _numbered(conn, values)
            for step in (_tasks, _cards, _evaluations, _patrols, _logs, _leave):
                step(conn, values, per_worker * size)
            _households(conn, values, households)
            _audit(conn, values)
        took = time.perf_counter() - started
        print(f"loaded {size:,} workers, {per_worker * size:,} tasks in {took:.0f} s", flush=True)
    engine.dispose()
    task_bench.vacuum(owner_url)


def slug_of(size: int) -> str:
    return f"w{size}"


def _numbered(conn: Any, values: dict[str, Any]) -> None:
    """The county's grid workers numbered from 0 (``k``), with their grid, and the month's
    working days numbered from 0 (``j``): the load's statements spread records by them."""
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE workers ON COMMIT DROP AS"
            " SELECT a.user_id, a.node_id, g.path, row_number() OVER (ORDER BY a.user_id) - 1 AS k"
            " FROM assignments a JOIN users u ON u.id = a.user_id JOIN nodes g ON g.id = a.node_id"
            " WHERE u.tenant_id = :t AND u.role = 'grid_worker'"
        ),
        values,
    )
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE workdays ON COMMIT DROP AS"
            " SELECT day, row_number() OVER (ORDER BY day) - 1 AS j"
            " FROM unnest(CAST(:days AS date[])) day"
        ),
        values,
    )


def _tasks(conn: Any, values: dict[str, Any], count: int) -> None:
    conn.execute(
        text(
            """
            WITH n AS (SELECT count(*) AS c FROM workers),
            s AS (
                SELECT i, (i * 7919) % 100 AS r, (i * 104729) % 100 AS q, (i / 7) % 100 AS m,
                       :start + ((i * 15485863) % :seconds) * interval '1 second' AS at
                FROM generate_series(1::bigint, :count) i
            )
            INSERT INTO tasks (tenant_id, code, task_type, category, source, track, state,
                is_open, node_id, filed_path, current_node_id, current_path, reporter_id, title,
                description, location_text, priority, stage_started_at, card, is_supervised,
                rating, rating_comment, reported_at, closed_at, updated_at)
            SELECT :t, 'A' || :t || 'X' || s.i, 'default',
                (ARRAY['民生事项', '社情民意', '特殊人群服务', '矛盾纠纷', '突发事项',
                       '治安防控'])[1 + s.i % 6],
                CASE WHEN s.q < 88 THEN 'patrol' WHEN s.q < 95 THEN 'resident'
                     WHEN s.q < 98 THEN 'hotline' ELSE 'department' END,
                (ARRAY['general', 'coordinate', 'emergency'])[1 + s.i % 3],
                CASE WHEN s.r < 8 THEN 'reported' WHEN s.r < 15 THEN 'accepted'
                     WHEN s.r < 20 THEN 'dispatched' WHEN s.r < 25 THEN 'handled'
                     WHEN s.r < 65 THEN 'closed' ELSE 'evaluated' END,
                s.r < 25, w.node_id, w.path, w.node_id, w.path,
                CASE WHEN s.q < 88 THEN w.user_id END,
                '事件 ' || s.i, '', '', 2, s.at,
                CASE WHEN s.i % 33 = 0 THEN 'red' WHEN s.i % 10 = 0 THEN 'yellow'
                     ELSE 'none' END,
                false,
                CASE WHEN s.r >= 65 THEN CASE WHEN s.m < 75 THEN 'satisfied'
                     WHEN s.m < 93 THEN 'basic' ELSE 'unsatisfied' END END,
                '', s.at,
                CASE WHEN s.r >= 25 THEN s.at + (1 + s.i % 96) * interval '1 hour' END, s.at
            FROM s CROSS JOIN n JOIN workers w ON w.k = (s.i / 100) % n.c
            """
        ),
        {**values, "count": count},
    )


def _cards(conn: Any, values: dict[str, Any], _count: int) -> None:
    """A yellow card at the grid a day after the report for every carded task, then a red one
    a day later for the red ones (the rule table's defaults: no rule version)."""
    for color, colors, hours in (("yellow", ("yellow", "red"), 24), ("red", ("red",), 48)):
        conn.execute(
            text(
                "INSERT INTO task_cards (tenant_id, task_id, color, state, node_id, due_at, at)"
                " SELECT :t, id, :color, 'reported', node_id,"
                " reported_at + (:hours - 4) * interval '1 hour',"
                " reported_at + :hours * interval '1 hour'"
                " FROM tasks WHERE tenant_id = :t AND card = ANY(:colors)"
            ),
            {**values, "color": color, "colors": list(colors), "hours": hours},
        )


def _evaluations(conn: Any, values: dict[str, Any], _count: int) -> None:
    conn.execute(
        text(
            "INSERT INTO task_transitions (tenant_id, task_id, action, from_state, to_state,"
            " actor_name, node_id, comment, file_ids, at)"
            " SELECT :t, id, 'evaluate', 'closed', 'evaluated', '居民', node_id, '', '[]',"
            " closed_at + (1 + id % 48) * interval '1 hour'"
            " FROM tasks WHERE tenant_id = :t AND state = 'evaluated'"
        ),
        values,
    )


def _patrols(conn: Any, values: dict[str, Any], _count: int) -> None:
    conn.execute(
        text(
            """
            WITH plan AS (
                SELECT w.user_id, w.node_id, w.k, d.day, d.j,
                       CASE WHEN (w.k * 7 + d.j * 13) % 100 < 4 THEN 0
                            WHEN (w.k * 7 + d.j * 13) % 100 < 12 THEN 1
                            WHEN (w.k * 7 + d.j * 13) % 100 < 90 THEN 2 ELSE 3 END AS n
                FROM workers w CROSS JOIN workdays d
            )
            INSERT INTO patrols (tenant_id, user_id, node_id, at, place, note)
            SELECT :t, p.user_id, p.node_id,
                   (p.day + time '08:30' + (x - 1) * interval '3 hours'
                    + ((p.k * 31 + p.j * 17) % 60) * interval '1 minute') AT TIME ZONE :zone,
                   '', ''
            FROM plan p CROSS JOIN LATERAL generate_series(1, p.n) x
            """
        ),
        values,
    )


def _logs(conn: Any, values: dict[str, Any], _count: int) -> None:
    conn.execute(
        text(
            """
            INSERT INTO worker_logs (tenant_id, user_id, day, text, updated_at)
            SELECT :t, w.user_id, d.day, '今日巡查网格', (d.day + time '18:00') AT TIME ZONE :zone
            FROM workers w CROSS JOIN workdays d WHERE (w.k * 11 + d.j * 7) % 10 <> 0
            """
        ),
        values,
    )


def _leave(conn: Any, values: dict[str, Any], _count: int) -> None:
    conn.execute(
        text(
            """
            INSERT INTO leave_requests (tenant_id, user_id, first_day, last_day, reason, state,
                decided_by_name, decided_at, decision_note, created_at)
            SELECT :t, w.user_id, first.day, last.day, '家中有事', 'approved', '站长', now(),
                   '', now()
            FROM workers w, workdays first, workdays last
            WHERE w.k % 50 = 0 AND first.j = 5 AND last.j = 7
            """
        ),
        values,
    )


def _households(conn: Any, values: dict[str, Any], per_grid: int) -> None:
    conn.execute(
        text(
            "INSERT INTO dwellings (tenant_id, node_id, unit, number, address, is_rental,"
            " created_at, updated_at)"
            " SELECT :t, g.id, '', i::text, '幸福路' || i || '号', false, now(), now()"
            " FROM nodes g CROSS JOIN generate_series(1, :n) i"
            " WHERE g.tenant_id = :t AND g.level = 3"
        ),
        {**values, "n": per_grid},
    )
    conn.execute(
        text(
            "INSERT INTO households (tenant_id, dwelling_id, node_id, number, created_at,"
            " updated_at) SELECT :t, id, node_id, '', now(), now() FROM dwellings"
            " WHERE tenant_id = :t"
        ),
        values,
    )
    conn.execute(
        text(
            """
            INSERT INTO visits (tenant_id, household_id, visited_by_id, visited_by_name,
                visited_at, notes, created_at)
            SELECT :t, h.id, w.user_id, '网格员',
                   :start + ((h.id::bigint * 7919 + x * 104729) % :seconds)
                       * interval '1 second', '', now()
            FROM households h JOIN workers w ON w.node_id = h.node_id
            CROSS JOIN LATERAL generate_series(1, CASE WHEN h.id % 10 = 0 THEN 2 ELSE 1 END) x
            WHERE h.tenant_id = :t AND (h.id::bigint * 37) % 100 < 40
            """
        ),
        values,
    )


def _audit(conn: Any, values: dict[str, Any]) -> None:
    """Logins and registry updates in the county's audit chain (placeholder hashes: nothing
    here verifies the chain)."""
    conn.execute(
        text(
            """
            WITH events AS (
                SELECT w.user_id, 'user.login' AS action, 'user' AS object_type,
                       w.user_id::text AS object_id, x AS n
                FROM workers w CROSS JOIN generate_series(1, 8) x WHERE w.k % 20 <> 0
                UNION ALL
                SELECT w.user_id,
                       (CAST(:actions AS text[]))[1 + (w.k + x) % :kinds],
                       'person', (w.k * 4 + x)::text, x
                FROM workers w CROSS JOIN generate_series(1, 4) x WHERE w.k % 20 <> 0
            )
            INSERT INTO audit_events (tenant_id, at, actor_type, actor_id, actor_name, action,
                object_type, object_id, seq, prev_hash, hash)
            SELECT :t, :start + ((e.user_id::bigint * 7919 + e.n * 104729) % :seconds)
                       * interval '1 second',
                   'user', e.user_id, '网格员', e.action, e.object_type, e.object_id,
                   row_number() OVER (), '', md5(e.user_id || e.action || e.n)
            FROM events e
            """
        ),
        {**values, "actions": list(DATA_ACTIONS), "kinds": len(DATA_ACTIONS)},
    )
    conn.execute(
        text(
            """
            UPDATE users u SET last_login_at = :start FROM workers w
            WHERE u.id = w.user_id AND w.k % 100 <> 0
            """
        ),
        values,
    )


# --- the floor -------------------------------------------------------------------------------

# Per worker, the counts the core rules need, in one statement (no ids, no points).
FLOOR = """
WITH workers AS (
    SELECT id AS user_id, last_login_at IS NULL AS never FROM users
    WHERE tenant_id = :t AND role = 'grid_worker' AND is_active
), grids AS (
    SELECT a.user_id, a.node_id FROM assignments a JOIN workers USING (user_id)
    WHERE a.tenant_id = :t
), away AS (
    SELECT DISTINCT l.user_id, d::date AS day
    FROM leave_requests l
    CROSS JOIN LATERAL generate_series(greatest(l.first_day, :first), least(l.last_day, :last),
                                       interval '1 day') d
    WHERE l.tenant_id = :t AND l.state IN ('approved', 'ended')
      AND l.first_day <= :last AND l.last_day >= :first
), duty AS (
    SELECT w.user_id, d.day FROM workers w CROSS JOIN unnest(CAST(:days AS date[])) d(day)
    WHERE NOT EXISTS (SELECT FROM away a WHERE a.user_id = w.user_id AND a.day = d.day)
), duty_days AS (
    SELECT user_id, count(*) AS days FROM duty GROUP BY user_id
), patrol_days AS (
    SELECT user_id, (at AT TIME ZONE :zone)::date AS day, count(*) AS n FROM patrols
    WHERE tenant_id = :t AND at >= :start AND at < :end GROUP BY 1, 2
), patrolled AS (
    SELECT p.user_id, sum(least(p.n, :per_day)) FILTER (WHERE d.day IS NOT NULL) AS done
    FROM patrol_days p LEFT JOIN duty d USING (user_id, day) GROUP BY p.user_id
), logged AS (
    SELECT l.user_id, count(d.day) AS written FROM worker_logs l
    LEFT JOIN duty d USING (user_id, day)
    WHERE l.tenant_id = :t AND l.day BETWEEN :first AND :last GROUP BY l.user_id
), homes AS (
    SELECT g.user_id, count(DISTINCT h.id) AS total FROM grids g
    JOIN households h ON h.tenant_id = :t AND h.node_id = g.node_id GROUP BY g.user_id
), visited AS (
    SELECT g.user_id, count(DISTINCT v.household_id) AS visited FROM grids g
    JOIN households h ON h.tenant_id = :t AND h.node_id = g.node_id
    JOIN visits v ON v.tenant_id = :t AND v.household_id = h.id AND v.visited_by_id = g.user_id
    WHERE v.visited_at >= :start AND v.visited_at < :end GROUP BY g.user_id
), audited AS (
    SELECT actor_id AS user_id, count(*) FILTER (WHERE action = 'user.login') AS logins,
           count(*) FILTER (WHERE action <> 'user.login') AS updates
    FROM audit_events
    WHERE tenant_id = :t AND actor_type = 'user' AND at >= :start AND at < :end
      AND (action = 'user.login' OR action = ANY(:actions))
    GROUP BY actor_id
), reported AS (
    SELECT reporter_id AS user_id, count(*) AS reported,
           count(*) FILTER (WHERE state <> :initial) AS valid
    FROM tasks WHERE tenant_id = :t AND source = 'patrol' AND reported_at >= :start
      AND reported_at < :end GROUP BY reporter_id
), problems AS (
    SELECT g.user_id, count(DISTINCT t.id) AS problems,
           count(DISTINCT t.id) FILTER (WHERE t.source IN ('resident', 'hotline', 'department'))
               AS missed
    FROM grids g JOIN tasks t ON t.tenant_id = :t AND t.node_id = g.node_id
    WHERE t.reported_at >= :start AND t.reported_at < :end GROUP BY g.user_id
), closed AS (
    SELECT g.user_id, count(DISTINCT t.id) AS closed,
           count(DISTINCT t.id) FILTER (WHERE NOT EXISTS (
               SELECT FROM task_cards c WHERE c.tenant_id = :t AND c.task_id = t.id
                 AND c.node_id = g.node_id AND c.color = 'red')) AS on_time
    FROM grids g JOIN tasks t ON t.tenant_id = :t AND t.node_id = g.node_id
    WHERE t.closed_at >= :start AND t.closed_at < :end GROUP BY g.user_id
), carded AS (
    SELECT g.user_id, count(*) FILTER (WHERE c.color <> 'red') AS yellow,
           count(*) FILTER (WHERE c.color = 'red') AS red
    FROM grids g JOIN task_cards c ON c.tenant_id = :t AND c.node_id = g.node_id
    WHERE c.at >= :start AND c.at < :end GROUP BY g.user_id
), rated AS (
    SELECT g.user_id, count(DISTINCT t.id) AS rated,
           count(DISTINCT t.id) FILTER (WHERE t.rating IN ('satisfied', 'basic')) AS satisfied
    FROM grids g JOIN tasks t ON t.tenant_id = :t AND t.node_id = g.node_id
    JOIN task_transitions x ON x.tenant_id = :t AND x.task_id = t.id
    WHERE x.action = 'evaluate' AND t.rating IS NOT NULL AND x.at >= :start AND x.at < :end
    GROUP BY g.user_id
)
SELECT w.user_id,
       coalesce(dd.days, 0) AS duty_days, coalesce(p.done, 0) AS patrols,
       coalesce(l.written, 0) AS logs, coalesce(h.total, 0) AS households,
       coalesce(v.visited, 0) AS visited, coalesce(a.logins, 0) AS logins,
       (coalesce(a.logins, 0) > 0 OR p.user_id IS NOT NULL OR l.user_id IS NOT NULL) AS used,
       w.never, coalesce(r.reported, 0) AS reported, coalesce(r.valid, 0) AS valid,
       coalesce(c.closed, 0) AS closed, coalesce(c.on_time, 0) AS on_time,
       coalesce(k.yellow, 0) AS yellow, coalesce(k.red, 0) AS red,
       coalesce(m.missed, 0) AS missed, coalesce(m.problems, 0) AS problems,
       coalesce(s.rated, 0) AS rated, coalesce(s.satisfied, 0) AS satisfied,
       coalesce(a.updates, 0) AS updates
FROM workers w
LEFT JOIN duty_days dd USING (user_id) LEFT JOIN patrolled p USING (user_id)
LEFT JOIN logged l USING (user_id) LEFT JOIN homes h USING (user_id)
LEFT JOIN visited v USING (user_id) LEFT JOIN audited a USING (user_id)
LEFT JOIN reported r USING (user_id) LEFT JOIN closed c USING (user_id)
LEFT JOIN carded k USING (user_id) LEFT JOIN problems m USING (user_id)
LEFT JOIN rated s USING (user_id)
"""

# Where each floor column is on the sheet: (line code, figure).
ON_THE_SHEET = {
    "duty_days": ("core.patrols", "duty_days"),
    "patrols": ("core.patrols", "done"),
    "logs": ("core.logs", "written"),
    "households": ("core.visits", "households"),
    "visited": ("core.visits", "visited"),
    "logins": ("core.activity", "logins"),
    "used": ("core.activity", "used"),
    "never": ("core.activity", "never_logged_in"),
    "reported": ("core.reports", "reported"),
    "valid": ("core.reports", "valid"),
    "closed": ("core.on_time", "closed"),
    "on_time": ("core.on_time", "on_time"),
    "yellow": ("core.cards", "yellow"),
    "red": ("core.cards", "red"),
    "missed": ("core.missed", "missed"),
    "problems": ("core.missed", "problems"),
    "rated": ("core.satisfaction", "rated"),
    "satisfied": ("core.satisfaction", "satisfied"),
    "updates": ("core.data_updates", "updates"),
}


def floor(session: Session, tenant_id: int, period: Period) -> list[Any]:
    """The floor's rows, one per worker. Without JIT: the planner's estimate of the joined
    aggregates is off by orders of magnitude (billions of rows), so with PostgreSQL's default
    settings it compiles the statement, which costs more than the statement (1.5 s of 2 s at
    1,000 workers)."""
    session.execute(text("SET LOCAL jit = off"))
    return session.execute(
        text(FLOOR),
        {
            "t": tenant_id,
            "start": period.starts_at,
            "end": period.ends_at,
            "first": period.first,
            "last": period.last,
            "days": workdays_of(period),
            "zone": ZONE,
            "per_day": PER_DAY,
            "initial": "reported",
            "actions": list(DATA_ACTIONS),
        },
    ).all()


def disagreements(session: Session, month: str, rows: list[Any]) -> list[str]:
    """Where the sheets' figures differ from the floor's counts (worker, column, both)."""
    sheets: dict[tuple[int, str], dict[str, Any]] = {
        (user_id, code): figures
        for user_id, code, figures in session.execute(
            text(
                "SELECT s.user_id, l.code, l.figures FROM assessment_sheets s"
                " JOIN assessment_lines l ON l.sheet_id = s.id"
                " WHERE s.month = :month AND l.source = 'core'"
            ),
            {"month": month},
        )
    }
    found = []
    for row in rows:
        for column, (code, figure) in ON_THE_SHEET.items():
            sheet = sheets.get((row.user_id, code), {}).get(figure)
            counted = getattr(row, column)
            if sheet != counted:
                found.append(f"worker {row.user_id} {column}: sheet {sheet}, floor {counted}")
    return found


# --- timing ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Figures:
    workers: int
    tasks: int
    run: list[float]
    floor: list[float]
    profile: dict[str, tuple[float, float]]  # part: (seconds, of which SQL), best run's
    wrong: list[str]


class Profile:
    """Seconds spent per part of ``score_month`` (each core rule, the workers, writing the
    sheets …) and how much of each went to SQL statements (cursor execute, fetch included)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.sql: dict[str, float] = defaultdict(float)
        self.part = "other"

    def timed(self, part: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            outer, self.part = self.part, part
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.spent[part] += time.perf_counter() - started
                if outer != "other":  # a part inside another: not counted twice
                    self.spent[outer] -= time.perf_counter() - started
                self.part = outer

        return wrapper

    def before(self, *_args: Any) -> None:
        self._statement_started = time.perf_counter()

    def after(self, *_args: Any) -> None:
        self.sql[self.part] += time.perf_counter() - self._statement_started


@contextlib.contextmanager
def profiled(session: Session, profile: Profile) -> Iterator[None]:
    """``score_month`` with its parts timed (the run module's names swapped for timed ones)."""
    swapped = {
        "CORE_RULES": tuple(
            dataclasses.replace(
                rule,
                compute=profile.timed(rule.info.code, rule.compute),
                describe=profile.timed("describing the lines", rule.describe),
            )
            for rule in runs.CORE_RULES
        ),
        "grid_workers": profile.timed("reading the workers", runs.grid_workers),
        "leave_days": profile.timed("reading leave", runs.leave_days),
        "_write_sheets": profile.timed("writing the sheets", runs._write_sheets),
    }
    kept = {name: getattr(runs, name) for name in swapped}
    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", profile.before)
    event.listen(bind, "after_cursor_execute", profile.after)
    for name, value in swapped.items():
        setattr(runs, name, value)
    try:
        yield
    finally:
        for name, value in kept.items():
            setattr(runs, name, value)
        event.remove(bind, "before_cursor_execute", profile.before)
        event.remove(bind, "after_cursor_execute", profile.after)


def measure(
    app_url: str, instance: str, sizes: list[int], month: str, runs_each: int, profile: bool
) -> list[Figures]:
    """Per county: ``score_month`` and the floor ``runs_each`` times each, alternating, as
    the application's role; the sheets checked against the floor once."""
    app = create_app({"DATABASE_URL": app_url, "INSTANCE_PATH": instance})
    period = period_of(month)
    results = []
    with app.app_context():
        session = db_session()
        for size in sizes:
            set_tenant(session, None)
            tenant = session.scalar(select(Tenant).where(Tenant.slug == slug_of(size)))
            set_tenant(session, tenant.id)
            tasks = session.scalar(text("SELECT count(*) FROM tasks"))
            run_seconds, floor_seconds, rows = [], [], []
            profiles = []
            for _ in range(runs_each):
                parts = Profile()
                with profiled(session, parts) if profile else contextlib.nullcontext():
                    started = time.perf_counter()
                    runs.score_month(session, month)
                    session.commit()
                    run_seconds.append(time.perf_counter() - started)
                profiles.append(parts)
                started = time.perf_counter()
                rows = floor(session, tenant.id, period)
                session.rollback()
                floor_seconds.append(time.perf_counter() - started)
            best = profiles[run_seconds.index(min(run_seconds))]
            spent = {part: (took, best.sql[part]) for part, took in best.spent.items()}
            if profile:
                outside = min(run_seconds) - sum(took for took, _sql in spent.values())
                spent["the rest of score_month"] = (outside, best.sql["other"])
            wrong = disagreements(session, month, rows)
            session.rollback()
            results.append(Figures(size, tasks, run_seconds, floor_seconds, spent, wrong))
            print(
                f"  {size:,} workers: run {min(run_seconds):.1f} s, floor "
                f"{min(floor_seconds):.1f} s, {len(wrong)} figures differ",
                flush=True,
            )
        db_session.remove()
    app.extensions["gridgov.engine"].dispose()
    return results


def report(results: list[Figures], month: str, runs_each: int, per_worker: int) -> None:
    print(
        f"\nscore_month for {month}, {runs_each} runs each (best / median s), as the app's role;"
        f" tasks scale with the workers ({per_worker} per worker in the month); floor: one SQL"
        f" statement of the same counts; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(
        f"{'workers':>8} {'tasks':>10} {'run best':>9} {'median':>8} {'floor best':>11}"
        f" {'median':>8} {'run/floor':>10}"
    )
    for r in results:
        print(
            f"{r.workers:8,} {r.tasks:10,} {min(r.run):9.2f} {statistics.median(r.run):8.2f}"
            f" {min(r.floor):11.2f} {statistics.median(r.floor):8.2f}"
            f" {min(r.run) / min(r.floor):10.1f}"
        )
    first, last = results[0], results[-1]
    if len(results) > 1:
        print(
            f"growth from {first.workers:,} to {last.workers:,} workers (×"
            f"{last.workers / first.workers:g}): run ×{min(last.run) / min(first.run):.1f},"
            f" floor ×{min(last.floor) / min(first.floor):.1f}"
        )
    for r in results:
        if r.wrong:
            print(f"{r.workers:,} workers: {len(r.wrong)} figures differ, e.g. {r.wrong[:3]}")
    if not any(r.wrong for r in results):
        print("the sheets' figures agree with the floor's counts for every worker")
    for r in results:
        if not r.profile:
            continue
        print(f"\nwhere the best run of {r.workers:,} workers spent its {min(r.run):.2f} s:")
        print(f"{'part':32} {'s':>7} {'of it SQL':>10}")
        for part, (spent, sql) in sorted(r.profile.items(), key=lambda item: -item[1][0]):
            print(f"{part:32} {spent:7.2f} {sql:10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1000,2500,5000,10000", help="county sizes")
    parser.add_argument("--tasks-per-worker", type=int, default=100, help="tasks in the month")
    parser.add_argument("--households", type=int, default=50, help="households per grid")
    parser.add_argument("--month", default=last_month(), help="YYYY-MM (default: last month)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per county")
    parser.add_argument("--no-load", action="store_true", help="reuse the data already loaded")
    parser.add_argument("--profile", action="store_true", help="time each rule and part")
    args = parser.parse_args()
    sizes = [int(size) for size in args.workers.split(",")]
    if any(size % 100 for size in sizes):
        parser.error("--workers: multiples of 100 (10 townships × 10 communities)")
    owner_url, app_url = os.environ["BENCH_OWNER"], os.environ["BENCH_APP"]
    if not args.no_load:
        task_bench.reset(owner_url, app_url)
        load(owner_url, sizes, args.month, args.tasks_per_worker, args.households)
    with tempfile.TemporaryDirectory() as instance:
        results = measure(app_url, instance, sizes, args.month, args.runs, args.profile)
    report(results, args.month, args.runs, args.tasks_per_worker)


if __name__ == "__main__":
    main()
