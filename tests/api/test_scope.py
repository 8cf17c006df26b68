"""Scope: what each role may read and change through the API. Out of scope looks exactly like
another county's object (404); in scope but not the role's to change is 403."""

from __future__ import annotations

import json

import pytest

from tests.api.bearer import bearer, url


def test_a_grid_worker_sees_only_their_grid_as_root(client, county, mint):
    token = bearer(mint(county, county.workers[5]))
    response = client.get(url(county, "/nodes"), headers=token)
    assert [n["code"] for n in response.get_json()] == ["CHA-T1C0G1"]
    assert json.loads(response.headers["X-Pagination"])["total"] == 1


def test_a_grid_worker_reads_their_own_grid_with_its_breadcrumb(client, county, mint):
    token = bearer(mint(county, county.workers[0]))
    response = client.get(url(county, f"/nodes/{county.grids[0].id}"), headers=token)
    assert response.status_code == 200
    # the names above are shown as context, the nodes themselves stay out of reach
    assert [a["code"] for a in response.get_json()["ancestors"]] == ["CHA", "CHA-T0", "CHA-T0C0"]
    assert (
        client.get(url(county, f"/nodes/{county.communities[0].id}"), headers=token).status_code
        == 404
    )


@pytest.mark.parametrize(
    "path",
    [
        "/nodes/{id}",
        "/nodes/{id}/children",
        "/nodes/{id}/subtree",
        "/nodes/{id}/history",
        "/nodes/{id}/successors",
        "/nodes/{id}/as-of?at=2030-01-01T00:00:00Z",
    ],
)
def test_a_grid_worker_cannot_read_a_node_outside_their_subtree(client, county, mint, path):
    token = bearer(mint(county, county.workers[0]))
    for outside in (county.grids[1], county.communities[0], county.top, county.townships[1]):
        response = client.get(url(county, path.format(id=outside.id)), headers=token)
        assert response.status_code == 404, (path, outside.code)
        assert response.get_json()["message"] == "没有这个节点"


def test_a_grid_worker_cannot_change_a_node_outside_their_subtree(client, county, mint, admin_view):
    token = bearer(mint(county, county.workers[0]))
    neighbour = county.grids[1]
    calls = [
        ("patch", f"/nodes/{neighbour.id}", {"name": "偷改"}),
        ("post", f"/nodes/{neighbour.id}/move", {"parent_id": county.communities[1].id}),
        ("post", f"/nodes/{neighbour.id}/retire", None),
        ("post", f"/nodes/{neighbour.id}/split", {"parts": []}),
        (
            "post",
            "/nodes/merge",
            {"node_ids": [neighbour.id, county.grids[0].id], "code": "M", "name": "M"},
        ),
        ("post", "/nodes", {"parent_id": county.communities[1].id, "code": "N", "name": "N"}),
    ]
    for method, path, body in calls:
        response = getattr(client, method)(url(county, path), json=body, headers=token)
        assert response.status_code == 404, (method, path, response.get_json())
    assert admin_view(f"/nodes/{neighbour.id}")["name"] == "第0镇第0社区第1网格"
    assert admin_view(f"/nodes/{neighbour.id}")["is_retired"] is False


def test_a_grid_worker_may_not_change_even_their_own_grid(client, county, mint, admin_view):
    token = bearer(mint(county, county.workers[0]))
    response = client.patch(
        url(county, f"/nodes/{county.grids[0].id}"), json={"name": "我的网格"}, headers=token
    )
    assert response.status_code == 403
    assert "县级管理员" in response.get_json()["message"]
    assert admin_view(f"/nodes/{county.grids[0].id}")["name"] == "第0镇第0社区第0网格"


def test_township_staff_re_grid_inside_their_township(client, county, mint):
    token = bearer(mint(county, county.township_staff))
    community = county.communities[0]
    created = client.post(
        url(county, "/nodes"),
        json={"parent_id": community.id, "code": "CHA-T0C0G7", "name": "新网格"},
        headers=token,
    )
    assert created.status_code == 201
    renamed = client.patch(
        url(county, f"/nodes/{community.id}"), json={"name": "和平社区"}, headers=token
    )
    assert renamed.status_code == 200
    moved = client.post(
        url(county, f"/nodes/{county.grids[0].id}/move"),
        json={"parent_id": county.communities[1].id},
        headers=token,
    )
    assert moved.status_code == 200


def test_township_staff_may_not_change_their_township_node_itself(client, county, mint):
    token = bearer(mint(county, county.township_staff))
    response = client.patch(
        url(county, f"/nodes/{county.townships[0].id}"), json={"name": "改名镇"}, headers=token
    )
    assert response.status_code == 403


def test_township_staff_may_not_create_a_top_level_node(client, county, mint):
    token = bearer(mint(county, county.township_staff))
    response = client.post(
        url(county, "/nodes"), json={"code": "TOP2", "name": "另一个县"}, headers=token
    )
    assert response.status_code == 403


def test_township_staff_cannot_reach_the_other_township(client, county, mint):
    token = bearer(mint(county, county.township_staff))
    other_community = county.communities[2]  # in township 1
    assert client.get(url(county, f"/nodes/{other_community.id}"), headers=token).status_code == 404
    moved_out = client.post(
        url(county, f"/nodes/{county.grids[0].id}/move"),
        json={"parent_id": other_community.id},
        headers=token,
    )
    assert moved_out.status_code == 404


def test_station_staff_and_volunteers_read_but_do_not_re_grid(client, county, mint):
    for user in (county.station_staff, county.volunteer, county.supervisor):
        token = bearer(mint(county, user))
        roots = client.get(url(county, "/nodes"), headers=token).get_json()
        assert roots, user.username
        response = client.patch(
            url(county, f"/nodes/{roots[0]['id']}"), json={"name": "X"}, headers=token
        )
        assert response.status_code == 403, user.username


def test_a_supervisor_sees_the_grids_they_cover(client, county, mint):
    token = bearer(mint(county, county.supervisor))
    roots = client.get(url(county, "/nodes"), headers=token).get_json()
    assert [n["code"] for n in roots] == ["CHA-T0C0G0", "CHA-T0C0G1"]


def test_the_audit_admin_sees_the_whole_county_but_changes_nothing(client, county, mint):
    token = bearer(mint(county, county.auditor))
    assert client.get(url(county, f"/nodes/{county.grids[7].id}"), headers=token).status_code == 200
    response = client.patch(
        url(county, f"/nodes/{county.grids[7].id}"), json={"name": "X"}, headers=token
    )
    assert response.status_code == 403


def test_users_outside_the_callers_scope_are_404(client, county, mint):
    token = bearer(mint(county, county.workers[0]))
    assert (
        client.get(url(county, f"/users/{county.workers[0].id}"), headers=token).status_code == 200
    )
    for other in (county.workers[1], county.admin, county.township_staff):
        assert client.get(url(county, f"/users/{other.id}"), headers=token).status_code == 404


def test_township_staff_list_only_people_working_in_their_township(client, county, mint):
    token = bearer(mint(county, county.township_staff))
    response = client.get(url(county, "/users?page_size=100"), headers=token)
    names = {u["username"] for u in response.get_json()}
    assert names == {
        "changshan-town",
        "changshan-station",
        "changshan-super",
        "changshan-vol",
        "changshan-w0",
        "changshan-w1",
        "changshan-w2",
        "changshan-w3",
    }


def test_the_worker_of_a_merged_grid_may_look_back_at_the_grids_it_came_from(client, county, mint):
    admin = bearer(mint(county, county.admin))
    a, b = county.grids[0], county.grids[1]
    merged = client.post(
        url(county, "/nodes/merge"),
        json={"node_ids": [a.id, b.id], "code": "CHA-T0C0-M", "name": "合并网格"},
        headers=admin,
    ).get_json()
    assigned = client.put(
        url(county, f"/users/{county.workers[0].id}/assignments"),
        json={"node_ids": [merged["id"]]},
        headers=bearer(mint(county, county.security)),
    )
    assert assigned.status_code == 200
    worker = bearer(mint(county, county.workers[0]))
    old = client.get(url(county, f"/nodes/{b.id}"), headers=worker)
    assert old.status_code == 200 and old.get_json()["is_retired"] is True
    history = client.get(url(county, f"/nodes/{b.id}/history"), headers=worker).get_json()
    assert history[-1]["change"] == "merge"
    # not a licence to change it, nor to see the neighbours
    assert (
        client.patch(url(county, f"/nodes/{b.id}"), json={"name": "X"}, headers=worker).status_code
        == 403
    )
    assert (
        client.get(url(county, f"/nodes/{county.grids[2].id}"), headers=worker).status_code == 404
    )
