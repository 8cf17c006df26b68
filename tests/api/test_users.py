"""The accounts API: listing staff, creating and changing accounts, assigning nodes."""

from __future__ import annotations

import json

import pytest

from tests.api.bearer import bearer, url
from tests.factories import PASSWORD


@pytest.fixture
def admin(county, mint):
    """The security administrator's token: accounts are theirs to manage (三员分立)."""
    return bearer(mint(county, county.security))


def test_the_admin_lists_everyone_paginated(client, county, admin):
    response = client.get(url(county, "/users?page_size=5"), headers=admin)
    assert response.status_code == 200
    assert len(response.get_json()) == 5
    assert json.loads(response.headers["X-Pagination"])["total"] == 15


def test_users_filter_by_role_and_node(client, county, admin):
    workers = client.get(url(county, "/users?role=grid_worker&page_size=100"), headers=admin)
    assert len(workers.get_json()) == 8
    assert {u["role_label"] for u in workers.get_json()} == {"网格员"}
    below = client.get(
        url(county, "/users"),
        query_string={"node_id": county.communities[3].id, "page_size": 100},
        headers=admin,
    )
    assert {u["username"] for u in below.get_json()} == {"changshan-w6", "changshan-w7"}


def test_an_unknown_role_filter_is_a_field_error(client, county, admin):
    response = client.get(url(county, "/users?role=mayor"), headers=admin)
    assert response.status_code == 422
    assert response.get_json()["errors"]["query"]["role"] == ["未知角色：mayor"]


def test_a_user_shows_their_assignments(client, county, admin):
    worker = county.workers[2]
    body = client.get(url(county, f"/users/{worker.id}"), headers=admin).get_json()
    assert body["username"] == "changshan-w2"
    assert body["assignments"] == [{"node_id": county.grids[2].id, "is_responsible": True}]
    assert body["last_login_at"] is None
    assert "password" not in body and "password_hash" not in body


def test_the_admin_creates_an_account_and_assigns_it_a_grid(client, county, admin):
    created = client.post(
        url(county, "/users"),
        json={
            "username": "li.hua",
            "name": "李华",
            "role": "grid_worker",
            "phone": "13812345678",
            "password": PASSWORD,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert user["role_label"] == "网格员"
    assert user["assignments"] == []
    # retire grid 0's worker from it first: one grid, one worker (一格一员)
    vacated = client.put(
        url(county, f"/users/{county.workers[0].id}/assignments"),
        json={"node_ids": []},
        headers=admin,
    )
    assert vacated.status_code == 200
    assigned = client.put(
        url(county, f"/users/{user['id']}/assignments"),
        json={"node_ids": [county.grids[0].id]},
        headers=admin,
    )
    assert assigned.status_code == 200, assigned.get_json()
    assert assigned.get_json()["assignments"] == [
        {"node_id": county.grids[0].id, "is_responsible": True}
    ]
    grid = client.get(url(county, f"/nodes/{county.grids[0].id}"), headers=admin).get_json()
    assert grid["responsible_worker"]["username"] == "li.hua"


def test_a_second_grid_worker_for_a_grid_is_refused_on_node_ids(client, county, admin):
    response = client.put(
        url(county, f"/users/{county.workers[1].id}/assignments"),
        json={"node_ids": [county.grids[1].id, county.grids[0].id]},
        headers=admin,
    )
    assert response.status_code == 409
    assert "一格一员" in response.get_json()["errors"]["json"]["node_ids"][0]
    # nothing changed
    body = client.get(url(county, f"/users/{county.workers[1].id}"), headers=admin).get_json()
    assert body["assignments"] == [{"node_id": county.grids[1].id, "is_responsible": True}]


def test_assigning_a_node_of_another_county_is_404(client, county, other, admin):
    response = client.put(
        url(county, f"/users/{county.workers[1].id}/assignments"),
        json={"node_ids": [other.grids[1].id]},
        headers=admin,
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"username": "x y", "name": "甲", "role": "grid_worker"}, "username", 422),
        ({"username": "changshan-w0", "name": "甲", "role": "grid_worker"}, "username", 409),
        ({"username": "new1", "name": "甲", "role": "mayor"}, "role", 422),
        ({"username": "new2", "name": "甲", "role": "grid_worker", "phone": "12345"}, "phone", 422),
        (
            {"username": "new3", "name": "甲", "role": "grid_worker", "password": "short"},
            "password",
            422,
        ),
        ({"username": "new4", "role": "grid_worker"}, "name", 422),
        ({"username": "new5", "name": "甲", "role": "grid_worker", "locale": "fr"}, "locale", 422),
    ],
)
def test_bad_account_data_is_refused_naming_the_field(client, county, admin, body, field, status):
    response = client.post(url(county, "/users"), json=body, headers=admin)
    assert response.status_code == status, response.get_json()
    errors = response.get_json()["errors"]["json"]
    assert list(errors) == [field]
    assert all(isinstance(message, str) and message for message in errors[field])


def test_an_unknown_role_names_the_role(client, county, admin):
    response = client.post(
        url(county, "/users"),
        json={"username": "new9", "name": "甲", "role": "mayor"},
        headers=admin,
    )
    assert response.get_json()["errors"]["json"]["role"] == ["未知角色：mayor"]


def test_the_admin_changes_a_role_and_deactivates_an_account(client, county, admin):
    vol = county.volunteer
    changed = client.patch(
        url(county, f"/users/{vol.id}"),
        json={"role": "station_staff", "phone": "0571-12345678", "is_active": False},
        headers=admin,
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["role"], body["phone"], body["is_active"]) == (
        "station_staff",
        "0571-12345678",
        False,
    )
    inactive = client.get(url(county, "/users?is_active=false"), headers=admin).get_json()
    assert [u["username"] for u in inactive] == ["changshan-vol"]


def test_only_the_county_admin_manages_accounts(client, county, mint):
    for user in (county.township_staff, county.auditor, county.workers[0]):
        token = bearer(mint(county, user))
        created = client.post(
            url(county, "/users"),
            json={"username": "sneaky", "name": "甲", "role": "volunteer"},
            headers=token,
        )
        assert created.status_code == 403, user.username
        changed = client.patch(
            url(county, f"/users/{user.id}"), json={"role": "county_admin"}, headers=token
        )
        assert changed.status_code == 403, user.username
    admin = bearer(mint(county, county.admin))
    assert (
        client.get(url(county, f"/users/{county.workers[0].id}"), headers=admin).get_json()["role"]
        == "grid_worker"
    )


def test_the_users_write_scope_is_needed_to_change_accounts(client, county, mint):
    token = bearer(mint(county, county.admin, scopes=["users:read"]))
    response = client.patch(
        url(county, f"/users/{county.volunteer.id}"), json={"name": "改名"}, headers=token
    )
    assert response.status_code == 403
    assert "users:write" in response.get_json()["message"]
