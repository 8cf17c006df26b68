"""The rule table and work calendar pages: a county administrator edits the table as a table
(a new version each time, errors in their cells, what was typed kept); others only read."""

from __future__ import annotations

import datetime as dt

from gridgov.core.db import db_session, set_tenant
from gridgov.core.tasks import calendar, rules
from tests.portal.conftest import login, post_form

RULES = "/t/changshan/tasks/rules"
CALENDAR = "/t/changshan/tasks/calendar"


def _in_county(app, county):
    session = db_session()
    set_tenant(session, county.tenant.id)
    return session


def _current(app, county):
    with app.app_context():
        session = _in_county(app, county)
        version = rules.current_version(session)
        if version is None:
            return None, []
        return version.number, [rules.RuleSpec.of(r) for r in rules.rules_of(session, version)]


def test_an_administrator_saves_the_table_as_a_new_version(as_admin, county):
    response = post_form(
        as_admin,
        RULES,
        RULES,
        {
            "rows": "3",
            "r-0-level": "3",
            "r-0-state": "reported",
            "r-0-hours": "2",
            "r-1-category": "突发事项",
            "r-1-escalate": "yes",
            "r-1-escalate_to_level": "1",
            "r-1-red_points": "2",
            "note": "县综治办第3号通知",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    number, found = _current(as_admin.application, county)
    assert number == 1
    assert found == [
        rules.RuleSpec(level=3, state="reported", hours=2),
        rules.RuleSpec(category="突发事项", escalate=True, escalate_to_level=1, red_points=2),
    ]
    page = as_admin.get(RULES).get_data(as_text=True)
    assert "第 1 版" in page and "县综治办第3号通知" in page
    history = as_admin.get(RULES + "/versions").get_data(as_text=True)
    assert "第 1 版" in history and county.admin.name in history
    assert "突发事项" in as_admin.get(RULES + "/versions/1").get_data(as_text=True)


def test_a_bad_cell_is_marked_and_nothing_is_stored(as_admin, county):
    response = post_form(
        as_admin,
        RULES,
        RULES,
        {
            "rows": "2",
            "r-0-category": "民生事项",
            "r-0-hours": "3",
            "r-1-state": "reported",
            "r-1-hours": "两小时",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "办理时限须指定环节" in html or "应为数字" in html
    assert "应为数字" in html and 'value="两小时"' in html
    # Once the number is fixed, the service names the other row's problem.
    response = post_form(
        as_admin,
        RULES,
        RULES,
        {"rows": "2", "r-0-category": "民生事项", "r-0-hours": "3", "r-1-state": "reported"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "办理时限须指定环节" in html and "这一行什么也没有规定" in html
    assert _current(as_admin.application, county) == (None, [])


def test_staff_read_the_table_but_cannot_change_it(client, county):
    login(client, "changshan", county.township_staff.username)
    page = client.get(RULES)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "引擎默认" in html and "保存为新版本" not in html
    refused = post_form(client, RULES, RULES, {"rows": "1", "r-0-escalate": "yes"})
    assert refused.status_code == 404
    assert _current(client.application, county) == (None, [])


def test_an_administrator_sets_and_removes_a_local_holiday(as_admin, county):
    response = post_form(
        as_admin, CALENDAR, CALENDAR, {"day": "2026-07-11", "kind": "off", "note": "那达慕"}
    )
    assert response.status_code == 302
    page = as_admin.get(CALENDAR + "?year=2026").get_data(as_text=True)
    assert "2026-07-11" in page and "那达慕" in page
    removed = post_form(as_admin, CALENDAR + "?year=2026", CALENDAR + "/2026-07-11/delete", {})
    assert removed.status_code == 302
    with as_admin.application.app_context():
        assert calendar.calendar_days(_in_county(as_admin.application, county)) == []


def test_a_calendar_day_without_a_date_is_marked_on_the_form(as_admin, county):
    response = post_form(as_admin, CALENDAR, CALENDAR, {"day": "", "kind": "work", "note": "调休"})
    assert response.status_code == 422
    assert "请选择日期" in response.get_data(as_text=True)


def test_the_calendar_is_read_only_for_other_staff(client, county):
    login(client, "changshan", county.workers[0].username)
    assert "设置一天" not in client.get(CALENDAR).get_data(as_text=True)
    refused = post_form(client, CALENDAR, CALENDAR, {"day": "2026-07-11", "kind": "off"})
    assert refused.status_code == 404
    with client.application.app_context():
        session = _in_county(client.application, county)
        assert calendar.calendar_days(session, 2026) == []
        assert dt.date(2026, 7, 11) not in {d.day for d in calendar.calendar_days(session)}
