"""The module's API under /t/<slug>/api/v1/modules/fire_safety/: figures, the ledger, recording
a hazard and submitting a checklist (findings filed at once), four-abilities checks, fire
leaders and announcements; token scopes, the caller's scope on every record (404 outside it),
another county's records out of reach, and errors in the platform's JSON shape."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.tasks import transitions
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.fire_safety import hazards
from tests.api.bearer import bearer
from tests.plugins.fire_safety.conftest import in_county, make_county
from tests.plugins.fire_safety.test_fire_pages import file_hazard
from tests.plugins.fire_safety.test_fire_patrols import ability_check, shop_checklist

TODAY = CountyClock.of(None).today()


def url(county, path):
    return f"/t/{county.tenant.slug}/api/v1/modules/fire_safety{path}"


@pytest.fixture
def token(app, live):
    """Mint a token for ``user`` of ``county`` (default: the ``live`` county; all scopes)."""

    def _mint(user, county=None, scopes=None):
        county = county or live
        with app.app_context():
            session = db_session()
            with tenant_scope(session, county.tenant.id):
                minted, _record = accounts.create_token(
                    session, None, county.tenant, user, scopes=scopes or accounts.USER_SCOPES
                )
            session.commit()
        return bearer(minted)

    return _mint


def test_the_summary_gives_the_figures_and_the_counts_per_level(app, client, live, token):
    file_hazard(app, live)
    file_hazard(app, live, grade="major")
    response = client.get(url(live, f"/summary?node_id={live.top.id}"), headers=token(live.admin))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    figures = {f["code"]: f["value"] for f in body["figures"]}
    assert figures["fire_safety.hazards"] == 2 and figures["fire_safety.major_open"] == 1
    assert body["hazards"]["by_grade_state"]["major"]["rectifying"] == 1
    assert [(c["name"], c["found"]) for c in body["by_child"]] == [
        ("changshan第0镇", 2),
        ("changshan第1镇", 0),
    ]


def test_the_ledger_shows_a_grid_worker_their_own_grids_only(app, client, live, token):
    file_hazard(app, live, place="本网格")
    file_hazard(app, live, user=live.admin, node=live.grids[2], place="他处")
    response = client.get(url(live, "/hazards"), headers=token(live.workers[0]))
    assert [h["place"] for h in response.get_json()] == ["本网格"]
    assert response.headers["X-Pagination"]
    admin = client.get(url(live, "/hazards?grade=general"), headers=token(live.admin))
    assert len(admin.get_json()) == 2


def test_a_hazard_out_of_scope_is_404_and_one_in_scope_is_shown(app, client, live, token):
    mine = file_hazard(app, live)
    theirs = file_hazard(app, live, user=live.admin, node=live.grids[2])
    headers = token(live.workers[0])
    assert client.get(url(live, f"/hazards/{theirs}"), headers=headers).status_code == 404
    shown = client.get(url(live, f"/hazards/{mine}"), headers=headers).get_json()
    assert (shown["state"], shown["is_overdue"], shown["grade"]) == ("rectifying", False, "general")


def test_a_hazard_is_recorded_and_a_major_one_reaches_the_county(app, client, live, token):
    response = client.post(
        url(live, "/hazards"),
        json={
            "node_id": live.grids[0].id,
            "place": "城南市场",
            "item": "hydrant",
            "grade": "major",
        },
        headers=token(live.workers[0]),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    task = client.get(
        f"/t/changshan/api/v1/tasks/{body['task_id']}", headers=token(live.admin)
    ).get_json()
    assert task["current_node_id"] == live.top.id


def test_a_bad_hazard_is_refused_in_the_platforms_error_shape(app, client, live, token):
    response = client.post(
        url(live, "/hazards"),
        json={
            "node_id": live.grids[0].id,
            "place": "城南市场",
            "grade": "general",
            "deadline": (TODAY - dt.timedelta(days=1)).isoformat(),
        },
        headers=token(live.workers[0]),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and "deadline" in body["errors"]["json"]
    unknown = client.post(
        url(live, "/hazards"),
        json={"node_id": live.grids[0].id, "place": "x", "grade": "huge"},
        headers=token(live.workers[0]),
    )
    assert "grade" in unknown.get_json()["errors"]["json"]


def test_a_hazard_in_a_grid_out_of_scope_is_404(app, client, live, token):
    response = client.post(
        url(live, "/hazards"),
        json={"node_id": live.grids[1].id, "place": "x", "grade": "general"},
        headers=token(live.workers[0]),
    )
    assert response.status_code == 404


def test_a_checklist_submitted_files_its_findings(app, client, live, token):
    data = shop_checklist(wiring_ok=False, wiring_grade="general", wiring_note="飞线")
    response = client.post(
        url(live, "/patrols"),
        json={"form": "fire_safety.patrol_shop", "node_id": live.grids[0].id, "data": data},
        headers=token(live.workers[0]),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["findings"] == 1 and body["hazards"][0]["item"] == "wiring"
    listed = client.get(url(live, "/patrols"), headers=token(live.workers[0])).get_json()
    assert [p["id"] for p in listed] == [body["id"]]


def test_a_checklist_with_a_missing_answer_names_it(app, client, live, token):
    data = shop_checklist()
    del data["exits_ok"]
    response = client.post(
        url(live, "/patrols"),
        json={"form": "fire_safety.patrol_shop", "node_id": live.grids[0].id, "data": data},
        headers=token(live.workers[0]),
    )
    assert response.status_code == 422
    assert "exits_ok" in response.get_json()["errors"]["json"]


def test_a_four_abilities_check_goes_to_its_own_endpoint(app, client, live, token):
    check = ability_check(place="示例小学")
    headers = token(live.workers[0])
    wrong = client.post(
        url(live, "/patrols"),
        json={"form": "fire_safety.four_abilities", "node_id": live.grids[0].id, "data": check},
        headers=headers,
    )
    assert wrong.status_code == 422 and "form" in wrong.get_json()["errors"]["json"]
    made = client.post(
        url(live, "/ability-checks"),
        json={"form": "fire_safety.four_abilities", "node_id": live.grids[0].id, "data": check},
        headers=headers,
    )
    assert made.status_code == 201 and made.get_json()["passed"] is True
    statuses = client.get(url(live, "/ability-checks"), headers=headers).get_json()
    assert statuses[0]["latest"]["place"] == "示例小学" and statuses[0]["is_revisit_due"] is False


def test_fire_leaders_need_the_registry_scope(app, client, live, token):
    ok = client.get(url(live, "/leaders"), headers=token(live.admin))
    assert ok.status_code == 200 and len(ok.get_json()) == len(live.communities)
    refused = client.get(url(live, "/leaders"), headers=token(live.admin, scopes=["tasks:read"]))
    assert refused.status_code == 403


def test_writing_needs_the_write_scope(app, client, live, token):
    response = client.post(
        url(live, "/hazards"),
        json={"node_id": live.grids[0].id, "place": "x", "grade": "general"},
        headers=token(live.workers[0], scopes=["tasks:read"]),
    )
    assert response.status_code == 403


def test_announcements_list_the_published_major_hazards(app, client, live, token):
    hazard_id = file_hazard(app, live, grade="major", place="城南市场")
    headers = token(live.admin)
    refused = client.post(url(live, f"/hazards/{hazard_id}/publish"), headers=headers)
    assert refused.status_code == 422 and "挂牌督办" in refused.get_json()["message"]

    def list_it(session):
        hazard = hazards.get_hazard(session, hazard_id)
        admin = accounts.get_user(session, live.admin.id)
        transitions.transition(
            session,
            admin,
            scope_of(session, admin),
            hazards.task_of(session, hazard),
            "list",
            transitions.Move(comment="挂牌督办"),
        )

    in_county(app, live, list_it)
    assert (
        client.post(url(live, f"/hazards/{hazard_id}/publish"), headers=headers).status_code == 200
    )
    shown = client.get(url(live, "/announcements"), headers=headers).get_json()
    assert [h["place"] for h in shown] == ["城南市场"] and shown[0]["published_at"]


def test_volunteers_get_nothing(app, client, live, token):
    response = client.get(url(live, "/hazards"), headers=token(live.volunteer))
    assert response.status_code == 403


def test_another_countys_hazard_is_404_even_where_both_admitted_the_module(
    app, client, live, token
):
    other = make_county(app, "baishui")
    theirs = file_hazard(app, other)
    headers = token(live.admin)
    assert client.get(url(live, f"/hazards/{theirs}"), headers=headers).status_code == 404
    assert client.get(url(live, "/hazards"), headers=headers).get_json() == []
    # and county B's token is refused on county A's URLs
    b_headers = token(other.admin, county=other)
    assert client.get(url(live, "/summary"), headers=b_headers).status_code == 404
