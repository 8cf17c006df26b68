"""The period report page: a frozen March's tables and charts (vendored Chart.js), the period
and node pickers within the user's scope, bad dates marked on the form, the .xlsx, the link
from the task pages for roles that read reports, and the admitted modules' figures."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from openpyxl import load_workbook

from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import db_session, set_tenant, tenant_scope
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, CountyClock, zone_named
from gridgov_plugins.fire_safety import hazards
from tests.core.reports.factories import build_march
from tests.plugins.fire_safety.conftest import admit, finding
from tests.portal.conftest import login

PAGE = "/t/changshan/reports/period"
MARCH = "from=2024-03-01&to=2024-03-31"


@pytest.fixture
def march(app, connection):
    with app.app_context():
        session = db_session()
        set_tenant(session, None)
        county = build_march(session)
        session.commit()
    return county


def logged_in(client, county, user):
    assert login(client, county.tenant.slug, user.username).status_code == 302
    return client


def charts_of(page: str) -> dict:
    found = re.search(r'data-charts="([^"]*)"', page)
    assert found, "no charts on the page"
    return json.loads(html.unescape(found.group(1)))


def test_the_march_report_shows_its_tables_and_charts(client, march):
    page = logged_in(client, march, march.admin).get(f"{PAGE}?{MARCH}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "期间报表" in text and "职能部门事件办理情况" in text
    assert re.search(rf"<th>{march.department.name}</th><td>4</td><td>2</td><td>1</td>", text)
    charts = charts_of(text)
    assert charts["cards"]["series"][0]["values"] == [1, 3]
    assert charts["departments"]["labels"] == [march.department.name]
    assert 'src="/static/vendor/chartjs/chart.umd.js"' in text
    assert not re.search(r'<script[^>]+src="(https?:)?//', text)
    assert re.search(r'data-code="served">4<', text)


def test_the_picker_offers_the_countys_months_quarters_and_years(client, march):
    text = logged_in(client, march, march.admin).get(PAGE).get_data(as_text=True)
    for key in ("this_month", "last_month", "this_quarter", "last_quarter", "this_year"):
        assert f'data-shortcut="{key}"' in text
    assert 'type="date"' in text


def test_a_township_picks_only_nodes_of_its_own_subtree(client, march):
    client = logged_in(client, march, march.township_staff)
    text = client.get(f"{PAGE}?{MARCH}").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(\d+)"', text)
    assert str(march.townships[0].id) in options
    assert str(march.communities[0].id) in options
    assert str(march.townships[1].id) not in options
    assert str(march.top.id) not in options
    assert client.get(f"{PAGE}?node={march.townships[1].id}&{MARCH}").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2024-03-31&to=2024-03-01", "结束日期不能早于开始日期"),
        ("from=2024-03-01", "请填写结束日期"),
    ],
)
def test_a_bad_period_comes_back_on_the_form(client, march, query, message):
    page = logged_in(client, march, march.admin).get(f"{PAGE}?{query}")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert message in text and 'aria-invalid="true"' in text
    assert "data-charts" not in text


def test_a_date_that_is_no_date_is_marked(client, march):
    page = logged_in(client, march, march.admin).get(f"{PAGE}?from=2024-02-30&to=2024-03-31")
    assert page.status_code == 422
    assert 'id="from-error"' in page.get_data(as_text=True)


def test_the_workbook_of_the_page(client, march):
    response = logged_in(client, march, march.admin).get(
        f"/t/changshan/reports/period.xlsx?{MARCH}"
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert ("上报事件", 5) in list(book["概况"].iter_rows(values_only=True))
    assert book.sheetnames == ["概况", "按类别", "职能部门", "按来源", "部门模块"]


def test_the_county_administrators_home_links_the_report(client, march):
    home = logged_in(client, march, march.admin).get("/t/changshan/").get_data(as_text=True)
    assert 'data-testid="home-period-report"' in home


def test_the_task_pages_link_the_report_for_staff_but_not_for_volunteers(app, client, march):
    station = logged_in(client, march, march.station_staff)
    assert 'data-testid="period-report-link"' in station.get("/t/changshan/tasks").get_data(
        as_text=True
    )
    volunteer = logged_in(app.test_client(), march, march.volunteer)
    assert 'data-testid="period-report-link"' not in volunteer.get("/t/changshan/tasks").get_data(
        as_text=True
    )
    assert volunteer.get(f"{PAGE}?{MARCH}").status_code == 404


def test_the_admitted_modules_figures_of_this_year(app, client, march):
    with app.app_context():
        session = db_session()
        with tenant_scope(session, march.tenant.id):
            admit(session, march)
            worker = march.workers[0]
            hazards.record_hazard(
                session, worker, scope_of(session, worker), march.grids[0], finding()
            )
        session.commit()
    client = logged_in(client, march, march.admin)
    year = CountyClock(zone_named(DEFAULT_TIME_ZONE)).today().year  # the hazard's county day
    text = client.get(f"{PAGE}?from={year}-01-01&to={year}-12-31").get_data(as_text=True)
    assert 'data-testid="module-fire_safety"' in text
    assert re.search(r'data-code="fire_safety.hazards_found">1 起<', text)
