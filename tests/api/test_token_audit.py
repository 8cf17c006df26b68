"""Refused API tokens in the county's audit log: which account's token, why, and the start of
its hash to tell it apart — never the token."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridgov.core.accounts import service as accounts
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import db_session, tenant_scope, utcnow
from tests.api.bearer import bearer, url


def refusals(county) -> list[AuditEvent]:
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "user.login_failed")
                .order_by(AuditEvent.seq)
            )
        )


def test_an_unknown_token_naming_the_county_is_recorded_by_its_hash_not_itself(client, county):
    forged = "ggv_changshan_" + "x" * 43
    assert client.get(url(county, "/nodes"), headers=bearer(forged)).status_code == 401
    [event] = refusals(county)
    assert event.object_id == ""
    assert event.after == {
        "username": "",
        "channel": "api",
        "reason": "unknown",
        "token_hash": accounts.token_hash(forged)[:16],
    }
    assert "x" * 43 not in str(event.after)


def test_an_expired_token_is_recorded_with_its_account(client, county, mint):
    token = mint(county, county.admin, expires_in=dt.timedelta(days=1))
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        accounts.find_token(session, token).expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert client.get(url(county, "/nodes"), headers=bearer(token)).status_code == 401
    [event] = refusals(county)
    assert event.object_id == str(county.admin.id)
    assert (event.after["username"], event.after["reason"]) == (county.admin.username, "expired")
    assert event.after["token_id"]


def test_a_revoked_token_is_recorded_as_revoked(client, county, mint, session):
    token = mint(county, county.admin)
    with tenant_scope(session, county.tenant.id):
        accounts.find_token(session, token).revoked_at = utcnow()
        session.commit()
    assert client.get(url(county, "/nodes"), headers=bearer(token)).status_code == 401
    assert [e.after["reason"] for e in refusals(county)] == ["revoked"]


def test_a_call_without_a_token_or_with_a_good_one_records_no_refusal(client, county, mint):
    client.get(url(county, "/nodes"))
    client.get(url(county, "/nodes"), headers=bearer(mint(county, county.admin)))
    assert refusals(county) == []


def test_a_token_of_another_county_is_recorded_in_neither(client, county, other, mint):
    token_b = mint(other, other.admin)
    assert client.get(url(county, "/nodes"), headers=bearer(token_b)).status_code == 404
    assert refusals(county) == refusals(other) == []
