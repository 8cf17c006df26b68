"""Portal fixtures: counties committed into the test's outer transaction, and a logged-in client.

Data is built in an app context that is closed before any request: a request made while the
test holds an app context would reuse it (and its ``g``) instead of getting its own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session, set_tenant
from gridgov.extensions import limiter
from gridgov.portal.auth import login_failures
from tests.conftest import need
from tests.factories import PASSWORD, County, build_county
from tests.portal.live import CHROMIUM, CHROMIUM_ARGS, PHONE, LiveServer, serve

CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)


@pytest.fixture(autouse=True)
def _no_rate_limit(monkeypatch: pytest.MonkeyPatch, app: Flask) -> None:
    """Another test's app may have switched the shared limiter on; only the rate-limit test
    wants it."""
    monkeypatch.setattr(limiter, "enabled", False)
    login_failures(app).storage.reset()  # failures of unknown names: each test starts afresh


def make_county(app: Flask, slug: str, **sizes: int) -> County:
    with app.app_context():
        session = db_session()
        set_tenant(session, None)
        county = build_county(session, slug, **sizes)
        session.commit()
    return county


@pytest.fixture
def county(app: Flask, connection) -> County:
    return make_county(app, "changshan")


@pytest.fixture
def other_county(app: Flask, connection) -> County:
    return make_county(app, "lishui")


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, slug: str, username: str, password: str = PASSWORD, **extra: str):
    page = client.get(f"/t/{slug}/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        f"/t/{slug}/login",
        data={"csrf_token": token, "username": username, "password": password, **extra},
    )


def post_form(client: FlaskClient, page_url: str, action_url: str, data: dict[str, str]):
    """Open the page holding a form, then submit it with that page's CSRF token."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(
        action_url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data}
    )


@pytest.fixture
def as_admin(client: FlaskClient, county: County) -> Iterator[FlaskClient]:
    assert login(client, county.tenant.slug, county.admin.username).status_code == 302
    yield client


@pytest.fixture
def as_security(client: FlaskClient, county: County) -> Iterator[FlaskClient]:
    """Logged in as the county's security administrator (安全管理员), who manages accounts."""
    assert login(client, county.tenant.slug, county.security.username).status_code == 302
    yield client


@pytest.fixture
def as_auditor(client: FlaskClient, county: County) -> Iterator[FlaskClient]:
    """Logged in as the county's audit administrator (审计管理员), who reads the audit log."""
    assert login(client, county.tenant.slug, county.auditor.username).status_code == 302
    yield client


@pytest.fixture
def phone() -> Iterator:
    """A Chromium page on a 360×740 screen (a cheap phone), speaking Chinese."""
    need(os.path.exists(CHROMIUM), "Chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A served county of 3 townships × 3 communities × 4 grids; grid worker 0 has a phone."""

    def build(session) -> County:
        county = build_county(session, "changshan", townships=3, communities=3, grids=4)
        worker = accounts.get_user(session, county.workers[0].id)
        accounts.update_user(session, None, worker, phone="13800138000")
        return county

    with serve(tmp_path_factory.mktemp("live"), build) as server:
        yield server
