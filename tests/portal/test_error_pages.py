"""Every page that is not the API answers an error in the reader's language and the portal's
frame, with a way back; the API keeps answering in JSON."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import InternalServerError

from gridgov.portal.errors import error_page
from tests.portal.conftest import csrf_token


def test_the_platform_address_says_where_a_county_logs_in(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "/t/县的标识/login" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "status", "says"),
    [
        ("GET", "/nowhere", 404, "页面不存在"),
        ("GET", "/t/no-such-county/login", 404, "页面不存在"),
        ("GET", "/t/changshan/public/grids/NO-SUCH-GRID", 404, "页面不存在"),
        ("POST", "/healthz", 405, "不能这样打开此页面"),
        ("DELETE", "/t/changshan/login", 405, "不能这样打开此页面"),
    ],
)
def test_errors_outside_the_api_are_pages_in_chinese_with_a_way_back(
    client, county, method, path, status, says
):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert says in page and "返回首页" in page
    assert "Not Found" not in page and "Method Not Allowed" not in page


def test_a_resident_is_told_what_was_not_found(client, county):
    grid = client.get("/t/changshan/public/grids/NO-SUCH-GRID")
    assert grid.status_code == 404 and "没有这个网格" in grid.get_data(as_text=True)
    typo = client.get("/t/changshan/public/track/ABCDEF2345")
    page = typo.get_data(as_text=True)
    assert typo.status_code == 404
    assert "没有这个查询码对应的事件" in page and 'value="ABCDEF2345"' in page  # to correct it


def test_a_form_too_large_is_told_as_such(client, county):
    # Flask keeps form fields in memory up to MAX_FORM_MEMORY_SIZE (500 kB) and refuses more.
    page = client.get("/t/changshan/login").get_data(as_text=True)
    response = client.post(
        "/t/changshan/login",
        data={"csrf_token": csrf_token(page), "username": "x" * 600_000, "password": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "文件太大" in response.get_data(as_text=True)


def test_an_error_page_follows_the_readers_language(client, county):
    page = client.get("/t/changshan/login").get_data(as_text=True)
    client.post(
        "/t/changshan/locale",
        data={"csrf_token": csrf_token(page), "locale": "en", "next": "/t/changshan/login"},
    )
    english = client.get("/t/changshan/public/grids/NO-SUCH-GRID").get_data(as_text=True)
    assert "Page not found" in english and "页面不存在" not in english


def test_a_crash_is_a_page_that_says_what_to_do(app):
    with app.test_request_context("/t/changshan/tasks"):
        body, status = error_page(InternalServerError())
    assert status == 500 and "系统出错了" in body and "请稍后重试" in body


def test_the_api_still_answers_errors_in_json(client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404 and response.is_json
