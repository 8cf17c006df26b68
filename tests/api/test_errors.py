"""Every API error is JSON in one shape: code, status, message, and field errors under
errors.<location>, in Chinese."""

from __future__ import annotations

import pytest

from tests.api.bearer import bearer, url


@pytest.fixture
def admin(county, mint):
    return bearer(mint(county, county.admin))


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(client, county, admin):
    response = client.post(
        url(county, "/nodes"), data="{bad", content_type="application/json", headers=admin
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "code": 400,
        "status": "Bad Request",
        "message": "请求格式有误",
        "errors": {"json": ["请求体不是有效的 JSON"]},
    }


def test_a_json_list_instead_of_an_object_is_refused(client, county, admin):
    response = client.post(url(county, "/nodes"), json=[1, 2], headers=admin)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {"_schema": ["请求体必须是 JSON 对象"]}


def test_wrong_types_are_named_field_by_field(client, county, admin):
    response = client.post(
        url(county, "/nodes"),
        json={"parent_id": "abc", "code": 5, "name": None, "boundary": []},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {
        "parent_id": ["必须是整数"],
        "code": ["必须是文本"],
        "name": ["不能为 null"],
        "boundary": ["必须是 JSON 对象"],
    }


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("page=0", "page", "页码须为 1 到 10000000 之间的整数"),
        ("page_size=0", "page_size", "每页条数须为 1 到 500 之间的整数"),
        ("page=x", "page", "页码须为 1 到 10000000 之间的整数"),
        ("page=9223372036854775808", "page", "页码须为 1 到 10000000 之间的整数"),
    ],
)
def test_bad_page_parameters_are_named(client, county, admin, query, field, message):
    response = client.get(url(county, f"/nodes?{query}"), headers=admin)
    assert response.status_code == 422
    assert response.get_json()["errors"]["query"] == {field: [message]}


def test_the_configured_page_size_limit_applies(app, client, county, admin, monkeypatch):
    monkeypatch.setitem(app.config, "API_PAGE_SIZE_MAX", 20)
    response = client.get(url(county, "/users?page_size=21"), headers=admin)
    assert response.status_code == 422
    assert response.get_json()["errors"]["query"] == {"page_size": ["每页最多 20 条"]}
    assert client.get(url(county, "/users?page_size=20"), headers=admin).status_code == 200


def test_an_unknown_api_path_is_a_json_404(client, county, admin):
    response = client.get(url(county, "/nodez"), headers=admin)
    assert response.status_code == 404
    assert response.get_json() == {"code": 404, "status": "Not Found", "message": "没有找到"}
    assert client.get("/api/v1/nope").get_json()["code"] == 404


def test_a_wrong_method_is_a_json_405_with_allow(client, county, admin):
    response = client.delete(url(county, f"/nodes/{county.grids[0].id}"), headers=admin)
    assert response.status_code == 405
    assert response.get_json()["message"] == "不支持这个请求方法"
    assert "PATCH" in response.headers["Allow"]


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
