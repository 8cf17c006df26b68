"""The module's layer on the county's electronic map: open hazards where they were found (here,
at their site's position), by grade, linked to their pages, and a figure the areas are
coloured by; offered only where the county admitted the module."""

from __future__ import annotations

from gridgov.core.accounts.scope import scope_of
from gridgov.core.registry import service as registry
from gridgov_plugins.fire_safety import hazards
from tests.plugins.fire_safety.conftest import finding, in_county, make_county

LAYER = "fire_safety.hazards"


def file_hazards(app, county) -> dict[str, int]:
    """A major and a general hazard at a placed site of grid 0, a general one without a place
    in grid 1."""

    def work(session):
        site = registry.create_site(
            session,
            county.tenant,
            None,
            grid=county.grids[0],
            name="示例农贸市场",
            kind="market",
            latitude=30.004,
            longitude=120.004,
        )
        worker = county.workers[0]
        made = {}
        for name, grade, site_id, grid in (
            ("major", "major", site.id, county.grids[0]),
            ("general", "general", site.id, county.grids[0]),
            ("nowhere", "general", None, county.grids[1]),
        ):
            by = county.workers[1] if grid is county.grids[1] else worker
            made[name] = hazards.record_hazard(
                session, by, scope_of(session, by), grid, finding(grade=grade, site_id=site_id)
            ).id
        return made

    return in_county(app, county, work)


def test_open_hazards_stand_on_the_map_by_grade_with_a_link_to_each(app, live, as_user):
    made = file_hazards(app, live)
    client = as_user(live.admin)
    page = client.get(f"/t/changshan/map?node={live.top.id}").get_data(as_text=True)
    assert f'data-testid="map-layer-{LAYER}"' in page and "未整改火灾隐患" in page
    url = f"/t/changshan/map/points.json?layer={LAYER}&node={live.top.id}"
    points = client.get(url).get_json()["features"]
    assert sorted(p["properties"]["kind"] for p in points) == ["general", "major"]
    assert all(p["geometry"]["coordinates"] == [120.004, 30.004] for p in points)
    hrefs = {p["properties"]["href"] for p in points}
    assert hrefs == {f"/t/changshan/m/fire_safety/hazards/{made[n]}" for n in ("major", "general")}
    majors = client.get(url + "&kinds=major").get_json()["features"]
    assert [p["properties"]["id"] for p in majors] == [made["major"]]
    # The areas coloured by open hazards: all three lie in the first township's grids.
    areas = client.get(f"/t/changshan/map/areas.json?node={live.top.id}&figure={LAYER}").get_json()
    assert {f["id"]: f["properties"]["value"] for f in areas["features"]} == {
        live.townships[0].id: 3,
        live.townships[1].id: 0,
    }
    # Grid 1's worker reads no hazard of grid 0.
    worker = as_user(live.workers[1])
    theirs = worker.get(f"/t/changshan/map/points.json?layer={LAYER}&node={live.grids[1].id}")
    assert theirs.status_code == 200 and theirs.get_json()["features"] == []


def test_a_county_that_did_not_admit_the_module_has_no_hazard_layer(app, connection, as_user):
    county = make_county(app, "lishui", admitted=False)
    client = as_user(county.admin, "lishui")
    assert LAYER not in client.get("/t/lishui/map").get_data(as_text=True)
    layer = client.get(f"/t/lishui/map/points.json?layer={LAYER}")
    assert layer.status_code == 422 and "layer" in layer.get_json()["errors"]
    figure = client.get(f"/t/lishui/map/areas.json?figure={LAYER}")
    assert figure.status_code == 422 and "figure" in figure.get_json()["errors"]
