"""Token lifetimes and scopes as the service gives them."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.accounts import service as accounts
from gridgov.core.db import tenant_scope, utcnow
from gridgov.core.errors import DomainError, NotFound
from tests.factories import build_county


def test_tokens_read_only_and_expire_unless_asked_otherwise(session):
    county = build_county(session)
    with tenant_scope(session, county.tenant.id):
        _token, record = accounts.create_token(session, None, county.tenant, county.admin)
        assert record.scope.split() == list(accounts.DEFAULT_USER_SCOPES)
        assert all(s.endswith(":read") for s in record.scope.split())
        assert record.expires_at - utcnow() <= dt.timedelta(days=accounts.TOKEN_DAYS)
        with pytest.raises(DomainError) as too_long:
            accounts.create_token(
                session, None, county.tenant, county.admin, expires_in=dt.timedelta(days=400)
            )
        assert too_long.value.field == "expires_in_days"
    operator = accounts.create_operator(
        session, username="ops", name="运维", password="Run-Pass-2026"
    )
    _token, op_record = accounts.create_operator_token(session, operator)
    assert op_record.scope.split() == list(accounts.DEFAULT_OPERATOR_SCOPES)
    assert op_record.expires_at is not None


def test_revoked_and_expired_tokens_stay_listed_with_their_state(session):
    county = build_county(session)
    with tenant_scope(session, county.tenant.id):
        _a, first = accounts.create_token(session, None, county.tenant, county.workers[0])
        _b, second = accounts.create_token(
            session, None, county.tenant, county.workers[0], expires_in=dt.timedelta(days=1)
        )
        accounts.revoke_token(session, county.security, first)
        accounts.revoke_token(session, county.security, first)  # twice: nothing more
        later = utcnow() + dt.timedelta(days=2)
        states = {
            r.id: accounts.token_state(r, later)
            for r in accounts.tokens_of(session, county.workers[0])
        }
        assert states == {first.id: "revoked", second.id: "expired"}
        with pytest.raises(NotFound):
            accounts.get_token(session, county.workers[1], first.id)
