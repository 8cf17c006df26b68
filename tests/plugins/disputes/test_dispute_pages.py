"""The module's portal pages under /t/<slug>/m/disputes/: 404 where not admitted or outside a
pilot, read-only while suspended, a report filed from the phone form, each level's step, and
the form shown again with the problem marked (422) when a rule refuses."""

from __future__ import annotations

import pytest

from gridgov.core.admission import service as admission
from gridgov.core.db import db_session, set_tenant, tenant_scope
from gridgov_plugins.disputes.models import Case
from tests.factories import build_county
from tests.plugins.disputes.factories import admit_disputes, report
from tests.portal.conftest import csrf_token, login


def make(app, *, admit: bool = True, pilot: bool = False):
    with app.app_context():
        session = db_session()
        set_tenant(session, None)
        county = build_county(session, "changshan")
        if admit:
            admit_disputes(session, county, pilot=pilot)
        session.commit()
    return county


def page(county, path=""):
    return f"/t/{county.tenant.slug}/m/disputes{path}"


def as_user(client, county, user):
    assert login(client, county.tenant.slug, user.username).status_code == 302
    return client


def with_case(app, county, **fields):
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        case = report(session, county, **fields)
        session.commit()
        return case.id


def post(client, url_of_page, action, data):
    html = client.get(url_of_page).get_data(as_text=True)
    return client.post(action, data={"csrf_token": csrf_token(html), **data})


@pytest.fixture(autouse=True)
def _no_rate_limit(monkeypatch):
    from gridgov.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)


def test_the_pages_are_404_in_a_county_that_has_not_admitted_the_module(app, client, connection):
    county = make(app, admit=False)
    as_user(client, county, county.admin)
    assert client.get(page(county, "/")).status_code == 404
    assert "m/disputes" not in client.get(f"/t/{county.tenant.slug}/").get_data(as_text=True)


def test_the_overview_shows_the_figures_and_the_menu_entry(app, client, connection):
    county = make(app)
    with_case(app, county, risk_level="high", people_involved=18, title="欠薪 18 人")
    as_user(client, county, county.admin)
    html = client.get(page(county, "/")).get_data(as_text=True)
    assert 'data-code="disputes.reported">1' in html
    assert "欠薪 18 人" in html  # on the early-warning list
    assert "矛盾纠纷" in client.get(f"/t/{county.tenant.slug}/").get_data(as_text=True)


def report_from_the_form(client, county, **fields):
    data = {
        "node": str(county.grids[0].id),
        "title": "楼上漏水",
        "kind": "neighbour",
        "risk_level": "low",
        "people_involved": "2",
        "found_by": "grid_worker",
        **fields,
    }
    return post(client, page(county, "/cases/new"), page(county, "/cases/new"), data)


def add_person(app, county, name, phone=None):
    from gridgov.core.registry import service as registry

    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            person = registry.create_person(
                session,
                county.tenant,
                None,
                registry.PersonInput(name=name, phone=phone, residence_type="registered"),
                grid=county.grids[0],
            )
            person_id = person.id
        session.commit()
    return person_id


def test_a_grid_worker_reports_a_dispute_from_the_form(app, client, connection):
    county = make(app)
    as_user(client, county, county.workers[0])
    response = report_from_the_form(
        client, county, applicant="林晓燕", applicant_phone="13800001201"
    )
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "待组长确认" in html and "138********" in html and "13800001201" not in html


def test_a_report_without_a_summary_is_shown_again_with_the_error(app, client, connection):
    county = make(app)
    as_user(client, county, county.workers[0])
    response = report_from_the_form(client, county, title="")
    assert response.status_code == 422
    assert 'class="field has-error"' in response.get_data(as_text=True)


def test_the_group_leader_confirms_on_the_disputes_page(app, client, connection):
    county = make(app)
    case_id = with_case(app, county)
    as_user(client, county, county.station_staff)
    response = post(
        client,
        page(county, f"/cases/{case_id}"),
        page(county, f"/cases/{case_id}/step"),
        {"action": "confirm", "comment": ""},
    )
    assert response.status_code == 302
    assert "网格组调处" in client.get(page(county, f"/cases/{case_id}")).get_data(as_text=True)


def test_a_failed_outcome_without_a_referral_is_marked_and_nothing_is_stored(
    app, client, connection
):
    county = make(app)
    case_id = with_case(app, county)
    as_user(client, county, county.workers[0])
    response = post(
        client,
        page(county, f"/cases/{case_id}"),
        page(county, f"/cases/{case_id}/outcome"),
        {"outcome": "failed", "referral": "", "note": "谈不拢"},
    )
    assert response.status_code == 422
    assert "调解不成须写明去向" in response.get_data(as_text=True)
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            assert session.get(Case, case_id).outcome is None


def test_a_pilot_hides_the_pages_from_staff_outside_its_township(app, client, connection):
    county = make(app, pilot=True)
    as_user(client, county, county.workers[5])
    assert client.get(page(county, "/")).status_code == 404


def test_a_suspended_module_shows_its_disputes_but_refuses_changes(app, client, connection):
    county = make(app)
    case_id = with_case(app, county)
    with app.app_context():
        session = db_session()
        with tenant_scope(session, county.tenant.id):
            admission.suspend_admission(
                session,
                county.admin,
                admission.latest_admission(session, "disputes"),
                reason="整顿",
            )
        session.commit()
    as_user(client, county, county.station_staff)
    assert client.get(page(county, f"/cases/{case_id}")).status_code == 200
    response = post(
        client,
        page(county, f"/cases/{case_id}"),
        page(county, f"/cases/{case_id}/step"),
        {"action": "confirm"},
    )
    assert response.status_code == 409


def test_a_dispute_outside_the_users_scope_is_404(app, client, connection):
    county = make(app)
    case_id = with_case(app, county)
    as_user(client, county, county.workers[3])
    assert client.get(page(county, f"/cases/{case_id}")).status_code == 404


def test_the_pages_speak_english_to_an_english_reader(app, client, connection):
    county = make(app)
    as_user(client, county, county.admin)
    home = client.get(f"/t/{county.tenant.slug}/").get_data(as_text=True)
    client.post(
        f"/t/{county.tenant.slug}/locale",
        data={"csrf_token": csrf_token(home), "locale": "en", "next": page(county, "/")},
    )
    html = client.get(page(county, "/")).get_data(as_text=True)
    assert "Disputes reported" in html and "上报矛盾纠纷" not in html


def test_a_party_is_found_in_the_registry_by_name_and_added(app, client, connection):
    county = make(app)
    case_id = with_case(app, county)
    person_id = add_person(app, county, "赵德胜")
    as_user(client, county, county.workers[0])
    found = client.get(page(county, f"/cases/{case_id}?q=赵德")).get_data(as_text=True)
    assert f'name="person_id" value="{person_id}"' in found
    response = client.post(
        page(county, f"/cases/{case_id}/parties"),
        data={"csrf_token": csrf_token(found), "person_id": str(person_id), "role": "respondent"},
    )
    assert response.status_code == 302
    parties = client.get(page(county, f"/cases/{case_id}")).get_data(as_text=True)
    assert "被申请人：赵德胜" in parties


def test_the_people_search_never_takes_a_phone_number_from_the_url(app, client, connection):
    county = make(app)
    case_id = with_case(app, county)
    add_person(app, county, "13800001201", phone="13800001201")
    as_user(client, county, county.workers[0])
    html = client.get(page(county, f"/cases/{case_id}?q=13800001201")).get_data(as_text=True)
    assert 'name="person_id" value=' not in html


def test_the_case_page_shows_the_place_and_reads_its_log_in_words(app, client, connection):
    county = make(app)
    case_id = with_case(app, county, location_text="幸福小区 3 号楼")
    as_user(client, county, county.station_staff)
    html = client.get(page(county, f"/cases/{case_id}")).get_data(as_text=True)
    assert 'data-testid="place">幸福小区 3 号楼<' in html
    # Nothing recorded yet: a plain line, not a numbered "1. 暂无".
    assert '<p class="muted" data-testid="sessions">暂无</p>' in html
    log = html.rsplit('<ol class="history">', 1)[1].split("</ol>", 1)[0]
    assert "· 上报" in log and "· report" not in log
