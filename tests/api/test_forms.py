"""The forms API and the module's own API, as the third-party example module (env_patrol)
goes through admission: closed (404) before approval and outside a pilot, open while approved,
refusing new work (409) but still readable once suspended."""

from __future__ import annotations

import io

import pytest

from gridgov.core.admission import service as admission
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.forms import service as forms
from gridgov.core.forms.definitions import Field, FieldType, FormDefinition
from tests.api.bearer import bearer, url
from tests.core.admission.factories import admit_example as admit

MODULE, FORM = "env_patrol", "env_patrol.inspection"
VALID = {
    "site": "城东豆腐坊",
    "kind": "workshop",
    "inspected_on": "2026-05-08",
    "compliant": True,
    "checks": [{"item": "油烟净化器", "passed": True}],
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def worker(county, mint):
    return bearer(mint(county, county.workers[0]))


def submit(client, county, headers, data, node=None):
    node = node or county.grids[0]
    return client.post(
        url(county, f"/forms/{FORM}/submissions"),
        json={"node_id": node.id, "data": data},
        headers=headers,
    )


def test_before_admission_the_form_and_the_module_api_are_404(client, county, worker):
    assert FORM not in [
        f["code"] for f in client.get(url(county, "/forms"), headers=worker).get_json()
    ]
    assert client.get(url(county, f"/forms/{FORM}"), headers=worker).status_code == 404
    assert submit(client, county, worker, VALID).status_code == 404
    summary = client.get(url(county, f"/modules/{MODULE}/summary"), headers=worker)
    assert summary.status_code == 404


def test_once_approved_the_form_is_listed_and_submitted(app, client, county, worker):
    admit(app, county)
    listed = client.get(url(county, "/forms"), headers=worker).get_json()
    assert [f["code"] for f in listed] == [FORM]
    response = submit(client, county, worker, VALID)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["site"] == "城东豆腐坊"
    summary = client.get(url(county, f"/modules/{MODULE}/summary"), headers=worker)
    assert summary.get_json() == {"module": MODULE, "inspections": 1}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("site", "x"),  # text shorter than min
        ("notes", "长" * 501),  # textarea longer than max
        ("chimneys", 21),  # integer above max
        ("ph", "15.5"),  # decimal above max
        ("inspected_on", "2026-13-01"),  # not a date
        ("compliant", "maybe"),  # not a boolean
        ("kind", "casino"),  # not one of the choices
        ("permit", "scan.pdf"),  # file: not an uploaded file's id
        ("checks", [{"passed": True}]),  # group row missing its required item
        ("checks", [{"item": "a"}] * 11),  # group with too many rows
    ],
)
def test_a_bad_value_of_each_field_type_is_a_field_error(app, client, county, worker, field, value):
    admit(app, county)
    response = submit(client, county, worker, {**VALID, field: value})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]["data"]


def test_a_multi_choice_shown_by_an_answer_is_checked_and_required(app, client, county, worker):
    admit(app, county)
    missing = submit(client, county, worker, {**VALID, "compliant": False})
    assert list(missing.get_json()["errors"]["json"]["data"]) == ["pollutants"]
    bad = submit(client, county, worker, {**VALID, "compliant": False, "pollutants": ["smell"]})
    assert "pollutants" in bad.get_json()["errors"]["json"]["data"]
    ok = submit(client, county, worker, {**VALID, "compliant": False, "pollutants": ["smoke"]})
    assert ok.status_code == 201


def test_a_photo_is_uploaded_submitted_and_downloaded(app, client, county, worker):
    admit(app, county)
    upload = client.post(
        url(county, "/form-files?kind=photo"),
        data={"file": (io.BytesIO(PNG), "现场.png")},
        headers=worker,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()
    photo = upload.get_json()["id"]
    data = {**VALID, "compliant": False, "pollutants": ["smoke"], "violation_photo": photo}
    created = submit(client, county, worker, data).get_json()
    download = client.get(
        url(county, f"/form-submissions/{created['id']}/files/{photo}"), headers=worker
    )
    assert (download.status_code, download.data) == (200, PNG)


def test_a_pilot_is_open_only_inside_its_township(app, client, county, mint):
    admit(app, county, pilot=(county.townships[0],))
    inside = bearer(mint(county, county.workers[0]))
    outside = bearer(mint(county, county.workers[-1]))
    assert submit(client, county, inside, VALID).status_code == 201
    assert client.get(url(county, "/forms"), headers=outside).get_json() == []
    response = submit(client, county, outside, VALID, node=county.grids[-1])
    assert response.status_code == 404
    summary = f"/modules/{MODULE}/summary"
    assert client.get(url(county, summary), headers=inside).status_code == 200
    assert client.get(url(county, summary), headers=outside).status_code == 404


def test_suspension_refuses_new_work_but_keeps_records_readable(app, client, county, worker):
    admit(app, county)
    created = submit(client, county, worker, VALID).get_json()
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            a = admission.holding_admission(session, MODULE)
            admission.suspend_admission(session, county.admin, a, reason="整顿")
        session.commit()
    refused = submit(client, county, worker, VALID)
    assert refused.status_code == 409
    assert "暂停" in refused.get_json()["message"]
    # The module's own API still answers reads (its writes answer 409, tests/core/plugins).
    assert client.get(url(county, f"/modules/{MODULE}/summary"), headers=worker).status_code == 200
    read = client.get(url(county, f"/form-submissions/{created['id']}"), headers=worker)
    assert read.status_code == 200
    listed = client.get(url(county, f"/forms/{FORM}/submissions"), headers=worker).get_json()
    assert [s["id"] for s in listed] == [created["id"]]


def test_after_withdrawal_records_stay_readable(app, client, county, worker):
    admit(app, county)
    created = submit(client, county, worker, VALID).get_json()
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            a = admission.holding_admission(session, MODULE)
            admission.withdraw_admission(session, county.admin, a, reason="职能划转")
        session.commit()
    assert submit(client, county, worker, VALID).status_code == 409
    read = client.get(url(county, f"/form-submissions/{created['id']}"), headers=worker)
    assert read.status_code == 200


def test_an_old_submission_renders_with_the_form_it_was_made_with(app, client, county, worker):
    admit(app, county)
    old_form = FormDefinition(
        FORM,
        "环保巡查记录（旧版）",
        "Inspection (old)",
        (Field("site", FieldType.TEXT, "场所", "Site", required=True),),
    )
    with app.test_request_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            old = forms.submit_form(
                session,
                county.workers[0],
                old_form,
                module=MODULE,
                node=county.grids[0],
                data={"site": "老厂房"},
            )
        session.commit()
    shown = client.get(url(county, f"/form-submissions/{old.id}"), headers=worker).get_json()
    assert shown["form"]["title"] == "环保巡查记录（旧版）"
    assert [f["name"] for f in shown["form"]["fields"]] == ["site"]
    assert shown["data"] == {"site": "老厂房"}


def test_submissions_outside_the_scope_or_county_are_404(app, client, county, other, mint, worker):
    admit(app, county)
    admit(app, other)
    created = submit(client, county, worker, VALID).get_json()
    elsewhere = bearer(mint(county, county.workers[-1]))
    path = f"/form-submissions/{created['id']}"
    assert client.get(url(county, path), headers=elsewhere).status_code == 404
    other_admin = bearer(mint(other, other.admin))
    assert client.get(url(other, path), headers=other_admin).status_code == 404
    assert (
        client.get(url(other, f"/forms/{FORM}/submissions"), headers=other_admin).get_json() == []
    )
    out_of_scope = submit(client, county, worker, VALID, node=county.grids[-1])
    assert out_of_scope.status_code == 404


def test_a_token_without_forms_write_cannot_submit(app, client, county, mint):
    admit(app, county)
    headers = bearer(mint(county, county.workers[0], scopes=["forms:read"]))
    assert submit(client, county, headers, VALID).status_code == 403
