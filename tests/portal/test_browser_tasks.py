"""A grid worker on a 360×740 phone reports a task with a photo and closes it on the spot."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.factories import PASSWORD
from tests.portal.live import PHONE, LiveServer

pytestmark = pytest.mark.browser

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)


def test_a_grid_worker_reports_a_task_with_a_photo_and_closes_it(
    live_server: LiveServer,
    phone,
    tmp_path: Path,
) -> None:
    county = live_server.county
    hosts: set[str] = set()
    phone.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))
    errors: list[str] = []
    phone.on("console", lambda message: message.type == "error" and errors.append(message.text))
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)

    phone.goto(f"{live_server.url}/t/changshan/login")
    phone.fill("#username", county.workers[0].username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")
    phone.click("[data-testid=menu-button]")  # the phone's menu is folded
    phone.get_by_role("link", name="事件", exact=True).click()
    phone.get_by_test_id("report-link").click()
    phone.wait_for_url("**/t/changshan/tasks/new")
    phone.select_option("#category", "民生事项")
    phone.fill("#title", "楼道堆放杂物")
    phone.fill("#description", "三单元楼道堆放纸箱，堵塞通道")
    phone.fill("#location_text", "幸福小区 3 号楼")
    phone.set_input_files("#photo", str(photo))
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    phone.get_by_role("button", name="上报").click()
    phone.wait_for_url("**/t/changshan/tasks/*")
    assert phone.get_by_test_id("state").inner_text() == "已上报"
    assert phone.get_by_test_id("photo").count() == 1

    phone.get_by_test_id("action-resolve").click()
    phone.locator("details[open] textarea[name=comment]").fill("已清理，通道畅通")
    phone.locator("details[open] button.primary").click()
    phone.wait_for_load_state()
    assert phone.get_by_test_id("state").inner_text() == "已办结"
    assert "已清理，通道畅通" in phone.get_by_test_id("history").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "closed.png"), full_page=True)
    assert hosts == {"127.0.0.1"}
    assert errors == []


def test_a_report_typed_offline_is_kept_and_sent_once_when_the_network_returns(
    live_server: LiveServer,
    phone,
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    county = live_server.county
    phone.goto(f"{live_server.url}/t/changshan/login")
    phone.fill("#username", county.workers[1].username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")
    phone.goto(f"{live_server.url}/t/changshan/tasks/new")
    phone.context.set_offline(True)
    for title in ("离线一：路面塌陷", "离线二：护栏损坏"):
        phone.fill("#title", title)
        phone.get_by_role("button", name="上报").click()
        expect(phone.locator("#title")).to_have_value("")
    expect(phone.locator("[data-drafts-count]")).to_have_text("2")
    phone.context.set_offline(False)
    # A second "online" on top of the browser's own: the drafts must still go once each.
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.get_by_test_id("drafts")).to_be_hidden(timeout=10000)
    # The page is opened again (as after a weak network dropped the answers): nothing is resent.
    phone.reload()
    phone.wait_for_timeout(500)
    phone.goto(f"{live_server.url}/t/changshan/tasks?list=mine")
    titles = phone.locator("[data-testid=task-list] a.row-main").all_inner_texts()
    assert sorted(titles) == ["离线一：路面塌陷", "离线二：护栏损坏"]


def test_the_station_dispatches_a_task_to_a_grid_with_the_picker_on_a_phone(
    live_server: LiveServer,
    phone,
    tmp_path: Path,
) -> None:
    from gridgov.core.accounts.models import User
    from gridgov.core.accounts.scope import scope_of
    from gridgov.core.db import db_session, tenant_scope
    from gridgov.core.hierarchy.models import Node
    from gridgov.core.tasks import reporting, transitions

    county = live_server.county
    with live_server.app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            worker = session.get(User, county.workers[1].id)
            task, _created = reporting.report_task(
                session,
                worker,
                scope_of(session, worker),
                session.get(Node, county.grids[1].id),
                reporting.Report("矛盾纠纷", "楼上漏水", track="coordinate"),
            )
            station = session.get(User, county.station_staff.id)
            transitions.transition(session, station, scope_of(session, station), task, "accept")
            task_id = task.id
        session.commit()
        db_session.remove()

    phone.goto(f"{live_server.url}/t/changshan/login")
    phone.fill("#username", county.station_staff.username)
    phone.fill("#password", PASSWORD)
    phone.click("button.primary")
    phone.wait_for_url("**/t/changshan/")
    phone.goto(f"{live_server.url}/t/changshan/tasks/{task_id}")
    phone.get_by_test_id("action-dispatch").click()
    picker = phone.locator("details[open] select[name=target]")
    picker.select_option(label=county.grids[1].name)
    phone.locator("details[open] select[name=target_role]").select_option("grid_worker")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "dispatch.png"), full_page=True)
    phone.locator("details[open] button.primary").click()
    phone.wait_for_load_state()
    assert phone.get_by_test_id("state").inner_text() == "已交办"
    assert county.grids[1].name in phone.locator("dl.facts").inner_text()
