"""Module forms and pages in the portal (the third-party example module env_patrol): rendered
from the definition, validated like the API, closed where the module is not admitted, still
readable once suspended, and an old submission shown with the form it was made with."""

from __future__ import annotations

import io

import pytest

from gridgov.core.admission import service as admission
from gridgov.core.db import db_session, set_tenant
from gridgov.core.forms import service as forms
from gridgov.core.forms.definitions import Field, FieldType, FormDefinition
from tests.core.admission.factories import admit_example as admit
from tests.portal.conftest import csrf_token, login

MODULE, FORM = "env_patrol", "env_patrol.inspection"
FORM_URL = f"/t/changshan/forms/{FORM}"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def valid(county):
    return {
        "node_id": str(county.grids[0].id),
        "site": "城东豆腐坊",
        "kind": "workshop",
        "inspected_on": "2026-05-08",
        "compliant": "true",
        "checks-rows": "3",
        "checks-0-item": "油烟净化器",
        "checks-0-passed": "true",
    }


def submit(client, county, **changes):
    page = client.get(FORM_URL)
    assert page.status_code == 200, page.status_code
    data = {**valid(county), **changes, "csrf_token": csrf_token(page.get_data(as_text=True))}
    return client.post(FORM_URL, data={k: v for k, v in data.items() if v is not None})


@pytest.fixture
def worker(client, county):
    assert login(client, "changshan", county.workers[0].username).status_code == 302
    return client


def test_before_admission_the_form_and_the_module_page_are_404(worker, county):
    assert worker.get(FORM_URL).status_code == 404
    assert worker.get(f"/t/changshan/m/{MODULE}/").status_code == 404
    assert "环保巡查" not in worker.get("/t/changshan/").get_data(as_text=True)


def test_an_admitted_form_is_filled_on_the_phone_and_shown_back(app, worker, county):
    admit(app, county)
    page = worker.get(FORM_URL).get_data(as_text=True)
    assert 'type="date"' in page and 'capture="environment"' in page
    assert 'data-show-if="compliant"' in page  # the conditional fields, for show-if.js
    assert 'name="checks-9-item"' in page  # every row of the checklist (at most 10) offered
    response = submit(worker, county)
    assert response.status_code == 302
    shown = worker.get(response.headers["Location"]).get_data(as_text=True)
    assert "城东豆腐坊" in shown and "小作坊" in shown and "油烟净化器" in shown


def test_the_module_page_and_menu_entry_appear_once_admitted(app, worker, county):
    admit(app, county)
    assert "🌿 环保巡查" in worker.get("/t/changshan/").get_data(as_text=True)
    page = worker.get(f"/t/changshan/m/{MODULE}/")
    assert page.status_code == 200
    assert "巡查记录：0 份" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("site", "x", "长度须在 2–50 字之间"),
        ("notes", "长" * 501, "长度须在 –500 字之间"),
        ("chimneys", "21", "须在 0–20 之间"),
        ("ph", "abc", "必须是数字"),
        ("inspected_on", "08/05/2026", "必须是日期"),
        ("compliant", None, "此项必填"),
        ("kind", "casino", "不是可选的一项"),
        ("checks-0-item", "", "此项必填"),
    ],
)
def test_a_bad_value_of_each_field_type_is_shown_next_to_it(
    app, worker, county, field, value, message
):
    admit(app, county)
    response = submit(worker, county, **{field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    error_of = field if not field.startswith("checks") else "checks"
    assert f'id="{error_of}-error"' in html or 'id="checks-0-item-error"' in html


def test_a_multi_choice_and_a_photo_appear_when_not_compliant(app, worker, county):
    admit(app, county)
    missing = submit(worker, county, compliant="false")
    assert missing.status_code == 422
    assert 'id="pollutants-error"' in missing.get_data(as_text=True)
    page = worker.get(FORM_URL)
    data = {
        **valid(county),
        "compliant": "false",
        "pollutants": ["smoke", "noise"],
        "violation_photo": (io.BytesIO(PNG), "现场.png"),
        "csrf_token": csrf_token(page.get_data(as_text=True)),
    }
    response = worker.post(FORM_URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    shown = worker.get(response.headers["Location"]).get_data(as_text=True)
    assert "烟尘、噪声" in shown and "/files/" in shown


def test_a_wrong_photo_is_refused_and_nothing_is_stored(app, worker, county):
    admit(app, county)
    page = worker.get(FORM_URL)
    data = {
        **valid(county),
        "compliant": "false",
        "pollutants": ["smoke"],
        "violation_photo": (io.BytesIO(b"not an image at all"), "x.png"),
        "csrf_token": csrf_token(page.get_data(as_text=True)),
    }
    response = worker.post(FORM_URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="violation_photo-error"' in response.get_data(as_text=True)
    assert "最近的记录" not in worker.get("/t/changshan/forms").get_data(as_text=True)


def test_outside_a_pilot_the_form_is_404(app, client, county):
    admit(app, county, pilot=(county.townships[1],))
    login(client, "changshan", county.workers[0].username)  # works in township 0
    assert client.get(FORM_URL).status_code == 404
    assert client.get(f"/t/changshan/m/{MODULE}/").status_code == 404


def test_suspension_refuses_new_work_but_records_stay_readable(app, worker, county):
    admit(app, county)
    location = submit(worker, county).headers["Location"]
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        admission.suspend_admission(
            session, county.admin, admission.holding_admission(session, MODULE), reason="整顿"
        )
        session.commit()
    assert worker.get(FORM_URL).status_code == 404
    assert worker.get(location).status_code == 200
    # The module's own pages stay open for reading (writes answer 409, tests/core/plugins).
    assert worker.get(f"/t/changshan/m/{MODULE}/").status_code == 200


def test_an_old_submission_renders_with_its_own_version(app, worker, county):
    admit(app, county)
    old_form = FormDefinition(
        FORM,
        "环保巡查记录（旧版）",
        "Inspection (old)",
        (Field("site", FieldType.TEXT, "场所（旧）", "Site (old)", required=True),),
    )
    with app.test_request_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        old = forms.submit_form(
            session,
            county.workers[0],
            old_form,
            module=MODULE,
            node=county.grids[0],
            data={"site": "老厂房"},
        )
        session.commit()
        old_id = old.id
    page = worker.get(f"/t/changshan/form-submissions/{old_id}").get_data(as_text=True)
    assert "环保巡查记录（旧版）" in page and "场所（旧）" in page and "老厂房" in page


def test_another_countys_user_cannot_open_a_submission(app, client, county, other_county):
    admit(app, county)
    login(client, "changshan", county.workers[0].username)
    location = submit(client, county).headers["Location"]
    other = client.application.test_client()
    login(other, "lishui", other_county.admin.username)
    assert other.get(location.replace("/t/changshan/", "/t/lishui/")).status_code == 404
    outsider = client.application.test_client()
    login(outsider, "changshan", county.workers[-1].username)
    assert outsider.get(location).status_code == 404
