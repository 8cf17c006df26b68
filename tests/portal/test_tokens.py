"""API tokens in the portal: each user sees and revokes their own on 我的账号; the security
administrator sees and revokes an account's on its user page."""

from __future__ import annotations

from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session, set_tenant
from tests.api.bearer import bearer
from tests.portal.conftest import login, post_form


def _mint(app, county, user) -> tuple[str, int]:
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        token, record = accounts.create_token(
            session, None, county.tenant, user, description="夜间同步"
        )
        token_id = record.id
        session.commit()
    return token, token_id


def test_a_user_revokes_their_own_token_on_their_account_page(app, client, county):
    token, token_id = _mint(app, county, county.workers[0])
    login(client, "changshan", county.workers[0].username)
    page = client.get("/t/changshan/account").get_data(as_text=True)
    assert 'data-testid="tokens"' in page and "夜间同步" in page and token not in page
    action = f"/t/changshan/account/tokens/{token_id}/revoke"
    assert post_form(client, "/t/changshan/account", action, {}).status_code == 302
    assert "已吊销" in client.get("/t/changshan/account").get_data(as_text=True)
    assert client.get("/t/changshan/api/v1/me", headers=bearer(token)).status_code == 401


def test_someone_elses_token_is_not_theirs_to_revoke(app, client, county):
    _token, token_id = _mint(app, county, county.workers[1])
    login(client, "changshan", county.workers[0].username)
    action = f"/t/changshan/account/tokens/{token_id}/revoke"
    assert post_form(client, "/t/changshan/account", action, {}).status_code == 404


def test_the_security_admin_revokes_a_token_on_the_user_page(app, as_security, county):
    token, token_id = _mint(app, county, county.admin)
    page_url = f"/t/changshan/users/{county.admin.id}"
    assert "夜间同步" in as_security.get(page_url).get_data(as_text=True)
    action = f"{page_url}/tokens/{token_id}/revoke"
    assert post_form(as_security, page_url, action, {}).status_code == 302
    assert as_security.get("/t/changshan/api/v1/me", headers=bearer(token)).status_code == 401
