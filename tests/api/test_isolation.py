"""Tenant isolation through the API: county B's token opens nothing of county A, and county A's
URLs never reach county B's rows. Every tenant endpoint is tried, so a new one is covered."""

from __future__ import annotations

import re

import pytest

from tests.api.bearer import bearer, url
from tests.api.test_registry import registry_bodies
from tests.plugins.civil_affairs.isolation import civil_affairs_bodies
from tests.plugins.disputes.isolation import disputes_bodies
from tests.plugins.family_planning.isolation import family_planning_bodies
from tests.plugins.fire_safety.isolation import fire_safety_bodies

AT = "at=2030-01-01T00:00:00Z"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _tenant_endpoints(app):
    """(method, rule) of every tenant API endpoint."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/t/<slug>/api/v1/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule


def _ids(county) -> dict[str, int]:
    """The value each URL variable takes, from one county's rows."""
    return {
        "node_id": county.grids[0].id,
        "user_id": county.workers[0].id,
        "department_id": county.department.id,
        # registry records: tests/api/test_registry.py tries real ones of both counties
        **dict.fromkeys(
            ("person_id", "dwelling_id", "household_id", "site_id"), county.grids[0].id
        ),
        "run_id": county.grids[0].id,
        **dict.fromkeys(
            ("compound_id", "building_id", "rental_id", "export_id"), county.grids[0].id
        ),
        "case_id": county.grids[0].id,
        "hazard_id": county.grids[0].id,
        # family-planning records: a grid's id stands for one of the county's
        **dict.fromkeys(("target_id", "birth_id", "entitlement_id"), county.grids[0].id),
        "errand_id": county.grids[0].id,
        "token_id": county.grids[0].id,
        # assessment records: a grid's id stands for one of the county's
        **dict.fromkeys(("sheet_id", "objection_id", "leave_id", "log_id"), county.grids[0].id),
    }


def _path(rule: str, slug: str, ids: dict[str, int]) -> str:
    path = rule.replace("<slug>", slug)
    extras = {
        "day": "2024-03-04",
        "tag": "disabled",
        "number": 1,  # a rule table version
        "month": "2026-11",
        "period": "2026-11",
    }
    for name, value in {**ids, **extras}.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    # Admissions, submissions and their files: a grid's id stands for one of the county's.
    path = re.sub(r"<int:(admission|submission|file)_id>", str(ids["node_id"]), path)
    path = path.replace("<code>", "env_patrol.inspection")
    assert "<" not in path, f"a new URL variable in {rule}: teach this test about it"
    queries = {
        "/as-of": AT,
        "/month": "month=2026-11",
        "/evidence": "line=core.patrols",
        "/trend": "first_month=2026-01&last_month=2026-11",
    }
    query = next((q for end, q in queries.items() if path.endswith(end)), None)
    return path + (f"?{query}" if query else "")


def _task_ids(county) -> dict[str, int]:
    """A task of ``county`` with a photo and a notification, so task URLs name real rows."""
    from gridgov.core.accounts.scope import scope_of
    from gridgov.core.db import db_session, tenant_scope
    from gridgov.core.files import service as files
    from gridgov.core.files.models import FileKind
    from gridgov.core.tasks import exports, notifications, reporting
    from gridgov.core.tasks.models import Notification

    session = db_session()
    with tenant_scope(session, county.tenant.id):
        worker = county.workers[0]
        task, _created = reporting.report_task(
            session,
            worker,
            scope_of(session, worker),
            county.grids[0],
            reporting.Report(category="突发事项", title="火情", track="emergency"),
        )
        stored = files.store_file(
            session, worker, name="a.pdf", data=PDF, kinds={FileKind.PDF}, purpose="task"
        )
        reporting.attach_file(session, worker, task, stored)
        notification = session.scalars(
            notifications.notifications(session, county.station_staff)
        ).first()
        assert isinstance(notification, Notification)
        admin = county.admin
        export = exports.start_export(session, admin, scope_of(session, admin), county.top, "red")
        ids = {
            "task_id": task.id,
            "file_id": stored.id,
            "notification_id": notification.id,
            "export_id": export.id,
        }
    session.commit()
    return ids


def assessment_bodies(county) -> dict[tuple[str, str], object]:
    worker = county.workers[0].id
    return {
        ("POST", "/assessment/scheme"): {"first_month": "2026-12", "scheme": {}},
        ("POST", "/assessment/runs"): {"month": "2026-11"},
        ("POST", "/assessment/sheets/<int:sheet_id>/adjustments"): {
            "line": "core.patrols",
            "points": 1,
            "reason": "越界",
        },
        ("POST", "/assessment/sheets/<int:sheet_id>/objections"): {
            "line": "core.patrols",
            "text": "越界",
        },
        ("POST", "/assessment/objections/<int:objection_id>/answer"): {"answer": "越界"},
        ("POST", "/assessment/scores"): {
            "month": "2026-11",
            "user_id": worker,
            "line": "manual.supervisor",
            "points": 1,
        },
        ("POST", "/assessment/spot-checks"): {
            "user_id": worker,
            "knows_worker": True,
            "was_visited": True,
            "satisfaction": "satisfied",
        },
        ("POST", "/assessment/meetings"): {
            "node_id": county.communities[0].id,
            "day": "2026-11-09",
            "present": [],
        },
        ("POST", "/assessment/logs/<int:log_id>/comments"): {"text": "越界"},
        ("POST", "/assessment/leave"): {
            "first_day": "2026-12-10",
            "last_day": "2026-12-11",
            "reason": "越界",
        },
        ("POST", "/assessment/leave/<int:leave_id>/decision"): {"approve": True},
        ("POST", "/assessment/leave/<int:leave_id>/report-back"): None,
        ("POST", "/assessment/leave/<int:leave_id>/cancel"): None,
        ("POST", "/assessment/months/<month>/lock"): None,
        ("POST", "/assessment/payouts/<period>/paid"): {"paid_on": "2026-12-01"},
    }


def _body(method: str, rule: str, county) -> dict | None:
    """A body that would be valid in county A, so only the tenant check can stop the call."""
    if method == "GET" or rule.endswith("/retire"):
        return None
    bodies = {
        ("POST", "/nodes"): {
            "parent_id": county.communities[0].id,
            "code": "ISO-1",
            "name": "越界",
        },
        ("PATCH", "/nodes/<int:node_id>"): {"name": "越界"},
        ("POST", "/nodes/<int:node_id>/move"): {"parent_id": county.communities[1].id},
        ("POST", "/nodes/<int:node_id>/split"): {
            "parts": [{"code": "ISO-2", "name": "甲"}, {"code": "ISO-3", "name": "乙"}]
        },
        ("POST", "/nodes/merge"): {
            "node_ids": [county.grids[0].id, county.grids[1].id],
            "code": "ISO-4",
            "name": "越界",
        },
        ("POST", "/users"): {"username": "iso", "name": "越界", "role": "volunteer"},
        ("PATCH", "/users/<int:user_id>"): {"name": "越界"},
        ("PUT", "/users/<int:user_id>/assignments"): {"node_ids": [county.grids[0].id]},
        ("POST", "/departments"): {"code": "ISO-XF", "name": "越界", "node_id": county.top.id},
        ("PATCH", "/departments/<int:department_id>"): {"name": "越界"},
        ("PUT", "/departments/<int:department_id>/officers"): {"user_ids": []},
        **registry_bodies(county),
        ("POST", "/tasks"): {
            "node_id": county.grids[0].id,
            "category": "民生事项",
            "title": "越界",
        },
        ("POST", "/tasks/intake"): {
            "external_id": "iso",
            "node_code": county.grids[0].code,
            "category": "民生事项",
            "title": "越界",
        },
        ("POST", "/tasks/files"): None,
        ("POST", "/nodes/boundaries"): None,
        ("POST", "/tasks/<int:task_id>/transitions"): {"action": "accept"},
        ("POST", "/tasks/<int:task_id>/supervision"): {
            "node_id": county.top.id,
            "note": "越界",
            "due_at": "2099-01-01T00:00:00Z",
        },
        ("POST", "/tasks/notifications/<int:notification_id>/read"): None,
        ("POST", "/tasks/exports"): {"node_id": county.grids[0].id, "card": "red"},
        ("POST", "/tasks/bulk-transitions"): {"task_ids": [1], "action": "accept"},
        ("POST", "/tasks/patrols"): {"node_id": county.grids[0].id},
        ("PUT", "/tasks/logs/<day>"): {"text": "越界"},
        ("POST", "/admissions"): {
            "department_id": 1,
            "module": "env_patrol",
            **dict.fromkeys(("reason", "tasks", "authority", "training", "funding"), "越界"),
        },
        ("POST", "/admissions/files"): {},
        ("POST", "/admissions/<int:admission_id>/approve"): {
            "meeting_date": "2026-05-08",
            "minutes": "越界",
        },
        ("POST", "/admissions/<int:admission_id>/reject"): {
            "meeting_date": "2026-05-08",
            "reasons": "越界",
        },
        ("POST", "/admissions/<int:admission_id>/widen"): {},
        ("POST", "/admissions/<int:admission_id>/suspend"): {"reason": "越界"},
        ("POST", "/admissions/<int:admission_id>/resume"): {"reason": "越界"},
        ("POST", "/admissions/<int:admission_id>/withdraw"): {"reason": "越界"},
        ("POST", "/forms/<code>/submissions"): {"node_id": county.grids[0].id, "data": {}},
        ("POST", "/form-files"): {},
        ("PUT", "/task-rules"): {"rules": [{"escalate": True}]},
        ("PUT", "/work-calendar/<day>"): {"is_workday": True},
        ("DELETE", "/work-calendar/<day>"): None,
        ("DELETE", "/me/tokens/<int:token_id>"): None,
        ("DELETE", "/users/<int:user_id>/tokens/<int:token_id>"): None,
        **assessment_bodies(county),
        **fire_safety_bodies(county),
        **disputes_bodies(county),
        **family_planning_bodies(county),
        **civil_affairs_bodies(county),
    }
    key = (method, rule.removeprefix("/t/<slug>/api/v1"))
    assert key in bodies, f"a new write endpoint {key}: teach this test a valid body for it"
    return bodies[key]


def test_every_tenant_endpoint_of_county_a_is_404_with_a_token_of_county_b(
    app, client, county, other, mint, admin_view
):
    token_b = bearer(mint(other, other.admin))
    ids = _task_ids(county)
    tried = 0
    for method, rule in _tenant_endpoints(app):
        path = _path(rule, "changshan", {**_ids(county), **ids})
        response = client.open(
            path, method=method, json=_body(method, rule, county), headers=token_b
        )
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
        assert response.get_json()["code"] == 404
        tried += 1
    assert tried >= 18
    # and nothing of A was touched
    assert admin_view(f"/nodes/{county.grids[0].id}")["name"] == "第0镇第0社区第0网格"
    assert admin_view(f"/nodes/{county.communities[0].id}")["is_retired"] is False
    assert admin_view(f"/departments/{county.department.id}")["name"] == "changshan消防救援大队"


def test_county_a_urls_with_ids_of_county_b_are_404_for_a_county_a_admin(
    app, client, county, other, mint
):
    token_a = bearer(mint(county, county.admin))
    # Accounts are the security administrator's (三员分立); the county admin gets 403 for them.
    accounts_a = bearer(mint(county, county.security))
    # Taken before any call: PostgreSQL's RLS rightly hides B's rows once A's requests ran.
    ids_of_b = {**_ids(other), **_task_ids(other)}
    tried = 0
    for method, rule in _tenant_endpoints(app):
        if "<int:" not in rule:
            continue
        path = _path(rule, "changshan", ids_of_b)
        response = client.open(
            path,
            method=method,
            json=_body(method, rule, county),
            headers=accounts_a if "/users/" in rule else token_a,
        )
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
        tried += 1
    assert tried >= 12


@pytest.mark.parametrize(
    "body_of",
    [
        lambda b: {"parent_id": b.communities[0].id, "code": "X1", "name": "甲"},  # create under B
        lambda b: {
            "node_ids": [b.grids[0].id, b.grids[1].id],
            "code": "X2",
            "name": "乙",
        },  # merge B
    ],
)
def test_ids_of_county_b_in_a_body_are_404(client, county, other, mint, body_of):
    token_a = bearer(mint(county, county.admin))
    path = "/nodes/merge" if "node_ids" in body_of(other) else "/nodes"
    response = client.post(url(county, path), json=body_of(other), headers=token_a)
    assert response.status_code == 404


def test_moving_a_node_of_county_a_under_a_node_of_county_b_is_404(client, county, other, mint):
    token_a = bearer(mint(county, county.admin))
    response = client.post(
        url(county, f"/nodes/{county.grids[0].id}/move"),
        json={"parent_id": other.communities[0].id},
        headers=token_a,
    )
    assert response.status_code == 404


def test_lists_of_county_a_never_show_county_b(client, county, other, mint):
    token_a = bearer(mint(county, county.admin))
    b_node_ids = {n.id for n in [other.top, *other.townships, *other.communities, *other.grids]}
    subtree = client.get(
        url(county, f"/nodes/{county.top.id}/subtree?page_size=500"), headers=token_a
    )
    assert subtree.get_json() and not {n["id"] for n in subtree.get_json()} & b_node_ids
    users = client.get(url(county, "/users?page_size=500"), headers=token_a).get_json()
    assert users and all(u["username"].startswith("changshan-") for u in users)
    auditor_a = bearer(mint(county, county.auditor))
    events = client.get(url(county, "/audit?page_size=500"), headers=auditor_a).get_json()
    assert events and not any("baishui" in (e["actor_name"] + str(e["after"])) for e in events)
    roots = client.get(url(county, "/nodes"), headers=token_a).get_json()
    assert [n["code"] for n in roots] == ["CHA"]


def test_a_county_b_code_is_free_in_county_a(client, county, other, mint):
    # Codes are unique per county; B's code must not clash (nor reveal that B has it).
    token_a = bearer(mint(county, county.admin))
    response = client.post(
        url(county, "/nodes"),
        json={"parent_id": county.communities[0].id, "code": other.grids[0].code, "name": "同码"},
        headers=token_a,
    )
    assert response.status_code == 201


def test_a_token_forged_with_county_a_in_its_name_but_minted_in_b_is_refused(
    client, county, other, mint
):
    token_b = mint(other, other.admin)
    forged = re.sub(r"^ggv_baishui_", "ggv_changshan_", token_b)
    response = client.get(url(county, "/nodes"), headers=bearer(forged))
    assert response.status_code == 401


def test_an_unknown_county_is_404_before_any_token_check(client):
    response = client.get("/t/nowhere/api/v1/nodes")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
