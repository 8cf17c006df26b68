"""How many SQL statements a request costs: a task read, the task list, a worker's tasks, a
station's waiting list and an ``accept``.

The counts are exact (``==``), not bounds: a change that adds a statement to these paths fails
here and has to say why by changing the figure, and one that removes statements must lower it,
so the figures stay the measured ones. Issue 20's targets (TARGET: a read ≤ 6, an accept ≤ 12)
are asserted too.

The session is emptied before each request (``expunge_all``): a served request starts with
nothing at hand, and what the test built must not save the request its reads. What a process
keeps between requests is in its steady state: the caller made a request just before (so its
token was noted as used within the minute, ``LAST_USED_PRECISION``, and its scope and the
county's rules, calendar and admissions are in ``gridgov.core.tenancy.county_cache``). A cold
request adds the token's UPDATE and the reads the cache saves; ``test_a_change_*`` below
checks that the cache never answers for a county whose configuration changed.

Counted with ``before_cursor_execute`` on the engine during one test-client request. The test
harness wraps each request's transaction in a SAVEPOINT of the test's own transaction; those
SAVEPOINT / RELEASE / ROLLBACK TO statements are the harness's, not the request's (a served
request begins and commits on its pooled connection instead), so they are left out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from gridgov.core.db import db_session
from tests.api.bearer import bearer, url

HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")

# Measured per dialect. The test's outer transaction was already told the county (set_config is
# sent only when the tenant changes within a transaction), so no set_config is counted here; a
# served request sends exactly one per transaction (the accept's answer is read before its
# commit, so it has one). PostgreSQL's accept adds the audit chain's advisory lock. The accept:
# the county, the token and user, the task under its lock with its page and files, the
# station's own node, the counters, the audit chain's head and entry, the task, the log entry,
# then the answer's log. Before: read 10 / list 6 / accept 24 (SQLite, 2026-12-02); with the
# task's page in one statement and the step's task read under its lock 6 / 5 / 17; with the
# county's configuration and the caller's scope kept between requests and the answer read from
# the locked task 5 / 4 / 10. A worker's tasks and a station's waiting list: the county, the
# token and user, the page (their posts and the nodes below kept between requests too; before,
# 5 and 7 with the count); a list whose page is not full tells its total without a count (the
# task list was 4).
EXPECTED = {
    "sqlite": {"read": 5, "list": 3, "mine": 3, "waiting": 3, "accept": 10},
    "postgresql": {"read": 5, "list": 3, "mine": 3, "waiting": 3, "accept": 11},
}
TARGET = {"read": 6, "list": 6, "mine": 6, "waiting": 6, "accept": 12}  # issue 20's (reads ≤ 6)


@contextlib.contextmanager
def statements(connection) -> Iterator[list[str]]:
    """The statements sent on ``connection``'s engine while the block runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many):
        if not statement.lstrip().upper().startswith(HARNESS):
            seen.append(" ".join(statement.split())[:160])

    engine = connection.engine
    db_session().expunge_all()  # nothing the test built is at hand, as in a served request
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def worker(county, mint):
    return bearer(mint(county, county.workers[0]))


@pytest.fixture
def station(county, mint):
    return bearer(mint(county, county.station_staff))


@pytest.fixture
def task_id(client, county, worker):
    body = {"node_id": county.grids[0].id, "category": "民生事项", "title": "路灯不亮"}
    return client.post(url(county, "/tasks"), json=body, headers=worker).get_json()["id"]


def check(kind: str, dialect: str, seen: list[str]) -> None:
    listing = "\n".join(f"  {n}. {s}" for n, s in enumerate(seen, 1))
    expected = EXPECTED[dialect][kind]
    assert len(seen) == expected, (
        f"{kind} on {dialect}: {len(seen)} statements, measured {expected}:\n{listing}"
    )
    assert len(seen) <= TARGET[kind], f"{kind}: over issue 20's target of {TARGET[kind]}"


def warm_up(client, county, headers) -> None:
    """A request just before, as the caller's previous one (see the module docstring)."""
    assert client.get(url(county, "/me"), headers=headers).status_code == 200


def test_a_task_read_costs_its_measured_statements(client, connection, county, worker, task_id):
    warm_up(client, county, worker)
    with statements(connection) as seen:
        answer = client.get(url(county, f"/tasks/{task_id}"), headers=worker)
    assert answer.status_code == 200
    check("read", connection.dialect.name, seen)


def test_the_task_list_costs_its_measured_statements(client, connection, county, worker, task_id):
    warm_up(client, county, worker)
    with statements(connection) as seen:
        answer = client.get(url(county, "/tasks"), headers=worker)
    assert answer.status_code == 200
    assert [t["id"] for t in answer.get_json()] == [task_id]
    check("list", connection.dialect.name, seen)


@pytest.mark.parametrize(
    ("kind", "path", "who", "track"),
    [
        ("mine", "/tasks/mine", "worker", "general"),
        ("waiting", "/tasks/waiting", "station", "coordinate"),
    ],
)
def test_a_workers_tasks_and_a_stations_waiting_list_cost_their_measured_statements(
    client, connection, county, worker, station, kind, path, who, track
):
    # a general task stays with its grid worker, a coordination task waits on the station
    body = {
        "node_id": county.grids[0].id,
        "category": "民生事项",
        "title": "路灯不亮",
        "track": track,
    }
    task_id = client.post(url(county, "/tasks"), json=body, headers=worker).get_json()["id"]
    headers = {"worker": worker, "station": station}[who]
    warm_up(client, county, headers)
    assert client.get(url(county, path), headers=headers).status_code == 200  # the same before
    with statements(connection) as seen:
        answer = client.get(url(county, path), headers=headers)
    assert answer.status_code == 200
    assert [t["id"] for t in answer.get_json()] == [task_id]
    check(kind, connection.dialect.name, seen)


def test_an_accept_costs_its_measured_statements(client, connection, county, station, task_id):
    warm_up(client, county, station)
    with statements(connection) as seen:
        answer = client.post(
            url(county, f"/tasks/{task_id}/transitions"),
            json={"action": "accept"},
            headers=station,
        )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["state"] == "accepted"
    check("accept", connection.dialect.name, seen)
