"""Task pages: a grid worker reports with a photo and closes on the spot; the station acts;
errors come back on the form; other grids' tasks are 404; the dashboard exports."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from gridgov.core.accounts.scope import scope_of
from tests.core.admission.factories import admit_example as admit
from tests.portal.conftest import csrf_token, login

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture
def as_worker(client, county):
    assert login(client, county.tenant.slug, county.workers[0].username).status_code == 302
    return client


def report(client, county, **fields):
    page = client.get("/t/changshan/tasks/new")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "node": str(county.grids[0].id),
        "category": "民生事项",
        "track": "general",
        "title": "井盖破损",
        "description": "人行道井盖破损",
        "location_text": "幸福路 12 号",
        "idempotency_key": "k-1",
        **fields,
    }
    return client.post("/t/changshan/tasks/new", data=data, content_type="multipart/form-data")


def task_id_of(response) -> int:
    return int(re.search(r"/tasks/(\d+)$", response.headers["Location"]).group(1))


def test_a_worker_reports_with_a_photo_and_closes_on_the_spot(as_worker, county):
    sent = report(as_worker, county, photo=(io.BytesIO(PNG), "现场.png"))
    assert sent.status_code == 302
    page = as_worker.get(sent.headers["Location"]).get_data(as_text=True)
    assert "井盖破损" in page and 'data-testid="photo"' in page
    task_id = task_id_of(sent)
    act = as_worker.post(
        f"/t/changshan/tasks/{task_id}/act",
        data={"csrf_token": csrf_token(page), "action": "resolve", "comment": "已更换井盖"},
    )
    assert act.status_code == 302
    assert act.headers["Location"].endswith(f"/t/changshan/tasks/{task_id}")
    page = as_worker.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    assert "已办结" in page and "已更换井盖" in page
    # The log reads in words, not codes: 上报, then the step's own label.
    history = page.split('data-testid="history"', 1)[1].split("</ol>", 1)[0]
    assert "· 上报" in history and "· report" not in history and "· resolve" not in history


@pytest.mark.parametrize(
    "elsewhere",
    ["https://example.com/t/changshan/", "//example.com/t/changshan/", "/t/other-county/"],
)
def test_a_step_goes_back_only_to_a_page_of_the_same_county(as_worker, county, elsewhere):
    sent = report(as_worker, county)
    page = as_worker.get(sent.headers["Location"]).get_data(as_text=True)
    task_id = task_id_of(sent)
    act = as_worker.post(
        f"/t/changshan/tasks/{task_id}/act",
        data={
            "csrf_token": csrf_token(page),
            "action": "resolve",
            "comment": "已办",
            "next": elsewhere,
        },
    )
    assert act.status_code == 302
    assert act.headers["Location"].endswith(f"/t/changshan/tasks/{task_id}")


def test_the_same_draft_sent_twice_makes_one_task(as_worker, county):
    first, again = report(as_worker, county), report(as_worker, county)
    assert task_id_of(first) == task_id_of(again)


def test_a_draft_key_reused_for_another_report_is_shown_on_top_of_the_form(as_worker, county):
    first = report(as_worker, county)
    clash = report(as_worker, county, title="路灯不亮")
    assert (first.status_code, clash.status_code) == (302, 422)
    assert "这个键已用于您的另一条上报" in clash.get_data(as_text=True)


def test_staff_are_told_which_comment_the_resident_reads_and_the_revisit_takes_a_rating(
    as_worker, county
):
    task_id = task_id_of(report(as_worker, county))
    page = as_worker.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    assert "居民凭查询码可见" in page  # on 现场处置并办结, the answer to the resident
    as_worker.post(
        f"/t/changshan/tasks/{task_id}/act",
        data={"csrf_token": csrf_token(page), "action": "resolve", "comment": "已更换井盖"},
    )
    page = as_worker.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    assert "回访时听到的居民评价" in page
    done = as_worker.post(
        f"/t/changshan/tasks/{task_id}/act",
        data={
            "csrf_token": csrf_token(page),
            "action": "revisit",
            "comment": "电话回访",
            "rating": "satisfied",
        },
    )
    assert done.status_code == 302
    page = as_worker.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    assert "已评价" in page and "satisfied" in page


def test_a_missing_title_is_marked_on_the_form(as_worker, county):
    response = report(as_worker, county, title="")
    assert response.status_code == 422
    assert "请填写标题" in response.get_data(as_text=True)


def test_a_step_without_its_comment_is_shown_again_with_the_error(as_worker, county):
    task_id = task_id_of(report(as_worker, county))
    page = as_worker.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    response = as_worker.post(
        f"/t/changshan/tasks/{task_id}/act",
        data={"csrf_token": csrf_token(page), "action": "resolve", "comment": ""},
    )
    assert response.status_code == 422
    assert "请填写办理意见" in response.get_data(as_text=True)


def test_a_task_of_another_grid_is_404(client, county):
    login(client, county.tenant.slug, county.workers[0].username)
    task_id = task_id_of(report(client, county))
    client.post(
        "/t/changshan/logout",
        data={"csrf_token": csrf_token(client.get("/t/changshan/").get_data(as_text=True))},
    )
    login(client, county.tenant.slug, county.workers[1].username)
    assert client.get(f"/t/changshan/tasks/{task_id}").status_code == 404


def test_the_dashboard_shows_and_exports_the_figures(as_admin, county):
    page = as_admin.get("/t/changshan/tasks/dashboard")
    assert page.status_code == 200
    assert 'data-testid="figures"' in page.get_data(as_text=True)
    workbook = as_admin.get(f"/t/changshan/tasks/dashboard.xlsx?node={county.top.id}")
    assert load_workbook(io.BytesIO(workbook.data))["概况"]["B2"].value == 0


def test_patrol_check_in_and_daily_log_are_confirmed(as_worker, county):
    page = as_worker.get("/t/changshan/tasks/day").get_data(as_text=True)
    token = csrf_token(page)
    checked = as_worker.post(
        "/t/changshan/tasks/day",
        data={"csrf_token": token, "patrol-place": "东门", "patrol-note": ""},
        follow_redirects=True,
    )
    assert "已签到：东门" in checked.get_data(as_text=True)
    logged = as_worker.post(
        "/t/changshan/tasks/day",
        data={"csrf_token": token, "log-text": "走访 3 户"},
        follow_redirects=True,
    )
    assert "今天的工作日志已保存" in logged.get_data(as_text=True)
    page = as_worker.get("/t/changshan/tasks/day").get_data(as_text=True)
    assert "东门" in page and "走访 3 户" in page


def test_the_service_worker_is_served_under_the_task_pages(client, county):
    response = client.get("/t/changshan/tasks/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"


def test_a_task_of_another_county_is_404_on_every_task_page(app, client, county, other_county):
    from gridgov.core.db import db_session, tenant_scope
    from gridgov.core.tasks import reporting

    with app.app_context():
        session = db_session()
        with tenant_scope(session, other_county.tenant.id):
            task, _ = reporting.report_task(
                session,
                other_county.workers[0],
                scope_of(session, other_county.workers[0]),
                other_county.grids[0],
                reporting.Report(category="民生事项", title="别县的事"),
            )
            task_id = task.id
        session.commit()
    login(client, county.tenant.slug, county.admin.username)
    assert client.get(f"/t/changshan/tasks/{task_id}").status_code == 404
    assert client.get(f"/t/changshan/tasks/{task_id}/files/1").status_code == 404
    page = client.get("/t/changshan/tasks?list=all").get_data(as_text=True)
    assert "别县的事" not in page
    assert client.get(f"/t/lishui/public/track/{task.code}").status_code == 200
    assert client.get(f"/t/changshan/public/track/{task.code}").status_code == 404


def test_a_modules_categories_are_offered_only_once_the_county_admitted_it(app, as_worker, county):
    pollution = "env_patrol.pollution::污水直排"
    page = as_worker.get("/t/changshan/tasks/new").get_data(as_text=True)
    assert pollution not in page
    assert report(as_worker, county, category=pollution).status_code == 422
    admit(app, county)
    page = as_worker.get("/t/changshan/tasks/new").get_data(as_text=True)
    assert 'label="污染线索"' in page
    sent = report(as_worker, county, category=pollution, idempotency_key="k-2")
    assert sent.status_code == 302
    page = as_worker.get(sent.headers["Location"]).get_data(as_text=True)
    assert "待核实" in page


def accepted_by_station(app, county) -> int:
    """A task of grid 0 the community station has accepted (it now waits on the station)."""
    from sqlalchemy import select

    from gridgov.core.accounts.models import User
    from gridgov.core.accounts.scope import scope_of
    from gridgov.core.db import db_session, tenant_scope
    from gridgov.core.tasks import reporting, transitions

    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            worker = session.get(User, county.workers[0].id)
            task, _ = reporting.report_task(
                session,
                worker,
                scope_of(session, worker),
                county.grids[0],
                reporting.Report(category="矛盾纠纷", title="邻里漏水纠纷", track="coordinate"),
            )
            station = session.scalar(select(User).where(User.id == county.station_staff.id))
            transitions.transition(session, station, scope_of(session, station), task, "accept")
            task_id = task.id
        session.commit()
    return task_id


def dispatch(client, task_id: int, page: str, **fields):
    return client.post(
        f"/t/changshan/tasks/{task_id}/act",
        data={"csrf_token": csrf_token(page), "action": "dispatch", "comment": "", **fields},
    )


def test_the_dispatch_picker_offers_the_stations_grids_and_the_departments(app, client, county):
    task_id = accepted_by_station(app, county)
    login(client, county.tenant.slug, county.station_staff.username)
    page = client.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    assert f'value="node:{county.grids[1].id}"' in page
    assert f'value="department:{county.department.id}"' in page
    assert f'value="node:{county.grids[2].id}"' not in page  # the next community's grid


def test_a_task_dispatched_to_a_department_waits_on_its_officers(app, client, county):
    task_id = accepted_by_station(app, county)
    login(client, county.tenant.slug, county.station_staff.username)
    page = client.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    sent = dispatch(client, task_id, page, target=f"department:{county.department.id}")
    assert sent.status_code == 302
    page = client.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    assert "已交办" in page and "职能部门人员" in page


def test_a_grid_worker_picked_with_a_role_gets_the_task(app, client, county):
    task_id = accepted_by_station(app, county)
    login(client, county.tenant.slug, county.station_staff.username)
    page = client.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    target = f"node:{county.grids[1].id}"
    sent = dispatch(client, task_id, page, target=target, target_role="grid_worker")
    assert sent.status_code == 302
    page = client.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    assert "已交办" in page and county.grids[1].name in page


def test_dispatch_without_a_pick_or_outside_the_scope_is_marked_on_the_picker(app, client, county):
    task_id = accepted_by_station(app, county)
    login(client, county.tenant.slug, county.station_staff.username)
    page = client.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    empty = dispatch(client, task_id, page, target="")
    assert empty.status_code == 422
    assert 'id="target-error"' in empty.get_data(as_text=True)
    outside = dispatch(client, task_id, page, target=f"node:{county.grids[2].id}")
    assert outside.status_code == 422 and "没有这个节点" in outside.get_data(as_text=True)
    page = client.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    assert "已受理" in page


def test_the_red_list_is_exported_from_the_dashboard_and_downloaded(
    app, as_admin, county, files_dir
):
    import datetime as dt

    from gridgov.core.db import db_session, tenant_scope, utcnow
    from gridgov.core.tasks import cards

    accepted_by_station(app, county)
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            cards.sweep_cards(session, now=utcnow() + dt.timedelta(days=30))
        session.commit()
    page = as_admin.get("/t/changshan/tasks/dashboard").get_data(as_text=True)
    assert 'data-testid="card-exports"' in page
    asked = as_admin.post(
        "/t/changshan/tasks/exports",
        data={"csrf_token": csrf_token(page), "node": str(county.top.id), "card": "red"},
    )
    assert asked.status_code == 302
    status = as_admin.get(asked.headers["Location"]).get_data(as_text=True)
    assert "共 1 件事件" in status
    link = re.search(r'href="([^"]+/file)"', status).group(1)
    rows = list(
        load_workbook(io.BytesIO(as_admin.get(link).data)).active.iter_rows(values_only=True)
    )
    assert [row[1] for row in rows[1:]] == ["邻里漏水纠纷"]


def test_an_unknown_list_is_refused_on_the_dashboard(as_admin, county):
    page = as_admin.get("/t/changshan/tasks/dashboard").get_data(as_text=True)
    refused = as_admin.post(
        "/t/changshan/tasks/exports",
        data={"csrf_token": csrf_token(page), "node": str(county.top.id), "card": "green"},
    )
    assert refused.status_code == 422
    assert "只能导出红牌或黄牌事件清单" in refused.get_data(as_text=True)


def test_someone_elses_export_is_404(app, client, as_admin, county, files_dir):
    page = as_admin.get("/t/changshan/tasks/dashboard").get_data(as_text=True)
    asked = as_admin.post(
        "/t/changshan/tasks/exports",
        data={"csrf_token": csrf_token(page), "node": str(county.top.id), "card": "yellow"},
    )
    export_page = asked.headers["Location"]
    as_admin.post("/t/changshan/logout", data={"csrf_token": csrf_token(page)})
    login(client, county.tenant.slug, county.township_staff.username)
    assert client.get(export_page).status_code == 404
    assert client.get(f"{export_page}/file").status_code == 404


def test_the_station_accepts_the_ticked_tasks_of_its_list_at_once(app, client, county):
    from gridgov.core.db import db_session, tenant_scope
    from gridgov.core.tasks import reporting

    ids = []
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            for title in ("积水", "占道"):
                task, _ = reporting.report_task(
                    session,
                    county.workers[0],
                    scope_of(session, county.workers[0]),
                    county.grids[0],
                    reporting.Report("民生事项", title),
                )
                ids.append(task.id)
        session.commit()
    login(client, county.tenant.slug, county.station_staff.username)
    page = client.get("/t/changshan/tasks?list=all").get_data(as_text=True)
    assert 'data-testid="bulk"' in page and f'value="node:{county.grids[1].id}"' in page
    done = client.post(
        "/t/changshan/tasks/bulk",
        data={
            "csrf_token": csrf_token(page),
            "task_ids": [str(i) for i in ids],
            "action": "accept",
            "list": "all",
        },
    )
    assert done.status_code == 302
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已办理 2 件事件" in after
    for task_id in ids:
        assert "已受理" in client.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)


def test_a_bulk_dispatch_without_a_pick_is_marked_on_the_picker(app, client, county):
    task_id = accepted_by_station(app, county)
    login(client, county.tenant.slug, county.station_staff.username)
    page = client.get("/t/changshan/tasks?list=waiting").get_data(as_text=True)
    refused = client.post(
        "/t/changshan/tasks/bulk",
        data={"csrf_token": csrf_token(page), "task_ids": [str(task_id)], "action": "dispatch"},
    )
    assert refused.status_code == 422
    assert 'id="target-error"' in refused.get_data(as_text=True)


def test_a_supervision_without_its_due_date_comes_back_with_the_note_kept(as_worker, county):
    task_id = task_id_of(report(as_worker, county))
    home = as_worker.get("/t/changshan/").get_data(as_text=True)
    as_worker.post("/t/changshan/logout", data={"csrf_token": csrf_token(home)})
    login(as_worker, county.tenant.slug, county.township_staff.username)
    page = as_worker.get(f"/t/changshan/tasks/{task_id}").get_data(as_text=True)
    refused = as_worker.post(
        f"/t/changshan/tasks/{task_id}/supervise",
        data={"csrf_token": csrf_token(page), "note": "请三日内办结并回复", "due_at": ""},
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "请填写期限" in body and "请三日内办结并回复" in body  # what was typed stays
    assert '<details class="action" open>' in body  # the form is shown open, not hidden


def test_a_supervisors_list_is_named_for_what_waits_on_them(client, county, as_worker):
    sent = report(as_worker, county)
    task_id = task_id_of(sent)
    page = as_worker.get(sent.headers["Location"]).get_data(as_text=True)
    closed = as_worker.post(
        f"/t/changshan/tasks/{task_id}/act",
        data={"csrf_token": csrf_token(page), "action": "resolve", "comment": "已修好"},
    )
    assert closed.status_code == 302
    other = client.application.test_client()
    assert login(other, county.tenant.slug, county.supervisor.username).status_code == 302
    html = other.get("/t/changshan/tasks?list=waiting").get_data(as_text=True)
    assert "待回访、评价" in html and "待本级办理" not in html
    # Only what they can act on: the closed task of their grid, to revisit or rate.
    listed = html.split('data-testid="task-list"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'href="/t/changshan/tasks/(\d+)"', listed) == [str(task_id)]
