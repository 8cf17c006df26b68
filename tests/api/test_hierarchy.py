"""The hierarchy API: reading the tree, building it and re-gridding it with history."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.api.bearer import bearer, url

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01], [120.0, 30.0]]
    ],
}


@pytest.fixture
def admin(county, mint):
    return bearer(mint(county, county.admin))


def test_the_county_admin_sees_the_top_node_with_its_counts(client, county, admin):
    response = client.get(url(county, "/nodes"), headers=admin)
    assert response.status_code == 200
    (top,) = response.get_json()
    assert top["code"] == "CHA"
    assert top["level_name"] == "县"
    # 8 grid workers, the supervisor, township and station staff, the volunteer
    assert top["counts"] == {"children": 2, "grids": 8, "staff": 12}
    assert json.loads(response.headers["X-Pagination"])["total"] == 1


def test_a_node_shows_its_breadcrumb_counts_and_responsible_worker(client, county, admin):
    grid = county.grids[1]
    body = client.get(url(county, f"/nodes/{grid.id}"), headers=admin).get_json()
    assert [a["code"] for a in body["ancestors"]] == ["CHA", "CHA-T0", "CHA-T0C0"]
    assert body["level_name"] == "网格"
    assert body["responsible_worker"]["username"] == "changshan-w1"
    assert body["counts"] == {"children": 0, "grids": 1, "staff": 2}  # worker + supervisor


def test_children_are_paginated_with_an_x_pagination_header(client, county, admin):
    response = client.get(
        url(county, f"/nodes/{county.top.id}/children?page=2&page_size=1"), headers=admin
    )
    assert response.status_code == 200
    assert [n["code"] for n in response.get_json()] == ["CHA-T1"]
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 2
    assert pagination["page"] == 2
    assert pagination["total_pages"] == 2
    assert response.get_json()[0]["counts"]["grids"] == 4


def test_the_subtree_is_paged_in_path_order(client, county, admin):
    township = county.townships[0]
    response = client.get(url(county, f"/nodes/{township.id}/subtree?page_size=5"), headers=admin)
    codes = [n["code"] for n in response.get_json()]
    assert codes[:2] == ["CHA-T0", "CHA-T0C0"]
    assert len(codes) == 5
    assert json.loads(response.headers["X-Pagination"])["total"] == 7
    rest = client.get(
        url(county, f"/nodes/{township.id}/subtree?page=2&page_size=5"), headers=admin
    ).get_json()
    assert len(rest) == 2
    assert not set(codes) & {n["code"] for n in rest}


def test_a_page_larger_than_allowed_is_refused_naming_page_size(client, county, admin):
    response = client.get(url(county, "/nodes?page_size=100000"), headers=admin)
    assert response.status_code == 422
    assert "page_size" in response.get_json()["errors"]["query"]


def test_the_admin_creates_a_grid_with_a_boundary(client, county, admin):
    community = county.communities[0]
    response = client.post(
        url(county, "/nodes"),
        json={
            "parent_id": community.id,
            "code": "CHA-T0C0G9",
            "name": "新网格",
            "boundary": SQUARE,
        },
        headers=admin,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["level"] == 3
    assert body["boundary"]["type"] == "Polygon"
    assert body["responsible_worker"] is None
    children = client.get(url(county, f"/nodes/{community.id}/children"), headers=admin)
    assert "CHA-T0C0G9" in [n["code"] for n in children.get_json()]


def test_a_duplicate_code_is_a_409_naming_the_code_field(client, county, admin):
    response = client.post(
        url(county, "/nodes"),
        json={"parent_id": county.communities[0].id, "code": "CHA-T0C0G0", "name": "重复"},
        headers=admin,
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["status"] == "Conflict"
    assert body["errors"]["json"]["code"] == ["编码 CHA-T0C0G0 已被使用"]
    assert "已被使用" in response.get_data(as_text=True)  # readable, not \uXXXX escapes


@pytest.mark.parametrize(
    ("boundary", "fragment"),
    [
        ({"type": "Point", "coordinates": [120.0, 30.0]}, "Polygon"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "无效"),
        ({"type": "Polygon", "coordinates": [[[500, 0], [501, 0], [501, 1], [500, 0]]]}, "超出"),
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", "JSON 对象"),
    ],
)
def test_a_bad_geojson_boundary_is_refused_on_the_boundary_field(
    client, county, admin, boundary, fragment
):
    response = client.post(
        url(county, "/nodes"),
        json={
            "parent_id": county.communities[0].id,
            "code": "G-BAD",
            "name": "坏边界",
            "boundary": boundary,
        },
        headers=admin,
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    assert body["status"] == "Unprocessable Entity"
    (message,) = body["errors"]["json"]["boundary"]
    assert fragment in message
    # nothing was stored
    children = client.get(url(county, f"/nodes/{county.communities[0].id}/children"), headers=admin)
    assert "G-BAD" not in [n["code"] for n in children.get_json()]


def test_missing_and_unknown_fields_are_named_in_the_error(client, county, admin):
    response = client.post(url(county, "/nodes"), json={"colour": "red"}, headers=admin)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert errors["code"] == ["缺少此字段"]
    assert errors["name"] == ["缺少此字段"]
    assert errors["colour"] == ["未知字段"]


def test_a_node_below_the_lowest_level_is_refused_on_parent_id(client, county, admin):
    response = client.post(
        url(county, "/nodes"),
        json={"parent_id": county.grids[0].id, "code": "TOO-DEEP", "name": "太深"},
        headers=admin,
    )
    assert response.status_code == 422
    assert "parent_id" in response.get_json()["errors"]["json"]


def test_renaming_keeps_the_old_name_in_history_and_as_of(client, county, admin):
    grid = county.grids[0]
    before = dt.datetime.now(dt.UTC)
    response = client.patch(
        url(county, f"/nodes/{grid.id}"), json={"name": "幸福网格"}, headers=admin
    )
    assert response.status_code == 200
    assert response.get_json()["name"] == "幸福网格"
    history = client.get(url(county, f"/nodes/{grid.id}/history"), headers=admin).get_json()
    assert [(v["name"], v["change"]) for v in history] == [
        ("第0镇第0社区第0网格", "create"),
        ("幸福网格", "rename"),
    ]
    assert history[0]["valid_to"] is not None
    old = client.get(
        url(county, f"/nodes/{grid.id}/as-of"),
        query_string={"at": before.isoformat()},
        headers=admin,
    ).get_json()
    assert old["name"] == "第0镇第0社区第0网格"


def test_as_of_a_time_before_the_node_existed_is_404(client, county, admin):
    response = client.get(
        url(county, f"/nodes/{county.grids[0].id}/as-of?at=2001-01-01T00:00:00"), headers=admin
    )
    assert response.status_code == 404
    assert response.get_json()["message"] == "节点在该时间尚未建立"


def test_as_of_needs_a_valid_datetime(client, county, admin):
    response = client.get(
        url(county, f"/nodes/{county.grids[0].id}/as-of?at=yesterday"), headers=admin
    )
    assert response.status_code == 422
    assert "at" in response.get_json()["errors"]["query"]


def test_clearing_a_boundary_with_null(client, county, admin):
    grid = county.grids[0]
    client.patch(url(county, f"/nodes/{grid.id}"), json={"boundary": SQUARE}, headers=admin)
    cleared = client.patch(url(county, f"/nodes/{grid.id}"), json={"boundary": None}, headers=admin)
    assert cleared.get_json()["boundary"] is None


def test_moving_a_community_to_another_township_moves_its_grids(client, county, admin):
    community, target = county.communities[0], county.townships[1]
    before = dt.datetime.now(dt.UTC)
    response = client.post(
        url(county, f"/nodes/{community.id}/move"), json={"parent_id": target.id}, headers=admin
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["parent_id"] == target.id
    grid = client.get(url(county, f"/nodes/{county.grids[0].id}"), headers=admin).get_json()
    assert [a["code"] for a in grid["ancestors"]] == ["CHA", "CHA-T1", "CHA-T0C0"]
    subtree = client.get(url(county, f"/nodes/{target.id}/subtree"), headers=admin).get_json()
    assert "CHA-T0C0G0" in [n["code"] for n in subtree]
    # where it hung before the move is kept
    history = client.get(url(county, f"/nodes/{community.id}/history"), headers=admin).get_json()
    assert [(v["change"], v["parent_id"]) for v in history] == [
        ("create", county.townships[0].id),
        ("move", target.id),
    ]
    was = client.get(
        url(county, f"/nodes/{community.id}/as-of"),
        query_string={"at": before.isoformat()},
        headers=admin,
    ).get_json()
    assert was["parent_id"] == county.townships[0].id


def test_moving_to_a_parent_on_the_wrong_level_is_refused(client, county, admin):
    response = client.post(
        url(county, f"/nodes/{county.grids[0].id}/move"),
        json={"parent_id": county.townships[1].id},
        headers=admin,
    )
    assert response.status_code == 422
    assert "parent_id" in response.get_json()["errors"]["json"]


def test_splitting_a_community_keeps_history_and_successors(client, county, admin):
    community = county.communities[0]
    before = dt.datetime.now(dt.UTC)
    response = client.post(
        url(county, f"/nodes/{community.id}/split"),
        json={
            "parts": [
                {"code": "CHA-T0C0-N", "name": "北社区", "children": ["CHA-T0C0G0"]},
                {"code": "CHA-T0C0-S", "name": "南社区", "children": ["CHA-T0C0G1"]},
            ]
        },
        headers=admin,
    )
    assert response.status_code == 201, response.get_json()
    north, south = response.get_json()
    assert (north["code"], south["code"]) == ("CHA-T0C0-N", "CHA-T0C0-S")

    old = client.get(url(county, f"/nodes/{community.id}"), headers=admin).get_json()
    assert old["is_retired"] is True
    successors = client.get(url(county, f"/nodes/{community.id}/successors"), headers=admin)
    assert sorted(n["code"] for n in successors.get_json()) == ["CHA-T0C0-N", "CHA-T0C0-S"]
    history = client.get(url(county, f"/nodes/{community.id}/history"), headers=admin).get_json()
    assert history[-1]["change"] == "split"
    assert history[-1]["is_retired"] is True
    was = client.get(
        url(county, f"/nodes/{community.id}/as-of"),
        query_string={"at": before.isoformat()},
        headers=admin,
    ).get_json()
    assert was["is_retired"] is False and was["name"] == "第0镇第0社区"
    # the grid filed under the old community now hangs under the northern part
    grid = client.get(url(county, f"/nodes/{county.grids[0].id}"), headers=admin).get_json()
    assert grid["parent_id"] == north["id"]
    # the active tree no longer lists the old community; include_retired does
    township = county.townships[0].id
    active = client.get(url(county, f"/nodes/{township}/children"), headers=admin).get_json()
    assert "CHA-T0C0" not in [n["code"] for n in active]
    every = client.get(
        url(county, f"/nodes/{township}/children?include_retired=true"), headers=admin
    ).get_json()
    assert "CHA-T0C0" in [n["code"] for n in every]


def test_a_split_leaving_a_child_behind_is_refused_and_changes_nothing(client, county, admin):
    community = county.communities[0]
    response = client.post(
        url(county, f"/nodes/{community.id}/split"),
        json={
            "parts": [
                {"code": "P1", "name": "甲", "children": ["CHA-T0C0G0"]},
                {"code": "P2", "name": "乙"},
            ]
        },
        headers=admin,
    )
    assert response.status_code == 422
    assert "CHA-T0C0G1" in response.get_json()["errors"]["json"]["parts"][0]
    node = client.get(url(county, f"/nodes/{community.id}"), headers=admin).get_json()
    assert node["is_retired"] is False
    assert node["counts"]["children"] == 2


def test_merging_two_grids_makes_one_successor(client, county, admin):
    a, b = county.grids[0], county.grids[1]
    response = client.post(
        url(county, "/nodes/merge"),
        json={"node_ids": [a.id, b.id], "code": "CHA-T0C0-M", "name": "合并网格"},
        headers=admin,
    )
    assert response.status_code == 201, response.get_json()
    merged = response.get_json()
    assert merged["parent_id"] == county.communities[0].id
    for old in (a, b):
        successors = client.get(url(county, f"/nodes/{old.id}/successors"), headers=admin)
        assert [n["id"] for n in successors.get_json()] == [merged["id"]]
    # their grid workers were detached from the retired grids
    assert merged["responsible_worker"] is None


def test_merging_nodes_of_different_parents_is_refused(client, county, admin):
    response = client.post(
        url(county, "/nodes/merge"),
        json={"node_ids": [county.grids[0].id, county.grids[2].id], "code": "X", "name": "X"},
        headers=admin,
    )
    assert response.status_code == 422
    assert "node_ids" in response.get_json()["errors"]["json"]


def test_retiring_a_grid_detaches_its_worker_and_keeps_the_node(client, county, admin):
    grid = county.grids[3]
    response = client.post(url(county, f"/nodes/{grid.id}/retire"), headers=admin)
    assert response.status_code == 200
    assert response.get_json()["is_retired"] is True
    assert response.get_json()["responsible_worker"] is None
    again = client.patch(url(county, f"/nodes/{grid.id}"), json={"name": "再改"}, headers=admin)
    assert again.status_code == 422


def test_retiring_a_node_with_children_is_refused(client, county, admin):
    response = client.post(url(county, f"/nodes/{county.townships[0].id}/retire"), headers=admin)
    assert response.status_code == 422
    assert response.get_json()["message"].startswith("该节点下还有下级节点")


def test_every_change_is_in_the_audit_log(client, county, admin, mint):
    client.patch(
        url(county, f"/nodes/{county.grids[0].id}"), json={"name": "审计网格"}, headers=admin
    )
    events = client.get(
        url(county, "/audit"),
        query_string={"object_type": "node", "object_id": str(county.grids[0].id)},
        headers=bearer(mint(county, county.auditor)),
    ).get_json()
    assert events[0]["action"] == "node.update"
    assert events[0]["after"]["name"] == "审计网格"
    assert events[0]["actor_name"].endswith("(changshan-admin)")
