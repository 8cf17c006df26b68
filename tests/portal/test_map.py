"""The electronic map: a node's children as outlines with a figure (their own boundaries or,
for a township or community without one, the union of its grids'), open tasks as points or
clusters within what the user reads, the county's tile server, and the page without script."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import shapely.geometry
from sqlalchemy import func, select, update

from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.hierarchy import drafts
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.maps import service as maps
from gridgov.core.tasks import reporting
from gridgov.core.tasks.models import Task
from gridgov.core.tenancy.models import Tenant
from tests.conftest import need
from tests.factories import PASSWORD
from tests.portal.conftest import csrf_token, login
from tests.portal.live import CHROMIUM, CHROMIUM_ARGS, PHONE, LiveServer


def square(x: float, y: float, size: float = 0.01) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def grid_corner(index: int) -> tuple[float, float]:
    return 120.0 + 0.01 * index, 30.0


def draw_and_report(app, county, tasks_per_grid: dict[int, int]) -> None:
    """Every grid a square in a row; ``tasks_per_grid[i]`` open tasks at the middle of grid i,
    reported by that grid's worker."""
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            for index, grid in enumerate(county.grids):
                node = hierarchy.get_node(session, grid.id)
                hierarchy.update_node(session, None, node, boundary=square(*grid_corner(index)))
            for index, count in tasks_per_grid.items():
                worker = county.workers[index]
                x, y = grid_corner(index)
                for n in range(count):
                    reporting.report_task(
                        session,
                        worker,
                        scope_of(session, worker),
                        hierarchy.get_node(session, county.grids[index].id),
                        reporting.Report(
                            category="民生事项",
                            title=f"井盖破损 {index}-{n}",
                            latitude=y + 0.005,
                            longitude=x + 0.001 + n * 0.0001,
                        ),
                    )
        session.commit()


def test_the_county_shows_its_townships_outlined_by_their_grids_with_the_figure(
    app, client, county
):
    draw_and_report(app, county, {0: 3, 1: 1, len(county.grids) - 1: 2})
    login(client, "changshan", county.admin.username)
    answer = client.get(f"/t/changshan/map/areas.json?node={county.top.id}&zoom=14")
    assert answer.status_code == 200
    collection = answer.get_json()
    assert collection["figure"]["name"] == "open_tasks"
    by_id = {f["id"]: f for f in collection["features"]}
    assert set(by_id) == {t.id for t in county.townships}
    first, last = county.townships
    assert by_id[first.id]["properties"]["value"] == 4
    assert by_id[last.id]["properties"]["value"] == 2
    # No township has a boundary of its own: each is the union of its grids' squares.
    half = len(county.grids) // len(county.townships)
    outline = shapely.geometry.shape(by_id[first.id]["geometry"])
    expected = shapely.union_all(
        [shapely.geometry.shape(square(*grid_corner(i))) for i in range(half)]
    )
    assert outline.symmetric_difference(expected).area < 1e-8


def test_a_grid_shows_itself_and_the_people_figure_counts(app, client, county):
    draw_and_report(app, county, {})
    login(client, "changshan", county.admin.username)
    grid = county.grids[0]
    collection = client.get(f"/t/changshan/map/areas.json?node={grid.id}&figure=people").get_json()
    assert [f["id"] for f in collection["features"]] == [grid.id]
    assert collection["features"][0]["geometry"]["type"] == "Polygon"
    bad = client.get(f"/t/changshan/map/areas.json?node={grid.id}&figure=nonsense")
    assert bad.status_code == 422 and "figure" in bad.get_json()["errors"]


def test_tasks_come_as_points_then_as_clusters_and_only_those_the_user_reads(
    app, client, county, monkeypatch
):
    draw_and_report(app, county, {0: 3, 1: 2})
    login(client, "changshan", county.admin.username)
    url = f"/t/changshan/map/points.json?layer=tasks&node={county.top.id}&zoom=14"
    points = client.get(url).get_json()["features"]
    assert len(points) == 5 and {p["properties"]["kind"] for p in points} == {"none"}
    assert all("count" not in p["properties"] for p in points)
    monkeypatch.setattr(maps, "MAX_POINTS", 2)
    clusters = client.get(url.replace("zoom=14", "zoom=5")).get_json()["features"]
    assert sum(c["properties"]["count"] for c in clusters) == 5
    # Only the view: grid 1's tasks lie east of 120.01.
    in_view = client.get(url + "&bbox=119.9,29.9,120.0099,30.1").get_json()["features"]
    assert sum(c["properties"].get("count", 1) for c in in_view) == 3
    assert client.get(url + "&bbox=1,2,3").status_code == 422
    # Grid 1's worker reads their own grid's tasks only.
    client = app.test_client()
    login(client, "changshan", county.workers[1].username)
    monkeypatch.setattr(maps, "MAX_POINTS", 500)
    own = client.get(
        f"/t/changshan/map/points.json?layer=tasks&node={county.grids[1].id}"
    ).get_json()
    assert len(own["features"]) == 2
    assert (
        client.get(
            f"/t/changshan/map/points.json?layer=tasks&node={county.grids[0].id}"
        ).status_code
        == 404
    )


def test_red_cards_colour_the_figure_and_the_points(app, client, county):
    draw_and_report(app, county, {0: 2})
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            first = session.scalars(Task.__table__.select().order_by(Task.id)).first()
            session.execute(update(Task).where(Task.id == first).values(card="red"))
        session.commit()
    login(client, "changshan", county.admin.username)
    areas = client.get(
        f"/t/changshan/map/areas.json?node={county.top.id}&figure=red_cards"
    ).get_json()
    assert {f["id"]: f["properties"]["value"] for f in areas["features"]} == {
        county.townships[0].id: 1,
        county.townships[1].id: 0,
    }
    points = client.get(f"/t/changshan/map/points.json?layer=tasks&node={county.top.id}").get_json()
    assert sorted(p["properties"]["kind"] for p in points["features"]) == ["none", "red"]


def test_the_page_lists_the_figures_and_allows_the_county_tile_server(app, client, county):
    draw_and_report(app, county, {0: 1})
    login(client, "changshan", county.admin.username)
    page = client.get("/t/changshan/map")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="map-table"' in html and county.townships[0].name in html
    assert "未设置底图" in html and "data-tile-url" not in html
    assert "img-src 'self' data:;" in page.headers["Content-Security-Policy"]
    with app.app_context():
        session = db_session()
        tenant = session.get(Tenant, county.tenant.id)
        tenant.settings = {
            **(tenant.settings or {}),
            "map": {"tile_url": "http://tiles.gov.example/{z}/{x}/{y}.png", "center": [120, 30]},
        }
        session.commit()
    page = client.get("/t/changshan/map")
    html = page.get_data(as_text=True)
    assert 'data-tile-url="http://tiles.gov.example/{z}/{x}/{y}.png"' in html
    assert 'data-center="120,30"' in html
    assert (
        "img-src 'self' data: http://tiles.gov.example;" in page.headers["Content-Security-Policy"]
    )


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"tile_url": "javascript:alert(1)//{z}{x}{y}"}, ("tile_url",)),
        ({"tile_url": "http://tiles/{z}/{x}.png"}, ("tile_url",)),
        ({"zoom": 40}, ("zoom",)),
        ({"center": [200, 30]}, ("center",)),
        ({"colour": "red"}, ("colour",)),
    ],
)
def test_a_bad_map_setting_is_named(value, field):
    assert [path for path, _message in maps.setting_problems(value)] == [field]
    assert maps.setting_problems({"tile_url": "/tiles/{z}/{x}/{y}.png", "zoom": 13}) == []


def test_the_map_is_not_for_the_security_administrator(client, county, as_security):
    assert as_security.get("/t/changshan/map").status_code == 403
    assert as_security.get("/t/changshan/map/points.json").status_code == 403


@pytest.fixture
def offline_phone() -> Iterator:
    """A 360 px phone whose every request to anywhere but the test server is refused (the
    county intranet without the internet); the refused addresses are kept for the test."""
    need(os.path.exists(CHROMIUM), "Chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        context.refused = []

        def only_ours(route) -> None:
            if route.request.url.startswith(("http://127.0.0.1", "http://localhost")):
                route.continue_()
            else:
                context.refused.append(route.request.url)
                route.abort()

        context.route("**/*", only_ours)
        try:
            yield context
        finally:
            context.close()
            browser.close()


def logged_in_as_admin(page, live_server: LiveServer) -> list[str]:
    """Log the page in as the county admin; the script errors it meets from then on."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/t/changshan/login")
    page.fill("#username", live_server.county.admin.username)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/t/changshan/")
    return errors


@pytest.mark.browser
def test_the_map_draws_the_boundaries_with_no_network(live_server: LiveServer, offline_phone):
    county = live_server.county
    draw_and_report(live_server.app, county, {0: 2})
    page = offline_phone.new_page()
    errors = logged_in_as_admin(page, live_server)
    page.goto(f"{live_server.url}/t/changshan/map")
    page.wait_for_selector("#map[data-drawn]", state="attached")
    assert page.locator("#map").get_attribute("data-drawn") == str(len(county.townships))
    outlines = page.locator("#map .leaflet-overlay-pane path.leaflet-interactive")
    assert outlines.count() >= len(county.townships)
    labels = page.locator("#map .area-label").all_inner_texts()
    assert any(county.townships[0].name in label for label in labels)
    page.wait_for_function(
        "document.querySelectorAll('#map .leaflet-overlay-pane path').length > 2"
    )  # the two task points, drawn as circles over the outlines
    box = page.locator("#map").bounding_box()
    assert box is not None and box["width"] <= 360
    # One level down: the township's communities.
    page.locator("#map .leaflet-overlay-pane path.leaflet-interactive").first.click()
    page.wait_for_url(f"**/map?node={county.townships[0].id}*")
    page.wait_for_selector("#map[data-drawn]", state="attached")
    # A task's page: its point within its grid's outline.
    page.locator("#map .leaflet-interactive").last.wait_for(state="attached")
    task = page.evaluate(
        "fetch(document.getElementById('map').dataset.points).then(r => r.json())"
    )["features"][0]["properties"]["id"]
    page.goto(f"{live_server.url}/t/changshan/tasks/{task}")
    page.wait_for_selector("#task-map[data-ready]", state="attached")
    assert page.locator("#task-map path.leaflet-interactive").count() == 1  # the point
    assert errors == [] and offline_phone.refused == []


@pytest.mark.browser
def test_layers_are_switched_on_and_filtered_by_kind_with_no_network(
    live_server: LiveServer, offline_phone
):
    county = live_server.county
    draw_and_report(live_server.app, county, {0: 1})
    add_sites(live_server.app, county)
    # The module's server is shared: earlier tests' open tasks are on the map too.
    with live_server.app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            located = session.scalar(
                select(func.count())
                .select_from(Task)
                .where(Task.is_open, Task.latitude.is_not(None))
            )
    page = offline_phone.new_page()
    errors = logged_in_as_admin(page, live_server)
    page.goto(f"{live_server.url}/t/changshan/map")
    tasks = page.locator('.map-layer[data-layer="tasks"]')
    sites = page.locator('.map-layer[data-layer="key_sites"]')
    tasks.and_(page.locator("[data-drawn]")).wait_for(state="attached")
    assert 1 <= located < maps.MAX_POINTS  # so each task is its own marker
    assert tasks.get_attribute("data-drawn") == str(located)
    assert sites.get_attribute("data-drawn") is None
    page.check('[data-testid="map-layer-key_sites"]')
    sites.and_(page.locator('[data-drawn="2"]')).wait_for(state="attached")
    page.uncheck('[data-testid="map-kind-key_sites-shop"]')
    sites.and_(page.locator('[data-drawn="1"]')).wait_for(state="attached")
    # The school's popup leads to its page.
    page.uncheck('[data-testid="map-layer-tasks"]')
    page.wait_for_function(
        "document.querySelectorAll('#map .leaflet-overlay-pane path').length"
        f" === {len(county.townships)} + 1"
    )
    page.locator("#map .leaflet-overlay-pane path.leaflet-interactive").last.click()
    link = page.locator(".leaflet-popup-content a")
    assert link.inner_text() == "示例小学" and "/t/changshan/sites/" in link.get_attribute("href")
    assert errors == [] and offline_phone.refused == []


def edit(client, node_id: int, **data: str):
    page = client.get(f"/t/changshan/map/edit/{node_id}")
    assert page.status_code == 200
    return client.post(
        f"/t/changshan/map/edit/{node_id}",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data},
    )


def test_a_drawn_boundary_is_a_draft_until_published_then_a_new_version(app, client, county):
    import json

    draw_and_report(app, county, {})
    grid = county.grids[0]
    login(client, "changshan", county.admin.username)
    moved = square(120.0, 30.0, 0.02)
    assert edit(client, grid.id, action="save", boundary=json.dumps(moved)).status_code == 302
    page = client.get(f"/t/changshan/map/edit/{grid.id}").get_data(as_text=True)
    assert 'data-testid="draft-note"' in page and "120.02" in page
    # Everyone else still sees, and locate still uses, the published boundary.
    assert client.get("/t/changshan/tasks/locate?lat=30.015&lng=120.005").status_code == 404
    areas = client.get(f"/t/changshan/map/areas.json?node={grid.id}").get_json()
    assert shapely.geometry.shape(areas["features"][0]["geometry"]).equals(
        shapely.geometry.shape(square(120.0, 30.0))
    )
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            versions_before = len(hierarchy.history(session, hierarchy.get_node(session, grid.id)))
    assert edit(client, grid.id, action="publish").status_code == 302
    located = client.get("/t/changshan/tasks/locate?lat=30.015&lng=120.005")
    assert located.status_code == 200 and located.get_json()["id"] == grid.id
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            node = hierarchy.get_node(session, grid.id)
            history = hierarchy.history(session, node)
            assert len(history) == versions_before + 1
            assert shapely.geometry.shape(node.boundary).equals(shapely.geometry.shape(moved))
            assert drafts.draft_of(session, node) is None
    # Nothing left to publish or discard.
    assert 'data-testid="publish"' not in client.get(f"/t/changshan/map/edit/{grid.id}").get_data(
        as_text=True
    )


def test_a_bad_drawing_is_shown_again_with_its_problem_and_the_draft_kept(app, client, county):
    import json

    draw_and_report(app, county, {})
    grid = county.grids[0]
    login(client, "changshan", county.admin.username)
    edit(client, grid.id, action="save", boundary=json.dumps(square(120.0, 30.0, 0.015)))
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[120, 30], [120.01, 30.01], [120.01, 30], [120, 30.01], [120, 30]]],
    }
    for typed, words in ((json.dumps(bowtie), "无效"), ("{not json", "GeoJSON"), ("", "画出")):
        answer = edit(client, grid.id, action="save", boundary=typed)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422 and 'data-testid="boundary-error"' in html
        assert words in html
    page = client.get(f"/t/changshan/map/edit/{grid.id}").get_data(as_text=True)
    assert "120.015" in page  # the saved draft is still there
    assert edit(client, grid.id, action="discard").status_code == 302
    assert 'data-testid="draft-note"' not in client.get(
        f"/t/changshan/map/edit/{grid.id}"
    ).get_data(as_text=True)


def test_only_those_who_may_re_grid_draw_boundaries(app, client, county):
    login(client, "changshan", county.workers[0].username)
    assert client.get(f"/t/changshan/map/edit/{county.grids[0].id}").status_code == 403
    township = app.test_client()
    login(township, "changshan", county.township_staff.username)
    assert township.get(f"/t/changshan/map/edit/{county.townships[0].id}").status_code == 403
    assert township.get(f"/t/changshan/map/edit/{county.grids[0].id}").status_code == 200
    assert township.get(f"/t/changshan/map/edit/{county.grids[-1].id}").status_code == 404


@pytest.mark.browser
def test_a_boundary_is_drawn_by_clicks_and_moved_by_dragging_a_vertex(
    live_server: LiveServer, offline_phone
):
    import json

    county = live_server.county
    draw_and_report(live_server.app, county, {})
    with live_server.app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            hierarchy.update_node(
                session, None, hierarchy.get_node(session, county.grids[1].id), boundary=None
            )
        session.commit()
    page = offline_phone.new_page()
    page.set_viewport_size({"width": 800, "height": 900})  # an admin's desk
    errors = logged_in_as_admin(page, live_server)
    page.goto(f"{live_server.url}/t/changshan/map/edit/{county.grids[1].id}")
    page.wait_for_load_state("load")
    assert errors == []
    page.wait_for_selector("#map[data-ready]", state="attached")
    box = page.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-60, -60), (60, -60), (60, 60), (-60, 60)):
        page.mouse.click(x + dx, y + dy)
    drawn = json.loads(page.locator("#boundary").input_value())
    assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 5
    # Drag the first vertex 40 px to the left.
    page.mouse.move(x - 60, y - 60)
    page.mouse.down()
    page.mouse.move(x - 80, y - 60, steps=4)
    page.mouse.move(x - 100, y - 60, steps=4)
    page.mouse.up()
    moved = json.loads(page.locator("#boundary").input_value())
    assert moved["coordinates"][0][0][0] < drawn["coordinates"][0][0][0]
    assert moved["coordinates"][0][1] == drawn["coordinates"][0][1]
    page.click("[data-testid=save-draft]")
    page.wait_for_selector("[data-testid=draft-note]")
    assert errors == [] and offline_phone.refused == []


def test_the_resident_notice_board_draws_the_grid_outline(app, client, county):
    board = client.get(f"/t/changshan/public/grids/{county.grids[0].code}").get_data(as_text=True)
    assert 'data-testid="grid-outline"' not in board  # no boundary yet: nothing drawn
    draw_and_report(app, county, {})
    board = client.get(f"/t/changshan/public/grids/{county.grids[0].code}").get_data(as_text=True)
    assert 'data-testid="grid-outline"' in board
    outline = maps.outline_svg(square(120.0, 30.0))
    assert outline is not None and outline.d.count("L") == 3 and outline.d.endswith("Z")
    assert f'd="{outline.d}"' in board
    # North is up: the square's north-west corner is drawn at the top left.
    assert outline.d.startswith("M0.0,") and "L0.0,0.0" in outline.d


def test_a_worker_s_patrols_of_a_day_for_those_who_check_on_them(app, client, county):
    from gridgov.core.tasks import worker_day

    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            worker = county.workers[0]
            grid = hierarchy.get_node(session, county.grids[0].id)
            for n, place in enumerate(("幸福路口", "菜市场")):
                worker_day.check_in(
                    session,
                    worker,
                    scope_of(session, worker),
                    grid,
                    place=place,
                    latitude=30.001 + n * 0.001,
                    longitude=120.001,
                )
            worker_day.check_in(session, worker, scope_of(session, worker), grid, place="无定位")
        session.commit()
    login(client, "changshan", county.station_staff.username)
    page = client.get("/t/changshan/map").get_data(as_text=True)
    assert 'data-testid="map-worker"' in page and county.workers[0].name in page
    url = f"/t/changshan/map/patrols.json?worker={county.workers[0].id}"
    collection = client.get(url).get_json()
    points = [f for f in collection["features"] if f["geometry"]["type"] == "Point"]
    assert [p["properties"]["place"] for p in points] == ["幸福路口", "菜市场"]
    assert [p["properties"]["order"] for p in points] == [1, 2]
    route = [f for f in collection["features"] if f["geometry"]["type"] == "LineString"]
    assert len(route) == 1 and len(route[0]["geometry"]["coordinates"]) == 2
    assert client.get(url + "&day=2020-01-01").get_json()["features"] == []
    assert client.get(url + "&day=yesterday").status_code == 422
    # A worker outside the station's community is nobody it may follow.
    assert (
        client.get(f"/t/changshan/map/patrols.json?worker={county.workers[-1].id}").status_code
        == 404
    )
    worker_client = app.test_client()
    login(worker_client, "changshan", county.workers[0].username)
    assert worker_client.get(url).status_code == 403
    assert 'data-testid="map-worker"' not in worker_client.get("/t/changshan/map").get_data(
        as_text=True
    )


def test_a_task_page_shows_where_the_task_was_reported_in_its_grid(app, client, county):
    draw_and_report(app, county, {0: 1})
    login(client, "changshan", county.admin.username)
    point = client.get(f"/t/changshan/map/points.json?layer=tasks&node={county.top.id}").get_json()
    task_id = point["features"][0]["properties"]["id"]
    page = client.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    assert 'data-testid="task-map"' in page and 'data-point="30.005,120.001"' in page
    assert "120.01" in page  # the grid's outline goes with it
    assert "js/task-map.js" in page


def test_the_patrol_picker_offers_the_workers_of_the_node_shown_and_not_a_county_s_all(
    client, county, monkeypatch
):
    from gridgov.portal import maps as portal_maps

    login(client, "changshan", county.admin.username)
    page = client.get(f"/t/changshan/map?node={county.grids[0].id}").get_data(as_text=True)
    assert county.workers[0].name in page and county.workers[1].name not in page
    monkeypatch.setattr(portal_maps, "MAX_WORKER_CHOICES", 1)
    page = client.get(f"/t/changshan/map?node={county.top.id}").get_data(as_text=True)
    assert 'data-testid="map-worker"' not in page


def add_sites(app, county) -> dict[str, int]:
    """Key sites in grids 0 and 1 with a position, one without, and an ordinary site."""
    from gridgov.core.registry import service as registry

    made = {}
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            for name, grid, kind, is_key, where in (
                ("示例小学", 0, "school", True, (30.005, 120.005)),
                ("示例商铺", 1, "shop", True, (30.005, 120.015)),
                ("示例医院", 1, "hospital", True, (None, None)),
                ("示例小店", 1, "shop", False, (30.006, 120.016)),
            ):
                made[name] = registry.create_site(
                    session,
                    county.tenant,
                    None,
                    grid=hierarchy.get_node(session, county.grids[grid].id),
                    name=name,
                    kind=kind,
                    is_key=is_key,
                    latitude=where[0],
                    longitude=where[1],
                ).id
        session.commit()
    return made


def test_key_sites_stand_on_the_map_by_kind_within_the_user_s_scope(app, client, county):
    draw_and_report(app, county, {})
    sites = add_sites(app, county)
    login(client, "changshan", county.admin.username)
    page = client.get(f"/t/changshan/map?node={county.top.id}").get_data(as_text=True)
    assert 'data-testid="map-layer-key_sites"' in page and "重点单位场所" in page
    assert 'data-testid="map-kind-key_sites-school"' in page
    url = f"/t/changshan/map/points.json?layer=key_sites&node={county.top.id}"
    points = client.get(url).get_json()["features"]
    by_title = {p["properties"]["title"]: p for p in points}
    assert set(by_title) == {"示例小学", "示例商铺"}  # not the one without a place, not a shop
    school = by_title["示例小学"]
    assert school["geometry"]["coordinates"] == [120.005, 30.005]
    assert school["properties"]["kind"] == "school"
    assert school["properties"]["href"] == f"/t/changshan/sites/{sites['示例小学']}"
    only_shops = client.get(url + "&kinds=shop").get_json()["features"]
    assert [p["properties"]["title"] for p in only_shops] == ["示例商铺"]
    bad = client.get(url + "&kinds=shop,castle")
    assert bad.status_code == 422 and "kinds" in bad.get_json()["errors"]
    unknown = client.get(f"/t/changshan/map/points.json?layer=castles&node={county.top.id}")
    assert unknown.status_code == 422 and "layer" in unknown.get_json()["errors"]
    # Grid 1's worker: their own grid's key site only.
    worker = app.test_client()
    login(worker, "changshan", county.workers[1].username)
    own = worker.get(f"/t/changshan/map/points.json?layer=key_sites&node={county.grids[1].id}")
    assert [p["properties"]["title"] for p in own.get_json()["features"]] == ["示例商铺"]


def test_many_key_sites_come_as_clusters_counted_by_kind(app, client, county, monkeypatch):
    draw_and_report(app, county, {})
    add_sites(app, county)
    monkeypatch.setattr(maps, "MAX_POINTS", 1)
    login(client, "changshan", county.admin.username)
    url = f"/t/changshan/map/points.json?layer=key_sites&node={county.top.id}&zoom=3"
    clusters = client.get(url).get_json()["features"]
    assert [c["properties"] for c in clusters] == [{"count": 2, "kinds": {"school": 1, "shop": 1}}]


def test_a_site_gets_a_position_on_its_page_and_bad_coordinates_are_marked(app, client, county):
    sites = add_sites(app, county)
    login(client, "changshan", county.admin.username)
    url = f"/t/changshan/sites/{sites['示例医院']}"
    page = client.get(url).get_data(as_text=True)
    assert "未标注" in page
    token = csrf_token(page)
    refused = client.post(
        url + "/position", data={"csrf_token": token, "latitude": "95", "longitude": "120"}
    )
    assert refused.status_code == 422 and "纬度须在 -90 到 90 之间" in refused.get_data(
        as_text=True
    )
    one = client.post(url + "/position", data={"csrf_token": token, "latitude": "30.01"})
    assert one.status_code == 422 and "经度和纬度须同时填写" in one.get_data(as_text=True)
    saved = client.post(
        url + "/position",
        data={"csrf_token": token, "latitude": "30.0055", "longitude": "120.0155"},
    )
    assert saved.status_code == 302
    assert "30.0055" in client.get(url).get_data(as_text=True)
    points = client.get(
        f"/t/changshan/map/points.json?layer=key_sites&node={county.top.id}&kinds=hospital"
    ).get_json()["features"]
    assert [p["properties"]["title"] for p in points] == ["示例医院"]
    # The supervisor (督导) reads the site but does not place it.
    supervisor = app.test_client()
    login(supervisor, "changshan", county.supervisor.username)
    shown = supervisor.get(url)
    assert shown.status_code == 200 and "标注位置" not in shown.get_data(as_text=True)


def stored_outlines(app, county) -> dict[int, str]:
    from sqlalchemy import select

    from gridgov.core.maps.models import NodeOutline

    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            rows = session.execute(select(NodeOutline.node_id, NodeOutline.stamp)).all()
    return dict(rows)


def test_merged_outlines_are_kept_for_other_processes_until_the_boundaries_change(
    app, client, county, monkeypatch
):
    draw_and_report(app, county, {})
    login(client, "changshan", county.admin.username)
    url = f"/t/changshan/map/areas.json?node={county.top.id}&zoom=12"
    first = client.get(url).get_json()
    kept = stored_outlines(app, county)
    assert set(kept) == {t.id for t in county.townships}
    # Another process (an empty cache) reads them instead of merging the grids again.
    maps._cache.clear()

    def no_merging(shapes):
        raise AssertionError("merged again")

    monkeypatch.setattr(maps, "_union", no_merging)
    assert client.get(url).get_json()["features"] == first["features"]
    # A grid's new boundary: the stored outlines are of older boundaries, merged again.
    monkeypatch.undo()
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            grid = hierarchy.get_node(session, county.grids[0].id)
            hierarchy.update_node(session, None, grid, boundary=square(119.99, 30.0))
        session.commit()
    moved = client.get(url).get_json()
    assert moved["features"] != first["features"]
    again = stored_outlines(app, county)
    assert set(again) == set(kept) and set(again.values()) != set(kept.values())


def test_publishing_a_boundary_merges_the_county_map_s_outlines_at_once(app, client, county):
    draw_and_report(app, county, {})
    login(client, "changshan", county.admin.username)
    grid = county.grids[0]
    url = f"/t/changshan/map/edit/{grid.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    boundary = json_text(square(119.99, 30.0))
    assert client.post(url, data={"csrf_token": token, "boundary": boundary}).status_code == 302
    assert stored_outlines(app, county) == {}
    published = client.post(url, data={"csrf_token": token, "action": "publish"})
    assert published.status_code == 302
    assert set(stored_outlines(app, county)) == {t.id for t in county.townships}


def json_text(value) -> str:
    import json

    return json.dumps(value)
