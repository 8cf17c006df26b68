"""Registry pages: a grid worker finds a person, opens their dwelling, adds a member, tags and
visits; out-of-scope and other counties' records are 404; values masked; unmask audited;
a county administrator imports a spreadsheet and sees how it went."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import db_session, set_tenant, tenant_scope
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import ExportRun
from gridgov.core.registry.service import PersonInput
from gridgov.core.registry.spreadsheet import write_workbook
from tests.core.registry.conftest import id_number
from tests.portal.conftest import csrf_token, login, make_county, post_form

BASE = "/t/changshan"


@dataclass
class Home:
    person: int
    dwelling: int
    household: int


def seed(app, county, grid_index: int, n: int) -> Home:
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        dwelling = registry.create_dwelling(
            session, county.tenant, None, grid=county.grids[grid_index], address=f"幸福路 {n} 号"
        )
        household = registry.create_household(session, None, dwelling=dwelling)
        person = registry.create_person(
            session,
            county.tenant,
            None,
            PersonInput(
                name=f"王示例{n}", id_number=id_number(n), phone="13812345678", relation="head"
            ),
            household=household,
        )
        session.commit()
        return Home(person.id, dwelling.id, household.id)


@pytest.fixture
def mine(app, county) -> Home:
    return seed(app, county, 0, 1)


@pytest.fixture
def elsewhere(app, county, mine) -> Home:
    return seed(app, county, 3, 2)


def audit_actions(app, county) -> list[tuple[str, dict]]:
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        return [
            (e.action, e.after) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_a_grid_worker_finds_a_person_by_name_or_id_number_and_sees_them_masked(
    client, county, mine, elsewhere
):
    login(client, "changshan", county.workers[0].username)
    by_name = client.get(f"{BASE}/people?q=王示例").get_data(as_text=True)
    assert "王示例1" in by_name and "王示例2" not in by_name
    by_id = post_form(client, f"{BASE}/people", f"{BASE}/people", {"q": id_number(1)})
    by_id = by_id.get_data(as_text=True)
    assert "王示例1" in by_id
    assert by_id.count(id_number(1)) == 1  # only in the search box, never in a link
    assert id_number(1)[:6] + "*" * 12 in by_id
    page = client.get(f"{BASE}/people/{mine.person}").get_data(as_text=True)
    assert "138********" in page and id_number(1)[6:14] not in page
    assert "1950" in page and "1950-01-01" not in page  # the birth year, never the date


def test_a_supervisor_is_offered_a_search_by_name_only(app, client, county, mine):
    login(client, "changshan", county.supervisor.username)
    page = client.get(f"{BASE}/people").get_data(as_text=True)
    assert "姓名、公民身份号码或电话" not in page
    refused = post_form(client, f"{BASE}/people", f"{BASE}/people", {"q": id_number(1)})
    assert refused.status_code == 403
    assert "请按姓名查找" in refused.get_data(as_text=True)
    assert [a for a, _after in audit_actions(app, county) if a == "person.search_exact"] == []


def test_a_grid_worker_past_the_exact_search_limit_is_told_so_next_to_the_box(
    app, client, county, mine, monkeypatch
):
    monkeypatch.setitem(app.config, "GRIDGOV_EXACT_SEARCH_LIMITS", "1 per hour")
    login(client, "changshan", county.workers[0].username)
    first = post_form(client, f"{BASE}/people", f"{BASE}/people", {"q": "13812345678"})
    assert "王示例1" in first.get_data(as_text=True)
    refused = post_form(client, f"{BASE}/people", f"{BASE}/people", {"q": id_number(1)})
    assert refused.status_code == 429
    assert "60 分钟内最多 1 次" in refused.get_data(as_text=True)
    searches = [after for a, after in audit_actions(app, county) if a == "person.search_exact"]
    assert [(s["field"], s["results"]) for s in searches] == [("phone", 1)]


def test_an_id_number_in_the_pages_url_is_not_searched(app, client, county, mine, elsewhere):
    login(client, "changshan", county.admin.username)
    page = client.get(f"{BASE}/people", query_string={"q": id_number(1)}).get_data(as_text=True)
    assert "王示例1" in page and "王示例2" in page  # the whole list, unfiltered
    assert [a for a, _after in audit_actions(app, county) if a == "person.search_exact"] == []


def test_records_outside_the_grid_workers_scope_are_404(client, county, mine, elsewhere):
    login(client, "changshan", county.workers[0].username)
    for path in (f"/people/{elsewhere.person}", f"/dwellings/{elsewhere.dwelling}"):
        assert client.get(BASE + path).status_code == 404, path
    page = f"{BASE}/dwellings/{mine.dwelling}"
    for action, data in (
        (
            f"/households/{elsewhere.household}/visits",
            {f"visit{elsewhere.household}-notes": "越界"},
        ),
        (
            f"/households/{elsewhere.household}/members",
            {f"member{elsewhere.household}-name": "越界"},
        ),
        (f"/people/{elsewhere.person}/tags", {"tag-tag": "disabled"}),
    ):
        assert post_form(client, page, BASE + action, data).status_code == 404, action


def test_another_countys_records_are_404(app, client, county, mine):
    other = make_county(app, "lishui")
    theirs = seed(app, other, 0, 5)
    login(client, "changshan", county.admin.username)
    assert client.get(f"{BASE}/people/{theirs.person}").status_code == 404
    assert client.get(f"{BASE}/dwellings/{theirs.dwelling}").status_code == 404
    assert "王示例5" not in client.get(f"{BASE}/people?q=王").get_data(as_text=True)


def test_volunteers_see_no_resident_pages(client, county, mine):
    login(client, "changshan", county.volunteer.username)
    assert client.get(f"{BASE}/people").status_code == 404
    assert client.get(f"{BASE}/dwellings/{mine.dwelling}").status_code == 404


def test_a_grid_worker_adds_a_member_tags_them_and_records_a_visit(app, client, county, mine):
    login(client, "changshan", county.workers[0].username)
    page = f"{BASE}/dwellings/{mine.dwelling}"
    prefix = f"member{mine.household}"
    added = post_form(
        client,
        page,
        f"{BASE}/households/{mine.household}/members",
        {
            f"{prefix}-name": "王老人",
            f"{prefix}-id_number": id_number(9, 1940),
            f"{prefix}-relation": "parent",
            f"{prefix}-residence_type": "registered",
        },
    )
    assert added.status_code == 302
    assert "王老人" in client.get(page).get_data(as_text=True)
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        elder = registry.find_by_id_number(session, id_number(9, 1940)).id
    tagged = post_form(
        client,
        f"{BASE}/people/{elder}",
        f"{BASE}/people/{elder}/tags",
        {"tag-tag": "empty_nest_elderly"},
    )
    assert tagged.status_code == 302
    # The person's history reads in words: the tag by its label, no code, no "system".
    page_html = client.get(f"{BASE}/people/{elder}").get_data(as_text=True)
    changes = page_html.split("变更记录", 1)[1]
    assert "修改 标签：— → 空巢老人" in changes and "empty_nest_elderly" not in changes
    assert "· create" not in changes and "· 登记" in changes
    assert "王老人" in client.get(f"{BASE}/visits/due").get_data(as_text=True)
    visited = post_form(
        client,
        page,
        f"{BASE}/households/{mine.household}/visits",
        {f"visit{mine.household}-notes": "身体好"},
    )
    assert visited.status_code == 302
    assert "王老人" not in client.get(f"{BASE}/visits/due").get_data(as_text=True)


def test_a_bad_id_number_is_marked_on_the_member_form(client, county, mine):
    login(client, "changshan", county.workers[0].username)
    prefix = f"member{mine.household}"
    response = post_form(
        client,
        f"{BASE}/dwellings/{mine.dwelling}",
        f"{BASE}/households/{mine.household}/members",
        {
            f"{prefix}-name": "错号",
            f"{prefix}-id_number": "110101198001011233",
            f"{prefix}-relation": "child",
            f"{prefix}-residence_type": "registered",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{prefix}-id_number-error"' in html and "110101198001011233" in html


def test_a_supervisor_cannot_unmask_and_an_admin_unmasks_with_a_reason_that_is_audited(
    app, client, county, mine
):
    login(client, "changshan", county.supervisor.username)
    page = f"{BASE}/people/{mine.person}"
    assert "查看完整号码" not in client.get(page).get_data(as_text=True)
    refused = post_form(
        client,
        f"{BASE}/people",
        f"{page}/unmask",
        {"unmask-field": "phone", "unmask-reason": "核实"},
    )
    assert refused.status_code == 404
    client = app.test_client()
    login(client, "changshan", county.admin.username)
    shown = post_form(
        client, page, f"{page}/unmask", {"unmask-field": "id_number", "unmask-reason": "低保核实"}
    )
    assert shown.status_code == 200 and id_number(1) in shown.get_data(as_text=True)
    assert ("person.unmask", {"field": "id_number", "reason": "低保核实"}) in audit_actions(
        app, county
    )


def test_an_admin_imports_a_workbook_and_sees_the_result_and_the_rejected_rows(
    app, client, county, files_dir
):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    login(client, "changshan", county.admin.username)
    data = write_workbook(
        ["姓名", "公民身份号码", "网格编码"],
        [["示例甲", id_number(1), county.grids[0].code], ["示例乙", "123", county.grids[0].code]],
        "people",
    )
    page = client.get(f"{BASE}/registry/imports").get_data(as_text=True)
    started = client.post(
        f"{BASE}/registry/imports",
        data={
            "csrf_token": csrf_token(page),
            "kind": "people",
            "file": (io.BytesIO(data), "人口.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert started.status_code == 302
    status = client.get(started.headers["Location"], headers={"HX-Request": "true"})
    html = status.get_data(as_text=True)
    assert "新增 1" in html and "拒绝 1" in html and "hx-get" not in html
    assert "第 3 行" in html
    rejected = client.get(started.headers["Location"] + "/rejected.xlsx")
    assert rejected.status_code == 200 and rejected.mimetype.endswith("sheet")


def test_an_import_with_the_countys_own_headers_takes_a_mapping(app, client, county, files_dir):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    login(client, "changshan", county.admin.username)
    data = write_workbook(["名字", "网格"], [["示例甲", county.grids[0].code]], "people")
    page = client.get(f"{BASE}/registry/imports").get_data(as_text=True)
    assert "公民身份号码" in page and "单位名称" in page  # the standard headers of each kind

    def post(mapping):
        return client.post(
            f"{BASE}/registry/imports",
            data={
                "csrf_token": csrf_token(page),
                "kind": "people",
                "file": (io.BytesIO(data), "人口.xlsx"),
                "mapping": mapping,
            },
            content_type="multipart/form-data",
        )

    refused = post("名字 姓名")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "has-error" in html and "第 1 行应写成" in html and "名字 姓名" in html
    started = post("名字 = 姓名\n\n网格＝网格编码")
    assert started.status_code == 302
    status = client.get(started.headers["Location"], headers={"HX-Request": "true"})
    assert "新增 1" in status.get_data(as_text=True)


def test_grid_workers_have_no_import_page(client, county):
    login(client, "changshan", county.workers[0].username)
    assert client.get(f"{BASE}/registry/imports").status_code == 404


def test_an_export_runs_as_a_job_and_hands_its_file_to_its_author_only(
    app, client, county, mine, files_dir
):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    login(client, "changshan", county.workers[0].username)
    started = post_form(client, f"{BASE}/people", f"{BASE}/people/exports", {"q": id_number(1)})
    assert started.status_code == 302
    assert id_number(1) not in started.headers["Location"]
    status = client.get(started.headers["Location"], headers={"HX-Request": "true"})
    assert "已导出 1 人" in status.get_data(as_text=True)
    assert "文件保留至" in status.get_data(as_text=True)
    download = client.get(started.headers["Location"] + "/people.xlsx")
    values = str(list(load_workbook(io.BytesIO(download.data)).active.values))
    assert "王示例1" in values and id_number(1) not in values
    admin = app.test_client()
    login(admin, "changshan", county.admin.username)
    assert admin.get(started.headers["Location"] + "/people.xlsx").status_code == 404


def test_a_supervisor_cannot_export_an_exact_search(client, county, mine):
    login(client, "changshan", county.supervisor.username)
    refused = post_form(client, f"{BASE}/people", f"{BASE}/people/exports", {"q": id_number(1)})
    assert refused.status_code == 422
    assert "请按姓名查找" in refused.get_data(as_text=True)


def test_a_supervisor_cannot_export_in_clear(client, county, mine):
    login(client, "changshan", county.supervisor.username)
    refused = post_form(
        client, f"{BASE}/people", f"{BASE}/people/exports", {"q": "", "reason": "核实"}
    )
    assert refused.status_code == 422


def test_a_duplicate_found_later_is_merged_in_the_portal(app, client, county, mine):
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        twin = registry.create_person(
            session,
            county.tenant,
            None,
            PersonInput(name="王示例1", birth_date=dt.date(1950, 1, 1), phone="13900001111"),
            grid=county.grids[0],
        )
        twin_id = twin.id
        session.commit()
    login(client, "changshan", county.workers[0].username)
    page = f"{BASE}/people/duplicates"
    assert f"#{twin_id}" in client.get(page).get_data(as_text=True)
    merged = post_form(
        client,
        page,
        f"{page}?group=0",
        {"merge0-keep": str(mine.person), "merge0-duplicate": str(twin_id)},
    )
    assert merged.status_code == 302
    assert client.get(f"{BASE}/people/{twin_id}").status_code == 404
    assert "没有疑似重复的记录" in client.get(page).get_data(as_text=True)


def test_quality_figures_are_shown_per_grid_and_out_of_scope_nodes_are_404(
    app, client, county, mine, elsewhere
):
    login(client, "changshan", county.station_staff.username)
    html = client.get(f"{BASE}/registry/quality").get_data(as_text=True)
    assert county.grids[0].name in html and "100.0%" in html
    worker = app.test_client()
    login(worker, "changshan", county.workers[0].username)
    assert worker.get(f"{BASE}/registry/quality?node_id={county.top.id}").status_code == 404


def test_a_rental_is_registered_on_the_dwelling_page(app, client, county, mine):
    login(client, "changshan", county.workers[0].username)
    page = f"{BASE}/dwellings/{mine.dwelling}"
    action = f"{page}/rentals"
    data = {"rental-landlord_id_number": id_number(1), "rental-starts_on": "2026-03-01"}
    unknown = post_form(client, page, action, {**data, "rental-landlord_id_number": id_number(7)})
    assert unknown.status_code == 422
    assert 'id="rental-landlord_id_number-error"' in unknown.get_data(as_text=True)
    created = post_form(client, page, action, {**data, "rental-renters": str(mine.person)})
    assert created.status_code == 302
    # each lookup of the landlord is an exact search, the one that found nobody too
    searches = [after for a, after in audit_actions(app, county) if a == "person.search_exact"]
    assert [s["results"] for s in searches] == [0, 1]
    html = client.get(page).get_data(as_text=True)
    assert "2026-03-01" in html and "出租屋" in html


def test_an_export_past_its_keeping_period_says_its_file_was_deleted(
    app, client, county, mine, files_dir
):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    login(client, "changshan", county.supervisor.username)
    started = post_form(client, f"{BASE}/people", f"{BASE}/people/exports", {"q": "王"})
    with app.app_context(), tenant_scope(db_session(), county.tenant.id) as session:
        run = session.scalars(select(ExportRun)).one()
        runs.expire_outputs(
            session, ExportRun, files.expiry_cutoff(run.finished_at + dt.timedelta(days=8))
        )
        session.commit()
    html = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "已超过保存期限" in html and "people.xlsx" not in html
    assert client.get(started.headers["Location"] + "/people.xlsx").status_code == 404


def test_the_member_form_takes_no_relation_for_granted_and_refuses_a_second_head(
    client, county, mine
):
    login(client, "changshan", county.workers[0].username)
    page = f"{BASE}/dwellings/{mine.dwelling}"
    prefix = f"member{mine.household}"
    html = client.get(page).get_data(as_text=True)
    chosen = re.search(rf'<select[^>]*name="{prefix}-relation".*?</select>', html, re.S).group(0)
    assert '<option selected value="">' in chosen or 'value="" selected' in chosen
    response = post_form(
        client,
        page,
        f"{BASE}/households/{mine.household}/members",
        {
            f"{prefix}-name": "王二",
            f"{prefix}-relation": "head",
            f"{prefix}-residence_type": "registered",
        },
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "这一户已有户主：王示例1" in text and 'value="王二"' in text  # what was typed stays
    nothing = post_form(
        client,
        page,
        f"{BASE}/households/{mine.household}/members",
        {
            f"{prefix}-name": "王三",
            f"{prefix}-relation": "",
            f"{prefix}-residence_type": "registered",
        },
    )
    assert nothing.status_code == 422 and "请选择与户主关系" in nothing.get_data(as_text=True)
    assert "王二" not in client.get(page).get_data(as_text=True)


def test_an_empty_visit_is_refused_on_its_form(client, county, mine):
    login(client, "changshan", county.workers[0].username)
    page = f"{BASE}/dwellings/{mine.dwelling}"
    response = post_form(
        client,
        page,
        f"{BASE}/households/{mine.household}/visits",
        {f"visit{mine.household}-notes": "  "},
    )
    assert response.status_code == 422
    assert "请写下走访情况" in response.get_data(as_text=True)


def test_a_duplicate_id_number_links_to_the_record_or_says_it_is_out_of_sight(
    app, client, county, mine, elsewhere
):
    login(client, "changshan", county.workers[0].username)
    page = f"{BASE}/dwellings/{mine.dwelling}"
    prefix = f"member{mine.household}"

    def add(number):
        return post_form(
            client,
            page,
            f"{BASE}/households/{mine.household}/members",
            {
                f"{prefix}-name": "重号",
                f"{prefix}-id_number": number,
                f"{prefix}-relation": "child",
                f"{prefix}-residence_type": "registered",
            },
        )

    mine_again = add(id_number(1))  # 王示例1, in the worker's own grid
    assert mine_again.status_code == 422
    html = mine_again.get_data(as_text=True)
    assert f'href="{BASE}/people/{mine.person}"' in html and "王示例1" in html
    theirs = add(id_number(2))  # 王示例2, in another township's grid
    html = theirs.get_data(as_text=True)
    assert theirs.status_code == 422 and "已登记在您的查看范围之外" in html
    assert f"/people/{elsewhere.person}" not in html and "王示例2" not in html
