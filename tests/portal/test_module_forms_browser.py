"""A grid worker fills the example module's form on a 360 px phone in Chromium: conditional
fields appear when the answer calls for them (static/js/show-if.js, allowed by the strict CSP),
and the admission pages fit the screen too."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from gridgov.app import create_app
from gridgov.core.db import db_session, set_tenant
from gridgov.migrations import upgrade
from tests.core.admission.factories import admit_example
from tests.factories import PASSWORD, build_county
from tests.portal import test_browser
from tests.portal.test_browser import PHONE, LiveServer

pytestmark = pytest.mark.browser
phone = test_browser.phone  # the Chromium page fixture, shared with the portal's browser tests


@pytest.fixture(scope="module")
def admitted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live-modules")
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
        county = build_county(session, "changshan")
        session.commit()
    admit_example(app, county)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", county=county)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["gridgov.engine"].dispose()


def log_in(page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/t/changshan/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/t/changshan/")


def test_a_worker_fills_the_form_and_conditional_fields_follow_the_answer(
    admitted_server: LiveServer, phone, tmp_path: Path
) -> None:
    errors: list[str] = []
    phone.on("console", lambda message: message.type == "error" and errors.append(message.text))
    log_in(phone, admitted_server, admitted_server.county.workers[0].username)
    phone.goto(f"{admitted_server.url}/t/changshan/forms/env_patrol.inspection")
    pollutants = phone.locator("[data-show-if=compliant]").first
    assert pollutants.is_hidden()
    phone.check("input[name=compliant][value=false]")
    assert pollutants.is_visible()
    phone.check("input[name=compliant][value=true]")
    assert pollutants.is_hidden()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.fill("#site", "城东豆腐坊")
    phone.select_option("#kind", "workshop")
    phone.fill("#inspected_on", "2026-05-08")
    phone.fill("#checks-0-item", "油烟净化器")
    phone.click("button.primary")
    phone.wait_for_url("**/form-submissions/*")
    assert "城东豆腐坊" in phone.locator("[data-testid=submission]").inner_text()
    phone.screenshot(path=str(tmp_path / "submission.png"), full_page=True)
    assert errors == []


def test_admission_pages_fit_a_phone_screen(admitted_server: LiveServer, phone) -> None:
    log_in(phone, admitted_server, admitted_server.county.admin.username)
    for path in ("/admissions", "/admissions/1", "/modules", "/forms"):
        phone.goto(f"{admitted_server.url}/t/changshan{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
