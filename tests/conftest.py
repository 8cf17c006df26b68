"""Shared fixtures: the app on the test database, a session rolled back after each test, and
helpers to build counties.

The database under test is SQLite unless GRIDGOV_TEST_DATABASE_URL names a PostgreSQL database
(the application's role) and GRIDGOV_TEST_MIGRATION_DATABASE_URL the role that owns the schema.
Tests that need PostgreSQL, Redis or Chromium whatever the main database is use the
``postgres_urls``, ``redis_url`` and ``browser`` fixtures: they skip when the service is missing,
except under CI=true, where a missing service is an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask, has_app_context
from sqlalchemy import make_url, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from gridgov.app import create_app
from gridgov.core import runtime
from gridgov.core.db import db_session, make_engine, sessions_bound_to, set_tenant
from gridgov.core.plugins.manager import PluginHost
from gridgov.web import PLUGINS_KEY

IN_CI = os.environ.get("CI") == "true"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--utc-clock",
        metavar="HH:MM",
        help="run the whole suite with the clock moved to the next HH:MM UTC (e.g. 17:30, when"
        " it is already tomorrow in the counties) and ticking from there",
    )


def pytest_configure(config: pytest.Config) -> None:
    """``--utc-clock``: move the clock before the test modules are even imported (some take
    their dates at import). Always forwards (at most a day), so a browser's cookies, which keep
    the real clock, are never expired by the move."""
    wanted = config.getoption("--utc-clock")
    if not wanted:
        return
    at = dt.time.fromisoformat(wanted)
    now = dt.datetime.now(dt.UTC)
    target = dt.datetime.combine(now.date(), at, dt.UTC)
    if target < now:
        target += dt.timedelta(days=1)
    traveller = time_machine.travel(target, tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("--utc-clock"):
        return f"clock moved to {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC (--utc-clock)"
    return None


# The third-party example module (tests/plugins/example_plugin) is found like any installed
# plugin: its *.dist-info/entry_points.txt on sys.path names it in the gridgov.plugins group.
sys.path.insert(0, str(Path(__file__).resolve().parent / "plugins" / "example_plugin"))


def need(condition: bool, what: str) -> None:
    """Skip the test when ``what`` is unavailable — but fail under CI, where it must run."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} not available")


def empty_postgres_tenants(owner_connection: Connection) -> None:
    """Remove every county a PostgreSQL test made, their audit events with them: TRUNCATE is not
    subject to RLS, and the audit log's trigger refusing it is lifted for this transaction only
    (the owner's right, which ``gridgov audit verify`` is there to catch in earnest)."""
    owner_connection.execute(
        text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_truncate")
    )
    owner_connection.execute(text("TRUNCATE tenants CASCADE"))
    owner_connection.execute(
        text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_truncate")
    )


def reset_postgres_schema(owner_url: str, app_url: str) -> None:
    """Empty the test database (as the schema owner) and let the app role use the schema."""
    engine = make_engine(owner_url)
    app_role = make_url(app_url).username
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{app_role}"'))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2id with minimal cost: the real parameters spend ~0.1 s per hash on purpose, which
    would dominate a suite that creates hundreds of accounts. Same algorithm, same code path."""
    from argon2 import PasswordHasher

    from gridgov.core.accounts import passwords

    real = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("not a password of anyone")
    yield
    passwords._hasher, passwords._DUMMY_HASH = real


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(owner URL, application URL) of the database under test, migrated to head."""
    from gridgov.migrations import upgrade

    app_url = os.environ.get("GRIDGOV_TEST_DATABASE_URL")
    if app_url:
        owner_url = os.environ.get("GRIDGOV_TEST_MIGRATION_DATABASE_URL", app_url)
        if app_url.startswith("postgresql"):
            reset_postgres_schema(owner_url, app_url)
    else:
        path = tmp_path_factory.mktemp("db") / "gridgov.db"
        app_url = owner_url = f"sqlite:///{path}"
    upgrade(owner_url, app_url)
    return owner_url, app_url


@pytest.fixture(scope="session")
def app(
    database_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    owner_url, app_url = database_urls
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app_url,
            "MIGRATION_DATABASE_URL": owner_url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_ENABLED": False,
            # Administrators log in with their password alone here; the second factor's own
            # tests (tests/portal/test_second_factor.py) switch the requirement on.
            "GRIDGOV_ADMIN_SECOND_FACTOR": "optional",
            "SERVER_NAME": None,
        }
    )
    yield app
    app.extensions["gridgov.engine"].dispose()
    shutil.rmtree(instance, ignore_errors=True)


@pytest.fixture
def another_app(app: Flask) -> Iterator[Callable[..., Flask]]:
    """``another_app(**settings)``: an app on the suite's database with other settings (the
    shared one runs with rate limits off); with rate limits on, the limiter's counts are reset
    when it is made and after the test; its engine is disposed."""
    from gridgov.extensions import limiter

    made: list[Flask] = []

    def make(**settings: Any) -> Flask:
        new = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": app.config["DATABASE_URL"],
                "INSTANCE_PATH": app.instance_path,
                "SECRET_KEY": "test-secret-key",
                "GRIDGOV_ADMIN_SECOND_FACTOR": "optional",
                **settings,
            }
        )
        made.append(new)
        if new.config["RATELIMIT_ENABLED"]:
            limiter.reset()
        return new

    yield make
    if any(new.config["RATELIMIT_ENABLED"] for new in made):
        limiter.reset()
    for new in made:
        new.extensions["gridgov.engine"].dispose()


@pytest.fixture(scope="session")
def sqlite_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a SQLite database of its own, whichever database the suite runs on: for what
    only SQLite lets a test do as the schema owner (rewrite audit rows with no trigger in the
    way; on PostgreSQL tests/core/audit/test_chain_postgres.py does it as the owner)."""
    from gridgov.migrations import upgrade

    folder = tmp_path_factory.mktemp("sqlite-app")
    url = f"sqlite:///{folder / 'gridgov.db'}"
    upgrade(url, url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "MIGRATION_DATABASE_URL": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_ENABLED": False,
            "GRIDGOV_ADMIN_SECOND_FACTOR": "optional",
            "SERVER_NAME": None,
        }
    )
    yield app
    app.extensions["gridgov.engine"].dispose()


@pytest.fixture
def sqlite_session(sqlite_app: Flask) -> Iterator[Session]:
    """Like ``session``, on ``sqlite_app``'s database, rolled back after the test."""
    conn = sqlite_app.extensions["gridgov.engine"].connect()
    outer = conn.begin()
    try:
        with sessions_bound_to(conn), sqlite_app.app_context():
            s = db_session()
            set_tenant(s, None)
            yield s
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def connection(app: Flask) -> Iterator[Connection]:
    """One connection in a transaction that is rolled back after the test: what the app commits
    during the test only releases a savepoint."""
    engine = app.extensions["gridgov.engine"]
    conn = engine.connect()
    outer = conn.begin()
    try:
        with sessions_bound_to(conn):
            yield conn
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def session(app: Flask, connection: Connection) -> Iterator[Session]:
    """The app's session, inside an app context, with no tenant set yet."""
    with app.app_context():
        s = db_session()
        set_tenant(s, None)
        yield s


@pytest.fixture
def use_plugins(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[PluginHost], PluginHost]]:
    """``use_plugins(host)``: the test's own plugin host instead of the installed modules, in
    the app context in place (if any) and in every one pushed later (requests, commands)."""
    with contextlib.ExitStack() as installed:

        def use(host: PluginHost) -> PluginHost:
            monkeypatch.setitem(app.extensions, PLUGINS_KEY, host)
            _reinstall(installed, plugins=host)
            return host

        yield use


def _reinstall(installed: contextlib.ExitStack, **changes: Any) -> None:
    """The runtime in place (if an app context is) with ``changes``, until ``installed`` closes;
    the contexts pushed later build theirs from the app, changed by the caller."""
    if has_app_context():
        installed.enter_context(runtime.use(dataclasses.replace(runtime.current(), **changes)))


@pytest.fixture
def client(app: Flask, connection: Connection):
    return app.test_client()


@pytest.fixture
def files_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of the test's own for the files the app stores (GRIDGOV_FILES_DIR)."""
    folder = tmp_path / "files"
    monkeypatch.setitem(app.config, "GRIDGOV_FILES_DIR", str(folder))
    with contextlib.ExitStack() as installed:
        _reinstall(installed, files_dir=folder)
        yield folder


# --- PostgreSQL and Redis whatever the main test database is ----------------------------------


@pytest.fixture(scope="session")
def postgres_urls() -> tuple[str, str]:
    """(owner URL, application URL) of a PostgreSQL database of its own, emptied and migrated to
    head: for the row-level-security and schema tests, which run whatever the main database is.

    GRIDGOV_TEST_POSTGRES_OWNER_URL names the role that owns the schema and runs migrations,
    GRIDGOV_TEST_POSTGRES_URL the application's role (NOSUPERUSER, NOBYPASSRLS, not the owner).
    """
    from gridgov.migrations import upgrade

    app_url = os.environ.get("GRIDGOV_TEST_POSTGRES_URL")
    owner_url = os.environ.get("GRIDGOV_TEST_POSTGRES_OWNER_URL")
    need(
        bool(app_url and owner_url),
        "PostgreSQL (GRIDGOV_TEST_POSTGRES_URL and GRIDGOV_TEST_POSTGRES_OWNER_URL)",
    )
    assert app_url and owner_url
    reset_postgres_schema(owner_url, app_url)
    upgrade(owner_url, app_url)
    return owner_url, app_url


@pytest.fixture
def redis_url() -> Iterator[str]:
    """URL of a Redis database that is emptied before and after the test (GRIDGOV_TEST_REDIS_URL;
    give it a database number of its own, e.g. redis://localhost:6379/15)."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    url = os.environ.get("GRIDGOV_TEST_REDIS_URL")
    need(bool(url), "Redis (GRIDGOV_TEST_REDIS_URL)")
    assert url
    connection = Redis.from_url(url)
    try:
        connection.ping()
    except RedisConnectionError:
        need(False, f"Redis at {url}")
    connection.flushdb()
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture(scope="session")
def postgres_owner_engine(postgres_urls: tuple[str, str]) -> Iterator[Engine]:
    """An engine on the ``postgres_urls`` database as the schema owner."""
    engine = make_engine(postgres_urls[0])
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_app_engine(postgres_urls: tuple[str, str]) -> Iterator[Engine]:
    """An engine on the ``postgres_urls`` database as the application's role."""
    engine = make_engine(postgres_urls[1])
    yield engine
    engine.dispose()
