"""What a deployment's browsers are told: HSTS and Secure cookies over HTTPS — directly, or
through a trusted proxy's X-Forwarded-Proto, never a client's own — the client's real address
from a trusted proxy only, CSP and frame headers on the API and its docs page, and resident
pages that no other site learns of and no browser keeps; secrets the app writes are 0600."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from gridgov.app import create_app
from gridgov.config import load_config
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import db_session, set_tenant
from gridgov.core.files.service import write_private
from tests.factories import County
from tests.portal.conftest import csrf_token, make_county

LOGIN = "/t/changshan/login"


def session_cookie(response) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def is_secure(cookie: str) -> bool:
    return "secure" in {part.strip().lower() for part in cookie.split(";")[1:]}


@pytest.fixture
def county(app: Flask, connection) -> County:
    return make_county(app, "changshan")


@pytest.fixture
def proxied(app: Flask) -> Iterator[Flask]:
    """The app as deployed behind one proxy (GRIDGOV_TRUSTED_PROXIES=1)."""
    behind = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INSTANCE_PATH": app.instance_path,
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_ENABLED": False,
            "GRIDGOV_TRUSTED_PROXIES": "1",
        }
    )
    yield behind
    behind.extensions["gridgov.engine"].dispose()


def failed_login_address(app: Flask, county, client, **headers: str) -> str | None:
    page = client.get(LOGIN, headers=headers).get_data(as_text=True)
    client.post(
        LOGIN,
        data={"csrf_token": csrf_token(page), "username": "nobody", "password": "x" * 12},
        headers=headers,
    )
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        return session.scalars(
            select(AuditEvent.ip)
            .where(AuditEvent.action == "user.login_failed")
            .order_by(AuditEvent.seq.desc())
        ).first()


def test_over_plain_http_cookies_are_not_secure_and_there_is_no_hsts(client, county):
    response = client.get(LOGIN)
    assert not is_secure(session_cookie(response))
    assert "Strict-Transport-Security" not in response.headers


def test_over_https_cookies_are_secure_and_hsts_is_sent(client, county):
    response = client.get(LOGIN, base_url="https://localhost")
    cookie = session_cookie(response)
    assert is_secure(cookie) and "HttpOnly" in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_hsts_reaches_every_answer_over_https_static_files_and_the_api_too(client, county):
    for path in ("/static/css/portal.css", "/api/openapi.json", "/healthz"):
        response = client.get(path, base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000", path
        response.close()


def test_a_clients_own_x_forwarded_proto_is_not_believed_without_a_trusted_proxy(
    app, client, county
):
    response = client.get(LOGIN, headers={"X-Forwarded-Proto": "https"})
    assert not is_secure(session_cookie(response))
    assert "Strict-Transport-Security" not in response.headers


def test_a_clients_own_x_forwarded_for_is_not_its_address_without_a_trusted_proxy(
    app, client, county
):
    address = failed_login_address(app, county, client, **{"X-Forwarded-For": "203.0.113.9"})
    assert address == "127.0.0.1"


def test_behind_the_trusted_proxy_its_https_makes_cookies_secure_and_sends_hsts(proxied, county):
    response = proxied.test_client().get(LOGIN, headers={"X-Forwarded-Proto": "https"})
    assert is_secure(session_cookie(response))
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_behind_the_trusted_proxy_plain_http_stays_plain(proxied, county):
    response = proxied.test_client().get(LOGIN, headers={"X-Forwarded-Proto": "http"})
    assert not is_secure(session_cookie(response))


def test_behind_the_trusted_proxy_the_audit_log_records_the_clients_real_address(proxied, county):
    # The proxy appends the address it saw; what the client wrote before it is not believed.
    forwarded = {"X-Forwarded-For": "10.9.9.9, 203.0.113.9"}
    address = failed_login_address(proxied, county, proxied.test_client(), **forwarded)
    assert address == "203.0.113.9"


def test_secure_cookies_setting_marks_them_secure_over_plain_http_too(app, client, county):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        assert is_secure(session_cookie(client.get(LOGIN)))
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_a_negative_number_of_proxies_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="GRIDGOV_TRUSTED_PROXIES"):
        load_config(str(tmp_path), {"GRIDGOV_TRUSTED_PROXIES": "-1", "SECRET_KEY": "x"})


def test_the_api_docs_page_runs_no_inline_script_and_cannot_be_framed(client):
    response = client.get("/api/docs")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.get_data(as_text=True), re.S)
    assert scripts
    for attributes, body in scripts:
        assert 'src="' in attributes or 'type="application/json"' in attributes, body


@pytest.mark.parametrize("path", ["/api/openapi.json", "/t/changshan/api/v1/nodes", "/api/v1/x"])
def test_api_answers_may_load_nothing_and_cannot_be_framed(client, county, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_resident_pages_send_no_referrer_and_are_kept_by_no_cache(client, county):
    grid = county.grids[0].code
    for path in (
        f"/t/changshan/public/grids/{grid}",
        f"/t/changshan/public/grids/{grid}/report",
        "/t/changshan/public/track",
        "/t/changshan/public/track/NOSUCHCODE",
    ):
        response = client.get(path)
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert response.headers["Cache-Control"] == "no-store", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


def test_a_private_file_is_0600_from_the_start_and_when_it_was_there_before(tmp_path):
    fresh = tmp_path / "new.xlsx"
    write_private(fresh, b"data")
    older = tmp_path / "older.xlsx"
    older.write_bytes(b"readable by all")
    older.chmod(0o644)
    write_private(older, b"data")
    assert [path.stat().st_mode & 0o777 for path in (fresh, older)] == [0o600, 0o600]
    assert older.read_bytes() == b"data"


def test_the_keys_the_embedded_default_makes_are_0600(tmp_path):
    load_config(str(tmp_path))
    for name in ("secret_key", "data_key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
