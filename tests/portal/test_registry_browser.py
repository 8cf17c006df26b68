"""The grid worker's round on a phone, in Chromium at 360×740: find a resident by name, open
their dwelling, record a household visit; the pages fit the screen and break no policy.

Its own live server (tests/portal/live.py) because the county needs residents.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridgov.core.registry import service as registry
from gridgov.core.registry.service import PersonInput
from tests.core.registry.conftest import id_number
from tests.factories import PASSWORD, County, build_county
from tests.portal.live import PHONE, LiveServer, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    def build(session) -> County:
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
        return county

    with serve(tmp_path_factory.mktemp("live-registry"), build) as server:
        yield server


def test_a_grid_worker_finds_a_resident_and_records_a_visit_on_a_phone(
    registry_server: LiveServer,
    phone,
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
    assert phone.locator("[data-testid=phone]").inner_text() == "138********"
    phone.get_by_role("link", name="查看房屋与同户成员").click()
    phone.locator("summary", has_text="记录走访").click()
    phone.locator("textarea").first.fill("老人身体好，已提醒防诈骗")
    phone.get_by_role("button", name="保存走访").click()
    phone.locator(".flash").wait_for()
    assert "已记录走访" in phone.locator(".flash").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "visit.png"), full_page=True)
    assert errors == []


def test_places_quality_and_an_export_work_on_a_phone(
    registry_server: LiveServer, phone, tmp_path: Path
) -> None:
    server, county = registry_server.url, registry_server.county
    errors: list[str] = []
    phone.on("console", lambda message: message.type == "error" and errors.append(message.text))
    phone.goto(f"{server}/t/changshan/login")
    phone.fill("#username", county.workers[0].username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")

    for page in ("compounds", "sites", "registry/quality", "people/duplicates"):
        phone.goto(f"{server}/t/changshan/{page}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page
    phone.goto(f"{server}/t/changshan/people")
    phone.fill("#q", "王示例")
    phone.locator("summary", has_text="导出这份名单").click()
    phone.get_by_role("button", name="导出", exact=True).click()
    phone.locator("[data-testid=export-status]", has_text="已导出 1 人").wait_for()
    assert phone.get_by_role("link", name="下载 Excel").is_visible()
    phone.screenshot(path=str(tmp_path / "export.png"), full_page=True)
    assert errors == []
