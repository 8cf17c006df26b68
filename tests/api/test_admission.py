"""The admission API: officers apply and follow, county admins decide; everyone else, other
counties and tokens without the scope are refused. Operators see the installed plugins."""

from __future__ import annotations

import io

import pytest

from gridgov.core.db import db_session, tenant_scope
from tests.api.bearer import bearer, url
from tests.core.admission.factories import ITEMS, add_department

MODULE = "env_patrol"  # the third-party example module under tests/plugins/example_plugin
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def department(county):
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        built = add_department(session, county)
    session.commit()
    return built


@pytest.fixture
def officer(county, department, mint):
    return bearer(mint(county, department[1]))


@pytest.fixture
def admin(county, mint):
    return bearer(mint(county, county.admin))


def application(department_id: int, **overrides):
    return {
        "department_id": department_id,
        "module": MODULE,
        **ITEMS,
        "requirements": {"monitoring_points": "城东 3 个点位"},
        **overrides,
    }


@pytest.fixture
def applied(client, county, department, officer):
    response = client.post(
        url(county, "/admissions"), json=application(department[0].id), headers=officer
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_officer_applies_and_follows_the_application(client, county, officer, applied):
    assert applied["state"] == "in_review"
    assert applied["funding"] == ITEMS["funding"]
    assert [e["action"] for e in applied["events"]] == ["apply"]
    listed = client.get(url(county, "/admissions"), headers=officer).get_json()
    assert [a["id"] for a in listed] == [applied["id"]]


def test_a_missing_item_is_a_field_error(client, county, department, officer):
    body = application(department[0].id)
    del body["training"]
    response = client.post(url(county, "/admissions"), json=body, headers=officer)
    assert response.status_code == 422
    assert "training" in response.get_json()["errors"]["json"]


def test_an_unanswered_module_requirement_is_a_field_error(client, county, department, officer):
    body = application(department[0].id, requirements={})
    response = client.post(url(county, "/admissions"), json=body, headers=officer)
    assert response.status_code == 422
    assert "监测点位清单" in response.get_json()["errors"]["json"]["requirements"][0]


def test_the_county_admin_cannot_apply_for_a_department(client, county, department, admin):
    response = client.post(
        url(county, "/admissions"), json=application(department[0].id), headers=admin
    )
    assert response.status_code == 404


def test_the_admin_approves_a_pilot_and_widens_it(client, county, admin, applied):
    town0 = county.townships[0]
    approved = client.post(
        url(county, f"/admissions/{applied['id']}/approve"),
        json={"meeting_date": "2026-05-08", "minutes": "同意试点", "pilot_node_ids": [town0.id]},
        headers=admin,
    )
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["is_pilot"] is True
    widened = client.post(
        url(county, f"/admissions/{applied['id']}/widen"), json={}, headers=admin
    ).get_json()
    assert (widened["state"], widened["is_pilot"]) == ("approved", False)
    modules = client.get(url(county, "/modules"), headers=admin).get_json()
    assert {m["name"]: m["state"] for m in modules}[MODULE] == "approved"


def test_an_officer_cannot_decide_on_their_own_application(client, county, officer, applied):
    response = client.post(
        url(county, f"/admissions/{applied['id']}/approve"),
        json={"meeting_date": "2026-05-08", "minutes": "自己批准"},
        headers=officer,
    )
    assert response.status_code == 403


def test_a_step_from_the_wrong_state_is_409(client, county, admin, applied):
    response = client.post(
        url(county, f"/admissions/{applied['id']}/suspend"), json={"reason": "整顿"}, headers=admin
    )
    assert response.status_code == 409
    assert "待审议" in response.get_json()["message"]


def test_reject_resume_and_withdraw_are_recorded(client, county, admin, department, officer):
    first = client.post(
        url(county, "/admissions"), json=application(department[0].id), headers=officer
    ).get_json()
    rejected = client.post(
        url(county, f"/admissions/{first['id']}/reject"),
        json={"meeting_date": "2026-05-08", "reasons": "经费未落实"},
        headers=admin,
    ).get_json()
    assert (rejected["state"], rejected["rejection_reasons"]) == ("rejected", "经费未落实")
    again = client.post(
        url(county, "/admissions"), json=application(department[0].id), headers=officer
    ).get_json()
    for step, body in [
        ("approve", {"meeting_date": "2026-06-01", "minutes": "同意"}),
        ("suspend", {"reason": "整顿"}),
        ("resume", {"reason": "整顿完毕"}),
        ("withdraw", {"reason": "职能划转"}),
    ]:
        response = client.post(
            url(county, f"/admissions/{again['id']}/{step}"), json=body, headers=admin
        )
        assert response.status_code == 200, (step, response.get_json())
    history = client.get(url(county, f"/admissions/{again['id']}"), headers=officer).get_json()
    assert [e["action"] for e in history["events"]] == [
        "apply",
        "approve",
        "suspend",
        "resume",
        "withdraw",
    ]


@pytest.mark.parametrize("who", ["township_staff", "station_staff", "auditor"])
def test_other_roles_get_404_on_every_admission_endpoint(client, county, mint, applied, who):
    headers = bearer(mint(county, getattr(county, who)))
    assert client.get(url(county, "/admissions"), headers=headers).status_code == 404
    assert (
        client.get(url(county, f"/admissions/{applied['id']}"), headers=headers).status_code == 404
    )
    assert client.get(url(county, "/modules"), headers=headers).status_code == 404
    response = client.post(
        url(county, f"/admissions/{applied['id']}/approve"),
        json={"meeting_date": "2026-05-08", "minutes": "同意"},
        headers=headers,
    )
    assert response.status_code == 404


def test_another_countys_admin_gets_404(client, county, other, mint, applied):
    headers = bearer(mint(other, other.admin))
    response = client.get(url(other, f"/admissions/{applied['id']}"), headers=headers)
    assert response.status_code == 404
    response = client.post(
        url(other, f"/admissions/{applied['id']}/approve"),
        json={"meeting_date": "2026-05-08", "minutes": "同意"},
        headers=headers,
    )
    assert response.status_code == 404
    assert client.get(url(other, "/admissions"), headers=headers).get_json() == []


def test_a_token_of_one_county_is_404_in_another(client, county, other, admin, applied):
    assert client.get(url(other, "/admissions"), headers=admin).status_code == 404


def test_a_token_without_the_write_scope_cannot_decide(client, county, mint, applied):
    headers = bearer(mint(county, county.admin, scopes=["admission:read"]))
    response = client.post(
        url(county, f"/admissions/{applied['id']}/approve"),
        json={"meeting_date": "2026-05-08", "minutes": "同意"},
        headers=headers,
    )
    assert response.status_code == 403
    no_read = bearer(mint(county, county.admin, scopes=["hierarchy:read"]))
    assert client.get(url(county, "/admissions"), headers=no_read).status_code == 403


def test_an_attachment_is_uploaded_named_and_downloaded_by_the_admin(
    client, county, department, officer, admin
):
    upload = client.post(
        url(county, "/admissions/files"),
        data={"file": (io.BytesIO(PDF), "培训记录.pdf")},
        headers=officer,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()
    file_id = upload.get_json()["id"]
    body = application(department[0].id, attachments=[{"file_id": file_id, "requirement": None}])
    created = client.post(url(county, "/admissions"), json=body, headers=officer).get_json()
    assert created["files"][0]["file"]["name"] == "培训记录.pdf"
    download = client.get(
        url(county, f"/admissions/{created['id']}/files/{file_id}"), headers=admin
    )
    assert (download.status_code, download.data) == (200, PDF)


def test_a_file_that_is_not_a_document_is_refused(client, county, officer):
    upload = client.post(
        url(county, "/admissions/files"),
        data={"file": (io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "x.pdf")},
        headers=officer,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 422
