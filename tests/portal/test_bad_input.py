"""Bad input in the portal answers 4xx with the form again and the field marked, never 500
(issue 15, items 6 and 7): ids past the database's integers, control characters, points off
the earth, huge page numbers and years, oversize uploads."""

from __future__ import annotations

import io

import pytest

from gridgov.web import IdConverter
from tests.api.test_tasks import PNG
from tests.portal.conftest import csrf_token, login, post_form
from tests.portal.test_tasks import report

MiB = 1024 * 1024


@pytest.fixture
def as_worker(client, county):
    assert login(client, county.tenant.slug, county.workers[0].username).status_code == 302
    return client


@pytest.mark.parametrize("number", [str(2**31), str(2**63)])
def test_every_portal_page_with_an_id_answers_404_past_the_databases(as_admin, county, number):
    answers = {}
    for rule in as_admin.application.url_map.iter_rules():
        ids = [n for n, c in rule._converters.items() if isinstance(c, IdConverter)]
        if not ids or "/api/" in rule.rule:
            continue
        path = rule.rule.replace("<slug>", county.tenant.slug)
        for name in ids:
            path = path.replace(f"<int:{name}>", number)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answers[f"{method} {rule.rule}"] = as_admin.open(path, method=method).status_code
    assert answers
    assert {route: s for route, s in answers.items() if s not in (404, 405)} == {}


@pytest.mark.parametrize(
    "query",
    [
        "/t/changshan/people?page=9223372036854775808",
        "/t/changshan/tasks/dashboard?node=9223372036854775808",
        "/t/changshan/reports/period?node=2147483648",
        "/t/changshan/tasks/calendar?year=99999999",
    ],
)
def test_numbers_past_the_databases_in_a_query_give_a_page(as_admin, query):
    assert as_admin.get(query).status_code == 200


def test_a_control_character_in_a_report_marks_the_field_and_keeps_the_form(as_worker, county):
    response = report(as_worker, county, title="井盖\x00破损")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="title-error"' in page and "不能含控制字符" in page
    assert "人行道井盖破损" in page  # what was typed stays


def test_a_control_character_in_a_node_name_marks_the_field(as_admin, county):
    community = county.communities[0]
    response = post_form(
        as_admin,
        f"/t/changshan/nodes/{community.id}",
        f"/t/changshan/nodes/{community.id}/children",
        {"add-code": "CHA-NEW", "add-name": "网格\x07九"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="add-name-error"' in page and "不能含控制字符" in page


def test_a_report_off_the_earth_is_refused_with_the_form_again(as_worker, county):
    response = report(as_worker, county, latitude="1e10", longitude="120")
    assert response.status_code == 422
    assert "纬度须在 -90 到 90 之间" in response.get_data(as_text=True)


def test_a_photo_over_its_limit_is_marked_on_the_photo_field(as_worker, county, files_dir):
    response = report(as_worker, county, photo=(io.BytesIO(PNG + b"\x00" * (10 * MiB)), "p.png"))
    assert response.status_code == 422
    assert "文件太大，最大 10 MB" in response.get_data(as_text=True)
    assert not any(p.is_file() for p in files_dir.rglob("*"))


def test_a_request_past_the_size_limit_gets_the_portal_page_413(
    app, as_worker, county, files_dir, monkeypatch
):
    page = as_worker.get("/t/changshan/tasks/new")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", MiB)
    response = as_worker.post(
        "/t/changshan/tasks/new",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "photo": (io.BytesIO(PNG + b"\x00" * (2 * MiB)), "p.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "文件太大" in response.get_data(as_text=True)


def test_ticked_ids_past_the_databases_are_no_tasks(client, county):
    login(client, county.tenant.slug, county.station_staff.username)
    page = client.get("/t/changshan/tasks?list=all").get_data(as_text=True)
    response = client.post(
        "/t/changshan/tasks/bulk",
        data={
            "csrf_token": csrf_token(page),
            "task_ids": [str(2**63), "9" * 5000],
            "action": "dispatch",
            "target": f"node:{2**63}",
        },
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "address",
    [
        "/t/changshan/people?q=%E7%8E%8B%00",
        "/t/changshan/public/track?code=AB%07CD",
        "/t/changshan/m/disputes/cases?q=%1B",
    ],
)
def test_a_query_string_with_control_characters_gets_a_page_saying_so(as_admin, address):
    response = as_admin.get(address)
    assert response.status_code == 400
    assert "不能使用的字符" in response.get_data(as_text=True)
