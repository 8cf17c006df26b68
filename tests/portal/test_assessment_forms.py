"""The assessment pages that change something: leave asked, approved, refused, withdrawn and
ended (请销假); manual scores entered for a month (人工评分); the county's scheme set as a new
version (考核方案). Bad input comes back on the form with the field marked, and stores nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.assessment import leave
from gridgov.core.assessment.models import (
    AssessmentScheme,
    LeaveRequest,
    LeaveState,
    ManualScore,
)
from gridgov.core.tenancy.county_time import CountyClock
from tests.portal.conftest import csrf_token, post_form
from tests.portal.test_assessment import BASE, MONTH, as_user, in_county, lock, score, text_of

TODAY = CountyClock.of(None).today()
LEAVE = f"{BASE}/leave"
SCORES = f"{BASE}/scores"
SCHEME = f"{BASE}/scheme"


def leave_of(app, county) -> list[LeaveRequest]:
    with app.app_context():
        session = in_county(county)
        found = list(session.scalars(select(LeaveRequest).order_by(LeaveRequest.id)))
        session.expunge_all()
        return found


def ask(client, first: dt.date, last: dt.date, reason: str = "家中有事"):
    return post_form(
        client,
        LEAVE,
        LEAVE,
        {"first_day": first.isoformat(), "last_day": last.isoformat(), "reason": reason},
    )


# --- 请销假 ------------------------------------------------------------------------------------


def test_a_worker_asks_for_leave_and_the_station_approves_it(app, client, county):
    worker = county.workers[0]
    as_user(client, county, worker)
    start = TODAY + dt.timedelta(days=3)
    assert ask(client, start, start + dt.timedelta(days=1)).status_code == 302
    assert "待审批" in text_of(client.get(LEAVE))
    station = app.test_client()
    as_user(station, county, county.station_staff)
    page = text_of(station.get(LEAVE))
    assert worker.name in page and "家中有事" in page
    [request] = leave_of(app, county)
    response = station.post(
        f"{LEAVE}/{request.id}/decide",
        data={
            "csrf_token": csrf_token(page),
            f"leave{request.id}-note": "同意",
            f"leave{request.id}-decision": "approve",
        },
    )
    assert response.status_code == 302
    [request] = leave_of(app, county)
    assert request.state == LeaveState.APPROVED and request.decision_note == "同意"
    mine = text_of(client.get(LEAVE))
    assert "已准假" in mine and "撤回" in mine  # not begun yet: the worker may still withdraw


def test_a_refusal_without_a_reason_is_marked_and_nothing_changes(app, client, county):
    with app.app_context():
        session = in_county(county)
        start = TODAY + dt.timedelta(days=2)
        asked = leave.request_leave(session, county.workers[0], start, start, "看病")
        session.commit()
        leave_id = asked.id
    as_user(client, county, county.township_staff)
    page = text_of(client.get(LEAVE))
    data = {"csrf_token": csrf_token(page), f"leave{leave_id}-decision": "refuse"}
    response = client.post(f"{LEAVE}/{leave_id}/decide", data=data)
    assert response.status_code == 422
    assert "不准假请说明理由" in text_of(response)
    assert leave_of(app, county)[0].state == LeaveState.REQUESTED
    data[f"leave{leave_id}-note"] = "近期防汛，暂不准假"
    assert client.post(f"{LEAVE}/{leave_id}/decide", data=data).status_code == 302
    refused = leave_of(app, county)[0]
    assert refused.state == LeaveState.REFUSED and refused.decided_by_name == (
        county.township_staff.name
    )
    assert "不准假" in text_of(client.get(f"{LEAVE}?state=all"))


def test_a_leave_request_with_the_days_reversed_is_marked_and_not_stored(app, client, county):
    as_user(client, county, county.workers[0])
    response = ask(client, TODAY + dt.timedelta(days=5), TODAY + dt.timedelta(days=4))
    assert response.status_code == 422
    assert "结束日期不能早于开始日期" in text_of(response)
    assert leave_of(app, county) == []


def test_a_worker_withdraws_a_request_and_reports_back_from_leave(app, client, county):
    worker = county.workers[0]
    with app.app_context():
        session = in_county(county)
        later = leave.request_leave(
            session, worker, TODAY + dt.timedelta(days=9), TODAY + dt.timedelta(days=9), "婚假"
        )
        now = leave.request_leave(session, worker, TODAY, TODAY + dt.timedelta(days=4), "病假")
        station = county.station_staff
        leave.decide(session, station, scope_of(session, station), now, approve=True)
        session.commit()
        later_id, now_id = later.id, now.id
    as_user(client, county, worker)
    page = text_of(client.get(LEAVE))
    assert "销假（今天返岗）" in page
    token = csrf_token(page)
    assert client.post(f"{LEAVE}/{later_id}/cancel", data={"csrf_token": token}).status_code == 302
    assert (
        client.post(f"{LEAVE}/{now_id}/report-back", data={"csrf_token": token}).status_code == 302
    )
    states = {r.id: (r.state, r.last_day) for r in leave_of(app, county)}
    assert states[later_id][0] == LeaveState.CANCELLED
    assert states[now_id] == (LeaveState.ENDED, TODAY)


def test_a_supervisor_reads_the_requests_but_cannot_decide(app, client, county):
    with app.app_context():
        session = in_county(county)
        start = TODAY + dt.timedelta(days=2)
        asked = leave.request_leave(session, county.workers[0], start, start, "看病")
        session.commit()
        leave_id = asked.id
    as_user(client, county, county.supervisor)
    page = text_of(client.get(LEAVE))
    assert "看病" in page and 'data-testid="decision-form"' not in page
    response = client.post(
        f"{LEAVE}/{leave_id}/decide",
        data={"csrf_token": csrf_token(page), f"leave{leave_id}-decision": "approve"},
    )
    assert response.status_code == 403
    assert leave_of(app, county)[0].state == LeaveState.REQUESTED


def test_a_request_of_a_worker_outside_the_scope_is_404(app, client, county):
    with app.app_context():
        session = in_county(county)
        start = TODAY + dt.timedelta(days=2)
        asked = leave.request_leave(session, county.workers[5], start, start, "看病")
        session.commit()
        leave_id = asked.id
    as_user(client, county, county.station_staff)
    page = text_of(client.get(LEAVE))
    assert "看病" not in page
    response = client.post(
        f"{LEAVE}/{leave_id}/decide",
        data={"csrf_token": csrf_token(page), f"leave{leave_id}-decision": "approve"},
    )
    assert response.status_code == 404


# --- 人工评分 ----------------------------------------------------------------------------------


def scores_of(app, county) -> list[tuple[int, str, str, float]]:
    with app.app_context():
        session = in_county(county)
        return [
            (s.user_id, s.line, s.scorer, s.points)
            for s in session.scalars(select(ManualScore).order_by(ManualScore.id))
        ]


def test_a_supervisor_scores_their_workers_in_one_form(app, client, county):
    as_user(client, county, county.supervisor)
    page = text_of(client.get(f"{SCORES}?month={MONTH}"))
    assert "督导员评分" in page and county.workers[1].name in page
    assert county.workers[2].name not in page  # not one of the supervisor's grids
    w0, w1 = county.workers[0].id, county.workers[1].id
    response = client.post(
        f"{SCORES}?page=1",
        data={
            "csrf_token": csrf_token(page),
            "month": MONTH,
            "workers": [str(w0), str(w1)],
            f"s-{w0}-manual.supervisor": "8.5",
            f"s-{w1}-manual.supervisor": "",
        },
    )
    assert response.status_code == 302
    assert scores_of(app, county) == [(w0, "manual.supervisor", county.supervisor.username, 8.5)]
    assert 'value="8.5"' in text_of(client.get(f"{SCORES}?month={MONTH}"))


@pytest.mark.parametrize(("typed", "message"), [("很好", "应为数字"), ("11", "分数应在 0 到 10")])
def test_a_bad_score_is_marked_and_no_score_of_the_form_is_stored(
    app, client, county, typed, message
):
    as_user(client, county, county.supervisor)
    page = text_of(client.get(f"{SCORES}?month={MONTH}"))
    w0, w1 = county.workers[0].id, county.workers[1].id
    response = client.post(
        SCORES,
        data={
            "csrf_token": csrf_token(page),
            "month": MONTH,
            "workers": [str(w0), str(w1)],
            f"s-{w0}-manual.supervisor": "9",
            f"s-{w1}-manual.supervisor": typed,
        },
    )
    assert response.status_code == 422
    html = text_of(response)
    assert message in html and f'value="{typed}"' in html and 'data-testid="cell-error"' in html
    assert scores_of(app, county) == []


def test_a_locked_month_takes_no_scores(app, client, county):
    score(app, county)
    lock(app, county)
    as_user(client, county, county.supervisor)
    page = text_of(client.get(f"{SCORES}?month={MONTH}"))
    assert "分数不能再修改" in page and "保存分数" not in page
    w0 = county.workers[0].id
    response = client.post(
        SCORES,
        data={
            "csrf_token": csrf_token(page),
            "month": MONTH,
            "workers": [str(w0)],
            f"s-{w0}-manual.supervisor": "9",
        },
    )
    assert response.status_code == 422 and "已锁定" in text_of(response)
    assert scores_of(app, county) == []


def test_the_station_types_the_resident_representatives_name(app, client, county):
    as_user(client, county, county.station_staff)
    page = text_of(client.get(f"{SCORES}?month={MONTH}"))
    assert "居民代表评分" in page and "社区综合评价" in page
    w0 = county.workers[0].id
    data = {
        "csrf_token": csrf_token(page),
        "month": MONTH,
        "workers": [str(w0)],
        f"s-{w0}-manual.representatives": "4",
    }
    response = client.post(SCORES, data=data)
    assert response.status_code == 422 and "请填写评分人姓名" in text_of(response)
    data[f"n-{w0}-manual.representatives"] = "王秀英"
    assert client.post(SCORES, data=data).status_code == 302
    assert scores_of(app, county) == [(w0, "manual.representatives", "王秀英", 4.0)]
    assert "王秀英 4" in text_of(client.get(f"{SCORES}?month={MONTH}"))


# --- 考核方案 ----------------------------------------------------------------------------------


def scheme_form(client) -> dict[str, object]:
    """The scheme form as the page fills it (the scheme in force), ready to post."""
    page = text_of(client.get(SCHEME))
    data: dict[str, object] = {"csrf_token": csrf_token(page)}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None or name.group(1) == "csrf_token":
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                data.setdefault(name.group(1), []).append(value.group(1))  # type: ignore[union-attr]
        else:
            data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = chosen.group(1) if chosen else ""
    data["first_month"] = f"{TODAY.year + 1}-01"
    return data


def versions_of(app, county) -> list[AssessmentScheme]:
    with app.app_context():
        session = in_county(county)
        found = list(session.scalars(select(AssessmentScheme).order_by(AssessmentScheme.number)))
        session.expunge_all()
        return found


def test_the_county_sets_a_new_version_of_its_scheme(app, client, county):
    as_user(client, county, county.admin)
    data = scheme_form(client)
    data.update(w_integrity="20", w_ability="10", monthly_salary="3000", note="县考核办法修订")
    response = client.post(SCHEME, data=data)
    assert response.status_code == 302, text_of(response)
    [version] = versions_of(app, county)
    assert version.source == "portal" and version.first_month == data["first_month"]
    assert version.definition["weights"]["integrity"] == 20
    assert version.definition["monthly_salary"] == 3000
    codes = [line["code"] for line in version.definition["lines"]]
    assert "manual.supervisor" in codes and "core.patrols" in codes
    page = text_of(client.get(SCHEME))
    assert "第 1 版" in page and "县考核办法修订" in page
    assert "3000" in text_of(client.get(f"{SCHEME}/versions/1"))


def test_the_county_adds_a_manual_line_and_removes_a_rule(app, client, county):
    as_user(client, county, county.admin)
    data = scheme_form(client)
    rows = int(data["lines"])
    patrols = next(i for i in range(rows) if data.get(f"l-{i}-rule") == "core.patrols")
    data[f"l-{patrols}-remove"] = "1"
    blank = next(i for i in range(rows) if not data.get(f"l-{i}-rule"))
    data.update(
        {
            f"l-{blank}-rule": "manual",
            f"l-{blank}-key": "spot_check",
            f"l-{blank}-label": "入户抽查",
            f"l-{blank}-category": "diligence",
            f"l-{blank}-points": "5",
            f"l-{blank}-scored_by": ["township_staff"],
        }
    )
    assert client.post(SCHEME, data=data).status_code == 302
    [version] = versions_of(app, county)
    lines = {line["code"]: line for line in version.definition["lines"]}
    assert "core.patrols" not in lines
    assert lines["manual.spot_check"]["scored_by"] == ["township_staff"]
    assert lines["manual.spot_check"]["label"] == "入户抽查"


def test_a_scheme_refused_shows_each_problem_next_to_its_field_and_stores_nothing(
    app, client, county
):
    as_user(client, county, county.admin)
    data = scheme_form(client)
    data.update({"w_integrity": "30", "l-1-points": "0", "floating_share": "120"})
    response = client.post(SCHEME, data=data)
    assert response.status_code == 422
    html = text_of(response)
    assert "四类分值合计应为 100" in html and 'data-testid="weights-error"' in html
    assert "分值应大于 0、不超过 100" in html and 'data-testid="cell-error"' in html
    assert 'id="floating_share-error"' in html
    assert 'value="30"' in html  # what was typed stays
    assert versions_of(app, county) == []


def test_a_scheme_from_a_month_that_is_no_month_is_marked(app, client, county):
    as_user(client, county, county.admin)
    data = scheme_form(client)
    data["first_month"] = "明年"
    response = client.post(SCHEME, data=data)
    assert response.status_code == 422
    assert 'id="first_month-error"' in text_of(response)
    assert versions_of(app, county) == []
