"""The electronic map at county size: 10,000 grid boundaries and 100,000 open tasks.

One county of 10 townships × 10 communities × 100 grids (10,000 grids; only the grids have a
boundary, an irregular 40-point ring each, so every township's and community's outline is the
union of its grids'), and 100,000 open tasks spread over the grids with a position inside their
grid (one in ten with a yellow card, one in twenty red), inserted in bulk. Then, through the
application (a Flask test client logged in as the county admin: routing, access, JSON and all):

- the county map: the page, the townships' outlines with the open-task figure, and the open
  tasks in the whole county's view (clusters): the first time after the boundaries changed
  (outlines merged), the first time in a new process (outlines stored)
  and again (outlines from the process's cache, figures and clusters counted afresh);
- a community's map (its 100 grids) and a grid's (single task points);
- ``locate`` of random points in the county (the STRtree built once, then p50/p95 of look-ups).

On the embedded default (SQLite) always; on PostgreSQL too when BENCH_OWNER / BENCH_APP name a
database of its own (emptied first: ``DROP SCHEMA public CASCADE``).

    .venv/bin/python bench/maps.py                         # SQLite
    BENCH_OWNER=… BENCH_APP=… .venv/bin/python bench/maps.py
    .venv/bin/python bench/maps.py --grids 2500 --tasks 25000

Targets (issue 19): the county map < 1 s, locate p95 < 10 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, insert, text

from gridgov.app import create_app
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role
from gridgov.core.db import db_session, set_tenant
from gridgov.core.hierarchy import locate as locating
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node, NodeVersion
from gridgov.core.maps import service as maps
from gridgov.core.maps.models import NodeOutline
from gridgov.core.tasks.models import Task
from gridgov.core.tenancy import service as tenancy
from gridgov.migrations import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent))
from registry import reset_postgres  # the sibling bench script

PASSWORD = "bench-password-1"  # noqa: S105  (a throw-away database)
WEST, SOUTH = 111.0, 40.0
CELL = 0.01  # a grid is about 1 km across


def log(message: str) -> None:
    print(message, flush=True)


def ring(i: int, j: int) -> list[list[float]]:
    """The cell at lattice (i, j) as a ring of 40 points: each side bent in 9 places by an
    amount fixed by the side itself, so that neighbours share their sides exactly (the grids
    tile the county, as real ones do) and a township's union is one polygon."""
    corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
    points: list[list[float]] = []
    for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1], strict=True):
        side = random.Random(hash((min(ax, bx), min(ay, by), ax == bx)))  # noqa: S311
        bends = [side.uniform(-0.05, 0.05) for _ in range(9)]
        reverse = (bx, by) < (ax, ay)
        for k in range(10):
            t = k / 10
            bend = 0.0 if k == 0 else bends[(9 - k) if reverse else (k - 1)]
            x, y = ax + (bx - ax) * t, ay + (by - ay) * t
            if ax == bx:
                x += bend
            else:
                y += bend
            points.append([round(WEST + x * CELL, 6), round(SOUTH + y * CELL, 6)])
    return [*points, points[0]]


def load(session, grids: int, tasks: int) -> tuple[object, list[Node], list[tuple[float, float]]]:
    rnd = random.Random(19)  # noqa: S311  (invented places)
    tenant = tenancy.create_tenant(
        session, None, slug="bench", name="基准县", level_names=["县", "乡镇", "社区", "网格"]
    )
    set_tenant(session, tenant.id)
    top = hierarchy.create_node(session, tenant, None, parent=None, code="B", name="基准县")
    per_community = 100
    communities = max(1, grids // per_community)
    towns = max(1, round(math.sqrt(communities)))
    per_town = math.ceil(communities / towns)
    side = math.ceil(math.sqrt(grids))  # grids laid out in a square of cells
    made: list[Node] = []
    started = time.perf_counter()
    for t in range(towns):
        town = hierarchy.create_node(
            session, tenant, None, parent=top, code=f"B-{t:02d}", name=f"乡镇{t}"
        )
        for c in range(min(per_town, communities - t * per_town)):
            community = hierarchy.create_node(
                session, tenant, None, parent=town, code=f"B-{t:02d}-{c:02d}", name=f"社区{t}-{c}"
            )
            for g in range(per_community):
                index = len(made)
                if index == grids:
                    break
                boundary = {"type": "Polygon", "coordinates": [ring(index % side, index // side)]}
                made.append(
                    hierarchy.create_node(
                        session,
                        tenant,
                        None,
                        parent=community,
                        code=f"B-{t:02d}-{c:02d}-{g:03d}",
                        name=f"网格{t}-{c}-{g}",
                        boundary=boundary,
                    )
                )
        session.flush()
    admin = accounts.create_user(
        session, None, username="admin", name="县管理员", role=Role.COUNTY_ADMIN, password=PASSWORD
    )
    admin.must_change_password = False  # not the first login's new password
    accounts.assign(session, None, tenant, admin, top)
    session.commit()
    log(f"  {len(made):,} grids with boundaries: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    centres = []
    rows = []
    for n in range(tasks):
        grid = made[n % len(made)]
        x0, y0 = grid.boundary["coordinates"][0][0]  # the cell's south-west corner
        cx = x0 + CELL * rnd.uniform(0.1, 0.9)
        cy = y0 + CELL * rnd.uniform(0.1, 0.9)
        centres.append((cy, cx))
        card = "red" if n % 20 == 0 else ("yellow" if n % 10 == 1 else "none")
        rows.append(
            {
                "tenant_id": tenant.id,
                "code": f"B{n:08d}",
                "task_type": "general",
                "category": "民生事项",
                "source": "patrol",
                "track": "general",
                "state": "reported",
                "is_open": True,
                "node_id": grid.id,
                "filed_path": grid.path,
                "current_node_id": grid.id,
                "current_path": grid.path,
                "title": f"事项 {n}",
                "latitude": round(cy, 6),
                "longitude": round(cx, 6),
                "card": card,
            }
        )
        if len(rows) == 10_000:
            session.execute(insert(Task), rows)
            rows = []
    if rows:
        session.execute(insert(Task), rows)
    session.commit()
    log(f"  {tasks:,} open tasks: {time.perf_counter() - started:.1f} s")
    return tenant, made, centres


def timed(action, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, math.ceil(0.95 * len(samples)) - 1)]


def bench(database: str, owner_url: str, app_url: str, grids: int, tasks: int, runs: int) -> None:
    log(f"\n== {database}: {grids:,} grids, {tasks:,} open tasks ==")
    log(f"  load average before: {Path('/proc/loadavg').read_text().split()[:3]}")
    if database == "postgresql":
        reset_postgres(owner_url, app_url)
    upgrade(owner_url, app_url)
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-maps-") as workdir:
        app = create_app(
            {
                "DATABASE_URL": app_url,
                "MIGRATION_DATABASE_URL": owner_url,
                "INSTANCE_PATH": workdir,
                "TESTING": True,  # the test client's cookies over http
                "SECRET_KEY": "bench-secret-key",
                "SERVER_NAME": None,
                "GRIDGOV_ADMIN_SECOND_FACTOR": "optional",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            session = db_session()
            tenant, made, centres = load(session, grids, tasks)
            if database == "postgresql":
                session.execute(text("ANALYZE"))
                session.commit()
            top = session.scalar(
                Node.__table__.select().where(Node.parent_id.is_(None)).with_only_columns(Node.id)
            )
            community = made[0].parent_id
            grid = made[0].id
            db_session.remove()
        client = app.test_client()
        answer = client.post("/t/bench/login", data={"username": "admin", "password": PASSWORD})
        assert answer.status_code == 302, answer.status_code
        bbox = f"{WEST - 0.1},{SOUTH - 0.1},{WEST + 2},{SOUTH + 2}"

        def county_map() -> None:
            for url in (
                f"/t/bench/map?node={top}",
                f"/t/bench/map/areas.json?node={top}&figure=open_tasks&zoom=10",
                f"/t/bench/map/points.json?layer=tasks&node={top}&zoom=10&bbox={bbox}",
            ):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

        maps._cache.clear()
        cold = timed(county_map, 1)[0]
        warm = timed(county_map, runs)
        log(f"  county map, first after the boundaries changed (outlines merged): {cold:,.0f} ms")
        fresh = []
        for _ in range(max(1, runs // 2)):
            maps._cache.clear()  # a process that just started: the merged outlines are stored
            fresh += timed(county_map, 1)
        log(
            f"  county map, first in a new process (outlines stored):"
            f" p50 {statistics.median(fresh):,.0f} ms, p95 {p95(fresh):,.0f} ms"
        )
        with app.app_context():
            session = db_session()
            set_tenant(session, tenant.id)
            session.execute(delete(NodeOutline))  # as after a change: nothing stored is current
            maps._cache.clear()
            started = time.perf_counter()
            maps.merge_county_outlines(session)  # what a publish or an import leaves as a job
            session.rollback()
            merging = (time.perf_counter() - started) * 1000
            db_session.remove()
        log(f"  the job merging the county's outlines after a change: {merging:,.0f} ms")
        log(
            f"  county map again: p50 {statistics.median(warm):,.0f} ms, p95 {p95(warm):,.0f} ms"
            f"   (target < 1,000 ms)"
        )
        areas = client.get(f"/t/bench/map/areas.json?node={top}&zoom=10").get_json()
        clusters = client.get(
            f"/t/bench/map/points.json?layer=tasks&node={top}&zoom=10&bbox={bbox}"
        )
        log(
            f"    {len(areas['features'])} outlines,"
            f" {len(str(areas)) / 1024:,.0f} KiB of GeoJSON;"
            f" {len(clusters.get_json()['features'])} task clusters"
        )
        for label, node_id, zoom in (
            ("a community (100 grids)", community, 14),
            ("a grid", grid, 16),
        ):

            def one_map(node_id=node_id, zoom=zoom) -> None:
                for url in (
                    f"/t/bench/map/areas.json?node={node_id}&zoom={zoom}",
                    f"/t/bench/map/points.json?layer=tasks&node={node_id}&zoom={zoom}",
                ):
                    assert client.get(url).status_code == 200

            one_map()
            samples = timed(one_map, runs)
            log(f"  {label}: p50 {statistics.median(samples):,.0f} ms, p95 {p95(samples):,.0f} ms")

        with app.app_context():
            session = db_session()
            set_tenant(session, tenant.id)
            locating._indexes.clear()
            started = time.perf_counter()
            locating.locate(session, *centres[0])
            build = (time.perf_counter() - started) * 1000
            rnd = random.Random(7)  # noqa: S311
            points = [rnd.choice(centres) for _ in range(2000)]
            samples = []
            for lat, lng in points:
                started = time.perf_counter()
                locating.locate(session, lat, lng)
                samples.append((time.perf_counter() - started) * 1000)
            versions = session.query(NodeVersion).count()
            db_session.remove()
        log(
            f"  locate: first call {build:,.0f} ms"
            f" (reads the stamp of {versions:,} versions, builds the tree)"
        )
        log(
            f"  locate: p50 {statistics.median(samples):.2f} ms, p95 {p95(samples):.2f} ms"
            f" over {len(samples):,} points   (target p95 < 10 ms)"
        )
        log(f"  load average after: {Path('/proc/loadavg').read_text().split()[:3]}")
        app.extensions["gridgov.engine"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'maps.db'}"
        bench("sqlite", sqlite_url, sqlite_url, args.grids, args.tasks, args.runs)
    app_url, owner_url = os.environ.get("BENCH_APP"), os.environ.get("BENCH_OWNER")
    if app_url and owner_url:
        bench("postgresql", owner_url, app_url, args.grids, args.tasks, args.runs)


if __name__ == "__main__":
    main()
