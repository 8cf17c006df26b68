"""What the audit log keeps of logging in and out of the portal: each failed login with the
username tried (a username no account has too, though the page says nothing of it), never the
password; the lockout; the logout."""

from __future__ import annotations

import re

from sqlalchemy import select

from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import db_session, set_tenant
from tests.portal.conftest import csrf_token, login


def events(app, county, action: str) -> list[AuditEvent]:
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )


def test_a_failed_login_is_recorded_with_the_username_tried_and_never_the_password(
    app, client, county
):
    worker = county.workers[0]
    response = login(client, "changshan", worker.username, "Wrong-pass-2026")
    assert response.status_code == 401
    [event] = events(app, county, "user.login_failed")
    assert (event.object_type, event.object_id) == ("user", str(worker.id))
    assert event.after == {"username": worker.username, "channel": "portal"}
    assert (event.actor_type, event.actor_name) == ("anonymous", worker.username)
    assert event.ip == "127.0.0.1"
    assert "Wrong-pass-2026" not in str(
        [event.before, event.after, event.actor_name, event.object_id]
    )


def test_a_login_with_an_unknown_username_is_recorded_and_answered_like_any_other(
    app, client, county
):
    known = login(client, "changshan", county.workers[0].username, "Wrong-pass-2026")
    unknown = login(client, "changshan", "nobody-here", "Wrong-pass-2026")
    assert unknown.status_code == known.status_code == 401

    def page(response) -> str:
        # The CSRF token carries the second it was signed in: two answers a second apart differ
        # there and nowhere else.
        return re.sub(
            r'name="csrf_token" type="hidden" value="[^"]+"', "", response.get_data(as_text=True)
        )

    assert page(unknown).replace("nobody-here", county.workers[0].username) == page(known)
    event = events(app, county, "user.login_failed")[-1]
    assert (event.object_id, event.after["username"]) == ("", "nobody-here")


def test_the_lockout_is_recorded_after_the_failures_that_caused_it(app, client, county):
    worker = county.workers[0]
    limit = app.config["GRIDGOV_MAX_FAILED_LOGINS"]
    for _ in range(limit):
        login(client, "changshan", worker.username, "Wrong-pass-2026")
    failed = events(app, county, "user.login_failed")
    [locked] = events(app, county, "user.locked")
    assert len(failed) == limit
    assert locked.object_id == str(worker.id)
    assert failed[-2].seq < locked.seq < failed[-1].seq  # recorded within the last failure


def test_a_logout_is_recorded_for_the_user_who_left(app, client, county):
    assert login(client, "changshan", county.admin.username).status_code == 302
    page = client.get("/t/changshan/").get_data(as_text=True)
    assert client.post("/t/changshan/logout", data={"csrf_token": csrf_token(page)}).status_code
    [event] = events(app, county, "user.logout")
    assert (event.actor_type, event.actor_id, event.object_id) == (
        "user",
        county.admin.id,
        str(county.admin.id),
    )


def test_a_logout_with_no_one_logged_in_records_nothing(app, client, county):
    page = client.get("/t/changshan/login").get_data(as_text=True)
    client.post("/t/changshan/logout", data={"csrf_token": csrf_token(page)})
    assert events(app, county, "user.logout") == []
