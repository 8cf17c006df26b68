"""Location picks the grid: ``GET /nodes/locate`` answers the basic grid whose boundary holds a
point, with its path, from an R-tree that follows every boundary change."""

from __future__ import annotations

import pytest

from gridgov.core.db import db_session, tenant_scope
from gridgov.core.hierarchy import locate as locating
from gridgov.core.hierarchy import service as hierarchy
from tests.api.bearer import bearer, url


def square(x: float, y: float, size: float = 0.01) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def draw(county, boundaries: dict[int, dict]) -> None:
    """Give the county's grids (by index) these boundaries."""
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        for index, boundary in boundaries.items():
            grid = hierarchy.get_node(session, county.grids[index].id)  # in this session
            hierarchy.update_node(session, None, grid, boundary=boundary)
    session.commit()


@pytest.fixture
def drawn(county):
    draw(county, {0: square(120.0, 30.0), 1: square(120.01, 30.0)})
    return county


def test_a_point_is_answered_with_its_grid_and_path(client, drawn, mint):
    admin = bearer(mint(drawn, drawn.admin))
    response = client.get(url(drawn, "/nodes/locate?lat=30.005&lng=120.005"), headers=admin)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["grid"]["code"] == drawn.grids[0].code
    assert [n["code"] for n in body["path"]] == [
        drawn.top.code,
        drawn.townships[0].code,
        drawn.communities[0].code,
        drawn.grids[0].code,
    ]
    assert body["in_scope"] is True
    assert "boundary" not in body["grid"]


def test_a_neighbours_grid_is_named_but_not_in_the_callers_scope(client, drawn, mint):
    worker = bearer(mint(drawn, drawn.workers[0]))
    body = client.get(url(drawn, "/nodes/locate?lat=30.005&lng=120.015"), headers=worker).get_json()
    assert (body["grid"]["code"], body["in_scope"]) == (drawn.grids[1].code, False)


def test_a_point_outside_every_grid_is_404_with_a_message(client, drawn, mint):
    admin = bearer(mint(drawn, drawn.admin))
    near = client.get(url(drawn, "/nodes/locate?lat=30.005&lng=120.025"), headers=admin)
    assert near.status_code == 404
    assert "不在本县任何网格的边界内" in near.get_json()["message"]
    far = client.get(url(drawn, "/nodes/locate?lat=0&lng=0"), headers=admin)  # a phone's default
    assert far.status_code == 404 and "远在本县以外" in far.get_json()["message"]


@pytest.mark.parametrize(
    ("query", "field"), [("lat=91&lng=120", "lat"), ("lat=30&lng=-181", "lng"), ("lat=30", "lng")]
)
def test_coordinates_off_the_earth_or_missing_are_refused_by_field(
    client, drawn, mint, query, field
):
    admin = bearer(mint(drawn, drawn.admin))
    response = client.get(url(drawn, f"/nodes/locate?{query}"), headers=admin)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]


def test_a_new_boundary_moves_the_answer_at_once(client, drawn, mint):
    admin = bearer(mint(drawn, drawn.admin))
    where = url(drawn, "/nodes/locate?lat=30.005&lng=120.005")
    assert client.get(where, headers=admin).get_json()["grid"]["code"] == drawn.grids[0].code
    changed = client.patch(
        url(drawn, f"/nodes/{drawn.grids[0].id}"),
        json={"boundary": square(121.0, 31.0)},
        headers=admin,
    )
    assert changed.status_code == 200
    draw(drawn, {1: square(120.0, 30.0, size=0.02)})
    assert client.get(where, headers=admin).get_json()["grid"]["code"] == drawn.grids[1].code


def test_anothers_grid_at_the_same_place_is_never_answered(client, drawn, other, mint):
    draw(other, {0: square(120.0, 30.0)})
    theirs = bearer(mint(other, other.admin))
    body = client.get(url(other, "/nodes/locate?lat=30.005&lng=120.005"), headers=theirs)
    assert body.get_json()["grid"]["code"] == other.grids[0].code
    mine = bearer(mint(drawn, drawn.admin))
    body = client.get(url(drawn, "/nodes/locate?lat=30.005&lng=120.005"), headers=mine)
    assert body.get_json()["grid"]["code"] == drawn.grids[0].code


def test_a_point_near_the_county_counts_as_its_area_and_a_far_one_not(app, drawn):
    with app.app_context():
        session = db_session()
        with tenant_scope(session, drawn.tenant.id):
            assert locating.in_county_area(session, 30.005, 120.035)  # 2.5 km east: near
            assert not locating.in_county_area(session, 0.0, 0.0)  # a phone's default


def test_a_report_without_a_grid_is_placed_by_its_coordinates(client, drawn, mint):
    worker = bearer(mint(drawn, drawn.workers[0]))
    body = {"category": "民生事项", "title": "路灯不亮", "latitude": 30.005, "longitude": 120.005}
    response = client.post(url(drawn, "/tasks"), json=body, headers=worker)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["node_id"] == drawn.grids[0].id


def test_a_report_placed_outside_the_reporters_grids_or_any_grid_is_refused(client, drawn, mint):
    worker = bearer(mint(drawn, drawn.workers[0]))
    body = {"category": "民生事项", "title": "路灯不亮", "latitude": 30.005, "longitude": 120.015}
    neighbours = client.post(url(drawn, "/tasks"), json=body, headers=worker)
    assert neighbours.status_code == 422
    assert "不在你的管辖范围内" in neighbours.get_json()["errors"]["json"]["latitude"][0]
    nowhere = client.post(
        url(drawn, "/tasks"), json={**body, "latitude": 35.0, "longitude": 110.0}, headers=worker
    )
    assert nowhere.status_code == 422
    assert "请选择网格" in nowhere.get_json()["errors"]["json"]["latitude"][0]
    unplaced = client.post(
        url(drawn, "/tasks"), json={"category": "民生事项", "title": "路灯不亮"}, headers=worker
    )
    assert unplaced.status_code == 422 and "node_id" in unplaced.get_json()["errors"]["json"]


def test_the_hotlines_case_with_coordinates_lands_in_its_grid(client, drawn, mint):
    hotline = bearer(mint(drawn, drawn.admin, scopes=["tasks:intake"]))
    body = {
        "external_id": "12345-2026-007",
        "category": "社情民意",
        "title": "噪音扰民",
        "latitude": 30.005,
        "longitude": 120.015,
    }
    response = client.post(url(drawn, "/tasks/intake"), json=body, headers=hotline)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["node_id"] == drawn.grids[1].id
