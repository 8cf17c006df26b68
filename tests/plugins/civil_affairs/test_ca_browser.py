"""A grid worker on a 360×740 phone opens the overdue list, records a visit to an empty-nest
elderly person and files an errand for her."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.factories import PASSWORD, build_county
from tests.plugins.civil_affairs.conftest import admit, cared_person
from tests.portal.live import PHONE, LiveServer, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_care(tmp_path_factory: pytest.TempPathFactory):
    def build(session):
        county = build_county(session, "changshan")
        admit(session, county)
        cared_person(session, county, name="示例王奶奶", phone_number="13800001201")
        return county

    with serve(tmp_path_factory.mktemp("live-care"), build) as server:
        yield server


def test_a_grid_worker_records_a_visit_and_an_errand_on_the_phone(
    live_care: LiveServer, phone, tmp_path: Path
) -> None:
    county = live_care.county
    hosts: set[str] = set()
    phone.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))
    phone.goto(f"{live_care.url}/t/changshan/login")
    phone.fill("#username", county.workers[0].username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")
    phone.click("[data-testid=menu-button]")  # the phone's menu is folded
    phone.get_by_role("link", name="民政关爱").first.click()
    phone.wait_for_url("**/m/civil_affairs/")
    assert "示例王奶奶" in phone.get_by_test_id("overdue").inner_text()
    phone.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_test_id("overdue").get_by_role("link", name="走访").click()
    phone.select_option("#condition", "poor")
    phone.fill("#needs", "行动不便，需要代办医保报销")
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_url("**/m/civil_affairs/people/*")
    assert "行动不便" in phone.get_by_test_id("visits").inner_text()
    assert "138********" in phone.get_by_test_id("phone").inner_text()
    phone.screenshot(path=str(tmp_path / "person.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    phone.get_by_role("link", name="受理代办").click()
    phone.select_option("#kind", "medical")
    phone.fill("#title", "代办医保报销")
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_url("**/m/civil_affairs/errands/*")
    assert phone.get_by_test_id("state").inner_text() == "待受理"
    phone.get_by_test_id("step-accept").click()
    phone.locator("details[open] button.primary").click()
    phone.wait_for_load_state()
    assert phone.get_by_test_id("state").inner_text() == "代办中"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "errand.png"), full_page=True)
    assert hosts == {"127.0.0.1"}
