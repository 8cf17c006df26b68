"""The module does nothing where the county has not admitted it (准入制): pages, API, form and
hooks answer 404 or stay silent; the pilot (试点先行) opens it only inside township 0;
suspended, what it stored stays readable while nothing new is filed (409)."""

from __future__ import annotations

import pytest

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.admission import service as admission
from gridgov.core.admission.activation import hooks_for
from gridgov.core.db import db_session, set_tenant, tenant_scope
from gridgov.core.errors import Conflict
from gridgov_plugins.family_planning import entitlements
from tests.api.bearer import bearer
from tests.factories import build_county
from tests.plugins.family_planning.conftest import (
    BASE,
    add_family,
    in_county,
    make_live,
    url,
    woman,
)
from tests.plugins.family_planning.test_fp_pages import PAGES, post


def suspend(app, world):
    with app.app_context():
        session = db_session()
        with tenant_scope(session, world.county.tenant.id):
            latest = admission.latest_admission(session, "family_planning")
            admission.suspend_admission(session, world.county.admin, latest, reason="整顿")
        session.commit()


def test_before_admission_its_pages_api_form_and_figures_are_absent(
    app, client, connection, as_user
):
    with app.app_context():
        session = db_session()
        set_tenant(session, None)
        county = build_county(session)
        add_family(session, county, county.grids[0])
        minted, _record = accounts.create_token(
            session, None, county.tenant, county.admin, scopes=accounts.USER_SCOPES
        )
        session.commit()
        set_tenant(session, county.tenant.id)
        assert "family_planning" not in {m.name for m in hooks_for().modules()}
        shown = hooks_for().dashboard_figures(
            session=session, tenant=county.tenant, scope=Scope(everything=True)
        )
        assert not [f for f in shown if f.code.startswith("family_planning.")]
    browser = as_user(county.admin)
    for path in PAGES:
        assert browser.get(f"{BASE}{path}").status_code == 404, path
    assert browser.get("/t/changshan/forms/family_planning.follow_up").status_code == 404
    for path in ("/targets", "/births", "/entitlements", "/follow-ups/due", "/figures"):
        response = client.get(
            f"/t/changshan/api/v1/modules/family_planning{path}", headers=bearer(minted)
        )
        assert response.status_code == 404, path


def test_suspended_the_pages_read_but_refuse_new_records(app, live, as_user):
    target_id = in_county(app, live, lambda s: woman(s, live).id)
    suspend(app, live)
    client = as_user(live.county.workers[0])
    for path in ("/", "/targets", f"/targets/{target_id}", "/births", "/entitlements"):
        assert client.get(f"{BASE}{path}").status_code == 200, path
    refused = post(
        client,
        "/entitlements/new",
        {"person_id": str(live.family.grandfather.id), "scheme": "reward"},
    )
    assert refused.status_code == 409
    follow = post(
        client,
        f"/targets/{target_id}/follow-up",
        {"visited_on": "2026-01-01", "condition": "good", "notes": "停用后"},
    )
    assert follow.status_code == 409


def test_suspended_the_api_reads_and_refuses_writes(app, client, live, token):
    target_id = in_county(app, live, lambda s: woman(s, live).id)
    suspend(app, live)
    headers = token(live.county.workers[0])
    assert len(client.get(url(live, "/targets"), headers=headers).get_json()) == 1
    refused = client.post(
        url(live, "/entitlements"),
        json={"person_id": live.family.grandfather.id, "scheme": "reward"},
        headers=headers,
    )
    assert refused.status_code == 409 and refused.get_json()["code"] == 409
    follow = client.post(
        url(live, f"/targets/{target_id}/follow-ups"),
        json={"data": {"visited_on": "2026-01-01", "condition": "good", "notes": "停用后"}},
        headers=headers,
    )
    assert follow.status_code == 409


def test_suspended_an_entitlement_does_not_move(app, live):
    def applied(session):
        user = live.county.workers[0]
        return entitlements.apply_for(
            session,
            user,
            scope_of(session, user),
            entitlements.ApplicationInput(person_id=live.family.grandfather.id, scheme="reward"),
        ).id

    entitlement_id = in_county(app, live, applied)
    suspend(app, live)
    with app.app_context():
        session = db_session()
        with tenant_scope(session, live.county.tenant.id):
            staff = live.county.township_staff
            found = entitlements.visible_entitlement(
                session, staff, scope_of(session, staff), entitlement_id
            )
            with pytest.raises(Conflict):
                entitlements.check(session, staff, scope_of(session, staff), found)
        session.rollback()


def test_admitted_county_wide_the_other_township_opens_too(app, connection, as_user):
    world = make_live(app, "widecounty", pilot=False)
    client = as_user(world.county.workers[4], "widecounty")
    assert client.get("/t/widecounty/m/family_planning/").status_code == 200
