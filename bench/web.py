"""A web load test: a county's day of requests on gunicorn + PostgreSQL + Redis (issue 20).

The mix, per county (closed loop: each simulated user sends its next request as soon as the
last one is answered):

- grid workers (6 in 10 users): their open tasks, one of them opened, now and then a report;
- community stations (3 in 10): the reported tasks waiting at their level, one accepted;
- county administrators (1 in 10): the dashboard, the portal's home page, a people search by
  name, the red-card list and the hierarchy under the county.

It runs against the demo counties (`gridgov demo --no-serve`) and, with ``--big-tasks N``, a
county of N tasks loaded in bulk as bench/tasks.py loads it, then against ``bench/hello.py``
(a five-line Flask app) under the same gunicorn, in the same run, and prints requests/s,
p50 / p95 / p99 per request, errors and the ratio to hello-world, with the machine's load.
Everything listens on 127.0.0.1 only and each phase is bounded by ``--seconds``.

    BENCH_OWNER=postgresql+psycopg://owner:…@127.0.0.1/db \\
    BENCH_APP=postgresql+psycopg://app:…@127.0.0.1/db \\
    BENCH_REDIS=redis://127.0.0.1:6379/13 \\
    PYTHONPATH=. .venv/bin/python bench/web.py --seconds 60 --users 24 [--big-tasks 1000000]

The database named by BENCH_OWNER is emptied first (DROP SCHEMA public CASCADE) and the Redis
database is flushed. Needs the bench extra (``pip install -e '.[bench]'``: locust).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on the path, and bench/requests.py would stand in
# for the requests package that locust needs.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
DEMO_SLUG = "demo"
WEIGHTS = {"worker": 6, "station": 3, "admin": 1}
TOKENS_PER_ROLE = {"worker": 20, "station": 8, "admin": 1}


# --- set-up: in a process of its own, before locust (and gevent's patching) is imported ------


def setup(out: Path, big_tasks: int) -> None:
    """Empty and migrate the database, load the big county (if asked) and the demo, and write
    the counties' tokens, nodes and a login to ``out``."""
    sys.path.insert(0, str(ROOT))
    from bench.tasks import load, reset

    owner_url, app_url = os.environ["BENCH_OWNER"], os.environ["BENCH_APP"]
    reset(owner_url, app_url)
    if big_tasks:
        load(owner_url, big_tasks)
    subprocess.run(  # noqa: S603 (our own command)
        [str(Path(sys.executable).parent / "gridgov"), "demo", "--no-serve"],
        env=_server_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    from sqlalchemy import select

    from gridgov.app import create_app
    from gridgov.cli import Console
    from gridgov.core.accounts import service as accounts
    from gridgov.core.accounts.models import Role, User
    from gridgov.core.db import db_session, set_tenant
    from gridgov.core.hierarchy.models import Assignment, Node
    from gridgov.core.tenancy.models import Tenant

    app = create_app()  # the servers' settings (_server_env), inherited from main
    counties = []
    with app.app_context():
        session = db_session()
        slugs = [DEMO_SLUG] + (["big"] if big_tasks else [])
        for slug in slugs:
            set_tenant(session, None)
            tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
            assert tenant is not None, slug
            set_tenant(session, tenant.id)
            top = session.scalar(select(Node).where(Node.parent_id.is_(None)).limit(1))
            county: dict[str, Any] = {"slug": slug, "top": top.id, "users": {}}
            for kind, role in (
                ("worker", Role.GRID_WORKER),
                ("station", Role.STATION_STAFF),
                ("admin", Role.COUNTY_ADMIN),
            ):
                users = session.execute(
                    select(User, Assignment.node_id)
                    .outerjoin(Assignment, Assignment.user_id == User.id)
                    .where(User.role == role.value, User.is_active.is_(True))
                    .order_by(User.id)
                    .limit(TOKENS_PER_ROLE[kind])
                ).all()
                county["users"][kind] = []
                for user, node_id in users:
                    token, _record = accounts.create_token(
                        session, None, tenant, user, scopes=accounts.USER_SCOPES
                    )
                    county["users"][kind].append(
                        {"token": token, "node": node_id, "username": user.username}
                    )
            admin = session.scalar(
                select(User).where(User.username == county["users"]["admin"][0]["username"])
            )
            accounts.set_password(session, Console(), admin, BENCH_PASSWORD, one_time=False)
            counties.append(county)
        session.commit()
    out.write_text(json.dumps(counties), encoding="utf-8")


BENCH_PASSWORD = "Bench-2026-load"  # noqa: S105 (a throwaway database on the loopback)


def _server_env() -> dict[str, str]:
    """The settings of the demo load, the set-up and the servers: one database, one Redis, one
    instance folder (its data key encrypts the demo's personal data)."""
    return {
        **os.environ,
        "DATABASE_URL": os.environ["BENCH_APP"],
        "MIGRATION_DATABASE_URL": os.environ["BENCH_OWNER"],
        "REDIS_URL": os.environ["BENCH_REDIS"],
        "SECRET_KEY": "bench-secret-key-bench-secret-key",
        "GRIDGOV_ADMIN_SECOND_FACTOR": "optional",
        # The mix is many requests per user: the per-user API limit would answer 429 instead.
        "GRIDGOV_API_RATE_LIMIT": "1000000 per minute",
        "GRIDGOV_LOGIN_RATE_LIMIT": "1000 per minute",
    }


# --- the servers ----------------------------------------------------------------------------


def serve(app: str, workers: int, *, chdir: Path | None = None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
    ]
    if chdir is not None:
        command += ["--chdir", str(chdir)]
    server = subprocess.Popen([*command, app], env=_server_env())  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"{app} did not start on port {port}")


# --- the mix --------------------------------------------------------------------------------


def user_classes(county: dict[str, Any]) -> list[type]:
    from locust import FastHttpUser, constant, task

    # FastHttpUser (geventhttpclient): the client shares the two cores with the server, and
    # python-requests' HttpUser spent 1.5 ms of CPU on a county request, FastHttpUser 1.0-1.2.
    slug, users = county["slug"], county["users"]
    api = f"/t/{slug}/api/v1"

    def bearer(person: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {person['token']}"}

    class Worker(FastHttpUser):
        weight = WEIGHTS["worker"]
        wait_time = constant(0)

        def on_start(self) -> None:
            self.me = random.choice(users["worker"])  # noqa: S311

        @task(4)
        def mine(self) -> None:
            found = self.client.get(f"{api}/tasks/mine", headers=bearer(self.me), name="my tasks")
            tasks = found.json() if found.ok else []
            if tasks:
                self.client.get(
                    f"{api}/tasks/{random.choice(tasks)['id']}",  # noqa: S311
                    headers=bearer(self.me),
                    name="a task",
                )

        @task(1)
        def report(self) -> None:
            self.client.post(
                f"{api}/tasks",
                json={"node_id": self.me["node"], "category": "民生事项", "title": "路灯不亮"},
                headers=bearer(self.me),
                name="report",
            )

    class Station(FastHttpUser):
        weight = WEIGHTS["station"]
        wait_time = constant(0)

        def on_start(self) -> None:
            self.me = random.choice(users["station"])  # noqa: S311

        @task
        def triage(self) -> None:
            self.client.get(
                f"{api}/tasks",
                params={"state": "reported", "is_open": "true"},
                headers=bearer(self.me),
                name="reported list",
            )
            # What the station may accept now is on its waiting list (待本级办理).
            found = self.client.get(
                f"{api}/tasks/waiting", headers=bearer(self.me), name="waiting list"
            )
            waiting = [  # the core's events (a module's types take other first steps)
                t
                for t in (found.json() if found.ok else [])
                if t["state"] == "reported" and t["task_type"] == "default"
            ]
            if waiting:
                with self.client.post(
                    f"{api}/tasks/{random.choice(waiting)['id']}/transitions",  # noqa: S311
                    json={"action": "accept"},
                    headers=bearer(self.me),
                    name="accept",
                    catch_response=True,
                ) as answer:
                    if answer.status_code == 409:  # another station member took it first
                        answer.success()
                    elif not answer.ok:
                        answer.failure(f"{answer.status_code} {answer.text[:160]}")

    class Admin(FastHttpUser):
        weight = WEIGHTS["admin"]
        wait_time = constant(0)

        def on_start(self) -> None:
            self.me = users["admin"][0]
            login = self.client.get(f"/t/{slug}/login", name="login page")
            csrf = login.text.split('name="csrf_token" type="hidden" value="')[-1].split('"')[0]
            self.client.post(
                f"/t/{slug}/login",
                data={
                    "username": self.me["username"],
                    "password": BENCH_PASSWORD,
                    "csrf_token": csrf,
                },
                name="login",
            )

        @task
        def dashboard(self) -> None:
            self.client.get(f"{api}/tasks/dashboard", headers=bearer(self.me), name="dashboard")

        @task
        def home(self) -> None:
            with self.client.get(f"/t/{slug}/", name="home (portal)", catch_response=True) as page:
                if 'name="password"' in page.text:  # sent back to the login form
                    page.failure("not logged in")

        @task
        def people(self) -> None:
            self.client.get(
                f"{api}/people", params={"q": "王"}, headers=bearer(self.me), name="people search"
            )

        @task
        def red_list(self) -> None:
            self.client.get(f"{api}/tasks/overdue", headers=bearer(self.me), name="red list")

        @task
        def hierarchy(self) -> None:
            self.client.get(
                f"{api}/nodes/{county['top']}/subtree", headers=bearer(self.me), name="hierarchy"
            )

    return [Worker, Station, Admin]


def hello_classes() -> list[type]:
    from locust import FastHttpUser, constant, task

    class Hello(FastHttpUser):
        wait_time = constant(0)

        @task
        def hello(self) -> None:
            self.client.get("/", name="hello")

    return [Hello]


def run(host: str, classes: list[type], users: int, seconds: float, server: int) -> Any:
    """Run the users against ``host``: a warm-up (a fifth of the time, 10 s at least), then
    ``seconds`` measured; the stats of the measured part and the CPU seconds the server's
    processes (``server``: gunicorn's master), PostgreSQL's and this one (locust) used in it."""
    import gevent
    from locust.env import Environment

    environment = Environment(user_classes=classes, host=host)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(max(seconds / 5, 10))  # the administrators' logins hash a password
    environment.stats.reset_all()
    before = cpu_seconds(server)
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    used = {name: spent - before[name] for name, spent in cpu_seconds(server).items()}
    runner.quit()
    return environment.stats, elapsed, used


def cpu_seconds(server: int) -> dict[str, float]:
    """CPU seconds (user + system) so far of the server's process tree, of PostgreSQL's
    processes and of this process, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {"server": 0.0, "postgres": 0.0, "locust": 0.0}
    parents: dict[int, int] = {}
    spent: dict[int, float] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        pid = int(entry.name)
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        fields = rest.split()
        names[pid], parents[pid] = name, int(fields[1])
        spent[pid] = (int(fields[11]) + int(fields[12])) / ticks
    for pid, seconds in spent.items():
        if pid == os.getpid():
            found["locust"] += seconds
        elif pid == server or parents.get(pid) == server:
            found["server"] += seconds
        elif names[pid] == "postgres":
            found["postgres"] += seconds
    return found


def report(
    title: str, stats: Any, elapsed: float, used: dict[str, float], hello_rps: float | None
) -> float:
    total = stats.total
    rps = total.num_requests / elapsed
    ratio = f", {rps / hello_rps:.0%} of hello-world" if hello_rps else ""
    print(f"\n{title}: {rps:,.0f} requests/s, {total.num_failures} errors{ratio}")
    requests = max(total.num_requests, 1)
    per_request = ", ".join(f"{name} {spent * 1000 / requests:.1f}" for name, spent in used.items())
    cores = sum(used.values()) / elapsed
    print(f"  CPU ms per request: {per_request} ({cores:.2f} cores busy with these)")
    print(f"  {'request':<18}{'n':>8}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}{'errors':>8}")
    for (name, _method), entry in sorted(stats.entries.items()):
        if not entry.num_requests and not entry.num_failures:
            continue  # sent during the warm-up only (the logins)
        percentile = entry.get_response_time_percentile
        print(
            f"  {name:<18}{entry.num_requests:>8}{entry.num_requests / elapsed:>8.1f}"
            f"{percentile(0.5):>7.0f}{percentile(0.95):>7.0f}{percentile(0.99):>7.0f}"
            f"{entry.num_failures:>8}"
        )
    for error in stats.errors.values():
        print(f"  error: {error.name} {error.error!s:.120} ×{error.occurrences}")
    return rps


def load_average() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="measured time per phase")
    parser.add_argument("--users", type=int, default=24, help="simulated users at once")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn's sync workers")
    parser.add_argument("--big-tasks", type=int, default=0, help="a county of N tasks too")
    parser.add_argument("--setup", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup(args.setup, args.big_tasks)
        return
    for name in ("BENCH_OWNER", "BENCH_APP", "BENCH_REDIS"):
        if not os.environ.get(name):
            raise SystemExit(f"{name} is not set (see the docstring)")
    import locust  # noqa: F401  (gevent's patching, before anything opens a socket)
    from redis import Redis

    Redis.from_url(os.environ["BENCH_REDIS"]).flushdb()
    scratch = Path(tempfile.mkdtemp(prefix="gridgov-bench-"))  # the servers' instance too
    try:
        measure(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure(args: argparse.Namespace, scratch: Path) -> None:
    os.environ["GRIDGOV_INSTANCE_PATH"] = str(scratch / "instance")
    os.environ.update(_server_env())
    counties_file = scratch / "counties.json"
    started = time.monotonic()
    setup_command = [sys.executable, __file__, "--setup", str(counties_file)]
    subprocess.run(  # noqa: S603 (this script)
        [*setup_command, "--big-tasks", str(args.big_tasks)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    counties = json.loads(counties_file.read_text(encoding="utf-8"))
    slugs = ", ".join(c["slug"] for c in counties)
    print(f"set up in {time.monotonic() - started:.0f} s: {slugs}")

    print(f"gunicorn {args.workers} sync workers, {args.users} users, {args.seconds:.0f} s each")
    hello_server, hello_url = serve("hello:app", args.workers, chdir=ROOT / "bench")
    try:
        before = load_average()
        stats, elapsed, used = run(
            hello_url, hello_classes(), args.users, args.seconds, hello_server.pid
        )
        title = f"hello-world (load {before} → {load_average()})"
        hello_rps = report(title, stats, elapsed, used, None)
    finally:
        hello_server.terminate()
        hello_server.wait()
    server, url = serve("gridgov.app:create_app()", args.workers)
    try:
        for county in counties:
            before = load_average()
            stats, elapsed, used = run(
                url, user_classes(county), args.users, args.seconds, server.pid
            )
            report(
                f"county {county['slug']} (load {before} → {load_average()})",
                stats,
                elapsed,
                used,
                hello_rps,
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
