"""The portal in a real browser on a phone-sized screen: Chromium logs in and walks the hierarchy
from the top to a grid's page, and nothing is fetched from anywhere but our own server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.factories import PASSWORD
from tests.portal.live import PHONE, LiveServer

pytestmark = pytest.mark.browser


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
    first = phone.locator("[data-testid=report-first]")
    assert first.is_visible() and first.bounding_box()["y"] < 300  # on the first screen
    assert phone.locator("[data-testid=my-tasks]").is_visible()
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
    # 三员分立: each administrator's own pages.
    pages = {
        county.admin: {
            "home": "/",
            "tree": "/hierarchy",
            "community": f"/nodes/{county.communities[0].id}",
        },
        county.security: {
            "users": "/users",
            "user": f"/users/{county.workers[0].id}",
            "new-user": "/users/new",
        },
        county.auditor: {"audit": "/audit"},
    }
    for who, theirs in pages.items():
        phone.context.clear_cookies()
        phone.goto(f"{live_server.url}/t/changshan/login")
        phone.fill("#username", who.username)
        phone.fill("#password", PASSWORD)
        phone.click("button.primary")
        phone.wait_for_url("**/t/changshan/")
        for name, path in theirs.items():
            opened = phone.goto(f"{live_server.url}/t/changshan{path}")
            assert opened is not None and opened.status == 200, (who.username, name)
            for opener in phone.locator("details.action > summary").all():
                opener.click()  # open every form: they must fit too
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (name, width)
            phone.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    assert errors == []


def test_the_menu_folds_on_a_phone_and_every_entry_fits_once_opened(
    live_server: LiveServer, phone, tmp_path: Path
) -> None:
    county = live_server.county
    phone.goto(f"{live_server.url}/t/changshan/login")
    phone.fill("#username", county.admin.username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")
    menu = phone.locator("[data-testid=menu]")
    assert not menu.is_visible()  # folded: the page starts right below the header
    phone.click("[data-testid=menu-button]")
    assert menu.is_visible()
    links = menu.locator("a").all()
    assert len(links) >= 8  # the county administrator's whole menu
    for link in links:
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
            link.inner_text(),
            box,
        )
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "menu-open.png"), full_page=True)
    # The scope banner is one line.
    scope = phone.locator("[data-testid=scope]")
    line = phone.evaluate(
        "el => parseFloat(getComputedStyle(el).lineHeight) || 20", scope.element_handle()
    )
    assert scope.bounding_box()["height"] <= line * 1.5 + 16  # one line and its padding


def test_on_a_desktop_the_menu_is_one_row_without_the_button(
    live_server: LiveServer, phone
) -> None:
    county = live_server.county
    page = phone  # the same browser, on a desktop's screen
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/t/changshan/login")
    page.fill("#username", county.admin.username)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/t/changshan/")
    assert page.locator("[data-testid=menu]").is_visible()
    assert not page.locator("[data-testid=menu-button]").is_visible()
