"""The embedded default under an office's load: twenty people logging in and twenty grid workers
reporting at the same moment against a served SQLite county give no server error (SQLite in
WAL mode, write transactions that take the write lock when they begin, a busy timeout)."""

from __future__ import annotations

import http.cookiejar
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.tasks.models import Task
from tests.factories import PASSWORD, build_county
from tests.portal.conftest import csrf_token
from tests.portal.live import LiveServer, serve

PEOPLE = 20


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, list[str]]]:
    """A served county of 20 grids, each with its worker, and a bearer token for each."""
    tokens: list[str] = []

    def build(session):
        county = build_county(session, "changshan", townships=2, communities=2, grids=5)
        for worker in county.workers:
            token, _record = accounts.create_token(
                session, None, county.tenant, worker, scopes=accounts.USER_SCOPES
            )
            tokens.append(token)
        return county

    with serve(tmp_path_factory.mktemp("office"), build) as server:
        yield server, tokens


def all_at_once(work: Callable[[int], int]) -> list[int]:
    """Run ``work(i)`` for i in 0…19 in twenty threads released together; their statuses."""
    start = threading.Barrier(PEOPLE)
    statuses: list[int] = [0] * PEOPLE

    def run(i: int) -> None:
        start.wait()
        statuses[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def status_of(opener: urllib.request.OpenerDirector, request: urllib.request.Request) -> int:
    try:
        with opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_twenty_people_logging_in_at_once_all_get_in(office):
    server, _tokens = office
    county = server.county
    login_url = f"{server.url}/t/{county.tenant.slug}/login"
    openers = [
        urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        for _ in range(PEOPLE)
    ]
    pages = [opener.open(login_url, timeout=60).read().decode() for opener in openers]

    def log_in(i: int) -> int:
        form = urllib.parse.urlencode(
            {
                "csrf_token": csrf_token(pages[i]),
                "username": county.workers[i].username,
                "password": PASSWORD,
            }
        ).encode()
        return status_of(openers[i], urllib.request.Request(login_url, data=form))

    statuses = all_at_once(log_in)
    assert statuses == [200] * PEOPLE  # each followed its redirect to the home page


def test_twenty_grid_workers_reporting_at_once_each_file_their_task(office):
    server, tokens = office
    county = server.county
    api = f"{server.url}/t/{county.tenant.slug}/api/v1/tasks"
    opener = urllib.request.build_opener()

    def report(i: int) -> int:
        body = {"node_id": county.grids[i].id, "category": "民生事项", "title": f"路灯不亮 {i}"}
        request = urllib.request.Request(
            api,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json"},
        )
        return status_of(opener, request)

    statuses = all_at_once(report)
    assert statuses == [201] * PEOPLE
    with server.app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            assert session.scalar(select(func.count(Task.id))) == PEOPLE
