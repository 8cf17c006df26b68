"""Bearer tokens: Authlib's resource protector in front of every API endpoint."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session, tenant_scope, utcnow
from tests.api.bearer import bearer, url
from tests.core.admission.factories import admit_example
from tests.plugins.civil_affairs.conftest import admit as admit_civil_affairs
from tests.plugins.disputes.factories import admit_disputes
from tests.plugins.family_planning.conftest import admit as admit_family_planning
from tests.plugins.fire_safety.conftest import admit as admit_fire_safety


def _assert_error(response, code: int) -> dict:
    assert response.status_code == code, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code
    assert body["status"]
    assert body["message"]
    return body


def test_a_call_without_a_token_is_refused_with_401_and_a_bearer_challenge(client, county):
    response = client.get(url(county, "/nodes"))
    body = _assert_error(response, 401)
    assert "Bearer" in body["message"]
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer realm=")


def test_a_token_of_another_type_than_bearer_is_refused(client, county):
    _assert_error(
        client.get(url(county, "/nodes"), headers={"Authorization": "Basic dXNlcjpwdw=="}), 401
    )


def test_an_unknown_token_naming_the_right_county_is_refused(client, county):
    forged = "ggv_changshan_" + "x" * 43
    _assert_error(client.get(url(county, "/nodes"), headers=bearer(forged)), 401)


def test_a_valid_token_reads_the_county(client, county, mint):
    token = mint(county, county.admin)
    response = client.get(url(county, "/tenant"), headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {
        "slug": "changshan",
        "name": "changshan县",
        "level_names": ["县", "乡镇", "社区", "网格"],
        "modules": [],
        "time_zone": "Asia/Shanghai",
    }


def test_a_token_of_another_county_answers_404_not_401(client, county, other, mint):
    token_b = mint(other, other.admin)
    body = _assert_error(client.get(url(county, "/nodes"), headers=bearer(token_b)), 404)
    assert "errors" not in body


def test_an_expired_token_is_refused(client, county, mint):
    token = mint(county, county.admin, expires_in=dt.timedelta(days=1))
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        accounts.find_token(session, token).expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    _assert_error(client.get(url(county, "/me"), headers=bearer(token)), 401)


def test_a_revoked_token_is_refused(client, county, mint):
    token = mint(county, county.admin)
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        accounts.find_token(session, token).revoked_at = utcnow()
    session.commit()
    _assert_error(client.get(url(county, "/me"), headers=bearer(token)), 401)


def test_the_token_of_a_deactivated_user_stops_working_at_once(client, county, mint):
    token = mint(county, county.workers[0])
    assert client.get(url(county, "/me"), headers=bearer(token)).status_code == 200
    admin_token = mint(county, county.security)
    response = client.patch(
        url(county, f"/users/{county.workers[0].id}"),
        json={"is_active": False},
        headers=bearer(admin_token),
    )
    assert response.status_code == 200
    _assert_error(client.get(url(county, "/me"), headers=bearer(token)), 401)


def test_a_token_without_the_scope_is_refused_with_403_naming_it(client, county, mint):
    token = mint(county, county.admin, scopes=["hierarchy:read"])
    assert client.get(url(county, "/nodes"), headers=bearer(token)).status_code == 200
    body = _assert_error(
        client.post(url(county, "/nodes"), json={"code": "X", "name": "X"}, headers=bearer(token)),
        403,
    )
    assert "hierarchy:write" in body["message"]


def test_using_a_token_records_when_it_was_last_used(client, county, mint):
    token = mint(county, county.supervisor)
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        assert accounts.find_token(session, token).last_used_at is None
    before = utcnow()
    assert client.get(url(county, "/me"), headers=bearer(token)).status_code == 200
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        used = accounts.find_token(session, token).last_used_at
    assert used is not None and used >= before - dt.timedelta(seconds=1)


def test_me_names_the_user_the_county_and_the_token_scopes(client, county, mint):
    token = mint(county, county.station_staff, scopes=["hierarchy:read", "users:read"])
    body = client.get(url(county, "/me"), headers=bearer(token)).get_json()
    assert body["user"]["username"] == "changshan-station"
    assert body["user"]["role"] == "station_staff"
    assert body["user"]["assignments"] == [
        {"node_id": county.communities[0].id, "is_responsible": False}
    ]
    assert body["county"]["slug"] == "changshan"
    assert body["scopes"] == ["hierarchy:read", "users:read"]


def test_an_operator_token_does_not_open_a_county_api(client, county, operator_token):
    _assert_error(client.get(url(county, "/nodes"), headers=bearer(operator_token)), 401)


def test_a_county_token_does_not_open_the_operator_api(client, county, mint):
    token = mint(county, county.admin)
    _assert_error(client.get("/api/v1/tenants", headers=bearer(token)), 401)


def test_the_api_needs_no_csrf_token_for_writes(client, county, mint, app):
    # Bearer tokens are not sent by browsers on their own, so CSRF protection does not apply.
    assert app.config.get("WTF_CSRF_ENABLED", True) is not False
    token = mint(county, county.admin)
    response = client.post(
        url(county, "/nodes"),
        json={"parent_id": county.top.id, "code": "CHA-T9", "name": "新区"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.get_json()


def _api_rules(app):
    for rule in app.url_map.iter_rules():
        if re.match(r"^/(api/v1|t/<slug>/api/v1)/", rule.rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_every_api_endpoint_refuses_a_call_without_a_token(app, client, county):
    # Read once: an operator call in the loop leaves the shared test session with no county,
    # where PostgreSQL's row-level security would hide the grid from a refresh.
    grid_id = county.grids[0].id
    checked = 0
    for rule, method in _api_rules(app):
        path = rule.rule.replace("<slug>", "changshan")
        path = re.sub(r"<int:\w+>", str(grid_id), path)
        response = client.open(path, method=method, json={})
        assert response.status_code == 401, f"{method} {rule.rule}: {response.status_code}"
        assert response.get_json()["code"] == 401
        checked += 1
    assert checked >= 20  # the whole API, not an empty loop


@pytest.mark.parametrize(
    "path", ["/api/v1/tenants", "/api/v1/tenants/1", "/t/changshan/api/v1/nodes"]
)
def test_an_empty_bearer_token_is_refused(client, county, path):
    response = client.get(path, headers={"Authorization": "Bearer "})
    assert response.status_code == 401


def test_every_tenant_endpoint_enforces_the_scope_its_spec_declares(client, session, county, mint):
    # The modules' endpoints are in the spec too; they answer only where the county admitted
    # the module (404 elsewhere), so the county admits all of them first.
    with tenant_scope(session, county.tenant.id):
        admit_fire_safety(session, county)
        admit_disputes(session, county)
        admit_civil_affairs(session, county)
        admit_family_planning(session, county, pilot=False)
    session.commit()
    admit_example(client.application, county)
    spec = client.get("/api/openapi.json").get_json()
    checked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/t/"):
            continue
        concrete = path.replace("{slug}", "changshan")
        concrete = re.sub(r"\{(\w+_id|number)\}", str(county.grids[0].id), concrete)
        for method, operation in operations.items():
            scope = operation.get("x-scope") if isinstance(operation, dict) else None
            if not scope:
                continue
            others = [s for s in accounts.USER_SCOPES if s != scope]
            token = mint(county, county.admin, scopes=others)
            response = client.open(concrete, method=method.upper(), json={}, headers=bearer(token))
            assert response.status_code == 403, (method, path)
            assert scope in response.get_json()["message"]
            checked += 1
    assert checked >= 17


def test_answers_are_not_kept_by_caches(client, county, mint):
    token = mint(county, county.admin)
    for response in (
        client.get(url(county, "/users"), headers=bearer(token)),
        client.get(url(county, "/users")),  # errors too
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
