"""Logging in and out of the portal: credentials, lockout, rate limit, CSRF, sessions bound to
one county."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from gridgov.core.accounts.models import User
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import db_session, set_tenant
from tests.factories import PASSWORD
from tests.portal.conftest import csrf_token, login


def stored_user(app, tenant_id: int, username: str) -> User:
    with app.app_context():
        session = db_session()
        set_tenant(session, tenant_id)
        user = session.scalar(select(User).where(User.username == username))
        session.expunge(user)
        return user


def test_good_login_lands_on_home_and_records_the_login(app, client, county):
    response = login(client, "changshan", county.admin.username)
    assert response.status_code == 302
    assert response.headers["Location"] == "/t/changshan/"
    home = client.get("/t/changshan/")
    assert home.status_code == 200
    assert county.admin.name in home.get_data(as_text=True)
    user = stored_user(app, county.tenant.id, county.admin.username)
    assert user.last_login_at is not None
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == str(user.id))
        ).all()
    assert "user.login" in actions


def test_wrong_password_shows_one_message_and_keeps_the_username(client, county):
    response = login(client, "changshan", county.admin.username, "Wrong-Pass-123")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "用户名或密码错误" in page
    assert f'value="{county.admin.username}"' in page
    unknown = login(client, "changshan", "nobody-here", "Wrong-Pass-123")
    # the same answer whether or not the account exists
    assert "用户名或密码错误" in unknown.get_data(as_text=True)
    assert client.get("/t/changshan/").status_code == 302


def test_empty_fields_are_marked_next_to_the_field(client, county):
    response = login(client, "changshan", "", "")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="username-error"' in page and "请填写用户名" in page
    assert 'id="password-error"' in page and "请填写密码" in page


def test_repeated_failures_lock_the_account_and_say_so(app, client, county):
    limit = app.config["GRIDGOV_MAX_FAILED_LOGINS"]
    answers = [
        login(client, "changshan", county.admin.username, "Wrong-Pass-123") for _ in range(limit)
    ]
    assert {a.status_code for a in answers} == {401}
    assert "已被锁定" not in answers[-2].get_data(as_text=True)
    assert "已被锁定" in answers[-1].get_data(as_text=True)  # the failure that locks says so
    user = stored_user(app, county.tenant.id, county.admin.username)
    assert user.locked_until is not None and user.locked_until > dt.datetime.now(dt.UTC)
    # While locked, every attempt hears the same, the right password too: a guesser learns
    # nothing more, the person knows why and whom to call.
    for password in (PASSWORD, "Wrong-Pass-123"):
        locked = login(client, "changshan", county.admin.username, password)
        assert locked.status_code == 401
        message = locked.get_data(as_text=True)
        assert "已被锁定" in message and "安全管理员在用户页面解锁" in message
    assert client.get("/t/changshan/").status_code == 302


def test_an_unknown_name_locks_exactly_like_an_account(app, client, county):
    limit = app.config["GRIDGOV_MAX_FAILED_LOGINS"]
    for attempt in range(limit + 1):
        known = login(client, "changshan", county.workers[0].username, "Wrong-Pass-123")
        unknown = login(client, "changshan", "no-such-user", "Wrong-Pass-123")
        assert known.status_code == unknown.status_code == 401
        said = [_form_errors(r.get_data(as_text=True)) for r in (known, unknown)]
        assert said[0] == said[1], attempt
        assert ("已被锁定" in said[0]) == (attempt >= limit - 1), attempt


def test_only_failed_logins_count_against_an_address(another_app, county):
    limited = another_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        GRIDGOV_LOGIN_RATE_LIMIT="3 per minute",
    )
    # One office, one address: five colleagues log in one after the other.
    office = limited.test_client()
    for user in [county.admin, county.station_staff, *county.workers[:3]]:
        assert login(office, "changshan", user.username).status_code == 302
        token = csrf_token(office.get("/t/changshan/account/password").get_data(as_text=True))
        office.post("/t/changshan/logout", data={"csrf_token": token})
    failures = [
        login(office, "changshan", f"typo-{n}", "Wrong-Pass-123").status_code for n in range(4)
    ]
    assert failures == [401, 401, 401, 429]


def _form_errors(page: str) -> str:
    start = page.index('class="error form-error"')
    return page[start : page.index("</", start)]


def test_failures_are_counted_across_requests(app, client, county):
    login(client, "changshan", county.admin.username, "Wrong-Pass-123")
    login(client, "changshan", county.admin.username, "Wrong-Pass-123")
    assert stored_user(app, county.tenant.id, county.admin.username).failed_logins == 2


def test_login_posts_are_rate_limited(another_app, county):
    # The shared app runs with the limiter off; this one has it on, with a small limit.
    limited = another_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        GRIDGOV_LOGIN_RATE_LIMIT="3 per minute",
        GRIDGOV_MAX_FAILED_LOGINS=100,
    )
    client = limited.test_client()
    answers = [login(client, "changshan", "nobody", "Wrong-Pass-123").status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    blocked = login(client, "changshan", county.admin.username)
    assert blocked.status_code == 429
    assert "过于频繁" in blocked.get_data(as_text=True)
    # reading the login page is not limited, only attempts are
    assert client.get("/t/changshan/login").status_code == 200


def test_login_without_csrf_token_is_refused(client, county):
    response = client.post(
        "/t/changshan/login",
        data={"username": county.admin.username, "password": "Grid-Test-2026"},
    )
    assert response.status_code == 400
    assert client.get("/t/changshan/").status_code == 302


def test_login_starts_a_fresh_permanent_session(client, county):
    page = client.get("/t/changshan/login")
    before = csrf_token(page.get_data(as_text=True))
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post(
        "/t/changshan/login",
        data={
            "csrf_token": before,
            "username": county.admin.username,
            "password": "Grid-Test-2026",
        },
    )
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.permanent
        assert session.get("csrf_token") is None  # the pre-login token is gone
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None


def test_session_ends_after_the_idle_timeout(client, county):
    start = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        login(client, "changshan", county.admin.username)
        for _ in range(3):  # busy: each request keeps the session another 30 minutes
            clock.shift(dt.timedelta(minutes=29))
            assert client.get("/t/changshan/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))  # idle
        assert client.get("/t/changshan/").status_code == 302


def test_a_busy_session_still_ends_at_its_absolute_lifetime(app, client, county):
    start = dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.UTC)
    hours = app.config["GRIDGOV_SESSION_MAX_HOURS"]
    with time_machine.travel(start, tick=False) as clock:
        login(client, "changshan", county.admin.username)
        for _ in range(int(hours * 60 / 20) - 1):
            clock.shift(dt.timedelta(minutes=20))
            assert client.get("/t/changshan/").status_code == 200
        clock.shift(dt.timedelta(minutes=25))
        ended = client.get("/t/changshan/")
        assert ended.status_code == 302 and "/t/changshan/login" in ended.headers["Location"]
        page = client.get(ended.headers["Location"]).get_data(as_text=True)
        assert f"登录已超过 {hours:g} 小时" in page


def test_a_cookie_copied_before_logout_logs_nobody_in(client, county):
    login(client, "changshan", county.admin.username)
    copied = client.get_cookie("session").value
    page = client.get("/t/changshan/").get_data(as_text=True)
    client.post("/t/changshan/logout", data={"csrf_token": csrf_token(page)})
    client.set_cookie("session", copied)  # replayed, as a thief would
    assert client.get("/t/changshan/").status_code == 302


def test_login_gives_a_new_session_id(client, county):
    client.get("/t/changshan/login")  # an anonymous session (its CSRF token)
    before = client.get_cookie("session").value
    login(client, "changshan", county.admin.username)
    after = client.get_cookie("session").value
    assert after != before
    client.set_cookie("session", before)  # a planted id gets nothing
    assert client.get("/t/changshan/").status_code == 302


def test_logout_is_a_post_and_ends_the_session(client, county):
    login(client, "changshan", county.admin.username)
    assert client.get("/t/changshan/logout").status_code == 405
    page = client.get("/t/changshan/").get_data(as_text=True)
    response = client.post("/t/changshan/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/t/changshan/login"
    assert client.get("/t/changshan/").status_code == 302


def test_next_goes_back_to_the_page_asked_for_but_never_off_site(client, county):
    asked = client.get("/t/changshan/hierarchy")
    assert asked.headers["Location"] == "/t/changshan/login?next=/t/changshan/hierarchy"
    ok = login(client, "changshan", county.admin.username, next="/t/changshan/hierarchy")
    assert ok.headers["Location"] == "/t/changshan/hierarchy"
    client.post(
        "/t/changshan/logout",
        data={"csrf_token": csrf_token(client.get("/t/changshan/").get_data(as_text=True))},
    )
    evil = login(client, "changshan", county.admin.username, next="//evil.example/t/changshan/")
    assert evil.headers["Location"] == "/t/changshan/"


def test_a_deactivated_user_cannot_log_in_and_is_logged_out(app, client, county):
    login(client, "changshan", county.workers[0].username)
    assert client.get("/t/changshan/").status_code == 200
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        session.get(User, county.workers[0].id).is_active = False
        session.commit()
    assert client.get("/t/changshan/").status_code == 302
    assert login(client, "changshan", county.workers[0].username).status_code == 401


def test_a_session_of_another_county_is_not_logged_in_here(client, county, other_county):
    assert login(client, "lishui", other_county.admin.username).status_code == 302
    assert client.get("/t/lishui/").status_code == 200
    for path in ("/", "/hierarchy", f"/nodes/{county.top.id}", "/users", "/audit"):
        response = client.get(f"/t/changshan{path}")
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/t/changshan/login"), path


def test_a_user_of_another_county_cannot_log_in_here(client, county, other_county):
    response = login(client, "changshan", other_county.admin.username)
    assert response.status_code == 401


def test_an_unknown_county_is_404(client):
    assert client.get("/t/no-such-county/login").status_code == 404
