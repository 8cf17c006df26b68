"""The operator API: platform operators create and change counties (tenants)."""

from __future__ import annotations

import json

import pytest

from gridgov.core.accounts import service as accounts
from tests.api.bearer import bearer
from tests.factories import PASSWORD


@pytest.fixture
def ops(operator_token):
    return bearer(operator_token)


def test_an_operator_creates_a_county(client, ops):
    response = client.post(
        "/api/v1/tenants",
        json={"slug": "baiyin", "name": "白音旗", "level_names": ["旗", "苏木镇", "嘎查村"]},
        headers=ops,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["slug"] == "baiyin"
    assert body["level_names"] == ["旗", "苏木镇", "嘎查村"]
    assert body["is_active"] is True
    assert body["modules"] == [] and body["settings"] == {}
    fetched = client.get(f"/api/v1/tenants/{body['id']}", headers=ops).get_json()
    assert fetched == body


def test_operators_list_counties_paginated(client, ops, county, other):
    response = client.get("/api/v1/tenants?page_size=1", headers=ops)
    assert [t["slug"] for t in response.get_json()] == ["baishui"]
    assert json.loads(response.headers["X-Pagination"])["total"] == 2


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"slug": "Bad Slug", "name": "甲", "level_names": ["县", "乡"]}, "slug", 422),
        ({"slug": "api", "name": "甲", "level_names": ["县", "乡"]}, "slug", 422),
        ({"slug": "changshan", "name": "甲", "level_names": ["县", "乡"]}, "slug", 409),
        ({"slug": "ok-slug", "name": "甲", "level_names": ["县"]}, "level_names", 422),
        ({"slug": "ok-slug", "name": "甲", "level_names": ["县", "县"]}, "level_names", 422),
        ({"slug": "ok-slug", "level_names": ["县", "乡"]}, "name", 422),
        ({"slug": "ok-slug", "name": "甲", "level_names": "县/乡"}, "level_names", 422),
    ],
)
def test_a_bad_county_is_refused_naming_the_field(client, ops, county, body, field, status):
    response = client.post("/api/v1/tenants", json=body, headers=ops)
    assert response.status_code == status, response.get_json()
    assert list(response.get_json()["errors"]["json"]) == [field]


def test_an_operator_renames_levels_and_deactivates_a_county(client, ops, county, mint):
    token = mint(county, county.admin)
    response = client.patch(
        f"/api/v1/tenants/{county.tenant.id}",
        json={"level_names": ["区", "街道", "社区", "网格"], "is_active": False},
        headers=ops,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["level_names"] == ["区", "街道", "社区", "网格"]
    # a deactivated county's API is gone, tokens and all
    assert client.get("/t/changshan/api/v1/nodes", headers=bearer(token)).status_code == 404
    back = client.patch(
        f"/api/v1/tenants/{county.tenant.id}", json={"is_active": True}, headers=ops
    )
    assert back.status_code == 200
    assert client.get("/t/changshan/api/v1/tenant", headers=bearer(token)).get_json()[
        "level_names"
    ] == ["区", "街道", "社区", "网格"]


def test_the_number_of_levels_cannot_change_once_the_tree_exists(client, ops, county):
    response = client.patch(
        f"/api/v1/tenants/{county.tenant.id}", json={"level_names": ["县", "乡", "村"]}, headers=ops
    )
    assert response.status_code == 422
    assert "level_names" in response.get_json()["errors"]["json"]


def test_an_unknown_county_is_404(client, ops):
    response = client.get("/api/v1/tenants/999999", headers=ops)
    assert response.status_code == 404
    assert response.get_json()["message"] == "没有这个租户"


def test_an_operator_token_without_write_scope_cannot_create(client, session):
    reader = accounts.create_operator(session, username="reader", name="只读", password=PASSWORD)
    token, _record = accounts.create_operator_token(session, reader, scopes=["tenants:read"])
    session.commit()
    assert client.get("/api/v1/tenants", headers=bearer(token)).status_code == 200
    response = client.post(
        "/api/v1/tenants",
        json={"slug": "nope", "name": "甲", "level_names": ["县", "乡"]},
        headers=bearer(token),
    )
    assert response.status_code == 403


def test_an_operator_creates_a_county_in_its_own_time_zone(client, ops):
    body = {"slug": "kashi", "name": "喀什县", "level_names": ["县", "乡", "村"]}
    default = client.post("/api/v1/tenants", json=body, headers=ops).get_json()
    assert default["time_zone"] == "Asia/Shanghai"
    urumqi = {**body, "slug": "kashi2", "time_zone": "Asia/Urumqi"}
    response = client.post("/api/v1/tenants", json=urumqi, headers=ops)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["time_zone"] == "Asia/Urumqi"
    wrong = client.post(
        "/api/v1/tenants", json={**body, "slug": "kashi3", "time_zone": "UTC+8"}, headers=ops
    )
    assert wrong.status_code == 422
    assert "time_zone" in wrong.get_json()["errors"]["json"]
