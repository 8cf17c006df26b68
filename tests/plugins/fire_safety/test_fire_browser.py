"""A grid worker patrols a shop with the checklist on a 360 px phone in Chromium: answering
"no" brings up the hazard's grade and photo (show-if.js under the strict CSP), the submitted
checklist shows the hazard it filed, and the module's pages fit the screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gridgov.core.db import db_session, tenant_scope
from gridgov.core.tenancy.county_time import CountyClock
from tests.factories import PASSWORD, build_county
from tests.plugins.fire_safety.conftest import admit
from tests.portal.conftest import phone  # noqa: F401 - the 360 px Chromium page fixture
from tests.portal.live import PHONE, LiveServer, serve

pytestmark = pytest.mark.browser
BASE = "/t/changshan/m/fire_safety"


@pytest.fixture(scope="module")
def fire_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("live-fire"), lambda s: build_county(s)) as server:
        with server.app.app_context():
            session = db_session()
            with tenant_scope(session, server.county.tenant.id):
                admit(session, server.county)
            session.commit()
        yield server


def log_in(page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/t/changshan/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/t/changshan/")


def test_a_worker_patrols_a_shop_on_the_phone_and_files_a_hazard(fire_server, phone):  # noqa: F811
    errors: list[str] = []
    phone.on("console", lambda message: message.type == "error" and errors.append(message.text))
    log_in(phone, fire_server, fire_server.county.workers[0].username)
    phone.goto(f"{fire_server.url}{BASE}/patrols/new/shop")
    grade = phone.locator("#exits_grade")
    assert grade.is_hidden()
    phone.check("input[name=exits_ok][value=false]")
    assert grade.is_visible() and phone.locator("#exits_photo").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.fill("#place", "城关镇示例商铺")
    phone.fill("#inspected_on", CountyClock.of(None).today().isoformat())
    phone.fill("#extinguisher_count", "2")
    for item in ("extinguisher", "evacuation", "wiring", "open_flame", "flammables", "billboard"):
        phone.check(f"input[name={item}_ok][value=true]")
    phone.select_option("#exits_grade", "general")
    phone.fill("#exits_note", "后门锁闭")
    phone.click("form.card button.primary")
    phone.wait_for_url("**/patrols/*")
    assert phone.locator("[data-testid=findings]").inner_text() == "1"
    assert "安全出口堵塞或锁闭" in phone.locator("[data-testid=hazard]").inner_text()
    assert errors == []


def test_the_modules_pages_fit_a_phone_screen(fire_server, phone):  # noqa: F811
    log_in(phone, fire_server, fire_server.county.admin.username)
    for path in ("/", "/checklists", "/ledger", "/hazards/new", "/abilities", "/leaders"):
        phone.goto(f"{fire_server.url}{BASE}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
