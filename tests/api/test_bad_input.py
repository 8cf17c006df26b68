"""Bad input answers 4xx, never 500 (issue 15, item 7): ids past the database's integers in
every route, body and query; huge page numbers; NUL and control characters; coordinates off
the earth; a broken export job; names that would break a download's Content-Disposition."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import update
from werkzeug.http import parse_options_header
from werkzeug.routing import Rule

from gridgov.core.db import db_session, tenant_scope
from gridgov.core.errors import DomainError
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.registry import exports as registry_exports
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Person
from gridgov.core.registry.service import PersonInput
from gridgov.web import IdConverter
from tests.api.bearer import bearer, url
from tests.api.test_tasks import PNG, report

BIG = {"2^31": str(2**31), "2^63": str(2**63), "5000 digits": "9" * 5000}


@pytest.fixture
def admin(county, mint):
    return bearer(mint(county, county.admin))


def _id_rules(app) -> list[Rule]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IdConverter) for c in rule._converters.values())
    ]


def _path(rule: Rule, slug: str, number: str) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IdConverter):
            values[name] = number
        elif name == "slug":
            values[name] = slug
        else:
            values[name] = "x"
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", value)
        for kind in ("int", "string", "path"):
            path = path.replace(f"<{kind}:{name}>", value)
    return path


def test_the_routes_with_ids_are_all_found(app):
    # The walk below must see the API's routes with an id in the path (66 endpoints today;
    # the security test's 71 counted ids in bodies too), the portal's and the modules': if
    # the converters changed, it would silently test nothing.
    rules = _id_rules(app)
    endpoints = [
        (r, m) for r in rules if "/api/" in r.rule for m in r.methods - {"HEAD", "OPTIONS"}
    ]
    assert len(endpoints) >= 60
    assert any(r.rule.startswith("/t/<slug>/people/") for r in rules)
    assert any("/modules/" in r.rule for r in rules)


@pytest.mark.parametrize("number", list(BIG.values()), ids=list(BIG))
def test_every_route_with_an_id_answers_404_for_an_id_past_the_databases(
    client, county, admin, number
):
    answers = {}
    for rule in _id_rules(client.application):
        path = _path(rule, county.tenant.slug, number)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, headers=admin, json={})
            answers[f"{method} {rule.rule}"] = response.status_code
    # 404: no such page; 405 where the path is also another route's (a username) that only reads.
    wrong = {route: status for route, status in answers.items() if status not in (404, 405)}
    assert wrong == {}
    assert list(answers.values()).count(404) > 0.9 * len(answers)


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/nodes", {"parent_id": 2**31, "code": "X1", "name": "新"}, "parent_id"),
        ("POST", "/tasks", {"node_id": 2**63, "category": "民生事项", "title": "t"}, "node_id"),
        ("POST", "/people/merge", {"keep_id": 2**31, "duplicate_id": 1}, "keep_id"),
        ("PUT", "/users/1/assignments", {"node_ids": [1, 2**40]}, "node_ids"),
        ("POST", "/departments", {"code": "D", "name": "部门", "node_id": 0}, "node_id"),
    ],
)
def test_an_id_in_a_body_past_the_databases_is_refused_by_field(
    client, county, admin, method, path, body, field
):
    response = client.open(url(county, path), method=method, json=body, headers=admin)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    "query", ["/users?node_id=2147483648", "/tasks?node_id=-1", "/reports/period?node_id=1e3"]
)
def test_an_id_in_a_query_past_the_databases_is_refused(client, county, admin, query):
    response = client.get(url(county, query), headers=admin)
    assert response.status_code == 422
    assert "node_id" in response.get_json()["errors"]["query"]


def test_a_whole_number_past_the_databases_is_refused(client, county, admin):
    response = report(client, county, admin, priority=2**31)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["priority"] == [
        "须为 -2147483648 到 2147483647 之间的整数"
    ]


@pytest.mark.parametrize(
    "bad", ["甲\x00乙", "甲\x07乙", "甲\x1b[31m乙", "甲\ud800乙", "甲\x9b乙"], ids=repr
)
def test_control_characters_in_a_text_are_refused_by_field(client, county, admin, bad):
    # Sent as JSON escapes, the way a client writes a lone surrogate or NUL.
    body = json.dumps({"parent_id": county.top.id, "code": "T9", "name": bad})
    response = client.post(
        url(county, "/nodes"), data=body, content_type="application/json", headers=admin
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {
        "name": ["不能含控制字符（如 NUL、换页、退格）"]
    }
    assert "T9" not in json.dumps(client.get(url(county, "/nodes"), headers=admin).get_json())


def test_a_nul_in_free_form_json_is_refused(client, operator_token, county):
    response = client.patch(
        f"/api/v1/tenants/{county.tenant.id}",
        data=json.dumps({"settings": {"note": "a\x00b"}}),
        content_type="application/json",
        headers=bearer(operator_token),
    )
    assert response.status_code == 422
    assert "settings" in response.get_json()["errors"]["json"]


def test_line_breaks_stay_allowed_in_long_texts(client, county, admin):
    response = report(client, county, admin, description="第一行\n第二行\t缩进")
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [(1e10, 120.0, "latitude"), (30.0, -181.0, "longitude"), (90.5, 0.0, "latitude")],
)
def test_coordinates_off_the_earth_are_refused(client, county, admin, latitude, longitude, field):
    response = report(client, county, admin, latitude=latitude, longitude=longitude)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_coordinates_that_are_no_number_are_refused(client, county, admin, literal):
    # Python's json writes (and reads) these literals, as many clients do.
    body = {"node_id": county.grids[0].id, "category": "民生事项", "title": "t"}
    body.update(latitude=float(literal), longitude=1.0)
    response = client.post(
        url(county, "/tasks"), data=json.dumps(body), content_type="application/json", headers=admin
    )
    assert response.status_code == 422
    assert "latitude" in response.get_json()["errors"]["json"]


def test_a_patrol_off_the_earth_is_refused_by_the_service(session, county):
    from gridgov.core.accounts.scope import scope_of
    from gridgov.core.tasks import worker_day

    worker = county.workers[0]
    with tenant_scope(session, county.tenant.id), pytest.raises(DomainError) as refused:
        worker_day.check_in(
            session,
            worker,
            scope_of(session, worker),
            county.grids[0],
            latitude=1e10,
            longitude=120.0,
        )
    assert refused.value.field == "latitude"


# --- the people export over a name with control characters -----------------------------------


def test_a_name_with_control_characters_is_refused_on_entry(session, county):
    with tenant_scope(session, county.tenant.id), pytest.raises(DomainError) as refused:
        registry.create_person(
            session, county.tenant, None, PersonInput(name="王\x07五"), grid=county.grids[0]
        )
    assert refused.value.field == "name"


def test_a_name_stored_with_control_characters_before_does_not_break_the_export(
    client, county, admin, files_dir, app
):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        person = registry.create_person(
            session, county.tenant, None, PersonInput(name="王五"), grid=county.grids[0]
        )
        # As a row written before control characters were refused.
        # (NUL among them only where the database could hold it: PostgreSQL never could.)
        bad = "王\x07五\x00" if session.get_bind().dialect.name == "sqlite" else "王\x07五\x1b"
        session.execute(update(Person).where(Person.id == person.id).values(name=bad))
        session.commit()
    started = client.post(url(county, "/people/exports"), json={"q": ""}, headers=admin)
    run = client.get(url(county, f"/people/exports/{started.get_json()['id']}"), headers=admin)
    assert run.get_json()["status"] == "done", run.get_json()
    data = client.get(url(county, f"/people/exports/{run.get_json()['id']}/file"), headers=admin)
    names = [row[0] for row in load_workbook(io.BytesIO(data.data)).active.values]
    assert "王五" in names


def test_an_export_whose_job_breaks_ends_failed_with_a_message(
    client, county, admin, files_dir, app, monkeypatch
):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(registry_exports, "_export", broken)
    started = client.post(url(county, "/people/exports"), json={"q": ""}, headers=admin)
    assert started.status_code == 202
    run = client.get(url(county, f"/people/exports/{started.get_json()['id']}"), headers=admin)
    answer = run.get_json()
    assert answer["status"] == "failed"
    assert answer["error"] == "系统出错，这次没有完成。请重试；一再出现请联系本县管理员。"
    assert "disk" not in json.dumps(answer)
    assert client.get(url(county, "/people/exports"), headers=admin).get_json()[0]["status"] == (
        "failed"
    )


# --- downloads named after what a user typed -------------------------------------------------


@pytest.mark.parametrize("code", ['网格"1', 'a";b\\', "城关-01"])
def test_a_download_named_after_a_node_code_keeps_its_name_in_one_header(
    client, county, admin, code
):
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        node = hierarchy.create_node(
            session, county.tenant, None, parent=county.top, code=code, name="乡镇"
        )
        session.commit()
        node_id = node.id
    response = client.get(url(county, f"/tasks/dashboard.xlsx?node_id={node_id}"), headers=admin)
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    assert "\n" not in header and "\r" not in header
    disposition, options = parse_options_header(header)
    assert disposition == "attachment"
    assert options["filename"] == f"tasks-{code}.xlsx"
    if not code.isascii():
        assert "filename*=UTF-8''" in header


def test_a_stored_file_downloads_under_its_name_quoted(client, county, mint, files_dir):
    worker = county.workers[0]
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        stored = files.store_file(
            session,
            worker,
            name='现场"; filename=evil.sh.png',
            data=PNG,
            kinds={FileKind.IMAGE},
            purpose="task_attachment",
        )
        session.commit()
        file_id = stored.id
    token = bearer(mint(county, worker))
    task = report(client, county, token, file_ids=[file_id]).get_json()
    response = client.get(url(county, f"/tasks/{task['id']}/attachments/{file_id}"), headers=token)
    _disposition, options = parse_options_header(response.headers["Content-Disposition"])
    assert options["filename"] == '现场"; filename=evil.sh.png'


# --- the node tree ---------------------------------------------------------------------------


def test_moving_a_node_under_its_own_descendant_says_the_tree_would_be_a_cycle(
    client, county, admin
):
    township = county.townships[0]
    response = client.post(
        url(county, f"/nodes/{township.id}/move"),
        json={"parent_id": county.communities[0].id},
        headers=admin,
    )
    assert response.status_code == 422
    assert "成环" in response.get_json()["errors"]["json"]["parent_id"][0]


# --- imports ---------------------------------------------------------------------------------


def test_an_import_row_with_a_control_character_is_rejected_with_its_column(
    client, county, admin, files_dir, app
):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "网格编码", "住址"])
    grid = county.grids[0].code
    sheet.append(["示例甲", grid, "幸福路 1 号"])
    sheet.append(["示例乙", grid, "幸福路\x9b2 号"])  # a C1 control, which openpyxl writes
    sheet.append(["示例_x0007_丙", grid, ""])  # how Excel writes a BEL in a cell
    data = io.BytesIO()
    book.save(data)
    response = client.post(
        url(county, "/registry/imports"),
        query_string={"kind": "people"},
        data={"file": (io.BytesIO(data.getvalue()), "人口.xlsx")},
        headers=admin,
        content_type="multipart/form-data",
    )
    run = client.get(url(county, f"/registry/imports/{response.get_json()['id']}"), headers=admin)
    report = run.get_json()["report"]
    assert run.get_json()["status"] == "done", run.get_json()
    assert report["created"] == 1
    assert {(e["row"], e["column"]) for e in report["errors"]} == {(3, "住址"), (4, "姓名")}
    names = [p["name"] for p in client.get(url(county, "/people"), headers=admin).get_json()]
    assert names == ["示例甲"]


def test_a_report_from_a_module_or_a_job_is_checked_by_the_service_too(session, county):
    from gridgov.core.accounts.scope import scope_of
    from gridgov.core.tasks import reporting

    worker = county.workers[0]
    with tenant_scope(session, county.tenant.id), pytest.raises(DomainError) as refused:
        reporting.report_task(
            session,
            worker,
            scope_of(session, worker),
            county.grids[0],
            reporting.Report("民生事项", "路灯\x00不亮"),
        )
    assert refused.value.field == "title"
