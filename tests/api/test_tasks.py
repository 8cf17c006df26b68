"""The task API: report, follow and move tasks; intake; photos; supervision; dashboards."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from gridgov.core.db import db_session, tenant_scope, utcnow
from gridgov.core.departments import service as departments
from tests.api.bearer import bearer, url
from tests.core.admission.factories import admit_example
from tests.factories import UserFactory

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture
def worker(county, mint):
    return bearer(mint(county, county.workers[0]))


@pytest.fixture
def station(county, mint):
    return bearer(mint(county, county.station_staff))


def report(client, county, headers, **fields):
    body = {"node_id": county.grids[0].id, "category": "民生事项", "title": "路灯不亮", **fields}
    return client.post(url(county, "/tasks"), json=body, headers=headers)


def act(client, county, headers, task_id, action, **fields):
    return client.post(
        url(county, f"/tasks/{task_id}/transitions"),
        json={"action": action, **fields},
        headers=headers,
    )


def test_a_report_answers_the_task_with_its_code_and_what_the_reporter_may_do(
    client, county, worker
):
    response = report(client, county, worker, track="general")
    assert response.status_code == 201, response.get_json()
    task = response.get_json()
    assert len(task["code"]) == 10 and task["state"] == "reported"
    assert task["node"]["code"] == county.grids[0].code
    assert {a["action"] for a in task["actions"]} == {"escalate", "resolve"}
    assert [h["action"] for h in task["history"]] == ["report"]


def test_an_offline_report_resent_with_its_key_creates_no_second_task(client, county, worker):
    first = report(client, county, worker, idempotency_key="draft-7f3a")
    again = report(client, county, worker, idempotency_key="draft-7f3a")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    listed = client.get(url(county, "/tasks"), headers=worker)
    assert json.loads(listed.headers["X-Pagination"])["total"] == 1


@pytest.mark.parametrize(
    ("page", "page_size", "listed"),
    [(1, 2, 2), (3, 2, 1), (4, 2, 0), (1, 10, 5), (2, 10, 0)],
    ids=["a full page", "the last page", "past the end", "all on one page", "an empty page 2"],
)
def test_every_page_gives_the_whole_total(client, county, worker, page, page_size, listed):
    # A page shorter than its size tells the total without a count; the others count.
    for n in range(5):
        report(client, county, worker, title=f"路灯不亮 {n}")
    answer = client.get(
        url(county, "/tasks/mine"),
        query_string={"page": page, "page_size": page_size},
        headers=worker,
    )
    assert answer.status_code == 200
    assert len(answer.get_json()) == listed
    assert json.loads(answer.headers["X-Pagination"])["total"] == 5


def test_a_key_reused_by_another_grid_worker_never_answers_with_the_first_task(
    client, county, worker, mint
):
    first = report(client, county, worker, idempotency_key="draft-7f3a", title="路灯不亮")
    neighbour = bearer(mint(county, county.workers[1]))
    theirs = report(
        client,
        county,
        neighbour,
        node_id=county.grids[1].id,
        idempotency_key="draft-7f3a",
        title="井盖缺失",
    )
    assert (first.status_code, theirs.status_code) == (201, 201)
    body = theirs.get_json()
    assert body["id"] != first.get_json()["id"]
    assert (body["title"], body["node"]["code"]) == ("井盖缺失", county.grids[1].code)
    assert [h["actor_name"] for h in body["history"]] == [county.workers[1].name]


def test_an_offline_key_resent_with_other_content_is_409(client, county, worker):
    report(client, county, worker, idempotency_key="draft-9", title="路灯不亮")
    clash = report(client, county, worker, idempotency_key="draft-9", title="垃圾堆积")
    assert clash.status_code == 409
    assert clash.get_json()["errors"]["json"]["idempotency_key"]


def test_a_bad_report_names_the_field(client, county, worker):
    response = report(client, county, worker, category="不存在的类别")
    assert response.status_code == 422
    assert "category" in response.get_json()["errors"]["json"]


def test_a_report_in_another_grid_is_404(client, county, worker):
    response = report(client, county, worker, node_id=county.grids[1].id)
    assert response.status_code == 404


def test_the_whole_cycle_through_the_api(client, county, worker, station):
    task_id = report(client, county, worker, track="coordinate").get_json()["id"]
    accepted = act(client, county, station, task_id, "accept")
    assert accepted.status_code == 200
    # Each answer names the level the task waits on now: the station's, then the grid's.
    assert accepted.get_json()["current_node"]["id"] == county.communities[0].id
    dispatched = act(
        client, county, station, task_id, "dispatch", target_node_id=county.grids[0].id
    )
    assert dispatched.get_json()["assignee_role"] == "grid_worker"
    assert dispatched.get_json()["current_node"]["id"] == county.grids[0].id
    assert act(client, county, worker, task_id, "handle", comment="已修复").status_code == 200
    closed = act(client, county, station, task_id, "close")
    assert closed.get_json()["state"] == "closed"
    rated = act(client, county, worker, task_id, "evaluate", rating="unsatisfied")
    assert rated.get_json()["rating"] == "unsatisfied"
    reopened = act(client, county, station, task_id, "reopen", comment="居民不满意")
    assert reopened.get_json()["state"] == "accepted"


def closed_task(client, county, worker, station):
    task_id = report(client, county, worker, track="coordinate").get_json()["id"]
    act(client, county, station, task_id, "accept")
    act(client, county, station, task_id, "handle", comment="已修复")
    assert act(client, county, station, task_id, "close").status_code == 200
    return task_id


def test_the_revisit_carries_the_residents_rating_in_one_call(client, county, worker, station):
    task_id = closed_task(client, county, worker, station)
    revisited = act(
        client, county, worker, task_id, "revisit", comment="电话回访", rating="satisfied"
    )
    assert revisited.status_code == 200, revisited.get_json()
    body = revisited.get_json()
    assert (body["state"], body["rating"]) == ("evaluated", "satisfied")


def test_a_rating_on_a_step_that_would_drop_it_is_422_naming_the_field(
    client, county, worker, station
):
    task_id = report(client, county, worker, track="coordinate").get_json()["id"]
    refused = act(client, county, station, task_id, "accept", rating="satisfied")
    assert refused.status_code == 422
    assert "rating" in refused.get_json()["errors"]["json"]
    task = client.get(url(county, f"/tasks/{task_id}"), headers=station).get_json()
    assert (task["state"], task["rating"]) == ("reported", None)


def test_a_transition_the_role_may_not_take_is_403_and_a_wrong_state_409(
    client, county, worker, station
):
    task_id = report(client, county, worker).get_json()["id"]
    refused = act(client, county, worker, task_id, "accept")
    assert refused.status_code == 403
    wrong_state = act(client, county, station, task_id, "close")
    assert wrong_state.status_code == 409
    assert wrong_state.get_json()["errors"]["json"]["action"]


def test_a_grid_worker_cannot_see_a_task_of_another_grid(client, county, worker, mint):
    task_id = report(client, county, worker).get_json()["id"]
    neighbour = bearer(mint(county, county.workers[1]))
    assert client.get(url(county, f"/tasks/{task_id}"), headers=neighbour).status_code == 404
    assert act(client, county, neighbour, task_id, "escalate", comment="x").status_code == 404
    listed = client.get(url(county, "/tasks"), headers=neighbour).get_json()
    assert listed == []


def test_a_token_without_tasks_write_cannot_report(client, county, mint):
    token = bearer(mint(county, county.workers[0], scopes=["tasks:read"]))
    assert report(client, county, token).status_code == 403


def test_intake_is_idempotent_by_external_id(client, county, mint):
    hotline = bearer(mint(county, county.admin, scopes=["tasks:intake"]))
    body = {
        "external_id": "12345-2026-000981",
        "node_code": county.grids[3].code,
        "category": "社情民意",
        "title": "小区噪音扰民",
    }
    first = client.post(url(county, "/tasks/intake"), json=body, headers=hotline)
    again = client.post(url(county, "/tasks/intake"), json=body, headers=hotline)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["source"] == "hotline"
    assert again.get_json()["id"] == first.get_json()["id"]


def test_intake_of_another_system_with_the_same_external_id_is_its_own_case(client, county, mint):
    hotline = bearer(mint(county, county.admin, scopes=["tasks:intake"]))
    other = bearer(mint(county, county.township_staff, scopes=["tasks:intake"]))
    body = {"external_id": "A-1", "node_code": county.grids[0].code, "category": "社情民意"}
    first = client.post(
        url(county, "/tasks/intake"), json={**body, "title": "噪音"}, headers=hotline
    )
    theirs = client.post(
        url(county, "/tasks/intake"), json={**body, "title": "占道"}, headers=other
    )
    again = client.post(url(county, "/tasks/intake"), json={**body, "title": "占道"}, headers=other)
    assert (first.status_code, theirs.status_code, again.status_code) == (201, 201, 200)
    assert theirs.get_json()["id"] != first.get_json()["id"]
    assert (again.get_json()["id"], again.get_json()["title"]) == (theirs.get_json()["id"], "占道")
    clash = client.post(url(county, "/tasks/intake"), json={**body, "title": "别的"}, headers=other)
    assert clash.status_code == 409 and clash.get_json()["errors"]["json"]["external_id"]


def test_intake_needs_the_intake_scope(client, county, mint):
    token = bearer(mint(county, county.admin, scopes=["tasks:write"]))
    response = client.post(
        url(county, "/tasks/intake"),
        json={
            "external_id": "1",
            "node_code": county.grids[0].code,
            "category": "民生事项",
            "title": "x",
        },
        headers=token,
    )
    assert response.status_code == 403


def test_a_photo_uploaded_then_reported_is_attached_and_downloadable(client, county, worker):
    upload = client.post(
        url(county, "/tasks/files"),
        data={"file": (io.BytesIO(PNG), "现场.png")},
        headers=worker,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()
    file_id = upload.get_json()["id"]
    task = report(client, county, worker, file_ids=[file_id]).get_json()
    assert [a["id"] for a in task["attachments"]] == [file_id]
    download = client.get(url(county, f"/tasks/{task['id']}/attachments/{file_id}"), headers=worker)
    assert download.status_code == 200 and download.data == PNG


def upload_photo(client, county, headers, name: str) -> int:
    upload = client.post(
        url(county, "/tasks/files"),
        data={"file": (io.BytesIO(PNG), name)},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()
    return upload.get_json()["id"]


def test_a_steps_answer_shows_the_files_it_attached_after_the_reports(
    client, county, worker, station
):
    """The step reads the task's files with its lock; those it attaches must show too."""
    reported = upload_photo(client, county, worker, "现场.png")
    task = report(client, county, worker, file_ids=[reported]).get_json()
    accepted = client.post(
        url(county, f"/tasks/{task['id']}/transitions"), json={"action": "accept"}, headers=station
    ).get_json()
    assert [a["id"] for a in accepted["attachments"]] == [reported]
    taken = upload_photo(client, county, station, "受理.png")
    answer = client.post(
        url(county, f"/tasks/{task['id']}/transitions"),
        json={"action": "handle", "comment": "已到现场处理", "file_ids": [taken]},
        headers=station,
    )
    assert answer.status_code == 200, answer.get_json()
    assert [a["id"] for a in answer.get_json()["attachments"]] == [reported, taken]
    again = client.get(url(county, f"/tasks/{task['id']}"), headers=station).get_json()
    assert [a["id"] for a in again["attachments"]] == [reported, taken]


def test_a_script_posing_as_a_photo_is_refused(client, county, worker):
    upload = client.post(
        url(county, "/tasks/files"),
        data={"file": (io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "photo.jpg")},
        headers=worker,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 422
    assert "file" in upload.get_json()["errors"]["json"]


def test_supervision_is_listed_for_the_county(client, county, worker, mint):
    admin = bearer(mint(county, county.admin))
    task_id = report(client, county, worker).get_json()["id"]
    response = client.post(
        url(county, f"/tasks/{task_id}/supervision"),
        json={
            "node_id": county.top.id,
            "note": "三日内办结",
            "due_at": "2099-01-01T00:00:00Z",
            "is_listed": True,
        },
        headers=admin,
    )
    assert response.status_code == 201, response.get_json()
    listed = client.get(url(county, "/tasks/supervision"), headers=admin).get_json()
    assert [(s["task_id"], s["is_listed"]) for s in listed] == [(task_id, True)]


def test_the_dashboard_counts_and_exports_every_figure(client, county, worker, station, mint):
    admin = bearer(mint(county, county.admin))
    report(client, county, worker)
    general = report(client, county, worker, category="矛盾纠纷").get_json()["id"]
    act(client, county, worker, general, "resolve", comment="现场调解")
    board = client.get(url(county, "/tasks/dashboard"), headers=admin).get_json()
    assert (board["total"], board["closed"], board["closing_rate"]) == (2, 1, 0.5)
    assert {f["value"]: f["tasks"] for f in board["by_category"]} == {"民生事项": 1, "矛盾纠纷": 1}
    assert [f["tasks"] for f in board["by_child"]] == [2, 0]
    workbook = client.get(url(county, "/tasks/dashboard.xlsx"), headers=admin)
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.data))
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True)}
    assert summary["事件总数"] == 2 and summary["办结率"] == 0.5
    assert ("矛盾纠纷", 1, 0.5) in list(book["按类别"].iter_rows(values_only=True))


def test_a_station_dashboard_covers_only_its_community(client, county, worker, station, mint):
    report(client, county, worker)
    other = bearer(mint(county, county.workers[4]))
    report(client, county, other, node_id=county.grids[4].id)
    board = client.get(url(county, "/tasks/dashboard"), headers=station).get_json()
    assert board["total"] == 1
    outside = client.get(url(county, f"/tasks/dashboard?node_id={county.top.id}"), headers=station)
    assert outside.status_code == 404


def test_my_tasks_and_waiting_lists(client, county, worker, station):
    task_id = report(client, county, worker).get_json()["id"]
    assert [t["id"] for t in client.get(url(county, "/tasks/mine"), headers=worker).get_json()] == [
        task_id
    ]
    assert client.get(url(county, "/tasks/waiting"), headers=station).get_json() == []
    act(client, county, worker, task_id, "escalate", comment="需社区协调")
    waiting = client.get(url(county, "/tasks/waiting"), headers=station).get_json()
    assert [t["id"] for t in waiting] == [task_id]


def test_an_emergency_reaches_the_station_as_a_notification(client, county, worker, station):
    report(client, county, worker, track="emergency", category="突发事项", title="火情")
    notes = client.get(url(county, "/tasks/notifications"), headers=station).get_json()
    assert notes and notes[0]["kind"] == "emergency"
    read = client.post(url(county, f"/tasks/notifications/{notes[0]['id']}/read"), headers=station)
    assert read.get_json()["read_at"]
    # someone else's notification is not theirs to mark
    assert (
        client.post(
            url(county, f"/tasks/notifications/{notes[0]['id']}/read"), headers=worker
        ).status_code
        == 404
    )


def test_patrol_check_ins_and_the_daily_log(client, county, worker):
    for place in ("东门", "菜市场"):
        response = client.post(
            url(county, "/tasks/patrols"),
            json={"node_id": county.grids[0].id, "place": place},
            headers=worker,
        )
        assert response.status_code == 201
    patrols = client.get(url(county, "/tasks/patrols"), headers=worker).get_json()
    assert [p["place"] for p in patrols] == ["东门", "菜市场"]
    put = client.put(
        url(county, "/tasks/logs/2024-03-04"), json={"text": "走访 5 户"}, headers=worker
    )
    assert put.status_code == 200
    got = client.get(url(county, "/tasks/logs/2024-03-04"), headers=worker).get_json()
    assert got["text"] == "走访 5 户"


def test_every_task_url_of_a_task_outside_the_callers_grid_is_404(
    app, client, county, worker, mint
):
    task = report(client, county, worker).get_json()
    neighbour = bearer(mint(county, county.workers[1]))
    tried = 0
    for rule in app.url_map.iter_rules():
        if "<int:task_id>" not in rule.rule or not rule.rule.startswith("/t/<slug>/api/"):
            continue
        path = rule.rule.replace("<slug>", county.tenant.slug)
        path = path.replace("<int:task_id>", str(task["id"])).replace("<int:file_id>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body = None
            if rule.rule.endswith("/transitions") and method == "POST":
                body = {"action": "escalate", "comment": "越界"}
            elif rule.rule.endswith("/supervision"):
                body = {
                    "node_id": county.grids[1].id,
                    "note": "x",
                    "due_at": "2099-01-01T00:00:00Z",
                }
            response = client.open(path, method=method, json=body, headers=neighbour)
            assert response.status_code == 404, (method, path, response.get_json())
            tried += 1
    assert tried >= 5


def test_the_task_types_a_worker_can_report_list_admitted_modules_only(app, client, county, worker):
    listed = client.get(url(county, "/tasks/types"), headers=worker).get_json()
    assert [t["name"] for t in listed] == ["default"]
    default = listed[0]
    assert "民生事项" in default["categories"] and default["initial"] == "reported"
    assert {"name": "reported", "label": "已上报", "is_open": True, "sla_hours": 4} in default[
        "states"
    ]
    actions = {a["action"]: a for a in default["actions"]}
    assert actions["escalate"] == {
        "action": "escalate",
        "label": "报上一级",
        "needs_comment": True,
        "answers_resident": False,
        "takes_rating": False,
    }
    # What an integrator must know: which comment the resident reads, which step takes a rating.
    assert [a for a in actions if actions[a]["answers_resident"]] == ["resolve", "close"]
    assert [a for a in actions if actions[a]["takes_rating"]] == ["revisit", "evaluate"]
    admit_example(app, county)
    listed = client.get(url(county, "/tasks/types"), headers=worker).get_json()
    pollution = next(t for t in listed if t["name"] == "env_patrol.pollution")
    assert (pollution["module"], pollution["public"], pollution["label"]) == (
        "env_patrol",
        True,
        "污染线索",
    )


def test_the_red_list_is_exported_in_the_background_and_downloaded(
    client, county, worker, station, mint, files_dir
):
    from gridgov.core.db import db_session, tenant_scope
    from gridgov.core.tasks import cards

    report(client, county, worker, title="井盖破损")
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        cards.sweep_cards(session, now=utcnow() + dt.timedelta(days=30))
    session.commit()
    asked = client.post(url(county, "/tasks/exports"), json={"card": "red"}, headers=station)
    assert asked.status_code == 202
    export = client.get(url(county, f"/tasks/exports/{asked.get_json()['id']}"), headers=station)
    assert export.get_json()["status"] == "done" and export.get_json()["rows"] == 1
    workbook = client.get(
        url(county, f"/tasks/exports/{export.get_json()['id']}/file"), headers=station
    )
    assert workbook.status_code == 200
    rows = list(load_workbook(io.BytesIO(workbook.data)).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["井盖破损"]
    admin = bearer(mint(county, county.admin))
    mine_only = client.get(url(county, f"/tasks/exports/{export.get_json()['id']}"), headers=admin)
    assert mine_only.status_code == 404


def test_an_export_of_a_node_outside_the_scope_is_404_and_a_bad_list_422(client, county, station):
    outside = client.post(
        url(county, "/tasks/exports"), json={"node_id": county.top.id}, headers=station
    )
    assert outside.status_code == 404
    bad = client.post(url(county, "/tasks/exports"), json={"card": "green"}, headers=station)
    assert bad.status_code == 422 and "card" in bad.get_json()["errors"]["json"]


def test_the_station_accepts_several_tasks_at_once_and_another_countys_is_refused(
    client, county, other, worker, station, mint
):
    mine = [report(client, county, worker, title=f"第{i}件").get_json()["id"] for i in (1, 2)]
    theirs = report(
        client,
        other,
        bearer(mint(other, other.workers[0])),
        node_id=other.grids[0].id,
    ).get_json()["id"]
    response = client.post(
        url(county, "/tasks/bulk-transitions"),
        json={"task_ids": [*mine, theirs], "action": "accept"},
        headers=station,
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "done": mine,
        "refused": [{"task_id": theirs, "message": "没有这个事件"}],
    }
    states = [
        client.get(url(county, f"/tasks/{task_id}"), headers=station).get_json()["state"]
        for task_id in mine
    ]
    assert states == ["accepted", "accepted"]


def test_a_bulk_close_is_refused_on_its_field(client, county, station):
    response = client.post(
        url(county, "/tasks/bulk-transitions"),
        json={"task_ids": [1], "action": "close"},
        headers=station,
    )
    assert response.status_code == 422 and "action" in response.get_json()["errors"]["json"]


@pytest.mark.redis
def test_with_redis_an_export_is_queued_then_written_by_a_worker(
    app, client, county, station, files_dir, redis_url, monkeypatch
):
    from rq import SimpleWorker

    from gridgov import jobs

    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    asked = client.post(url(county, "/tasks/exports"), json={"card": "yellow"}, headers=station)
    assert asked.status_code == 202
    assert (asked.get_json()["status"], asked.get_json()["is_ready"]) == ("queued", False)
    export_url = url(county, f"/tasks/exports/{asked.get_json()['id']}")
    assert client.get(f"{export_url}/file", headers=station).status_code == 404
    queue = jobs.queue(redis_url)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    done = client.get(export_url, headers=station).get_json()
    assert (done["status"], done["rows"], done["is_ready"]) == ("done", 0, True)
    assert client.get(f"{export_url}/file", headers=station).status_code == 200


def test_a_coordination_task_is_in_the_stations_waiting_list_at_once(
    client, county, worker, station, mint
):
    task_id = report(client, county, worker, track="coordinate").get_json()["id"]
    waiting = client.get(url(county, "/tasks/waiting"), headers=station).get_json()
    assert [t["id"] for t in waiting] == [task_id]
    township = bearer(mint(county, county.township_staff))
    assert client.get(url(county, "/tasks/waiting"), headers=township).get_json() == []
    supervisor = bearer(mint(county, county.supervisor))
    assert client.get(url(county, "/tasks/waiting"), headers=supervisor).get_json() == []


def test_a_departments_task_opens_for_its_officer_only(client, county, worker, station, mint):
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        other = departments.create_department(
            session, None, code="SL", name="县水利局", node=county.top
        )
        officers = {}
        for name, department in (("xf", county.department), ("sl", other)):
            officers[name] = UserFactory(
                username=name, role="department_officer", nodes=[county.top]
            )
            departments.add_officer(session, None, department, officers[name])
        department_id = county.department.id
    session.commit()
    own, foreign = (bearer(mint(county, officers[name])) for name in ("xf", "sl"))
    task_id = report(client, county, worker, track="coordinate").get_json()["id"]
    untouched = report(client, county, worker, title="另一件").get_json()["id"]
    act(client, county, station, task_id, "accept")
    act(client, county, station, task_id, "dispatch", department_id=department_id)

    assert client.get(url(county, f"/tasks/{task_id}"), headers=foreign).status_code == 404
    assert act(client, county, foreign, task_id, "handle", comment="越权").status_code == 404
    assert client.get(url(county, f"/tasks/{untouched}"), headers=own).status_code == 404
    opened = client.get(url(county, f"/tasks/{task_id}"), headers=own).get_json()
    assert {a["action"] for a in opened["actions"]} == {"handle", "return", "escalate"}
    waiting = client.get(url(county, "/tasks/waiting"), headers=own).get_json()
    assert [t["id"] for t in waiting] == [task_id]
    handled = act(client, county, own, task_id, "handle", comment="已整改")
    assert handled.status_code == 200, handled.get_json()
    assert client.get(url(county, f"/tasks/{task_id}"), headers=own).status_code == 200
    listed = client.get(url(county, "/tasks"), headers=own).get_json()
    assert [t["id"] for t in listed] == [task_id]
