"""The assessment API: a month is run and its sheets read (paged, scoped), every line's
records resolve, review and objections, leave, human inputs, the lock, payouts and rankings;
bad input gets a JSON error naming the field and stores nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import func, select

from gridgov.core.assessment.models import AssessmentScheme, AssessmentSheet
from gridgov.core.db import db_session, pinned_clock, tenant_scope
from gridgov.core.tasks import reporting
from gridgov.core.tasks.models import Patrol
from tests.api.bearer import bearer, url

BEIJING = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=BEIJING)
MONTH = "2026-11"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def month(session, county):
    """November with a patrol and a report of worker 0, committed."""
    worker = county.workers[0]
    with tenant_scope(session, county.tenant.id):
        patrol = Patrol(
            user_id=worker.id,
            node_id=county.grids[0].id,
            at=dt.datetime(2026, 11, 9, 9, tzinfo=BEIJING),
            place="幸福路",
        )
        session.add(patrol)
        with pinned_clock(dt.datetime(2026, 11, 10, 9, tzinfo=BEIJING)):
            task, _new = reporting.file_task(
                session,
                worker,
                county.grids[0],
                reporting.Report(category="民生事项", title="路灯不亮"),
            )
        session.flush()
        ids = {"patrol": patrol.id, "task": task.id}
    session.commit()
    return ids


def run(client, county, token, month=MONTH):
    return client.post(
        url(county, "/assessment/runs"), json={"month": month}, headers=bearer(token)
    )


def sheets_of(client, county, token, month=MONTH):
    response = client.get(url(county, f"/assessment/sheets?month={month}"), headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_run_scores_the_month_and_a_worker_reads_only_their_sheet(client, county, mint, month):
    admin = mint(county, county.admin)
    response = run(client, county, admin)
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["status"] == "done"
    assert response.get_json()["sheets"] == len(county.workers)
    run_id = response.get_json()["id"]
    assert (
        client.get(url(county, f"/assessment/runs/{run_id}"), headers=bearer(admin)).status_code
        == 200
    )

    worker = mint(county, county.workers[0])
    (mine,) = sheets_of(client, county, worker)
    assert mine["user_id"] == county.workers[0].id
    sheet = client.get(url(county, f"/assessment/sheets/{mine['id']}"), headers=bearer(worker))
    body = sheet.get_json()
    lines = {line["code"]: line for line in body["lines"]}
    assert lines["core.patrols"]["figures"]["done"] == 1
    assert lines["core.patrols"]["detail"].startswith("巡查 1 次")
    assert lines["core.reports"]["evidence"] == {"task": 0}  # reported, not taken up yet
    assert body["scheme_number"] == 1
    assert set(body["indicators"]) >= {
        "valid_report_rate",
        "on_time_rate",
        "missed_report_rate",
        "visit_rate",
    }

    everyone = sheets_of(client, county, admin)
    other = next(s for s in everyone if s["user_id"] == county.workers[5].id)
    refused = client.get(url(county, f"/assessment/sheets/{other['id']}"), headers=bearer(worker))
    assert refused.status_code == 404
    supervisor = mint(county, county.supervisor)
    assert {s["user_id"] for s in sheets_of(client, county, supervisor)} == {
        county.workers[0].id,
        county.workers[1].id,
    }


def test_the_sheets_links_resolve_to_the_records_counted(client, county, mint, month):
    admin = mint(county, county.admin)
    run(client, county, admin)
    worker = mint(county, county.workers[0])
    (mine,) = sheets_of(client, county, worker)
    found = client.get(
        url(county, f"/assessment/sheets/{mine['id']}/evidence?line=core.patrols"),
        headers=bearer(worker),
    ).get_json()
    assert [(r["kind"], r["id"]) for r in found] == [("patrol", month["patrol"])]
    missed = client.get(
        url(county, f"/assessment/sheets/{mine['id']}/evidence?line=core.missed"),
        headers=bearer(admin),
    ).get_json()
    assert missed == []  # the worker found it themself
    # A line with tasks: each href answers with the very task.
    supervisor = mint(county, county.supervisor)
    station = mint(county, county.station_staff)
    accept = client.post(
        url(county, f"/tasks/{month['task']}/transitions"),
        json={"action": "accept", "comment": "受理"},
        headers=bearer(station),
    )
    assert accept.status_code in (200, 201), accept.get_json()
    run(client, county, admin)
    (mine,) = sheets_of(client, county, worker)
    reports = client.get(
        url(county, f"/assessment/sheets/{mine['id']}/evidence?line=core.reports"),
        headers=bearer(supervisor),
    ).get_json()
    assert [(r["kind"], r["id"]) for r in reports] == [("task", month["task"])]
    task = client.get(reports[0]["href"], headers=bearer(supervisor))
    assert task.status_code == 200 and task.get_json()["id"] == month["task"]
    unknown = client.get(
        url(county, f"/assessment/sheets/{mine['id']}/evidence?line=core.nope"),
        headers=bearer(worker),
    )
    assert unknown.status_code == 404


def test_bad_input_names_the_field_and_stores_nothing(client, county, mint, session):
    admin = mint(county, county.admin)
    assert run(client, county, admin, "2026-13").status_code == 422
    future = run(client, county, admin, "2027-01")
    assert future.status_code == 409 and "还没有开始" in future.get_json()["message"]
    worker = mint(county, county.workers[0])
    assert run(client, county, worker).status_code == 403
    scheme = client.get(url(county, f"/assessment/scheme?month={MONTH}"), headers=bearer(admin))
    assert scheme.get_json()["number"] is None  # the default: reading it stores nothing
    definition = scheme.get_json()["scheme"]
    definition["weights"]["results"] = 50
    refused = client.post(
        url(county, "/assessment/scheme"),
        json={"first_month": "2026-12", "scheme": definition},
        headers=bearer(admin),
    )
    assert refused.status_code == 422
    assert "合计应为 100" in refused.get_json()["errors"]["json"]["weights"][0]
    with tenant_scope(db_session(), county.tenant.id):
        assert db_session().scalar(select(func.count(AssessmentScheme.id))) == 0
    definition["weights"]["results"] = 35
    definition["monthly_salary"] = 3000
    stored = client.post(
        url(county, "/assessment/scheme"),
        json={"first_month": "2026-12", "scheme": definition, "note": "定工资"},
        headers=bearer(admin),
    )
    assert stored.status_code == 201 and stored.get_json()["number"] == 1
    leave = client.post(
        url(county, "/assessment/leave"),
        json={"first_day": "2026-12-10", "last_day": "2026-12-09", "reason": "x"},
        headers=bearer(worker),
    )
    assert leave.status_code == 422 and "last_day" in leave.get_json()["errors"]["json"]


def test_review_objection_lock_and_payout(client, county, mint, month):
    admin, worker = mint(county, county.admin), mint(county, county.workers[0])
    supervisor, station = mint(county, county.supervisor), mint(county, county.station_staff)
    run(client, county, admin)
    (mine,) = sheets_of(client, county, worker)
    sheet_url = url(county, f"/assessment/sheets/{mine['id']}")
    objection = client.post(
        f"{sheet_url}/objections",
        json={"line": "core.logs", "text": "日志都写了"},
        headers=bearer(worker),
    )
    assert objection.status_code == 201, objection.get_json()
    answer = client.post(
        url(county, f"/assessment/objections/{objection.get_json()['id']}/answer"),
        json={"answer": "补分", "points": 5},
        headers=bearer(supervisor),
    )
    assert answer.status_code == 200 and answer.get_json()["upheld"] is True
    body = client.get(sheet_url, headers=bearer(worker)).get_json()
    assert {line["code"]: line["points"] for line in body["lines"]}["core.logs"] == 5
    assert body["objections"][0]["answer"] == "补分"
    assert body["adjustments"][0]["objection_id"] == objection.get_json()["id"]
    locked = client.post(url(county, f"/assessment/months/{MONTH}/lock"), headers=bearer(admin))
    assert locked.status_code == 409  # manual lines are still to be scored
    for worker_user in county.workers[:2]:  # the supervisor's and the station's workers
        for line, role_token, extra in (
            ("manual.supervisor", supervisor, {}),
            ("manual.representatives", station, {"scorer": "张代表"}),
            ("manual.community", station, {}),
        ):
            response = client.post(
                url(county, "/assessment/scores"),
                json={
                    "month": MONTH,
                    "user_id": worker_user.id,
                    "line": line,
                    "points": 4,
                    **extra,
                },
                headers=bearer(role_token),
            )
            assert response.status_code == 201, response.get_json()
    outside = client.post(
        url(county, "/assessment/scores"),
        json={
            "month": MONTH,
            "user_id": county.workers[5].id,
            "line": "manual.supervisor",
            "points": 4,
        },
        headers=bearer(supervisor),
    )
    assert outside.status_code == 404
    # Workers the supervisor and the station do not reach: the county scores by adjustment.
    for sheet in sheets_of(client, county, admin):
        if sheet["pending_lines"]:
            full = client.get(
                url(county, f"/assessment/sheets/{sheet['id']}"), headers=bearer(admin)
            ).get_json()
            for line in full["lines"]:
                if line["status"] == "pending":
                    client.post(
                        url(county, f"/assessment/sheets/{sheet['id']}/adjustments"),
                        json={"line": line["code"], "points": 4, "reason": "县级代评"},
                        headers=bearer(admin),
                    )
    run(client, county, admin)
    locked = client.post(url(county, f"/assessment/months/{MONTH}/lock"), headers=bearer(admin))
    assert locked.status_code == 200, locked.get_json()
    assert run(client, county, admin).status_code == 409
    (payout,) = client.get(url(county, "/assessment/payouts"), headers=bearer(admin)).get_json()
    assert payout["payout_state"] == "pending" and payout["due_on"] == "2026-12-15"
    export = client.get(url(county, f"/assessment/payouts/{MONTH}/export"), headers=bearer(admin))
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("网格员", "网格", "月份", "总分")
    assert len(rows) == 1 + len(county.workers)
    paid = client.post(
        url(county, f"/assessment/payouts/{MONTH}/paid"),
        json={"paid_on": "2026-12-02"},
        headers=bearer(admin),
    )
    assert paid.status_code == 200 and paid.get_json()["payout_state"] == "paid"
    month_export = client.get(
        url(county, f"/assessment/months/{MONTH}/export"), headers=bearer(worker)
    )
    rows = list(load_workbook(io.BytesIO(month_export.data)).active.iter_rows(values_only=True))
    assert len(rows) == 2  # the worker's own row only


def test_leave_meetings_spot_checks_and_the_workers_month(client, county, mint, session):
    worker_user = county.workers[0]
    worker, station = mint(county, worker_user), mint(county, county.station_staff)
    asked = client.post(
        url(county, "/assessment/leave"),
        json={"first_day": "2026-11-02", "last_day": "2026-11-03", "reason": "家中有事"},
        headers=bearer(worker),
    )
    assert asked.status_code == 201, asked.get_json()
    leave_id = asked.get_json()["id"]
    assert (
        client.post(
            url(county, f"/assessment/leave/{leave_id}/decision"),
            json={"approve": True},
            headers=bearer(worker),
        ).status_code
        == 403
    )
    approved = client.post(
        url(county, f"/assessment/leave/{leave_id}/decision"),
        json={"approve": True, "note": "准假"},
        headers=bearer(station),
    )
    assert approved.get_json()["state"] == "approved"
    meeting = client.post(
        url(county, "/assessment/meetings"),
        json={
            "node_id": county.communities[0].id,
            "day": "2026-11-09",
            "present": [worker_user.id],
        },
        headers=bearer(station),
    )
    assert meeting.status_code == 201, meeting.get_json()
    check = client.post(
        url(county, "/assessment/spot-checks"),
        json={
            "user_id": worker_user.id,
            "knows_worker": True,
            "was_visited": False,
            "satisfaction": "satisfied",
            "resident": "王大妈",
        },
        headers=bearer(station),
    )
    assert check.status_code == 201, check.get_json()
    days = client.get(
        url(county, f"/assessment/workers/{worker_user.id}/month?month={MONTH}"),
        headers=bearer(station),
    ).get_json()
    assert days["leave_days"] == 2
    assert next(d for d in days["days"] if d["day"] == "2026-11-09")["meeting"] is True
    other = mint(county, county.workers[1])
    assert (
        client.get(
            url(county, f"/assessment/workers/{worker_user.id}/month?month={MONTH}"),
            headers=bearer(other),
        ).status_code
        == 404
    )


def test_rankings_group_by_level(client, county, mint, month):
    admin = mint(county, county.admin)
    run(client, county, admin)
    ranking = client.get(
        url(county, f"/assessment/rankings?month={MONTH}&level=1"), headers=bearer(admin)
    ).get_json()
    assert len(ranking["workers"]) == len(county.workers)
    assert {g["name"] for g in ranking["groups"]} == {t.name for t in county.townships}
    assert sum(ranking["distribution"].values()) == len(county.workers)
    totals = [w["total"] for w in ranking["workers"]]
    assert totals == sorted(totals, reverse=True)
    with tenant_scope(db_session(), county.tenant.id):
        assert db_session().scalar(select(func.count(AssessmentSheet.id))) == len(county.workers)


@pytest.mark.redis
def test_with_redis_a_run_is_queued_then_scored_by_a_worker(
    app, client, county, mint, month, redis_url, monkeypatch
):
    from rq import SimpleWorker

    from gridgov import jobs

    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    admin = mint(county, county.admin)
    asked = run(client, county, admin)
    assert asked.status_code == 202 and asked.get_json()["status"] == "queued"
    assert sheets_of(client, county, admin) == []
    queue = jobs.queue(redis_url)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    done = client.get(
        url(county, f"/assessment/runs/{asked.get_json()['id']}"), headers=bearer(admin)
    ).get_json()
    assert (done["status"], done["sheets"]) == ("done", len(county.workers))
    assert len(sheets_of(client, county, admin)) == len(county.workers)
