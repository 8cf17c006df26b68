"""A grid worker fills the example module's form on a 360 px phone in Chromium: conditional
fields appear when the answer calls for them (static/js/show-if.js, allowed by the strict CSP),
and the admission pages fit the screen too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.admission.factories import admit_example
from tests.factories import PASSWORD, build_county
from tests.portal.live import PHONE, LiveServer, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def admitted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(
        tmp_path_factory.mktemp("live-modules"), lambda s: build_county(s, "changshan")
    ) as server:
        admit_example(server.app, server.county)
        yield server


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
