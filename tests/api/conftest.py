"""API test fixtures: two counties with staff of every role, and bearer tokens for them.

What the fixtures build is committed (inside the test's outer transaction, rolled back after
it), because a request that fails rolls back the session it shares with the test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy.orm import Session

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import User
from gridgov.core.db import db_session, tenant_scope
from tests.api.bearer import bearer, url
from tests.factories import PASSWORD, County, build_county

Mint = Callable[..., str]


@pytest.fixture
def county(session: Session) -> County:
    """长山县-like county A: 2 townships × 2 communities × 2 grids, staff of every role."""
    built = build_county(session, "changshan")
    session.commit()
    return built


@pytest.fixture
def other(session: Session, county: County) -> County:
    """County B, built after A (ids of B's rows are all larger than A's)."""
    built = build_county(session, "baishui")
    session.commit()
    return built


@pytest.fixture
def mint() -> Mint:
    """Mint a bearer token for ``user`` of ``county`` (all user scopes unless given)."""

    def _mint(
        county: County, user: User, scopes: Sequence[str] | None = None, **kwargs: Any
    ) -> str:
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            token, _record = accounts.create_token(
                session, None, county.tenant, user, scopes=scopes or accounts.USER_SCOPES, **kwargs
            )
        session.commit()
        return token

    return _mint


@pytest.fixture
def operator_token(session: Session) -> str:
    operator = accounts.create_operator(session, username="ops", name="运维甲", password=PASSWORD)
    token, _record = accounts.create_operator_token(
        session, operator, scopes=accounts.OPERATOR_SCOPES
    )
    session.commit()
    return token


@pytest.fixture
def admin_view(client, county: County, mint: Mint) -> Callable[[str], Any]:
    """Read a county A resource as its county admin: to check what a refused call left."""
    headers = bearer(mint(county, county.admin))

    def _view(path: str) -> Any:
        response = client.get(url(county, path), headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return _view
