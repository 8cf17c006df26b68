"""The module's API under /t/<slug>/api/v1/modules/civil_affairs/: the register and a person's
care record (phone masked, age not birth date, no ID number), details, visits, assistance,
errands and their steps, due and overdue lists, per-level counts, figures; 404 outside the
caller's scope, nothing for the audit administrator or another department, errors in the
platform's JSON shape, 409 while the county has the module suspended."""

from __future__ import annotations

import pytest

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role
from gridgov.core.admission import service as admission
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.departments import service as departments
from gridgov.core.tenancy.county_time import CountyClock
from tests.api.bearer import bearer
from tests.factories import UserFactory
from tests.plugins.civil_affairs.conftest import cared_person, in_county, make_county

TODAY = CountyClock.of(None).today()
PHONE = "13812345678"


def url(county, path):
    return f"/t/{county.tenant.slug}/api/v1/modules/civil_affairs{path}"


@pytest.fixture
def live(app, connection):
    return make_county(app)


@pytest.fixture
def token(app, live):
    def _mint(user, county=None):
        county = county or live
        with app.app_context():
            session = db_session()
            with tenant_scope(session, county.tenant.id):
                minted, _record = accounts.create_token(
                    session, None, county.tenant, user, scopes=accounts.USER_SCOPES
                )
            session.commit()
        return bearer(minted)

    return _mint


@pytest.fixture
def person_id(app, live):
    return in_county(
        app, live, lambda s: cared_person(s, live, tag="disabled", phone_number=PHONE).id
    )


def test_a_person_reads_masked_with_the_age_and_no_id_number_or_birth_date(
    client, live, token, person_id
):
    response = client.get(url(live, f"/people/{person_id}"), headers=token(live.workers[0]))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["phone"] == "138********"
    assert body["tags"] == ["disabled"]
    assert isinstance(body["age"], int) and body["age"] > 80
    assert not {"birth_date", "id_number"} & set(body)
    assert PHONE not in response.get_data(as_text=True)


def test_the_register_lists_the_people_in_care_of_the_callers_grids(client, live, token, person_id):
    mine = client.get(url(live, "/people"), headers=token(live.workers[0]))
    assert [p["id"] for p in mine.get_json()] == [person_id]
    assert "X-Pagination" in mine.headers
    other = client.get(url(live, "/people"), headers=token(live.workers[1]))
    assert other.get_json() == []
    assert (
        client.get(url(live, f"/people/{person_id}"), headers=token(live.workers[1])).status_code
        == 404
    )
    by_id = client.get(url(live, "/people?name=110101194003011234"), headers=token(live.admin))
    assert by_id.status_code == 422
    assert "name" in by_id.get_json()["errors"]["json"]


def test_a_visit_assistance_and_details_through_the_api(client, live, token, person_id):
    headers = token(live.workers[0])
    visit = client.post(
        url(live, f"/people/{person_id}/visits"),
        json={"visited_on": TODAY.isoformat(), "condition": "poor", "needs": "轮椅坏了"},
        headers=headers,
    )
    assert visit.status_code == 201, visit.get_json()
    assert visit.get_json()["visits"][0]["needs"] == "轮椅坏了"
    given = client.post(
        url(live, f"/people/{person_id}/assistance"),
        json={
            "kind": "money",
            "what": "临时救助金",
            "amount": "300.50",
            "given_on": TODAY.isoformat(),
            "given_by": "民政局",
        },
        headers=headers,
    )
    assert given.status_code == 201, given.get_json()
    assert given.get_json()["assistance"][0]["amount"] == "300.50"
    record = client.put(
        url(live, f"/people/{person_id}/record"),
        json={"disability_category": "physical", "disability_level": "2"},
        headers=headers,
    )
    assert record.status_code == 200, record.get_json()
    assert record.get_json()["record"]["disability_level"] == "2"
    due = client.get(url(live, "/due"), headers=headers).get_json()
    assert due == []


def test_bad_input_answers_every_field_error_and_never_a_500(client, live, token, person_id):
    response = client.post(
        url(live, f"/people/{person_id}/visits"),
        json={"visited_on": "not a date", "condition": "bad"},
        headers=token(live.workers[0]),
    )
    assert response.status_code == 422
    assert {"visited_on", "condition"} <= set(response.get_json()["errors"]["json"])
    money = client.post(
        url(live, f"/people/{person_id}/assistance"),
        json={"kind": "money", "what": "救助金", "given_on": TODAY.isoformat(), "given_by": "x"},
        headers=token(live.workers[0]),
    )
    assert money.status_code == 422
    assert "amount" in money.get_json()["errors"]["json"]


def test_an_errand_through_the_api_from_request_to_confirmation(client, live, token, person_id):
    headers = token(live.workers[0])
    made = client.post(
        url(live, f"/people/{person_id}/errands"),
        json={"kind": "pension", "title": "养老金资格认证"},
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    errand = made.get_json()
    assert errand["state"] == "requested" and errand["actions"] == ["accept", "cancel"]
    steps = url(live, f"/errands/{errand['id']}/steps")
    assert client.post(steps, json={"action": "accept"}, headers=headers).status_code == 200
    done = client.post(steps, json={"action": "done", "comment": "已办好"}, headers=headers)
    assert done.get_json()["state"] == "done"
    confirmed = client.post(
        steps, json={"action": "confirm", "rating": "satisfied"}, headers=headers
    )
    assert (confirmed.get_json()["state"], confirmed.get_json()["rating"]) == (
        "confirmed",
        "satisfied",
    )
    again = client.post(steps, json={"action": "accept"}, headers=headers)
    assert again.status_code in (409, 422)
    listed = client.get(url(live, "/errands?open=false"), headers=headers).get_json()
    assert [e["id"] for e in listed] == [errand["id"]]


def test_levels_and_due_lists_count_the_overdue_people(client, live, token, person_id):
    headers = token(live.admin)
    levels = client.get(url(live, "/levels"), headers=headers)
    assert levels.status_code == 200, levels.get_json()
    assert [(r["code"], r["overdue"]) for r in levels.get_json()] == [
        (live.townships[0].code, 1),
        (live.townships[1].code, 0),
    ]
    due = client.get(url(live, "/due"), headers=headers).get_json()
    assert [(d["person_id"], d["is_overdue"], d["due_on"]) for d in due] == [
        (person_id, True, None)
    ]
    workers = client.get(url(live, "/workers"), headers=headers).get_json()
    assert [(w["user_id"], w["overdue"]) for w in workers] == [(live.workers[0].id, 1)]
    figures = {
        f["code"]: f["value"] for f in client.get(url(live, "/figures"), headers=headers).get_json()
    }
    assert figures["civil_affairs.overdue"] == 1


def test_the_audit_admin_and_another_departments_officer_get_nothing(
    app, client, live, token, person_id
):
    def other_officer(session):
        office = departments.create_department(
            session, None, code="SFS", name="司法所", node=live.top
        )
        user = UserFactory(
            username="changshan-sifa", role=Role.DEPARTMENT_OFFICER.value, nodes=[live.top]
        )
        departments.add_officer(session, None, office, user)
        return user

    sifa = in_county(app, live, other_officer)
    for user in (live.auditor, sifa, live.volunteer):
        headers = token(user)
        for path in (
            "/people",
            f"/people/{person_id}",
            "/due",
            "/levels",
            "/workers",
            "/figures",
            "/errands",
        ):
            response = client.get(url(live, path), headers=headers)
            assert response.status_code in (403, 404), (user.username, path, response.status_code)
        listed = client.get(url(live, "/people"), headers=headers)
        assert "示例老人" not in listed.get_data(as_text=True)


def test_the_bureaus_officer_reads_the_whole_county(client, live, token, person_id, app):
    officer = in_county(app, live, lambda s: departments.officers(s, live.department)[0])
    response = client.get(url(live, f"/people/{person_id}"), headers=token(officer))
    assert response.status_code == 200


def test_while_suspended_the_records_read_and_nothing_new_is_written(
    app, client, live, token, person_id
):
    def suspend(session):
        latest = admission.latest_admission(session, "civil_affairs")
        admission.suspend_admission(session, live.admin, latest, reason="整顿")

    in_county(app, live, suspend)
    headers = token(live.workers[0])
    assert client.get(url(live, f"/people/{person_id}"), headers=headers).status_code == 200
    for path, body in (
        (f"/people/{person_id}/visits", {"visited_on": TODAY.isoformat(), "condition": "good"}),
        (f"/people/{person_id}/errands", {"kind": "other", "title": "代办"}),
    ):
        response = client.post(url(live, path), json=body, headers=headers)
        assert response.status_code == 409, (path, response.get_json())


def test_before_admission_the_api_is_404(app, client, connection):
    county = make_county(app, admitted=False)
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            minted, _record = accounts.create_token(
                session, None, county.tenant, county.admin, scopes=accounts.USER_SCOPES
            )
        session.commit()
    for path in ("/people", "/due", "/levels", "/figures", "/errands", "/assistance"):
        response = client.get(url(county, path), headers=bearer(minted))
        assert response.status_code == 404, path


def test_another_countys_token_reaches_nothing(app, client, live, token, person_id):
    other = make_county(app, "other")
    headers = token(other.admin, other)
    response = client.get(url(live, f"/people/{person_id}"), headers=headers)
    assert response.status_code == 404
