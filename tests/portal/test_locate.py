"""The report form suggests the grid the phone stands in: ``/tasks/locate`` answers the grid
of a position, and on a 360 px phone the form chooses it (or names another's grid)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from gridgov.core.db import db_session, tenant_scope
from gridgov.core.hierarchy import service as hierarchy
from tests.conftest import need
from tests.factories import PASSWORD
from tests.portal.conftest import login
from tests.portal.live import CHROMIUM, CHROMIUM_ARGS, PHONE, LiveServer


def square(x: float, y: float, size: float = 0.01) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def draw(app, county) -> None:
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            for index, x in ((0, 120.0), (1, 120.01)):
                grid = hierarchy.get_node(session, county.grids[index].id)  # in this session
                hierarchy.update_node(session, None, grid, boundary=square(x, 30))
        session.commit()


def test_a_position_is_answered_with_its_grid_and_whether_the_user_reports_there(
    app, client, county
):
    draw(app, county)
    login(client, "changshan", county.workers[0].username)
    mine = client.get("/t/changshan/tasks/locate?lat=30.005&lng=120.005")
    assert mine.status_code == 200
    assert mine.get_json() == {
        "id": county.grids[0].id,
        "name": county.grids[0].name,
        "reports_here": True,
    }
    theirs = client.get("/t/changshan/tasks/locate?lat=30.005&lng=120.015").get_json()
    assert (theirs["id"], theirs["reports_here"]) == (county.grids[1].id, False)
    nowhere = client.get("/t/changshan/tasks/locate?lat=30.005&lng=120.025")
    assert nowhere.status_code == 404 and "不在本县任何网格" in nowhere.get_json()["message"]
    far = client.get("/t/changshan/tasks/locate?lat=35&lng=110")
    assert far.status_code == 404 and "远在本县以外" in far.get_json()["message"]
    assert client.get("/t/changshan/tasks/locate?lat=30").status_code == 422
    assert client.get("/t/changshan/tasks/locate?lat=95&lng=120").status_code == 422


def test_locating_needs_a_login(client, county):
    assert client.get("/t/changshan/tasks/locate?lat=30&lng=120").status_code in (302, 401)


@pytest.fixture
def phone_at() -> Iterator:
    """A 360 px phone whose position the test sets (the browser's geolocation)."""
    need(os.path.exists(CHROMIUM), "Chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport=PHONE,
            locale="zh-CN",
            permissions=["geolocation"],
            geolocation={"latitude": 30.005, "longitude": 120.005},
        )
        try:
            yield context
        finally:
            context.close()
            browser.close()


@pytest.mark.browser
def test_the_report_form_chooses_the_grid_the_phone_stands_in(live_server: LiveServer, phone_at):
    county = live_server.county
    draw(live_server.app, county)
    page = phone_at.new_page()
    page.goto(f"{live_server.url}/t/changshan/login")
    page.fill("#username", county.workers[0].username)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/t/changshan/")
    page.goto(f"{live_server.url}/t/changshan/tasks/new")
    note = page.locator("[data-testid=located]")
    note.wait_for(state="visible")
    assert f"这里是{county.grids[0].name}" in note.inner_text()
    assert page.locator("[name=node]").input_value() == str(county.grids[0].id)
    assert page.locator("[name=latitude]").input_value() == "30.005000"
    # Standing in the neighbour's grid: it is named, the worker's own grid stays chosen.
    phone_at.set_geolocation({"latitude": 30.005, "longitude": 120.015})
    page.reload()
    note.wait_for(state="visible")
    assert f"另一个网格：{county.grids[1].name}" in note.inner_text()
    assert page.locator("[name=node]").input_value() == str(county.grids[0].id)
