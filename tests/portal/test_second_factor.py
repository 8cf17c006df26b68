"""Two-factor login in the portal: an administrator sets it up before anything else opens,
then logs in with password and code (or a recovery code); a code is not accepted twice; the
half-way login expires; the security administrator resets a staff member's second factor."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
import time_machine

from tests.factories import PASSWORD
from tests.portal.conftest import csrf_token, login, post_form
from tests.portal.test_users import find_user

START = dt.datetime(2026, 12, 2, 1, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _required(app, monkeypatch):
    monkeypatch.setitem(app.config, "GRIDGOV_ADMIN_SECOND_FACTOR", "required")


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/t/changshan/account/second-factor").get_data(as_text=True)
    secret = re.search(r'data-testid="enrol-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    done = client.post(
        "/t/changshan/account/second-factor",
        data={"csrf_token": csrf_token(page), "code": pyotp.TOTP(secret).now()},
    )
    assert done.status_code == 200
    codes = re.findall(
        r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True)
    )
    return secret, codes


def _code(client, code: str):
    page = client.get("/t/changshan/login/code")
    return client.post(
        "/t/changshan/login/code",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "code": code},
    )


def _logout(client) -> None:
    token = csrf_token(client.get("/t/changshan/account/password").get_data(as_text=True))
    client.post("/t/changshan/logout", data={"csrf_token": token})


def test_an_administrator_sets_it_up_before_anything_else(client, county):
    with time_machine.travel(START, tick=False):
        assert login(client, "changshan", county.admin.username).status_code == 302
        for page in ("/t/changshan/", "/t/changshan/hierarchy"):
            response = client.get(page)
            assert response.status_code == 302
            assert response.headers["Location"].endswith("/t/changshan/account/second-factor")
        form = client.get("/t/changshan/account/second-factor").get_data(as_text=True)
        assert 'data-testid="must-enrol"' in form and "<svg" in form  # the QR code, inline
        wrong = client.post(
            "/t/changshan/account/second-factor",
            data={"csrf_token": csrf_token(form), "code": "12345"},
        )
        assert wrong.status_code == 422 and "验证码不对" in wrong.get_data(as_text=True)
        _secret, codes = _enrol(client)
        assert len(codes) == 10
        assert client.get("/t/changshan/").status_code == 200


def test_an_enrolled_user_logs_in_with_password_and_code(client, county):
    with time_machine.travel(START, tick=False):
        login(client, "changshan", county.admin.username)
        secret, _codes = _enrol(client)
        _logout(client)
    later = START + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        half = login(client, "changshan", county.admin.username)
        assert half.headers["Location"].endswith("/t/changshan/login/code")
        assert client.get("/t/changshan/").status_code == 302  # not logged in yet
        wrong = _code(client, f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}")
        assert wrong.status_code == 401 and "验证码不对" in wrong.get_data(as_text=True)
        code = pyotp.TOTP(secret).now()
        assert _code(client, code).status_code == 302
        assert client.get("/t/changshan/").status_code == 200
        _logout(client)
        # The same code again, by someone who saw it over a shoulder: refused.
        login(client, "changshan", county.admin.username)
        assert _code(client, code).status_code == 401


def test_a_recovery_code_logs_in_once(client, county):
    with time_machine.travel(START, tick=False):
        login(client, "changshan", county.auditor.username)
        _secret, codes = _enrol(client)
        _logout(client)
        login(client, "changshan", county.auditor.username)
        assert _code(client, codes[0]).status_code == 302
        _logout(client)
        login(client, "changshan", county.auditor.username)
        assert _code(client, codes[0]).status_code == 401


def test_the_right_password_does_not_wipe_out_wrong_codes(app, client, county):
    limit = app.config["GRIDGOV_MAX_FAILED_LOGINS"]
    with time_machine.travel(START, tick=False):
        login(client, "changshan", county.admin.username)
        secret, _codes = _enrol(client)
        _logout(client)
        wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
        answers = []
        for _ in range(limit):
            login(client, "changshan", county.admin.username)  # the password again each time
            answers.append(_code(client, wrong))
        assert "已被锁定" in answers[-1].get_data(as_text=True)
        locked = login(client, "changshan", county.admin.username)
        assert locked.status_code == 401 and "已被锁定" in locked.get_data(as_text=True)


def test_the_half_way_login_expires_and_the_password_is_asked_again(client, county):
    with time_machine.travel(START, tick=False):
        login(client, "changshan", county.admin.username)
        secret, _codes = _enrol(client)
        _logout(client)
        login(client, "changshan", county.admin.username)
    late = START + dt.timedelta(minutes=6)
    with time_machine.travel(late, tick=False):
        token = csrf_token(client.get("/t/changshan/login").get_data(as_text=True))
        response = client.post(
            "/t/changshan/login/code",
            data={"csrf_token": token, "code": pyotp.TOTP(secret).now()},
        )
        assert response.status_code == 302
        assert "/t/changshan/login" in response.headers["Location"]
        assert client.get("/t/changshan/").status_code == 302


def test_the_security_admin_resets_a_staff_members_second_factor(app, client, county):
    worker = county.workers[0]
    with time_machine.travel(START, tick=False):
        login(client, "changshan", worker.username)  # optional for them: they choose it
        assert client.get("/t/changshan/").status_code == 200
        _enrol(client)
        _logout(client)
    with time_machine.travel(START + dt.timedelta(minutes=1), tick=False):
        login(client, "changshan", county.security.username, PASSWORD)
        _enrol(client)  # the security administrator's own, required
        url = f"/t/changshan/users/{worker.id}"
        assert 'data-testid="reset-second-factor"' in client.get(url).get_data(as_text=True)
        assert post_form(client, url, f"{url}/second-factor/reset", {}).status_code == 302
        changed, _nodes = find_user(app, county.tenant.id, worker.username)
        assert changed.totp_confirmed_at is None
        # An administrator's is reset on the server only.
        admin_url = f"/t/changshan/users/{county.admin.id}"
        page = client.get(admin_url).get_data(as_text=True)
        assert 'data-testid="reset-second-factor"' not in page
