"""三员分立 in the portal: who sees the user pages and the audit log, what the security
administrator may do to an administrator's account (unlock it, nothing else), and the password
someone else set that its owner must change before anything else opens."""

from __future__ import annotations

import datetime as dt

from gridgov.core.db import db_session, set_tenant, utcnow
from tests.factories import PASSWORD
from tests.portal.conftest import csrf_token, login, post_form
from tests.portal.test_users import find_user

NEW_PASSWORD = "Mine-Only-2026"


def test_the_county_admin_has_no_user_pages_and_no_audit_log(as_admin, county):
    home = as_admin.get("/t/changshan/").get_data(as_text=True)
    assert "/t/changshan/users" not in home and "/t/changshan/audit" not in home
    assert as_admin.get("/t/changshan/users").status_code == 404
    assert as_admin.get(f"/t/changshan/users/{county.auditor.id}").status_code == 404
    assert as_admin.get("/t/changshan/audit").status_code == 404


def test_the_security_admins_home_leads_to_the_accounts(as_security):
    home = as_security.get("/t/changshan/").get_data(as_text=True)
    assert "安全管理" in home and 'href="/t/changshan/users"' in home
    assert "/t/changshan/tasks" not in home and "/t/changshan/people" not in home
    assert as_security.get("/t/changshan/forms").status_code == 404


def test_the_audit_admin_is_offered_no_fill_in_forms(as_auditor):
    """The audit administrator fills in nothing: no 模块表单 entry, and no form behind it (a
    form offered with an empty grid list was a dead end)."""
    home = as_auditor.get("/t/changshan/").get_data(as_text=True)
    assert "/t/changshan/forms" not in home and "模块表单" not in home
    assert as_auditor.get("/t/changshan/forms").status_code == 404
    assert as_auditor.get("/t/changshan/forms/fire_safety.patrol").status_code == 404


def test_an_administrators_page_offers_no_changes(as_security, county):
    page = as_security.get(f"/t/changshan/users/{county.auditor.id}").get_data(as_text=True)
    assert "命令行" in page
    for action in ("/password", "/nodes", "/active"):
        assert f'action="/t/changshan/users/{county.auditor.id}{action}"' not in page
    staff = as_security.get(f"/t/changshan/users/{county.workers[0].id}").get_data(as_text=True)
    assert f'action="/t/changshan/users/{county.workers[0].id}/password"' in staff


def test_the_security_admin_cannot_reset_the_audit_admins_password(app, as_security, county):
    url = f"/t/changshan/users/{county.auditor.id}"
    response = post_form(
        as_security,
        url,
        f"{url}/password",
        {"password-password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD},
    )
    assert response.status_code == 422 and "命令行" in response.get_data(as_text=True)
    # Nor log in as them: the audit administrator's password is still their own.
    as_security.post("/t/changshan/logout", data={"csrf_token": _token(as_security, url)})
    assert login(as_security, "changshan", county.auditor.username, NEW_PASSWORD).status_code == 401
    assert login(as_security, "changshan", county.auditor.username).status_code == 302


def test_the_security_admin_cannot_deactivate_an_administrator(app, as_security, county):
    url = f"/t/changshan/users/{county.auditor.id}"
    response = post_form(as_security, url, f"{url}/active", {"active": "0"})
    assert response.status_code == 302
    assert "命令行" in as_security.get(url).get_data(as_text=True)
    auditor, _nodes = find_user(app, county.tenant.id, county.auditor.username)
    assert auditor.is_active


def test_the_security_admin_unlocks_an_administrator(app, as_security, county):
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        admin = session.get(type(county.admin), county.admin.id)
        admin.locked_until = utcnow() + dt.timedelta(minutes=10)
        session.commit()
    url = f"/t/changshan/users/{county.admin.id}"
    assert post_form(as_security, url, f"{url}/unlock", {}).status_code == 302
    admin, _nodes = find_user(app, county.tenant.id, county.admin.username)
    assert admin.locked_until is None


def test_a_password_set_by_someone_else_is_changed_first(app, as_security, client, county):
    worker = county.workers[0]
    url = f"/t/changshan/users/{worker.id}"
    reset = post_form(
        as_security,
        url,
        f"{url}/password",
        {"password-password": "Reset-Pass-2026", "password-confirm": "Reset-Pass-2026"},
    )
    assert reset.status_code == 302
    as_security.post("/t/changshan/logout", data={"csrf_token": _token(as_security, url)})

    logged_in = login(client, "changshan", worker.username, "Reset-Pass-2026")
    assert logged_in.status_code == 302
    for page in ("/t/changshan/", "/t/changshan/tasks", f"/t/changshan/nodes/{county.grids[0].id}"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert "/t/changshan/account/password" in response.headers["Location"]
    form = client.get("/t/changshan/account/password")
    assert 'data-testid="must-change"' in form.get_data(as_text=True)

    wrong = _change(client, "not-the-password", NEW_PASSWORD)
    assert wrong.status_code == 422 and "当前密码不对" in wrong.get_data(as_text=True)
    same = _change(client, "Reset-Pass-2026", "Reset-Pass-2026")
    assert same.status_code == 422 and "不能与当前密码相同" in same.get_data(as_text=True)
    assert "Reset-Pass-2026" not in same.get_data(as_text=True)
    assert _change(client, "Reset-Pass-2026", NEW_PASSWORD).status_code == 302
    assert client.get("/t/changshan/").status_code == 200
    changed, _nodes = find_user(app, county.tenant.id, worker.username)
    assert not changed.must_change_password


def test_anyone_changes_their_own_password(client, county):
    login(client, "changshan", county.workers[1].username)
    assert client.get("/t/changshan/").status_code == 200  # nobody forced them
    assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 302
    client.post("/t/changshan/logout", data={"csrf_token": _token(client, "/t/changshan/")})
    assert login(client, "changshan", county.workers[1].username, NEW_PASSWORD).status_code == 302


def _change(client, current: str, new: str):
    page = client.get("/t/changshan/account/password").get_data(as_text=True)
    return client.post(
        "/t/changshan/account/password",
        data={
            "csrf_token": csrf_token(page),
            "current": current,
            "password": new,
            "confirm": new,
        },
    )


def _token(client, url: str) -> str:
    return csrf_token(client.get(url).get_data(as_text=True))
