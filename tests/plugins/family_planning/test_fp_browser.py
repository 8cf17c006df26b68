"""A grid worker on a 360×740 phone finds a woman in the registry, registers her as a target
and files her follow-up with the module's form; nothing leaves the page's host and nothing is
wider than the phone."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.factories import PASSWORD
from tests.plugins.family_planning.conftest import make_world
from tests.portal.live import PHONE, LiveServer, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_fp(tmp_path_factory: pytest.TempPathFactory):
    def build(session):
        return make_world(session).county

    with serve(tmp_path_factory.mktemp("live-fp"), build) as server:
        yield server


def fits(phone) -> bool:
    return phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_grid_worker_registers_a_target_and_files_her_follow_up_on_the_phone(
    live_fp: LiveServer, phone, tmp_path: Path
) -> None:
    county = live_fp.county
    hosts: set[str] = set()
    phone.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))
    phone.goto(f"{live_fp.url}/t/changshan/login")
    phone.fill("#username", county.workers[0].username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")
    phone.click("[data-testid=menu-button]")  # the phone's menu is folded
    phone.get_by_role("link", name="计划生育").first.click()
    phone.wait_for_url("**/m/family_planning/")
    assert fits(phone)
    phone.get_by_role("link", name="计生对象").first.click()
    phone.get_by_role("link", name="登记计生对象").click()
    phone.fill("#q", "甲李")
    phone.get_by_role("button", name="查找").click()
    phone.get_by_test_id("people-found").get_by_role("link").first.click()
    assert phone.input_value("#person_id")
    phone.select_option("#kind", "woman")
    assert fits(phone)
    phone.get_by_role("button", name="登记").click()
    phone.wait_for_url("**/m/family_planning/targets/*")
    phone.get_by_role("link", name="填写随访").click()
    phone.select_option("#condition", "good")
    phone.fill("#notes", "本人在家，身体健康")
    assert fits(phone)
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_url("**/m/family_planning/targets/*")
    assert "本人在家" in phone.get_by_test_id("follow-ups").inner_text()
    assert fits(phone)
    phone.screenshot(path=str(tmp_path / "target.png"), full_page=True)
    phone.get_by_role("link", name="概况").first.click()
    phone.wait_for_url("**/m/family_planning/")
    assert fits(phone)
    phone.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert hosts == {"127.0.0.1"}
