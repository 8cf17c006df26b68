"""API tokens that can be ended: least scopes and an expiry by default; listed and revoked by
their owner and by the security administrator, through the API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridgov.core.accounts import service as accounts
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import db_session, tenant_scope, utcnow
from tests.api.bearer import bearer, url


def _mint_default(county, user) -> tuple[str, int]:
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        token, record = accounts.create_token(session, None, county.tenant, user)
        token_id = record.id
    session.commit()
    return token, token_id


def test_a_token_asked_for_without_scopes_only_reads_and_expires(client, session, county):
    token, token_id = _mint_default(county, county.admin)
    headers = bearer(token)
    grid = county.grids[0]
    assert client.get(url(county, f"/nodes/{grid.id}"), headers=headers).status_code == 200
    changed = client.patch(url(county, f"/nodes/{grid.id}"), json={"name": "X"}, headers=headers)
    assert changed.status_code == 403
    (listed,) = client.get(url(county, "/me/tokens"), headers=headers).get_json()
    assert listed["id"] == token_id and listed["state"] == "active"
    assert set(listed["scope"].split()) == set(accounts.DEFAULT_USER_SCOPES)
    assert "registry:unmask" not in listed["scope"] and "hierarchy:write" not in listed["scope"]
    expires = dt.datetime.fromisoformat(listed["expires_at"])
    assert dt.timedelta(days=89) < expires - utcnow() <= dt.timedelta(days=90)
    assert "token" not in listed and "token_hash" not in listed


def test_the_owner_revokes_a_token_and_it_stops_at_once(client, session, county, mint):
    kept = bearer(mint(county, county.workers[0]))
    leaked, leaked_id = _mint_default(county, county.workers[0])
    assert client.get(url(county, "/me"), headers=bearer(leaked)).status_code == 200
    revoked = client.delete(url(county, f"/me/tokens/{leaked_id}"), headers=kept)
    assert revoked.status_code == 204
    assert client.get(url(county, "/me"), headers=bearer(leaked)).status_code == 401
    states = {
        t["id"]: t["state"] for t in client.get(url(county, "/me/tokens"), headers=kept).get_json()
    }
    assert states[leaked_id] == "revoked"
    with tenant_scope(session, county.tenant.id):
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoke")).one()
    assert event.actor_id == county.workers[0].id and event.before["token_id"] == leaked_id


def test_nobody_revokes_or_lists_someone_elses_token_as_their_own(client, county, mint):
    _token, other_id = _mint_default(county, county.workers[1])
    mine = bearer(mint(county, county.workers[0]))
    assert client.delete(url(county, f"/me/tokens/{other_id}"), headers=mine).status_code == 404
    listed = client.get(url(county, "/me/tokens"), headers=mine).get_json()
    assert other_id not in {t["id"] for t in listed}


def test_the_security_admin_lists_and_revokes_anyones_token(client, county, mint):
    token, token_id = _mint_default(county, county.admin)
    security = bearer(mint(county, county.security))
    listed = client.get(url(county, f"/users/{county.admin.id}/tokens"), headers=security)
    assert listed.status_code == 200 and token_id in {t["id"] for t in listed.get_json()}
    admin = bearer(mint(county, county.admin))
    refused = client.delete(
        url(county, f"/users/{county.admin.id}/tokens/{token_id}"), headers=admin
    )
    assert refused.status_code == 403  # accounts are the security administrator's
    done = client.delete(
        url(county, f"/users/{county.admin.id}/tokens/{token_id}"), headers=security
    )
    assert done.status_code == 204
    assert client.get(url(county, "/me"), headers=bearer(token)).status_code == 401
    wrong_owner = client.delete(
        url(county, f"/users/{county.workers[0].id}/tokens/{token_id}"), headers=security
    )
    assert wrong_owner.status_code == 404
