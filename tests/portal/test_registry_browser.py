"""The grid worker's round on a phone, in Chromium at 360×740: find a resident by name, open
their dwelling, record a household visit; the pages fit the screen and break no policy.

Its own live server (like tests/portal/test_browser.py's) because the county needs residents.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from gridgov.app import create_app
from gridgov.core.db import db_session, set_tenant
from gridgov.core.registry import service as registry
from gridgov.core.registry.service import PersonInput
from gridgov.migrations import upgrade
from tests.core.registry.conftest import id_number
from tests.factories import PASSWORD, build_county
from tests.portal.test_browser import PHONE, LiveServer, phone  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live-registry")
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
        county = build_county(session, "changshan", townships=1, communities=1, grids=2)
        dwelling = registry.create_dwelling(
            session, county.tenant, None, grid=county.grids[0], address="幸福路 1 号 2 单元 301"
        )
        household = registry.create_household(session, None, dwelling=dwelling)
        registry.create_person(
            session,
            county.tenant,
            None,
            PersonInput(
                name="王示例一", id_number=id_number(1), phone="13812345678", relation="head"
            ),
            household=household,
        )
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


def test_a_grid_worker_finds_a_resident_and_records_a_visit_on_a_phone(
    registry_server: LiveServer,
    phone,  # noqa: F811
    tmp_path: Path,
) -> None:
    server, county = registry_server.url, registry_server.county
    errors: list[str] = []
    phone.on("console", lambda message: message.type == "error" and errors.append(message.text))
    phone.goto(f"{server}/t/changshan/login")
    phone.fill("#username", county.workers[0].username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")

    phone.goto(f"{server}/t/changshan/people")
    phone.fill("#q", "王示例")
    phone.get_by_role("button", name="查找").click()
    phone.get_by_role("link", name="王示例一").click()
    assert phone.locator("[data-testid=phone]").inner_text() == "138****5678"
    phone.get_by_role("link", name="查看房屋与同户成员").click()
    phone.locator("summary", has_text="记录走访").click()
    phone.locator("textarea").first.fill("老人身体好，已提醒防诈骗")
    phone.get_by_role("button", name="保存走访").click()
    phone.locator(".flash").wait_for()
    assert "已记录走访" in phone.locator(".flash").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "visit.png"), full_page=True)
    assert errors == []
