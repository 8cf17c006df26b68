"""The review pages of the assessment (考核): on a sheet the worker raises an objection (复核)
and the supervisor answers and adjusts, each step audited; the reviewers' list of objections;
the county locks a month on the sheets list, marks payouts paid and downloads the exports;
rankings; a worker's days of a month; the station's morning meetings and spot checks. Every
page refuses the roles it is not for, and bad input stores nothing."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.assessment import review
from gridgov.core.assessment.models import (
    Adjustment,
    AssessmentPeriod,
    AssessmentSheet,
    LogComment,
    Meeting,
    Objection,
    ObjectionState,
    PayoutState,
    SpotCheck,
)
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import db_session
from gridgov.core.tasks.models import WorkerLog
from gridgov.core.tenancy.county_time import CountyClock
from tests.portal.conftest import csrf_token
from tests.portal.test_assessment import (
    BASE,
    MONTH,
    as_user,
    in_county,
    in_english,
    lock,
    score,
    text_of,
)
from tests.portal.test_assessment import chinese_left as chinese_of_the_page

TODAY = CountyClock.of(None).today()
THIS_MONTH = f"{TODAY.year:04d}-{TODAY.month:02d}"
PATROLS = "core.patrols"


@pytest.fixture
def sheet_ids(app, county):
    return score(app, county)


def line_id(app, county, sheet_id: int, code: str = PATROLS) -> int:
    with app.app_context():
        sheet = in_county(county).get(AssessmentSheet, sheet_id)
        return next(line.id for line in sheet.lines if line.code == code)


def post_on(client, page_url: str, action: str, data: dict[str, str]):
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(action, data={"csrf_token": csrf_token(text_of(page)), **data})


def stored(app, county, model, *where):
    with app.app_context():
        session = in_county(county)
        found = list(session.scalars(select(model).where(*where).order_by(model.id)))
        session.expunge_all()
        return found


def audited(app, county, action: str) -> int:
    with app.app_context():
        session = in_county(county)
        return session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )


def raise_objection(app, client, county, sheet_id: int, text: str = "我每天都巡查了"):
    line = line_id(app, county, sheet_id)
    sheet = f"{BASE}/sheets/{sheet_id}"
    return post_on(client, sheet, f"{sheet}/lines/{line}/objection", {f"o{line}-text": text})


# --- the sheet: objection, answer, adjustment -------------------------------------------------


def test_the_workers_objection_and_the_supervisors_answer_and_adjustment_appear_on_the_sheet(
    app, client, county, sheet_ids
):
    worker = county.workers[0]
    sheet_id = sheet_ids[worker.id]
    sheet = f"{BASE}/sheets/{sheet_id}"
    as_user(client, county, worker)
    assert 'data-testid="objection-form"' in text_of(client.get(f"{BASE}/mine"))
    response = raise_objection(app, client, county, sheet_id)
    assert response.status_code == 302
    page = text_of(client.get(sheet))
    assert "我每天都巡查了" in page and "待答复" in page and "答复期限" in page
    assert 'data-testid="adjust-form"' not in page  # a worker does not adjust their own sheet
    assert audited(app, county, "assessment.object") == 1

    supervisor = app.test_client()
    as_user(supervisor, county, county.supervisor)
    page = text_of(supervisor.get(sheet))
    assert 'data-testid="answer-form"' in page and 'data-testid="objection-form"' not in page
    [objection] = stored(app, county, Objection)
    response = post_on(
        supervisor,
        sheet,
        f"{BASE}/objections/{objection.id}/answer",
        {f"a{objection.id}-answer": "核实属实，改为 8 分", f"a{objection.id}-points": "8"},
    )
    assert response.status_code == 302
    line = line_id(app, county, sheet_id, "core.logs")
    response = post_on(
        supervisor,
        sheet,
        f"{sheet}/lines/{line}/adjustment",
        {f"j{line}-points": "3", f"j{line}-reason": "日志缺两天"},
    )
    assert response.status_code == 302
    page = text_of(client.get(sheet))  # what the worker reads
    assert "核实属实，改为 8 分" in page and "已答复" in page and "已改分" in page
    assert f"{county.supervisor.name} 调整：" in page and "→ 8" in page
    assert "日志缺两天" in page and "→ 3" in page
    [answered] = stored(app, county, Objection)
    assert answered.state == ObjectionState.ANSWERED and answered.upheld
    assert len(stored(app, county, Adjustment)) == 2
    assert audited(app, county, "assessment.answer") == 1
    assert audited(app, county, "assessment.adjust") == 2


def test_an_adjustment_out_of_range_is_marked_on_its_line_and_nothing_changes(
    app, client, county, sheet_ids
):
    sheet_id = sheet_ids[county.workers[0].id]
    sheet = f"{BASE}/sheets/{sheet_id}"
    line = line_id(app, county, sheet_id)
    as_user(client, county, county.supervisor)
    for points, message in (("500", "分数应在 0 到"), ("八", "应为数字"), ("", "请填写分数")):
        response = post_on(
            client,
            sheet,
            f"{sheet}/lines/{line}/adjustment",
            {f"j{line}-points": points, f"j{line}-reason": "复查"},
        )
        assert response.status_code == 422
        page = text_of(response)
        assert message in page
        form = page[page.index(f'action="{sheet}/lines/{line}/adjustment"') :]
        assert "has-error" in form[: form.index("</form>")]
    assert stored(app, county, Adjustment) == []


def test_an_objection_without_a_reason_is_marked_and_nothing_is_stored(
    app, client, county, sheet_ids
):
    as_user(client, county, county.workers[0])
    response = raise_objection(app, client, county, sheet_ids[county.workers[0].id], text="")
    assert response.status_code == 422
    assert "请写明复核理由" in text_of(response)
    assert stored(app, county, Objection) == []


def test_a_worker_objects_only_on_their_own_sheet(app, client, county, sheet_ids):
    as_user(client, county, county.workers[0])
    other = sheet_ids[county.workers[1].id]
    line = line_id(app, county, other)
    page = text_of(client.get(f"{BASE}/mine"))
    response = client.post(
        f"{BASE}/sheets/{other}/lines/{line}/objection",
        data={"csrf_token": csrf_token(page), f"o{line}-text": "不公平"},
    )
    assert response.status_code == 404
    assert stored(app, county, Objection) == []


def escalate(app, county) -> None:
    with app.app_context():
        session = in_county(county)
        review.escalate_overdue(session, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=60))
        session.commit()


def test_an_escalated_objection_is_answered_by_the_township_not_the_supervisor(
    app, client, county, sheet_ids
):
    sheet_id = sheet_ids[county.workers[0].id]
    sheet = f"{BASE}/sheets/{sheet_id}"
    as_user(client, county, county.workers[0])
    raise_objection(app, client, county, sheet_id)
    escalate(app, county)
    [objection] = stored(app, county, Objection)
    supervisor = app.test_client()
    as_user(supervisor, county, county.supervisor)
    page = text_of(supervisor.get(sheet))
    assert "超期已上报" in page and 'data-testid="answer-form"' not in page
    response = post_on(
        supervisor,
        sheet,
        f"{BASE}/objections/{objection.id}/answer",
        {f"a{objection.id}-answer": "维持原分"},
    )
    assert response.status_code == 422
    assert "由乡镇或县级答复" in text_of(response)
    assert stored(app, county, Objection)[0].state == ObjectionState.ESCALATED
    town = app.test_client()
    as_user(town, county, county.township_staff)
    response = post_on(
        town,
        sheet,
        f"{BASE}/objections/{objection.id}/answer",
        {f"a{objection.id}-answer": "维持原分"},
    )
    assert response.status_code == 302
    assert stored(app, county, Objection)[0].state == ObjectionState.ANSWERED


def test_a_locked_sheet_shows_no_forms_but_the_countys_correction(app, client, county, sheet_ids):
    lock(app, county)
    sheet_id = sheet_ids[county.workers[0].id]
    sheet = f"{BASE}/sheets/{sheet_id}"
    line = line_id(app, county, sheet_id)
    as_user(client, county, county.workers[0])
    page = text_of(client.get(sheet))
    assert 'data-testid="sheet-locked"' in page and '<form method="post"' not in page
    supervisor = app.test_client()
    as_user(supervisor, county, county.supervisor)
    page = text_of(supervisor.get(sheet))
    assert 'data-testid="adjust-form"' not in page
    response = supervisor.post(
        f"{sheet}/lines/{line}/adjustment",
        data={"csrf_token": csrf_token(page), f"j{line}-points": "1", f"j{line}-reason": "补"},
    )
    assert response.status_code == 422 and "只有县级可以更正" in text_of(response)
    admin = app.test_client()
    as_user(admin, county, county.admin)
    assert "更正这一项（锁定后）" in text_of(admin.get(sheet))
    response = post_on(
        admin,
        sheet,
        f"{sheet}/lines/{line}/adjustment",
        {f"j{line}-points": "2", f"j{line}-reason": "县级更正"},
    )
    assert response.status_code == 302
    assert "锁定后更正" in text_of(admin.get(sheet))
    assert audited(app, county, "assessment.correct") == 1


def test_the_sheet_shows_the_workers_months_in_a_row(app, client, county, sheet_ids):
    year, number = (int(p) for p in MONTH.split("-"))
    index = year * 12 + number - 2
    before = f"{index // 12:04d}-{index % 12 + 1:02d}"
    score(app, county, before)
    as_user(client, county, county.workers[0])
    page = text_of(client.get(f"{BASE}/sheets/{sheet_ids[county.workers[0].id]}"))
    trend = page[page.index('data-testid="trend"') :]
    trend = trend[: trend.index("</ol>")]
    assert before[2:] in trend and MONTH[2:] in trend and trend.count("<meter") == 2
