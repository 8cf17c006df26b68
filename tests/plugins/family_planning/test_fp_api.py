"""The module's API: targets, follow-ups, births and entitlements through their endpoints,
bad input answered with field errors, people shown without ID numbers, phones or birth dates,
and every record kept inside the caller's scope and county."""

from __future__ import annotations

import datetime as dt

from tests.plugins.family_planning.conftest import TODAY, in_county, make_live, url, woman


def test_a_worker_registers_a_target_files_a_follow_up_and_the_due_list_empties(
    client, live, token
):
    headers = token(live.county.workers[0])
    made = client.post(
        url(live, "/targets"),
        json={"person_id": live.family.mother.id, "kind": "woman"},
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["person"]["age"] == 30 and set(body["person"]) == {"id", "name", "sex", "age"}
    due = client.get(url(live, "/follow-ups/due"), headers=headers).get_json()
    assert [line["target_id"] for line in due] == [body["id"]]
    filed = client.post(
        url(live, f"/targets/{body['id']}/follow-ups"),
        json={"data": {"visited_on": TODAY.isoformat(), "condition": "good", "notes": "正常"}},
        headers=headers,
    )
    assert filed.status_code == 201, filed.get_json()
    assert filed.get_json()["follow_ups"][0]["is_on_time"] is True
    assert client.get(url(live, "/follow-ups/due"), headers=headers).get_json() == []


def test_bad_input_names_each_field(app, client, live, token):
    headers = token(live.county.workers[0])
    refused = client.post(url(live, "/targets"), json={"kind": "newborn"}, headers=headers)
    assert refused.status_code == 422
    assert {"person_id", "kind"} <= set(refused.get_json()["errors"]["json"])
    target_id = in_county(app, live, lambda s: woman(s, live).id)
    form = client.post(
        url(live, f"/targets/{target_id}/follow-ups"), json={"data": {}}, headers=headers
    )
    assert form.status_code == 422 and "notes" in str(form.get_json())


def test_a_birth_through_the_api_shows_the_certificate_masked(client, live, token):
    headers = token(live.county.workers[0])
    made = client.post(
        url(live, "/births"),
        json={
            "mother_id": live.family.mother.id,
            "child_name": "甲宝宝",
            "sex": "male",
            "born_on": (TODAY - dt.timedelta(days=3)).isoformat(),
            "place_of_birth": "县医院",
            "certificate_number": "R150100123",
        },
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["certificate_number"] == "******0123"
    assert "R150100123" not in client.get(url(live, "/births"), headers=headers).get_data(
        as_text=True
    )


def test_an_entitlement_through_its_steps_by_the_roles_that_take_them(client, live, token):
    made = client.post(
        url(live, "/entitlements"),
        json={"person_id": live.family.grandfather.id, "scheme": "reward"},
        headers=token(live.county.workers[0]),
    )
    assert made.status_code == 201, made.get_json()
    entitlement_id = made.get_json()["id"]
    steps = url(live, f"/entitlements/{entitlement_id}/steps")
    officer = token(live.officer)
    out_of_turn = client.post(steps, json={"action": "approve"}, headers=officer)
    assert out_of_turn.status_code == 409
    township = token(live.county.township_staff)
    checked = client.post(steps, json={"action": "check"}, headers=township)
    assert checked.get_json()["state"] == "checked"
    assert client.post(steps, json={"action": "approve"}, headers=township).status_code == 403
    assert client.post(steps, json={"action": "approve"}, headers=officer).status_code == 200
    paid = client.post(
        steps,
        json={"action": "pay", "amount": "960.00", "paid_on": TODAY.isoformat()},
        headers=officer,
    )
    assert paid.get_json()["state"] == "paid" and paid.get_json()["amount"] == "960.00"


def test_another_grid_another_county_and_the_audit_admin_see_nothing(client, live, token, app):
    target_id = in_county(app, live, lambda s: woman(s, live).id)
    mine = url(live, f"/targets/{target_id}")
    assert client.get(mine, headers=token(live.county.workers[0])).status_code == 200
    assert client.get(mine, headers=token(live.county.workers[1])).status_code == 404
    assert client.get(url(live, "/targets"), headers=token(live.county.workers[1])).get_json() == []
    assert client.get(mine, headers=token(live.county.auditor)).status_code in (403, 404)
    other = make_live(app, "othercounty")
    foreign = client.get(
        f"/t/othercounty/api/v1/modules/family_planning/targets/{target_id}",
        headers=token(other.county.admin, other),
    )
    assert foreign.status_code == 404


def test_another_departments_officer_reads_nothing_of_the_module(client, live, token, app):
    from gridgov.core.departments import service as departments
    from tests.factories import UserFactory

    def add_other(session):
        other = UserFactory(
            username="changshan-xf", role="department_officer", nodes=[live.county.top]
        )
        departments.add_officer(session, None, live.county.department, other)
        woman(session, live)
        return other

    other = in_county(app, live, add_other)
    headers = token(other)
    for path in ("/targets", "/births", "/entitlements", "/follow-ups/due", "/figures"):
        assert client.get(url(live, path), headers=headers).status_code == 403, path
    assert client.get(url(live, "/targets"), headers=token(live.officer)).status_code == 200


def test_a_worker_outside_the_pilot_gets_404(client, live, token):
    headers = token(live.county.workers[4])
    assert client.get(url(live, "/targets"), headers=headers).status_code == 404
