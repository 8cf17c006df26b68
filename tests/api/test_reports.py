"""The period report API: a frozen March's figures, the caller's scope (a township sees only
its subtree, another county's node is 404), bad periods as 422 with the field, the .xlsx."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from openpyxl import load_workbook

from tests.api.bearer import bearer, url
from tests.core.reports.factories import build_march
from tests.factories import build_county

MARCH = "from=2024-03-01&to=2024-03-31"


@pytest.fixture
def march(session):
    county = build_march(session)
    session.commit()
    return county


@pytest.fixture
def admin(march, mint):
    return bearer(mint(march, march.admin))


def get(client, county, path, headers):
    return client.get(url(county, path), headers=headers)


def test_the_countys_march_report_in_json(client, march, admin):
    response = get(client, march, f"/reports/period?{MARCH}", admin)
    assert response.status_code == 200, response.get_json()
    found = response.get_json()
    assert found["node"]["id"] == march.top.id
    assert found["period"] == {
        "from": "2024-03-01",
        "to": "2024-03-31",
        "days": 31,
        "time_zone": "Asia/Shanghai",
    }
    assert (found["reported"], found["closed"]) == (5, 3)
    assert found["cards"] == {"yellow": 1, "red": 3, "yellow_open": 1, "red_open": 2}
    (brigade,) = found["departments"]
    assert brigade["department"]["code"] == march.department.code
    assert [brigade[k] for k in ("received", "handled", "on_time", "overdue", "returned")] == [
        4,
        2,
        1,
        2,
        1,
    ]
    sources = {s["source"]: (s["received"], s["handled"]) for s in found["sources"]}
    assert sources["resident"] == (2, 1) and sources["hotline"] == (1, 1)
    assert found["served"] == {"tasks": 3, "visits": 1, "total": 4}
    assert found["modules"] == []


def test_without_dates_the_report_is_this_county_month(client, march, admin):
    # 16:30 UTC on 31 March is 1 April in Beijing: April's report, with nothing in it yet.
    with time_machine.travel(dt.datetime(2024, 3, 31, 16, 30, tzinfo=dt.UTC), tick=False):
        found = get(client, march, "/reports/period", admin).get_json()
    assert (found["period"]["from"], found["period"]["to"]) == ("2024-04-01", "2024-04-30")
    assert found["reported"] == 0


def test_a_township_sees_its_own_subtree_only(client, march, mint):
    town = bearer(mint(march, march.township_staff))
    found = get(client, march, f"/reports/period?{MARCH}", town).get_json()
    assert found["node"]["id"] == march.townships[0].id
    assert (found["reported"], found["cards"]["red"]) == (4, 2)
    outside = get(client, march, f"/reports/period?node_id={march.townships[1].id}&{MARCH}", town)
    assert outside.status_code == 404
    county_wide = get(client, march, f"/reports/period?node_id={march.top.id}&{MARCH}", town)
    assert county_wide.status_code == 404


def test_another_countys_node_is_not_found(client, session, march, admin):
    other = build_county(session, "baishui")
    session.commit()
    response = get(client, march, f"/reports/period?node_id={other.top.id}&{MARCH}", admin)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2024-13-01&to=2024-03-31", "from"),
        ("from=2024-03-01&to=31.03.2024", "to"),
        ("from=2024-03-31&to=2024-03-01", "to"),
        ("from=2024-03-01", "to"),
        ("to=2024-03-01", "from"),
    ],
)
def test_a_bad_period_is_refused_with_the_field_at_fault(client, march, admin, query, field):
    response = get(client, march, f"/reports/period?{query}", admin)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["query"]
    assert list(errors) == [field]


def test_volunteers_may_not_read_period_reports(client, march, mint):
    volunteer = bearer(mint(march, march.volunteer))
    assert get(client, march, f"/reports/period?{MARCH}", volunteer).status_code == 403


def test_a_token_without_tasks_read_may_not_read_period_reports(client, march, mint):
    token = bearer(mint(march, march.admin, scopes=["hierarchy:read"]))
    assert get(client, march, f"/reports/period?{MARCH}", token).status_code == 403


def test_the_workbook_holds_the_same_report(client, march, admin):
    response = get(client, march, f"/reports/period.xlsx?{MARCH}", admin)
    assert response.status_code == 200
    assert "report-CHA-20240301-20240331.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    summary = [row for row in book["概况"].iter_rows(values_only=True)]
    assert ("上报事件", 5) in summary and ("已办结", 3) in summary
    assert ("黄牌", 1) in summary and ("红牌", 3) in summary
    assert ("服务居民人次", 4) in summary
    assert summary[1][1].date() == dt.date(2024, 3, 1)
    departments = list(book["职能部门"].iter_rows(values_only=True))
    assert departments[1] == (march.department.name, 4, 2, 1, 2, 1, 0.5)
    sources = {row[0]: row[1:] for row in book["按来源"].iter_rows(values_only=True)}
    assert sources["居民反映"] == (2, 1)


def test_the_report_is_in_the_openapi_spec_with_its_scope(client):
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/t/{slug}/api/v1/reports/period"]["get"]
    assert operation["x-scope"] == "tasks:read"
    assert {p["name"] for p in operation["parameters"]} >= {"node_id", "from", "to"}
