"""Statements and milliseconds per request: an API task read, the task list, a worker's tasks,
a station's waiting list and an ``accept``.

Builds one county the way the tests do (``tests.factories.build_county``: run from the
repository root), on a temporary SQLite file by default or on PostgreSQL with BENCH_OWNER /
BENCH_APP (that database's schema is dropped first), then sends each request ``--runs`` times
through the Flask test client and prints the SQL statements of one request (counted with
``before_cursor_execute`` on the engine, pool pre-pings included) and p50 / p95 in ms.

Two counts: "cold" is the first such request of the process with that token (the token noted as
used, the caller's scope and the county's rules, calendar and admissions read); "steady" is the
next one, as nearly every request of a running server is (gridgov.core.tenancy.county_cache).
``--show`` lists the steady request's statements.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

from sqlalchemy import Engine, event

from gridgov.app import create_app
from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session, tenant_scope
from gridgov.migrations import upgrade
from tests.factories import build_county


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--show", action="store_true", help="print each request's statements")
    args = parser.parse_args()
    owner_url, app_url = os.environ.get("BENCH_OWNER"), os.environ.get("BENCH_APP")
    if not (owner_url and app_url):
        path = os.path.join(tempfile.mkdtemp(), "bench.db")
        owner_url = app_url = f"sqlite:///{path}"
    else:
        from tests.conftest import reset_postgres_schema

        reset_postgres_schema(owner_url, app_url)
    upgrade(owner_url, app_url)
    app = create_app(
        {
            "DATABASE_URL": app_url,
            "MIGRATION_DATABASE_URL": owner_url,
            "INSTANCE_PATH": tempfile.mkdtemp(),
            "SECRET_KEY": "bench-secret-key",
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
        }
    )
    engine = app.extensions["gridgov.engine"]
    with app.app_context():
        session = db_session()
        county = build_county(session, "bench")
        session.commit()
        tokens = {}
        for who, user in (("worker", county.workers[0]), ("station", county.station_staff)):
            with tenant_scope(session, county.tenant.id):
                tokens[who], _ = accounts.create_token(
                    session, None, county.tenant, user, scopes=accounts.USER_SCOPES
                )
            session.commit()
        slug, grid = county.tenant.slug, county.grids[0].id
    client = app.test_client()
    api = f"/t/{slug}/api/v1"

    def headers(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    def report() -> int:
        body = {"node_id": grid, "category": "民生事项", "title": "路灯不亮"}
        answer = client.post(f"{api}/tasks", json=body, headers=headers("worker"))
        return answer.get_json()["id"]

    task_id = report()
    fresh = [report() for _ in range(args.runs + 2)]  # one task per accept

    kinds: dict[str, Callable[[], object]] = {
        "API task read": lambda: client.get(f"{api}/tasks/{task_id}", headers=headers("worker")),
        "API list": lambda: client.get(f"{api}/tasks", headers=headers("worker")),
        "API my tasks": lambda: client.get(f"{api}/tasks/mine", headers=headers("worker")),
        "API waiting": lambda: client.get(f"{api}/tasks/waiting", headers=headers("station")),
        "API accept": lambda: client.post(
            f"{api}/tasks/{fresh.pop()}/transitions",
            json={"action": "accept"},
            headers=headers("station"),
        ),
    }
    with open("/proc/loadavg") as loadavg:
        load = loadavg.read().split()[:3]
    print(f"{engine.dialect.name}, {args.runs} runs, load {load}")
    print(f"{'request':<16}{'cold':>6}{'steady':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for name, call in kinds.items():
        cold, seen = _statements(engine, name, call), _statements(engine, name, call)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
        p95 = statistics.quantiles(times, n=20)[-1]
        median = statistics.median(times)
        print(f"{name:<16}{len(cold):>6}{len(seen):>8}{median:>9.1f}{p95:>9.1f}")
        if args.show:
            for number, statement in enumerate(seen, 1):
                print(f"    {number:>2}. {statement}")


def _statements(engine: Engine, name: str, call: Callable[[], object]) -> list[str]:
    """The statements ``call()`` sends (checking it answers 200)."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split())[:110])

    event.listen(engine, "before_cursor_execute", count)
    try:
        answer = call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert answer.status_code == 200, (name, answer.status_code)  # type: ignore[attr-defined]
    return seen


if __name__ == "__main__":
    main()
