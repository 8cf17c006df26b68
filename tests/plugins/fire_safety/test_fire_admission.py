"""The module does nothing in a county that has not admitted it (准入制): its pages, API, forms
and task types answer 404 and its hooks are not called there; a pilot (试点先行) opens it only
to users whose scope reaches the pilot townships; suspended, what it stored stays readable
while nothing new is filed (409) and its tasks do not move."""

from __future__ import annotations

import pytest

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.admission import service as admission
from gridgov.core.admission.activation import hooks_for
from gridgov.core.db import db_session, tenant_scope
from gridgov.core.errors import Conflict, NotFound
from gridgov.core.tasks import public, reading, reporting, transitions
from gridgov_plugins.fire_safety import hazards
from gridgov_plugins.fire_safety.models import Hazard
from tests.api.bearer import bearer
from tests.factories import build_county
from tests.plugins.fire_safety.conftest import admit, finding, make_county
from tests.plugins.fire_safety.test_fire_api import url
from tests.plugins.fire_safety.test_fire_pages import BASE, file_hazard
from tests.portal.conftest import csrf_token

PAGES = ("/", "/checklists", "/ledger", "/patrols/new/shop", "/abilities", "/leaders")


def suspend(app, county):
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            latest = admission.latest_admission(session, "fire_safety")
            admission.suspend_admission(session, county.admin, latest, reason="整顿")
        session.commit()


def test_before_admission_every_page_and_the_menu_entry_are_404(app, connection, as_user):
    county = make_county(app, admitted=False)
    client = as_user(county.admin)
    for path in PAGES:
        assert client.get(f"{BASE}{path}").status_code == 404, path
    assert 'fire_safety.svg" alt="" width="16" height="16"> 消防安全' not in client.get(
        "/t/changshan/"
    ).get_data(as_text=True)
    assert client.get("/t/changshan/forms/fire_safety.patrol_shop").status_code == 404


def test_before_admission_the_api_is_404(app, client, connection):
    county = make_county(app, admitted=False)
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            minted, _record = accounts.create_token(
                session, None, county.tenant, county.admin, scopes=accounts.USER_SCOPES
            )
        session.commit()
    for path in ("/summary", "/hazards", "/patrols", "/ability-checks", "/announcements"):
        response = client.get(url(county, path), headers=bearer(minted))
        assert response.status_code == 404, path
        assert response.get_json()["code"] == 404


def test_before_admission_no_hazard_or_report_can_be_filed(session):
    county = build_county(session)
    usable = {t.name for t in reading.usable_types(session, public=True)}
    assert "fire_safety.report" not in usable
    with pytest.raises(NotFound):
        public.report_as_resident(
            session,
            county.grids[0],
            reporting.Report(
                task_type="fire_safety.report", category="火灾隐患举报", title="x", track="general"
            ),
        )
    with pytest.raises(NotFound):
        reporting.report_task(
            session,
            county.workers[0],
            scope_of(session, county.workers[0]),
            county.grids[0],
            reporting.Report(task_type="fire_safety.hazard", category="一般火灾隐患", title="x"),
        )


def test_hook_task_transition_is_not_called_where_the_module_is_not_admitted(session):
    county = build_county(session)
    reporting.report_task(
        session,
        county.workers[0],
        scope_of(session, county.workers[0]),
        county.grids[0],
        reporting.Report(category="突发事项", title="楼道起火"),
    )
    assert session.query(Hazard).count() == 0
    assert "fire_safety" not in {m.name for m in hooks_for().modules()}
    shown = hooks_for().dashboard_figures(
        session=session, tenant=county.tenant, scope=Scope(everything=True)
    )
    assert not [f for f in shown if f.code.startswith("fire_safety.")]


def test_a_pilot_opens_the_module_only_inside_its_townships(app, connection, as_user):
    pilot = make_county(app, "pilotcounty", admitted=False)
    with app.app_context():
        session = db_session()
        with tenant_scope(session, pilot.tenant.id):
            admit(session, pilot, pilot=(pilot.townships[0],))
        session.commit()
    base = "/t/pilotcounty/m/fire_safety"
    inside = as_user(pilot.workers[0], "pilotcounty")
    outside = as_user(pilot.workers[4], "pilotcounty")
    assert inside.get(f"{base}/").status_code == 200
    assert outside.get(f"{base}/").status_code == 404
    assert outside.get(f"{base}/patrols/new/shop").status_code == 404
    with app.app_context():
        session = db_session()
        with tenant_scope(session, pilot.tenant.id):
            worker = pilot.workers[4]
            with pytest.raises(NotFound):
                hazards.record_hazard(
                    session, worker, scope_of(session, worker), pilot.grids[4], finding()
                )
        session.rollback()


def test_suspended_the_pages_read_but_refuse_writes(app, connection, as_user):
    county = make_county(app)
    hazard_id = file_hazard(app, county, place="停用前登记")
    suspend(app, county)
    client = as_user(county.workers[0])
    for path in ("/", "/ledger", f"/hazards/{hazard_id}", "/abilities", "/checklists"):
        assert client.get(f"{BASE}{path}").status_code == 200, path
    page = client.get(f"{BASE}/ledger").get_data(as_text=True)
    assert "停用前登记" in page
    refused = client.post(
        f"{BASE}/hazards/new",
        data={"csrf_token": csrf_token(page), "place": "新的", "grade": "general"},
    )
    assert refused.status_code == 409


def test_suspended_its_api_reads_and_refuses_writes(app, client, connection):
    county = make_county(app)
    file_hazard(app, county)
    suspend(app, county)
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            minted, _record = accounts.create_token(
                session, None, county.tenant, county.admin, scopes=accounts.USER_SCOPES
            )
        session.commit()
    headers = bearer(minted)
    assert len(client.get(url(county, "/hazards"), headers=headers).get_json()) == 1
    refused = client.post(
        url(county, "/hazards"),
        json={"node_id": county.grids[0].id, "place": "x", "grade": "general"},
        headers=headers,
    )
    assert refused.status_code == 409 and refused.get_json()["code"] == 409


def test_suspended_its_hazards_do_not_move_and_none_is_filed(app, connection):
    county = make_county(app)
    hazard_id = file_hazard(app, county)
    suspend(app, county)
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            hazard = hazards.get_hazard(session, hazard_id)
            worker = county.workers[0]
            scope = scope_of(session, worker)
            with pytest.raises(Conflict):
                transitions.transition(
                    session,
                    worker,
                    scope,
                    hazards.task_of(session, hazard),
                    "rectify",
                    transitions.Move(comment="已整改"),
                )
            with pytest.raises(Conflict):
                hazards.record_hazard(session, worker, scope, county.grids[0], finding())
        session.rollback()
