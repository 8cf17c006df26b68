"""A grid worker on a 360×740 phone reports a dispute and settles it on the spot."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.factories import PASSWORD, build_county
from tests.plugins.disputes.factories import admit_disputes
from tests.portal.live import PHONE, LiveServer, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_disputes(tmp_path_factory: pytest.TempPathFactory):
    def build(session):
        county = build_county(session, "changshan")
        admit_disputes(session, county)
        return county

    with serve(tmp_path_factory.mktemp("live-disputes"), build) as server:
        yield server


def test_a_grid_worker_reports_a_dispute_and_settles_it_on_the_phone(
    live_disputes: LiveServer,
    phone,
    tmp_path: Path,
) -> None:
    county = live_disputes.county
    hosts: set[str] = set()
    phone.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))
    phone.goto(f"{live_disputes.url}/t/changshan/login")
    phone.fill("#username", county.workers[0].username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")
    phone.click("[data-testid=menu-button]")  # the phone's menu is folded
    phone.get_by_role("link", name="矛盾纠纷").first.click()
    phone.wait_for_url("**/m/disputes/")
    phone.get_by_role("link", name="上报纠纷").click()
    phone.fill("#title", "楼上卫生间漏水")
    phone.select_option("#kind", "neighbour")
    phone.fill("#applicant", "林晓燕")
    phone.fill("#applicant_phone", "13800001201")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role("button", name="上报").click()
    phone.wait_for_url("**/m/disputes/cases/*")
    assert phone.get_by_test_id("state").inner_text() == "待组长确认"
    assert "138********" in phone.get_by_test_id("parties").inner_text()

    phone.get_by_test_id("step-close").click()
    phone.select_option("details[open] select[name=outcome]", "resolved")
    phone.locator("details[open] textarea[name=note]").fill("现场调解，赔偿 800 元")
    phone.locator("details[open] button.primary").click()
    phone.wait_for_load_state()
    assert phone.get_by_test_id("state").inner_text() == "已办结"
    assert "网格单元" in phone.get_by_test_id("outcome").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "closed.png"), full_page=True)
    assert hosts == {"127.0.0.1"}
