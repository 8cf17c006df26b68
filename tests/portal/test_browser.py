"""The portal in a real browser on a phone-sized screen: Chromium logs in and walks the hierarchy
from the top to a grid's page, and nothing is fetched from anywhere but our own server.

The app runs in a background thread on its own SQLite file: the savepoint-per-test connection
of the other tests cannot be seen from another thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from gridgov.app import create_app
from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session, set_tenant
from gridgov.migrations import upgrade
from tests.conftest import need
from tests.factories import PASSWORD, County, build_county

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}


@dataclass
class LiveServer:
    url: str
    county: County


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'gridgov.db'}"
    upgrade(url, url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "browser-test-key",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        session = db_session()
        set_tenant(session, None)
        county = build_county(session, "changshan", townships=3, communities=3, grids=4)
        worker = accounts.get_user(session, county.workers[0].id)
        accounts.update_user(session, None, worker, phone="13800138000")
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", county=county)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["gridgov.engine"].dispose()


@pytest.fixture
def phone() -> Iterator:
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


def test_log_in_and_walk_the_hierarchy_to_a_grid_on_a_phone(
    live_server: LiveServer, phone, tmp_path: Path
) -> None:
    county = live_server.county
    hosts: set[str] = set()
    phone.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))
    # a blocked script or style (our Content-Security-Policy) shows up as a console error
    errors: list[str] = []
    phone.on("console", lambda message: message.type == "error" and errors.append(message.text))

    phone.goto(f"{live_server.url}/t/changshan/hierarchy")
    assert "/t/changshan/login" in phone.url  # sent to log in first, then back
    phone.fill("#username", county.admin.username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/hierarchy")
    assert phone.locator("[data-testid=scope]").inner_text().startswith("查看范围")

    township, community, grid = county.townships[1], county.communities[4], county.grids[17]
    # open the township in place (htmx fetches its communities) …
    phone.locator("summary", has_text=township.name).first.click()
    community_row = phone.locator("summary", has_text=community.name)
    community_row.wait_for()
    # … then the community, then follow the grid's link
    community_row.click()
    grid_link = phone.get_by_role("link", name=grid.name, exact=True)
    grid_link.wait_for()
    phone.screenshot(path=str(tmp_path / "tree.png"), full_page=True)
    grid_link.click()
    phone.wait_for_url(f"**/t/changshan/nodes/{grid.id}")

    assert phone.locator("h1").inner_text() == grid.name
    breadcrumb = phone.locator("nav.breadcrumb").inner_text()
    for above in (county.top, township, community):
        assert above.name in breadcrumb
    responsible = phone.locator("[data-testid=responsible]").inner_text()
    assert county.workers[17].name in responsible
    # the page fits the phone: nothing wider than the screen
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "grid.png"), full_page=True)
    assert (tmp_path / "grid.png").stat().st_size > 0

    assert hosts == {"127.0.0.1"}, f"requests left the server: {sorted(hosts)}"
    assert errors == []


def test_a_grid_worker_on_a_phone_sees_their_grid_notice(
    live_server: LiveServer, phone, tmp_path: Path
) -> None:
    county = live_server.county
    phone.goto(f"{live_server.url}/t/changshan/login")
    phone.fill("#username", county.workers[0].username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")
    notice = phone.locator("[data-testid=my-grid]")
    assert notice.count() == 1
    text = notice.inner_text()
    assert county.grids[0].name in text and "13800138000" in text
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "worker-home.png"), full_page=True)


def test_admin_pages_fit_a_phone_screen(live_server: LiveServer, phone, tmp_path: Path) -> None:
    county = live_server.county
    errors: list[str] = []
    phone.on("console", lambda message: message.type == "error" and errors.append(message.text))
    phone.goto(f"{live_server.url}/t/changshan/login")
    phone.fill("#username", county.admin.username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")
    pages = {
        "home": "/",
        "tree": "/hierarchy",
        "community": f"/nodes/{county.communities[0].id}",
        "users": "/users",
        "user": f"/users/{county.workers[0].id}",
        "new-user": "/users/new",
        "audit": "/audit",
    }
    for name, path in pages.items():
        phone.goto(f"{live_server.url}/t/changshan{path}")
        for opener in phone.locator("details.action > summary").all():
            opener.click()  # open every form: they must fit too
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (name, width)
        phone.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    assert errors == []
