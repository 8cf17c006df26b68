"""The rule table and work calendar API: read by staff, changed by county administrators,
versioned, refused row by row, and a report's past deadline refused on its field."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, zone_named
from tests.api.bearer import bearer, url

COUNTY_ZONE = zone_named(DEFAULT_TIME_ZONE)  # the test counties' zone
MONDAY_9 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=COUNTY_ZONE)


@pytest.fixture
def admin(county, mint):
    return bearer(mint(county, county.admin))


@pytest.fixture
def worker(county, mint):
    return bearer(mint(county, county.workers[0]))


def put_rules(client, county, headers, rows, note=""):
    return client.put(
        url(county, "/task-rules"), json={"rules": rows, "note": note}, headers=headers
    )


def test_a_county_without_rules_reads_an_empty_table_and_the_engines_defaults(
    client, county, worker
):
    table = client.get(url(county, "/task-rules"), headers=worker).get_json()
    assert (table["number"], table["rules"]) == (None, [])
    defaults = client.get(url(county, "/task-rules/defaults"), headers=worker).get_json()
    reported = next(d for d in defaults if (d["task_type"], d["state"]) == ("default", "reported"))
    assert (reported["hours"], reported["yellow_percent"], reported["red_percent"]) == (4, 80, 100)
    assert (reported["yellow_points"], reported["red_points"]) == (0.5, 1)


def test_an_administrator_changes_the_table_and_the_next_report_follows_it(
    client, county, admin, worker
):
    response = put_rules(
        client,
        county,
        admin,
        [{"level": 3, "state": "reported", "hours": 2, "red_points": 1.5}],
        note="试行新时限",
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["number"], body["source"], body["note"], body["is_current"]) == (
        1,
        "api",
        "试行新时限",
        True,
    )
    assert body["created_by_name"] == county.admin.name
    assert body["rules"][0]["hours"] == 2 and body["rules"][0]["category"] is None
    with time_machine.travel(MONDAY_9, tick=False):
        task = client.post(
            url(county, "/tasks"),
            json={"node_id": county.grids[0].id, "category": "民生事项", "title": "路灯不亮"},
            headers=worker,
        ).get_json()
    assert dt.datetime.fromisoformat(task["due_at"]) == MONDAY_9 + dt.timedelta(hours=2)


def test_the_history_lists_every_version_and_each_stays_readable(client, county, admin):
    put_rules(client, county, admin, [{"state": "reported", "hours": 2}])
    put_rules(client, county, admin, [{"state": "reported", "hours": 3}])
    listed = client.get(url(county, "/task-rules/versions"), headers=admin)
    assert [v["number"] for v in listed.get_json()] == [2, 1]
    assert [v["is_current"] for v in listed.get_json()] == [True, False]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 2
    first = client.get(url(county, "/task-rules/versions/1"), headers=admin).get_json()
    assert first["rules"][0]["hours"] == 2
    assert client.get(url(county, "/task-rules/versions/9"), headers=admin).status_code == 404


def test_a_bad_row_is_refused_with_its_row_and_field(client, county, admin):
    response = put_rules(
        client,
        county,
        admin,
        [{"state": "reported", "hours": 2}, {"category": "民生事项", "hours": 3}],
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert errors == {"rules": {"1": {"state": ["办理时限须指定环节"]}}}
    assert client.get(url(county, "/task-rules"), headers=admin).get_json()["number"] is None


def test_staff_other_than_county_administrators_cannot_change_the_table(
    client, county, worker, mint
):
    assert put_rules(client, county, worker, [{"escalate": True}]).status_code == 403
    read_only = bearer(mint(county, county.admin, scopes=["rules:read"]))
    assert put_rules(client, county, read_only, [{"escalate": True}]).status_code == 403


def test_another_countys_rules_are_not_seen(client, county, other, admin, mint):
    put_rules(client, county, admin, [{"escalate": True}])
    theirs = bearer(mint(other, other.admin))
    assert client.get(url(other, "/task-rules"), headers=theirs).get_json()["number"] is None
    assert client.get(url(other, "/task-rules/versions/1"), headers=theirs).status_code == 404


def test_a_report_with_a_past_deadline_is_refused_on_the_deadline_field(client, county, worker):
    response = client.post(
        url(county, "/tasks"),
        json={
            "node_id": county.grids[0].id,
            "category": "民生事项",
            "title": "路灯不亮",
            "deadline": "2020-01-01T08:00:00+08:00",
        },
        headers=worker,
    )
    assert response.status_code == 422
    assert "deadline" in response.get_json()["errors"]["json"]


# --- the work calendar ---------------------------------------------------------------------


def test_an_administrator_sets_and_drops_a_local_holiday(client, county, admin, worker):
    response = client.put(
        url(county, "/work-calendar/2024-03-05"),
        json={"is_workday": False, "note": "那达慕"},
        headers=admin,
    )
    assert response.status_code == 200, response.get_json()
    days = client.get(url(county, "/work-calendar?year=2024"), headers=worker).get_json()
    assert days == [{"day": "2024-03-05", "is_workday": False, "note": "那达慕"}]
    # Monday 16:00 + the 4 working hours of 上报: one on Monday, Tuesday is off, three on Wednesday.
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=7), tick=False):
        task = client.post(
            url(county, "/tasks"),
            json={"node_id": county.grids[0].id, "category": "民生事项", "title": "井盖缺失"},
            headers=worker,
        ).get_json()
    due = dt.datetime.fromisoformat(task["due_at"]).astimezone(COUNTY_ZONE)
    assert due == dt.datetime(2024, 3, 6, 12, 0, tzinfo=COUNTY_ZONE)
    assert client.delete(url(county, "/work-calendar/2024-03-05"), headers=admin).status_code == 204
    assert client.get(url(county, "/work-calendar"), headers=worker).get_json() == []


def test_a_calendar_change_by_someone_else_or_a_bad_day_is_refused(client, county, admin, worker):
    body = {"is_workday": True, "note": "调休"}
    assert (
        client.put(url(county, "/work-calendar/2024-03-09"), json=body, headers=worker).status_code
        == 403
    )
    bad = client.put(url(county, "/work-calendar/3月9日"), json=body, headers=admin)
    assert bad.status_code == 422
    assert "day" in bad.get_json()["errors"]["json"]


def test_a_tasks_cards_show_the_points_they_deduct_by_the_rules_of_their_stage(
    client, county, admin, worker, session
):
    from gridgov.core.db import tenant_scope
    from gridgov.core.tasks import cards

    put_rules(client, county, admin, [{"category": "民生事项", "red_points": 3}])
    with time_machine.travel(MONDAY_9, tick=False):
        task_id = client.post(
            url(county, "/tasks"),
            json={"node_id": county.grids[0].id, "category": "民生事项", "title": "路灯不亮"},
            headers=worker,
        ).get_json()["id"]
    put_rules(client, county, admin, [{"category": "民生事项", "red_points": 9}])
    with tenant_scope(session, county.tenant.id):
        cards.sweep_cards(session, MONDAY_9 + dt.timedelta(hours=5))
    session.commit()
    given = client.get(url(county, f"/tasks/{task_id}"), headers=worker).get_json()["cards"]
    assert [(c["color"], c["points"]) for c in given] == [("red", 3)]
