"""The departments API: staff read the county's departments, county administrators set them up."""

from __future__ import annotations

import pytest

from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session, tenant_scope
from tests.api.bearer import bearer, url


@pytest.fixture
def admin(county, mint):
    return bearer(mint(county, county.admin))


@pytest.fixture
def officer(county):
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        user = accounts.create_user(
            session, None, username="xf.wang", name="王消防", role="department_officer"
        )
    session.commit()
    return user


def test_a_grid_worker_reads_the_departments_to_dispatch_to(client, county, mint):
    worker = bearer(mint(county, county.workers[0]))
    listed = client.get(url(county, "/departments"), headers=worker)
    assert listed.status_code == 200
    assert [d["name"] for d in listed.get_json()] == ["changshan消防救援大队"]
    assert listed.get_json()[0]["node"]["code"] == "CHA"


def test_the_admin_creates_a_department_for_a_township(client, county, admin):
    town = county.townships[1]
    created = client.post(
        url(county, "/departments"),
        json={"code": "SFS-1", "name": "第1镇司法所", "node_id": town.id, "phone": "13912345678"},
        headers=admin,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["node"]["id"], body["phone"], body["officers"]) == (town.id, "13912345678", [])


def test_a_bad_phone_and_a_code_in_use_are_field_errors(client, county, admin):
    bad = client.post(
        url(county, "/departments"),
        json={"code": "MZ", "name": "民政办", "node_id": county.top.id, "phone": "110"},
        headers=admin,
    )
    assert bad.status_code == 422
    assert "phone" in bad.get_json()["errors"]["json"]
    taken = client.post(
        url(county, "/departments"),
        json={"code": county.department.code, "name": "重复", "node_id": county.top.id},
        headers=admin,
    )
    assert taken.status_code == 409
    assert "code" in taken.get_json()["errors"]["json"]


def test_a_grid_worker_may_not_create_or_change_a_department(client, county, mint, admin):
    worker = bearer(mint(county, county.workers[0]))
    created = client.post(
        url(county, "/departments"),
        json={"code": "X", "name": "越权", "node_id": county.top.id},
        headers=worker,
    )
    assert created.status_code == 403
    renamed = client.patch(
        url(county, f"/departments/{county.department.id}"), json={"name": "越权"}, headers=worker
    )
    assert renamed.status_code == 403
    listed = client.get(url(county, "/departments"), headers=admin).get_json()
    assert [d["name"] for d in listed] == ["changshan消防救援大队"]


def test_officers_are_set_and_only_department_officers_qualify(client, county, admin, officer):
    path = url(county, f"/departments/{county.department.id}/officers")
    refused = client.put(path, json={"user_ids": [county.workers[0].id]}, headers=admin)
    assert refused.status_code == 422
    assert "user_ids" in refused.get_json()["errors"]["json"]
    done = client.put(path, json={"user_ids": [officer.id]}, headers=admin)
    assert done.status_code == 200
    assert [o["username"] for o in done.get_json()["officers"]] == ["xf.wang"]


def test_a_deactivated_department_leaves_the_default_list(client, county, admin):
    client.patch(
        url(county, f"/departments/{county.department.id}"),
        json={"is_active": False},
        headers=admin,
    )
    assert client.get(url(county, "/departments"), headers=admin).get_json() == []
    everyone = client.get(url(county, "/departments?include_inactive=true"), headers=admin)
    assert [d["is_active"] for d in everyone.get_json()] == [False]


def test_a_user_of_another_county_cannot_be_made_an_officer(client, county, other, admin):
    response = client.put(
        url(county, f"/departments/{county.department.id}/officers"),
        json={"user_ids": [other.workers[0].id]},
        headers=admin,
    )
    assert response.status_code == 404


def test_a_token_without_the_write_scope_cannot_create(client, county, mint):
    token = bearer(mint(county, county.admin, scopes=["departments:read"]))
    response = client.post(
        url(county, "/departments"),
        json={"code": "X", "name": "无权", "node_id": county.top.id},
        headers=token,
    )
    assert response.status_code == 403
