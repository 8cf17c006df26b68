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


# --- the sheet: objection, answer, adjustment ----------------------------------------------------


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


# --- 复核 list -----------------------------------------------------------------------------------


def test_the_reviewers_list_shows_their_workers_objections_waiting_first(
    app, client, county, sheet_ids
):
    for worker in county.workers[:2]:
        c = app.test_client()
        as_user(c, county, worker)
        assert raise_objection(app, c, county, sheet_ids[worker.id]).status_code == 302
    other = app.test_client()
    as_user(other, county, county.workers[5])  # another township's worker
    raise_objection(app, other, county, sheet_ids[county.workers[5].id], text="另一镇")
    escalate(app, county)
    as_user(client, county, county.supervisor)
    page = text_of(client.get(f"{BASE}/objections"))
    rows = re.findall(r'data-testid="objection-row"', page)
    assert len(rows) == 2 and "另一镇" not in page
    assert "超期已上报" in page and "一日双巡" in page
    assert f'href="{BASE}/sheets/{sheet_ids[county.workers[0].id]}"' in page
    home = text_of(client.get("/t/changshan/"))
    assert 'data-testid="objections-waiting"' in home and "2 条考核复核待答复" in home
    admin = app.test_client()
    as_user(admin, county, county.admin)
    assert (
        len(re.findall(r'data-testid="objection-row"', text_of(admin.get(f"{BASE}/objections"))))
        == 3
    )


# --- lock ----------------------------------------------------------------------------------------


def test_the_lock_refusal_is_shown_on_the_list_and_nothing_is_locked(
    app, client, county, sheet_ids
):
    as_user(client, county, county.admin)
    page = text_of(client.get(f"{BASE}/sheets?month={MONTH}"))
    assert 'data-testid="lock-form"' in page
    response = post_on(client, f"{BASE}/sheets?month={MONTH}", f"{BASE}/lock", {"month": MONTH})
    assert response.status_code == 422
    assert "名网格员有待评分的项目" in text_of(response)
    assert stored(app, county, AssessmentPeriod) == []


def test_the_county_locks_a_month_and_it_refuses_changes(app, client, county, sheet_ids):
    lock(app, county)  # the lines scored; locked as the county does
    as_user(client, county, county.admin)
    page = text_of(client.get(f"{BASE}/sheets?month={MONTH}"))
    assert 'data-testid="month-locked"' in page and 'data-testid="lock-form"' not in page
    response = client.post(f"{BASE}/lock", data={"csrf_token": csrf_token(page), "month": MONTH})
    assert response.status_code == 422 and "已锁定" in text_of(response)
    worker = app.test_client()
    as_user(worker, county, county.workers[0])
    sheet_id = sheet_ids[county.workers[0].id]
    line = line_id(app, county, sheet_id)
    page = text_of(worker.get(f"{BASE}/sheets/{sheet_id}"))
    response = worker.post(
        f"{BASE}/sheets/{sheet_id}/lines/{line}/objection",
        data={"csrf_token": csrf_token(page), f"o{line}-text": "晚了"},
    )
    assert response.status_code == 422 and "不能再提出复核" in text_of(response)
    assert stored(app, county, Objection) == []


def test_the_lock_button_is_the_countys_only(app, client, county, sheet_ids):
    as_user(client, county, county.township_staff)
    page = text_of(client.get(f"{BASE}/sheets?month={MONTH}"))
    assert 'data-testid="lock-form"' not in page
    response = client.post(f"{BASE}/lock", data={"csrf_token": csrf_token(page), "month": MONTH})
    assert response.status_code == 404


# --- 兑现 and the exports ------------------------------------------------------------------------


def rows_of(response) -> list[tuple]:
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert ".xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]


def test_mark_paid_stores_the_date_and_the_overdue_list_empties(app, client, county, sheet_ids):
    lock(app, county)
    with app.app_context():
        session = in_county(county)
        payout = session.scalar(select(AssessmentPeriod).where(AssessmentPeriod.kind == "payout"))
        payout.due_on = TODAY - dt.timedelta(days=3)  # the promised day has passed
        session.commit()
    as_user(client, county, county.admin)
    home = text_of(client.get("/t/changshan/"))
    assert 'data-testid="overdue-payout"' in home and MONTH in home
    page = text_of(client.get(f"{BASE}/payouts"))
    assert 'data-testid="payout-overdue"' in page and "待兑现" in page
    [payout] = stored(app, county, AssessmentPeriod, AssessmentPeriod.kind == "payout")
    action = f"{BASE}/payouts/{MONTH}/paid"
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    response = post_on(client, f"{BASE}/payouts", action, {f"p{payout.id}-paid_on": tomorrow})
    assert response.status_code == 422 and "兑现日期不能晚于今天" in text_of(response)
    response = post_on(client, f"{BASE}/payouts", action, {f"p{payout.id}-paid_on": ""})
    assert response.status_code == 422 and "请选择兑现日期" in text_of(response)
    paid_on = (TODAY - dt.timedelta(days=1)).isoformat()
    response = post_on(client, f"{BASE}/payouts", action, {f"p{payout.id}-paid_on": paid_on})
    assert response.status_code == 302
    [payout] = stored(app, county, AssessmentPeriod, AssessmentPeriod.kind == "payout")
    assert payout.payout_state == PayoutState.PAID and payout.paid_on.isoformat() == paid_on
    assert 'data-testid="overdue-payout"' not in text_of(client.get("/t/changshan/"))
    assert f'data-testid="paid-on">{paid_on}' in text_of(client.get(f"{BASE}/payouts"))
    rows = rows_of(client.get(f"{BASE}/payouts/{MONTH}.xlsx"))
    assert rows[0][0] == "网格员" and len(rows) == 1 + len(county.workers)
    assert client.get(f"{BASE}/payouts/2020-01.xlsx").status_code == 404


def test_the_months_export_has_the_readers_scope_only(app, client, county, sheet_ids):
    as_user(client, county, county.supervisor)
    rows = rows_of(client.get(f"{BASE}/sheets.xlsx?month={MONTH}"))
    names = {row[0] for row in rows[1:]}
    assert names == {w.name for w in county.workers[:2]}
    admin = app.test_client()
    as_user(admin, county, county.admin)
    assert len(rows_of(admin.get(f"{BASE}/sheets.xlsx?month={MONTH}"))) == 1 + len(county.workers)
    town = county.townships[1]
    rows = rows_of(admin.get(f"{BASE}/sheets.xlsx?month={MONTH}&node={town.id}"))
    assert {row[0] for row in rows[1:]} == {w.name for w in county.workers[4:]}
    worker = app.test_client()
    as_user(worker, county, county.workers[0])
    assert worker.get(f"{BASE}/sheets.xlsx?month={MONTH}").status_code == 404


# --- 排名 ----------------------------------------------------------------------------------------


def test_the_ranking_groups_by_the_chosen_level_and_shows_the_distribution(
    app, client, county, sheet_ids
):
    as_user(client, county, county.admin)
    page = text_of(client.get(f"{BASE}/ranking?month={MONTH}&level=1"))
    assert len(re.findall(r'data-testid="group"', page)) == 2  # the two townships
    assert county.townships[0].name in page
    assert 'data-chart="distribution"' in page and "chartjs/chart.umd.js" in page
    assert len(re.findall(rf'href="{BASE}/sheets/\d+"', page)) == len(county.workers)
    page = text_of(client.get(f"{BASE}/ranking?month={MONTH}&level=2"))
    assert len(re.findall(r'data-testid="group"', page)) == 4  # the communities
    station = app.test_client()
    as_user(station, county, county.station_staff)
    page = text_of(station.get(f"{BASE}/ranking?month={MONTH}"))
    assert len(re.findall(rf'href="{BASE}/sheets/\d+"', page)) == 2


# --- 网格员日常 ----------------------------------------------------------------------------------


def write_log(app, county, worker, text: str = "走访三户") -> int:
    with app.app_context():
        session = in_county(county)
        log = WorkerLog(user_id=worker.id, day=TODAY, text=text)
        session.add(log)
        session.commit()
        return log.id


def test_the_station_reads_a_workers_days_and_comments_on_a_log(app, client, county):
    worker = county.workers[0]
    log_id = write_log(app, county, worker)
    days = f"{BASE}/workers/{worker.id}/month"
    as_user(client, county, county.station_staff)
    page = text_of(client.get(days))
    assert "走访三户" in page and 'data-testid="comment-form"' in page
    assert len(re.findall(r'data-testid="worker-day"', page)) == TODAY.day
    response = post_on(client, days, f"{BASE}/logs/{log_id}/comments", {f"c{log_id}-text": ""})
    assert response.status_code == 422 and "请填写点评" in text_of(response)
    assert stored(app, county, LogComment) == []
    response = post_on(
        client, days, f"{BASE}/logs/{log_id}/comments", {f"c{log_id}-text": "记录详细，很好"}
    )
    assert response.status_code == 302
    own = app.test_client()
    as_user(own, county, worker)
    page = text_of(own.get(days))  # the worker reads it too, without the form
    assert "记录详细，很好" in page and 'data-testid="comment-form"' not in page


def test_the_worker_days_of_another_stations_worker_are_404(app, client, county):
    other = county.workers[2]  # community 1: not the station's
    log_id = write_log(app, county, other)
    as_user(client, county, county.station_staff)
    assert client.get(f"{BASE}/workers/{other.id}/month").status_code == 404
    page = text_of(client.get(f"{BASE}/workers/{county.workers[0].id}/month"))
    response = client.post(
        f"{BASE}/logs/{log_id}/comments",
        data={"csrf_token": csrf_token(page), f"c{log_id}-text": "越权"},
    )
    assert response.status_code == 404
    assert stored(app, county, LogComment) == []
    worker = app.test_client()
    as_user(worker, county, county.workers[0])
    assert worker.get(f"{BASE}/workers/{county.workers[1].id}/month").status_code == 404


def test_the_sheets_list_and_the_sheet_link_to_the_workers_days(app, client, county, sheet_ids):
    worker = county.workers[0]
    as_user(client, county, county.supervisor)
    link = f'href="{BASE}/workers/{worker.id}/month?month={MONTH}"'
    assert link in text_of(client.get(f"{BASE}/sheets?month={MONTH}"))
    assert link in text_of(client.get(f"{BASE}/sheets/{sheet_ids[worker.id]}"))


# --- 晨会 ----------------------------------------------------------------------------------------


def test_the_station_records_a_morning_meeting_with_who_attended(app, client, county):
    as_user(client, county, county.station_staff)
    page = text_of(client.get(f"{BASE}/meetings"))
    assert county.workers[0].name in page and county.workers[2].name not in page
    response = post_on(
        client,
        f"{BASE}/meetings",
        f"{BASE}/meetings",
        {
            "node": str(county.communities[0].id),
            "day": TODAY.isoformat(),
            "present": str(county.workers[0].id),
        },
    )
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "出席 1 / 2" in page and f"缺席：{county.workers[1].name}" in page
    days = text_of(client.get(f"{BASE}/workers/{county.workers[1].id}/month"))
    assert "晨会缺席" in days


@pytest.mark.parametrize(
    ("day", "present", "message"),
    [
        ("", None, "请选择日期"),
        ((TODAY + dt.timedelta(days=2)).isoformat(), None, "不能登记将来的晨会"),
        (TODAY.isoformat(), "other", "不属于本站"),
    ],
)
def test_a_meeting_with_bad_input_is_marked_and_nothing_is_stored(
    app, client, county, day, present, message
):
    as_user(client, county, county.station_staff)
    chosen = str(county.workers[2].id if present == "other" else county.workers[0].id)
    response = post_on(
        client,
        f"{BASE}/meetings",
        f"{BASE}/meetings",
        {"node": str(county.communities[0].id), "day": day, "present": chosen},
    )
    assert response.status_code == 422
    assert message in text_of(response)
    assert stored(app, county, Meeting) == []


def test_a_meeting_of_another_stations_node_is_404(app, client, county):
    as_user(client, county, county.station_staff)
    response = post_on(
        client,
        f"{BASE}/meetings",
        f"{BASE}/meetings",
        {"node": str(county.communities[1].id), "day": TODAY.isoformat()},
    )
    assert response.status_code == 404
    assert stored(app, county, Meeting) == []


# --- 抽查 ----------------------------------------------------------------------------------------


def test_a_spot_check_is_recorded_and_listed(app, client, county):
    as_user(client, county, county.station_staff)
    response = post_on(
        client,
        f"{BASE}/spot-checks",
        f"{BASE}/spot-checks",
        {
            "user_id": str(county.workers[0].id),
            "knows_worker": "yes",
            "was_visited": "no",
            "satisfaction": "basic",
            "resident": "李大爷",
        },
    )
    assert response.status_code == 302
    [check] = stored(app, county, SpotCheck)
    assert check.knows_worker and not check.was_visited and check.satisfaction == "basic"
    page = text_of(client.get(f"{BASE}/spot-checks"))
    assert "李大爷" in page and "基本满意" in page and "未走访" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"satisfaction": ""}, "请选择"),
        ({"knows_worker": ""}, "请选择"),
        ({"user_id": ""}, "请选择网格员"),
        ({"user_id": "other"}, "没有这个网格员"),
        ({"resident": "x" * 101}, "101"),
    ],
)
def test_a_spot_check_with_bad_input_is_marked_and_nothing_is_stored(
    app, client, county, change, message
):
    data = {
        "user_id": str(county.workers[0].id),
        "knows_worker": "yes",
        "was_visited": "yes",
        "satisfaction": "satisfied",
    }
    data.update(change)
    if data["user_id"] == "other":
        data["user_id"] = str(county.workers[2].id)  # not the station's worker
    data = {k: v for k, v in data.items() if v}
    as_user(client, county, county.station_staff)
    response = post_on(client, f"{BASE}/spot-checks", f"{BASE}/spot-checks", data)
    assert response.status_code == 422
    page = text_of(response)
    assert "has-error" in page or "form-error" in page
    if message != "101":
        assert message in page
    assert stored(app, county, SpotCheck) == []


# --- who sees which page -------------------------------------------------------------------------

REVIEW_PAGES = ("/objections", "/payouts", "/ranking", "/meetings", "/spot-checks")


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("worker", set()),
        ("supervisor", {"/objections", "/ranking", "/spot-checks"}),
        ("station_staff", {"/objections", "/ranking", "/meetings", "/spot-checks"}),
        ("township_staff", {"/objections", "/ranking", "/meetings", "/spot-checks"}),
        ("admin", set(REVIEW_PAGES)),
        ("volunteer", set()),
        ("auditor", set()),
        ("security", set()),
    ],
)
def test_each_review_page_opens_for_its_roles_and_is_404_for_the_others(
    client, county, who, allowed
):
    user = county.workers[0] if who == "worker" else getattr(county, who)
    as_user(client, county, user)
    for path in REVIEW_PAGES:
        status = client.get(BASE + path).status_code
        assert status == (200 if path in allowed else 404), (who, path, status)
    days = client.get(f"{BASE}/workers/{county.workers[0].id}/month").status_code
    may_read_days = who in {"worker", "supervisor", "station_staff", "township_staff", "admin"}
    assert days == (200 if may_read_days else 404), (who, days)


# --- English -------------------------------------------------------------------------------------


def test_the_english_review_pages_show_no_chinese_of_their_own(app, county, sheet_ids):
    worker = county.workers[0]
    client = app.test_client()
    as_user(client, county, worker)
    raise_objection(app, client, county, sheet_ids[worker.id], text="I patrolled every day")
    write_log(app, county, worker, text="Visited three households")
    pages = {
        worker: [f"/sheets/{sheet_ids[worker.id]}", f"/workers/{worker.id}/month"],
        county.station_staff: [
            "/objections",
            f"/sheets/{sheet_ids[worker.id]}",
            f"/ranking?month={MONTH}&level=2",
            "/meetings",
            "/spot-checks",
            f"/workers/{worker.id}/month",
            f"/sheets?month={MONTH}",
        ],
        county.admin: ["/payouts", f"/sheets?month={MONTH}"],
    }
    for user, paths in pages.items():
        reader = app.test_client()
        in_english(reader, county, user)
        for path in paths:
            response = reader.get(BASE + path)
            assert response.status_code == 200, path
            # The county's level names are its own data, as typed in its manifest.
            html = text_of(response)
            for name in county.tenant.level_names:
                html = html.replace(f">{name}<", "><")
            assert chinese_of_the_page(html) == [], path


@pytest.mark.parametrize("number", [str(2**31), str(2**63)])
def test_the_review_pages_answer_404_for_ids_past_the_databases(client, county, number):
    as_user(client, county, county.admin)
    paths = [
        f"/sheets/{number}/lines/{number}/objection",
        f"/sheets/{number}/lines/{number}/adjustment",
        f"/objections/{number}/answer",
        f"/logs/{number}/comments",
    ]
    answers = {path: client.post(BASE + path).status_code for path in paths}
    answers[f"/workers/{number}/month"] = client.get(f"{BASE}/workers/{number}/month").status_code
    assert set(answers.values()) == {404}, answers


def test_an_objection_past_its_deadline_not_yet_escalated_is_marked_overdue(
    app, client, county, sheet_ids
):
    worker = county.workers[0]
    as_user(client, county, worker)
    raise_objection(app, client, county, sheet_ids[worker.id])
    with app.app_context():
        session = in_county(county)
        objection = session.scalar(select(Objection))
        objection.due_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        session.commit()
    supervisor = app.test_client()
    as_user(supervisor, county, county.supervisor)
    assert 'data-testid="overdue"' in text_of(supervisor.get(f"{BASE}/objections"))
    assert "已超期" in text_of(supervisor.get(f"{BASE}/sheets/{sheet_ids[worker.id]}"))
