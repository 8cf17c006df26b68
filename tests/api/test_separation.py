"""三员分立 through the API: the county administrator runs the county but manages no accounts
and reads no audit log; the security administrator manages staff accounts but no
administrator's; the audit administrator reads the audit log and nothing of the county's work.
Every refusal leaves the account as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import tenant_scope
from tests.api.bearer import bearer, url


@pytest.fixture
def admin(county, mint):
    return bearer(mint(county, county.admin))


@pytest.fixture
def security(county, mint):
    return bearer(mint(county, county.security))


def _reload(session, county, user):
    with tenant_scope(session, county.tenant.id):
        session.refresh(user)
        return user


def test_the_county_admin_cannot_touch_the_audit_admins_account(client, session, county, admin):
    auditor = county.auditor
    for change in ({"is_active": False}, {"role": "grid_worker"}, {"name": "换人"}):
        response = client.patch(url(county, f"/users/{auditor.id}"), json=change, headers=admin)
        assert response.status_code == 403, change
    assert _reload(session, county, auditor).is_active
    assert auditor.role == "audit_admin" and auditor.name != "换人"


def test_the_county_admin_cannot_make_anyone_an_audit_admin(client, county, admin):
    made = client.post(
        url(county, "/users"),
        json={"username": "mole", "name": "内鬼", "role": "audit_admin"},
        headers=admin,
    )
    assert made.status_code == 403
    promoted = client.patch(
        url(county, f"/users/{county.workers[0].id}"), json={"role": "audit_admin"}, headers=admin
    )
    assert promoted.status_code == 403


def test_the_county_admin_manages_no_accounts_at_all(client, county, admin):
    response = client.patch(
        url(county, f"/users/{county.workers[0].id}"), json={"name": "改名"}, headers=admin
    )
    assert response.status_code == 403
    assert "安全管理员" in response.get_json()["message"]


def test_the_security_admin_manages_staff_and_is_audited(client, session, county, security):
    worker = county.workers[0]
    response = client.patch(
        url(county, f"/users/{worker.id}"), json={"is_active": False}, headers=security
    )
    assert response.status_code == 200
    with tenant_scope(session, county.tenant.id):
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    assert event.actor_id == county.security.id and event.object_id == str(worker.id)
    assert event.before["is_active"] is True and event.after["is_active"] is False


@pytest.mark.parametrize(
    "change",
    [{"is_active": False}, {"role": "grid_worker"}, {"name": "换人"}],
)
@pytest.mark.parametrize("target", ["auditor", "admin", "security"])
def test_the_security_admin_cannot_change_an_administrators_account(
    client, session, county, security, change, target
):
    account = getattr(county, target)
    before = (account.role, account.name, account.is_active)
    response = client.patch(url(county, f"/users/{account.id}"), json=change, headers=security)
    assert response.status_code == 403
    assert "命令行" in response.get_json()["message"]
    account = _reload(session, county, account)
    assert (account.role, account.name, account.is_active) == before


@pytest.mark.parametrize("role", ["county_admin", "security_admin", "audit_admin"])
def test_the_security_admin_cannot_grant_an_administrator_role(client, county, security, role):
    made = client.post(
        url(county, "/users"),
        json={"username": "new.one", "name": "新人", "role": role},
        headers=security,
    )
    assert made.status_code == 403
    assert "role" in made.get_json()["errors"]["json"]
    promoted = client.patch(
        url(county, f"/users/{county.workers[1].id}"), json={"role": role}, headers=security
    )
    assert promoted.status_code == 403


def test_the_security_admin_cannot_assign_an_administrator(client, county, security):
    response = client.put(
        url(county, f"/users/{county.auditor.id}/assignments"),
        json={"node_ids": [county.grids[0].id]},
        headers=security,
    )
    assert response.status_code == 403


def test_only_the_audit_admin_reads_the_audit_log(client, county, mint, admin, security):
    assert client.get(url(county, "/audit"), headers=admin).status_code == 403
    assert client.get(url(county, "/audit"), headers=security).status_code == 403
    auditor = bearer(mint(county, county.auditor))
    assert client.get(url(county, "/audit"), headers=auditor).status_code == 200


@pytest.mark.parametrize("who", ["auditor", "security"])
def test_the_security_and_audit_admins_read_none_of_the_countys_work(client, county, mint, who):
    token = bearer(mint(county, getattr(county, who)))
    assert client.get(url(county, "/tasks"), headers=token).get_json() == []
    assert client.get(url(county, "/people"), headers=token).status_code == 403
    # The structure stays readable: the security administrator assigns staff to nodes.
    assert client.get(url(county, f"/nodes/{county.grids[7].id}"), headers=token).status_code == 200
