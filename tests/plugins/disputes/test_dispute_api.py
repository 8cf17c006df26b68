"""The module's API under /t/<slug>/api/v1/modules/disputes/: 404 where the county has not
admitted the module, for another county's token and outside the caller's scope; read-only
(409 on writes) while suspended; the workflow, records and errors in the platform's shape."""

from __future__ import annotations

import io
import json

import pytest

from gridgov.core.accounts import service as accounts
from gridgov.core.admission import service as admission
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.tenancy.county_time import CountyClock
from tests.api.bearer import bearer
from tests.factories import build_county
from tests.plugins.disputes.factories import admit_disputes, officer_of

TODAY = CountyClock.of(None).today()  # the test counties' today (Asia/Shanghai)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def url(county, path):
    return f"/t/{county.tenant.slug}/api/v1/modules/disputes{path}"


def mint(county, user):
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        token, _record = accounts.create_token(
            session, None, county.tenant, user, scopes=accounts.USER_SCOPES
        )
    session.commit()
    return bearer(token)


@pytest.fixture
def county(app, session):
    built = build_county(session, "changshan")
    session.commit()
    return built


@pytest.fixture
def admitted(county, session):
    with tenant_scope(session, county.tenant.id):
        admit_disputes(session, county)
    session.commit()
    return county


def body(county, **extra):
    return {"node_id": county.grids[0].id, "title": "楼上漏水", "kind": "neighbour", **extra}


def reported(client, county, **extra):
    response = client.post(
        url(county, "/cases"), json=body(county, **extra), headers=mint(county, county.workers[0])
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_nothing_answers_in_a_county_that_has_not_admitted_the_module(client, county):
    headers = mint(county, county.admin)
    assert client.get(url(county, "/cases"), headers=headers).status_code == 404
    response = client.post(url(county, "/cases"), json=body(county), headers=headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_a_worker_reports_a_dispute_with_an_outsider_whose_phone_comes_back_masked(
    client, admitted
):
    case = reported(
        client,
        admitted,
        parties=[{"role": "applicant", "name": "林晓燕", "phone": "13800001201"}],
    )
    assert (case["state"], case["found_by"]) == ("reported", "grid_worker")
    assert case["parties"] == [
        {
            "id": case["parties"][0]["id"],
            "role": "applicant",
            "name": "林晓燕",
            "person_id": None,
            "phone": "138********",
        }
    ]


def test_a_bad_report_answers_422_with_the_field_at_fault(client, admitted):
    headers = mint(admitted, admitted.workers[0])
    response = client.post(
        url(admitted, "/cases"), json=body(admitted, kind="feud"), headers=headers
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["json"]) == ["kind"]
    response = client.post(url(admitted, "/cases"), json={"kind": "neighbour"}, headers=headers)
    assert response.status_code == 422
    assert {"node_id", "title"} <= set(response.get_json()["errors"]["json"])


def test_the_dispute_goes_up_to_the_office_and_is_closed_there(client, admitted, session):
    case = reported(client, admitted)
    station = mint(admitted, admitted.station_staff)
    path = url(admitted, f"/cases/{case['id']}")
    assert (
        client.post(f"{path}/steps", json={"action": "confirm"}, headers=station).status_code == 200
    )
    response = client.post(
        f"{path}/steps", json={"action": "escalate", "comment": "报片长"}, headers=station
    )
    assert response.get_json()["state"] == "analysing"
    town = mint(admitted, admitted.township_staff)
    response = client.post(
        f"{path}/steps",
        json={"action": "dispatch", "comment": "交司法所", "risk_level": "high"},
        headers=town,
    )
    assert (response.get_json()["state"], response.get_json()["risk_level"]) == (
        "mediating",
        "high",
    )
    with tenant_scope(session, admitted.tenant.id):
        officer = officer_of(session, admitted)
    office = mint(admitted, officer)
    today = TODAY.isoformat()
    response = client.post(
        f"{path}/sessions",
        json={"held_on": today, "mediator": "吴丽娟", "notes": "双方同意"},
        headers=office,
    )
    assert response.status_code == 201
    response = client.post(
        f"{path}/agreement",
        data={
            "text": "赔偿 800 元",
            "signed_on": today,
            "scan": (io.BytesIO(PDF), "协议.pdf"),
        },
        headers=office,
        content_type="multipart/form-data",
    )
    assert response.get_json()["agreement"]["has_scan"] is True
    assert client.get(f"{path}/agreement/scan", headers=office).data == PDF
    response = client.post(
        f"{path}/outcome", json={"outcome": "resolved", "note": "已签协议"}, headers=office
    )
    assert (response.get_json()["state"], response.get_json()["closed_level"]) == (
        "closed",
        "office",
    )


def test_closing_without_a_referral_for_a_failed_mediation_is_422(client, admitted):
    case = reported(client, admitted)
    response = client.post(
        url(admitted, f"/cases/{case['id']}/outcome"),
        json={"outcome": "failed", "note": "谈不拢"},
        headers=mint(admitted, admitted.workers[0]),
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["json"]) == ["referral"]
    detail = client.get(
        url(admitted, f"/cases/{case['id']}"), headers=mint(admitted, admitted.workers[0])
    )
    assert (detail.get_json()["state"], detail.get_json()["outcome"]) == ("reported", None)


def test_a_dispute_outside_the_callers_scope_is_404(client, admitted):
    case = reported(client, admitted)
    far_worker = mint(admitted, admitted.workers[5])
    assert client.get(url(admitted, f"/cases/{case['id']}"), headers=far_worker).status_code == 404
    listed = client.get(url(admitted, "/cases"), headers=far_worker).get_json()
    assert listed == []


def test_another_countys_token_is_404_on_every_dispute_url(client, admitted, session):
    case = reported(client, admitted)
    other = build_county(session, "baishui")
    session.commit()
    with tenant_scope(session, other.tenant.id):
        admit_disputes(session, other)
    session.commit()
    headers = mint(other, other.admin)
    assert client.get(url(admitted, f"/cases/{case['id']}"), headers=headers).status_code == 404
    assert client.get(url(other, f"/cases/{case['id']}"), headers=headers).status_code == 404


def test_a_suspended_module_answers_reads_and_refuses_writes_with_409(client, admitted, session):
    case = reported(client, admitted)
    with tenant_scope(session, admitted.tenant.id):
        admission.suspend_admission(
            session, admitted.admin, admission.latest_admission(session, "disputes"), reason="整顿"
        )
    session.commit()
    headers = mint(admitted, admitted.admin)
    assert client.get(url(admitted, f"/cases/{case['id']}"), headers=headers).status_code == 200
    response = client.post(url(admitted, "/cases"), json=body(admitted), headers=headers)
    assert response.status_code == 409


def test_a_pilot_is_404_for_a_caller_outside_its_township(client, county, session):
    with tenant_scope(session, county.tenant.id):
        admit_disputes(session, county, pilot=True)
    session.commit()
    inside, outside = mint(county, county.workers[0]), mint(county, county.workers[5])
    assert client.get(url(county, "/cases"), headers=inside).status_code == 200
    assert client.get(url(county, "/cases"), headers=outside).status_code == 404


def test_warnings_and_figures_answer_for_the_callers_scope(client, admitted):
    reported(client, admitted, risk_level="high", people_involved=18)
    headers = mint(admitted, admitted.admin)
    warnings = client.get(url(admitted, "/warnings"), headers=headers)
    assert [w["people_involved"] for w in warnings.get_json()] == [18]
    assert warnings.headers["X-Pagination"]
    figures = {
        f["code"]: f["value"]
        for f in client.get(url(admitted, "/figures"), headers=headers).get_json()
    }
    assert (figures["disputes.reported"], figures["disputes.warnings"]) == (1, 1)


def test_reading_needs_the_tasks_read_scope(client, admitted, session):
    with tenant_scope(session, admitted.tenant.id):
        token, _ = accounts.create_token(
            session, None, admitted.tenant, admitted.admin, scopes=["forms:read"]
        )
    session.commit()
    assert client.get(url(admitted, "/cases"), headers=bearer(token)).status_code == 403


def test_a_report_missing_its_fields_names_them_all_at_once_in_chinese(client, admitted):
    response = client.post(
        url(admitted, "/cases"), json={"parties": [{}]}, headers=mint(admitted, admitted.admin)
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert errors["node_id"] == errors["title"] == errors["kind"] == ["缺少此字段"]
    assert errors["parties"] == {"0": {"role": ["缺少此字段"]}}


def test_cases_are_paged_like_the_cores_lists(client, admitted):
    for title in ("漏水", "噪声", "停车"):
        reported(client, admitted, title=title)
    headers = mint(admitted, admitted.admin)
    response = client.get(url(admitted, "/cases?page=2&page_size=2"), headers=headers)
    assert len(response.get_json()) == 1
    paging = json.loads(response.headers["X-Pagination"])
    assert (paging["total"], paging["total_pages"], paging["page"]) == (3, 2, 2)
    too_many = client.get(url(admitted, "/cases?page_size=100000"), headers=headers)
    assert too_many.status_code == 422
    assert list(too_many.get_json()["errors"]["query"]) == ["page_size"]


def test_an_unknown_filter_value_is_422_naming_it(client, admitted):
    response = client.get(url(admitted, "/cases?kind=feud"), headers=mint(admitted, admitted.admin))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["query"]) == ["kind"]
