"""The audit log API: readable by the audit administrator only (三员分立), filtered, masked."""

from __future__ import annotations

import json

from tests.api.bearer import bearer, url


def test_the_audit_admin_reads_what_the_security_admin_did(client, county, mint):
    admin = bearer(mint(county, county.security))
    client.patch(
        url(county, f"/users/{county.volunteer.id}"), json={"phone": "13912345678"}, headers=admin
    )
    auditor = bearer(mint(county, county.auditor))
    response = client.get(
        url(county, "/audit"),
        query_string={"object_type": "user", "action": "user.update"},
        headers=auditor,
    )
    assert response.status_code == 200
    (event,) = response.get_json()
    assert event["object_id"] == str(county.volunteer.id)
    assert event["actor_name"] == f"{county.security.name} (changshan-security)"
    # personal data never reaches the log in clear
    assert event["after"]["phone"] == "139********"
    assert "X-Pagination" in response.headers


def test_audit_filters_by_action_prefix_and_pages_newest_first(client, county, mint):
    admin = bearer(mint(county, county.admin))
    for name in ("一", "二", "三"):
        client.patch(
            url(county, f"/nodes/{county.grids[0].id}"), json={"name": name}, headers=admin
        )
    auditor = bearer(mint(county, county.auditor))
    response = client.get(url(county, "/audit?action=node.&page_size=2"), headers=auditor)
    events = response.get_json()
    assert [e["after"]["name"] for e in events] == ["三", "二"]
    assert (
        json.loads(response.headers["X-Pagination"])["total"] >= 3 + 15
    )  # and the tree's creation


def test_nobody_but_the_audit_admin_reads_the_audit_log(client, county, mint):
    others = (county.admin, county.security, county.township_staff, county.workers[0])
    for user in others:
        response = client.get(url(county, "/audit"), headers=bearer(mint(county, user)))
        assert response.status_code == 403, user.username
        assert response.get_json()["message"] == "只有审计管理员可以查看审计日志"


def test_the_audit_log_has_no_write_endpoint(client, county, mint):
    admin = bearer(mint(county, county.admin))
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(url(county, "/audit"), json={}, headers=admin)
        assert response.status_code == 405
        assert response.get_json()["code"] == 405
        assert response.headers["Allow"]
