"""Admission in the portal: the officer applies and follows, the county admin decides and sees
where modules are live; everyone else finds no such pages."""

from __future__ import annotations

import pytest

from gridgov.core.db import db_session, set_tenant
from tests.core.admission.factories import ITEMS, add_department
from tests.portal.conftest import csrf_token, login, post_form

MODULE = "env_patrol"


@pytest.fixture
def department(app, county):
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        department, officer = add_department(session, county)
        session.commit()
        return department.id, officer.username


def apply(client, department_id, **overrides):
    page = client.get(f"/t/changshan/admissions/new?module={MODULE}")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "department": str(department_id),
        "module": MODULE,
        **ITEMS,
        "req_monitoring_points": "城东 3 个点位",
        **overrides,
    }
    return client.post("/t/changshan/admissions/new", data=data)


def applied_then_admin(client, county, department) -> str:
    """The officer applies; then the county admin is logged in. Returns the application's URL."""
    department_id, officer = department
    login(client, "changshan", officer)
    location = apply(client, department_id).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    client.post("/t/changshan/logout", data={"csrf_token": csrf_token(page)})
    login(client, "changshan", county.admin.username)
    return location


def test_an_officer_applies_and_sees_the_application_in_review(client, county, department):
    department_id, officer = department
    assert login(client, "changshan", officer).status_code == 302
    home = client.get("/t/changshan/").get_data(as_text=True)
    assert "准入管理" in home
    page = client.get(f"/t/changshan/admissions/new?module={MODULE}").get_data(as_text=True)
    assert "监测点位清单" in page  # the module's own requirement is asked for
    response = apply(client, department_id)
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "待审议" in shown and ITEMS["funding"] in shown


def test_a_missing_item_shows_the_form_again_with_the_error(client, county, department):
    department_id, officer = department
    login(client, "changshan", officer)
    response = apply(client, department_id, funding="")
    assert response.status_code == 422
    assert "请填写工作经费到位" in response.get_data(as_text=True)


def test_the_admin_approves_a_pilot_and_the_map_shows_where(client, county, department):
    location = applied_then_admin(client, county, department)
    response = post_form(
        client,
        location,
        f"{location}/approve",
        {
            "approve-meeting_date": "2026-05-08",
            "approve-minutes": "县综治委主任办公会同意试点",
            "approve-pilot": county.townships[0].code,
        },
    )
    assert response.status_code == 302
    assert "已准入" in client.get(location).get_data(as_text=True)
    table = client.get("/t/changshan/modules").get_data(as_text=True)
    row = table[table.index('data-testid="modules-map"') :]
    assert row.count('state-approved">启用') == 1  # one township of two


def test_a_decision_without_minutes_is_refused_next_to_the_field(client, county, department):
    location = applied_then_admin(client, county, department)
    response = post_form(
        client, location, f"{location}/approve", {"approve-meeting_date": "2026-05-08"}
    )
    assert response.status_code == 422
    assert "请填写会议纪要" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["township_staff", "station_staff", "auditor"])
def test_other_roles_find_no_admission_pages(client, county, department, who):
    login(client, "changshan", getattr(county, who).username)
    assert client.get("/t/changshan/admissions").status_code == 404
    assert client.get("/t/changshan/admissions/new").status_code == 404
    assert client.get("/t/changshan/modules").status_code == 404
    assert "准入管理" not in client.get("/t/changshan/").get_data(as_text=True)


def test_another_countys_admission_is_404(client, county, other_county, department):
    department_id, officer = department
    login(client, "changshan", officer)
    location = apply(client, department_id).headers["Location"]
    other = location.replace("/t/changshan/", "/t/lishui/")
    client.post(
        "/t/changshan/logout",
        data={"csrf_token": csrf_token(client.get(location).get_data(as_text=True))},
    )
    login(client, "lishui", other_county.admin.username)
    assert client.get(other).status_code == 404
