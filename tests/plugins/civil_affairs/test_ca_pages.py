"""The module's portal pages under /t/<slug>/m/civil_affairs/: 404 where not admitted, nothing
(and no menu entry) for the audit administrator, volunteers and other departments; the
overview with the per-level counts and the overdue list; a person's care record masked; the
visit, assistance and errand forms from the phone, shown again with the problem marked and
what was typed kept (422); read-only while suspended."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core.admission import service as admission
from gridgov.core.registry.models import Person
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.civil_affairs import service
from tests.plugins.civil_affairs.conftest import cared_person, in_county, make_county
from tests.portal.conftest import csrf_token

TODAY = CountyClock.of(None).today()
PHONE = "13812345678"


def page(county, path=""):
    return f"/t/{county.tenant.slug}/m/civil_affairs{path}"


def post(client, url_of_page, action, data):
    html = client.get(url_of_page).get_data(as_text=True)
    return client.post(action, data={"csrf_token": csrf_token(html), **data})


@pytest.fixture(autouse=True)
def _no_rate_limit(monkeypatch):
    from gridgov.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)


@pytest.fixture
def live(app, connection):
    return make_county(app)


@pytest.fixture
def person_id(app, live):
    return in_county(
        app,
        live,
        lambda s: cared_person(s, live, tag="empty_nest_elderly", phone_number=PHONE).id,
    )


def test_the_pages_are_404_before_admission_and_there_is_no_menu_entry(app, connection, as_user):
    county = make_county(app, admitted=False)
    client = as_user(county.admin)
    assert client.get(page(county, "/")).status_code == 404
    assert "m/civil_affairs" not in client.get(f"/t/{county.tenant.slug}/").get_data(as_text=True)


def test_the_auditor_a_volunteer_and_another_department_see_no_page_and_no_menu(
    app, live, as_user, person_id
):
    for user in (live.auditor, live.volunteer, live.supervisor):
        client = as_user(user)
        for path in ("/", "/people", f"/people/{person_id}", "/errands", "/assistance"):
            assert client.get(page(live, path)).status_code == 404, (user.username, path)
        home = client.get(f"/t/{live.tenant.slug}/").get_data(as_text=True)
        assert "m/civil_affairs" not in home


def test_the_overview_counts_overdue_visits_per_level_and_lists_the_person(
    app, live, as_user, person_id
):
    client = as_user(live.admin)
    html = client.get(page(live, "/")).get_data(as_text=True)
    assert f'data-testid="overdue-{live.townships[0].code}">1<' in html
    assert "示例老人" in html and "从未走访" in html
    assert "民政关爱" in client.get(f"/t/{live.tenant.slug}/").get_data(as_text=True)
    grids = client.get(page(live, f"/?node={live.communities[0].id}")).get_data(as_text=True)
    assert live.workers[0].name in grids


def test_a_persons_page_shows_the_masked_phone_and_the_age_never_the_number(
    live, as_user, person_id
):
    html = as_user(live.workers[0]).get(page(live, f"/people/{person_id}")).get_data(as_text=True)
    assert "138********" in html and PHONE not in html
    assert "1940" not in html  # the birth date is not shown, the age is
    assert as_user(live.workers[1]).get(page(live, f"/people/{person_id}")).status_code == 404


def test_a_visit_from_the_phone_form_resets_the_due_list(app, live, as_user, person_id):
    client = as_user(live.workers[0])
    form = page(live, f"/people/{person_id}/visit")
    response = post(
        client,
        form,
        form,
        {"visited_on": TODAY.isoformat(), "condition": "fair", "needs": "代购药品"},
    )
    assert response.status_code == 302
    assert "代购药品" in client.get(page(live, f"/people/{person_id}")).get_data(as_text=True)

    def due(session):
        from gridgov.core.accounts.scope import scope_of

        return service.due_list(
            session, live.workers[0], scope_of(session, live.workers[0]), today=TODAY
        )

    assert in_county(app, live, due) == []


def test_a_form_with_bad_input_comes_back_marked_with_what_was_typed(live, as_user, person_id):
    client = as_user(live.workers[0])
    form = page(live, f"/people/{person_id}/visit")
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    response = post(
        client, form, form, {"visited_on": tomorrow, "condition": "good", "needs": "要轮椅"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "日期不能在将来" in html and "要轮椅" in html
    money = page(live, f"/people/{person_id}/assistance")
    response = post(
        client,
        money,
        money,
        {
            "kind": "money",
            "what": "临时救助金",
            "given_on": TODAY.isoformat(),
            "given_by": "民政局",
        },
    )
    assert response.status_code == 422
    assert "资金救助请填写金额" in response.get_data(as_text=True)


def test_assistance_and_an_errand_from_the_forms_and_the_errands_step(live, as_user, person_id):
    client = as_user(live.workers[0])
    money = page(live, f"/people/{person_id}/assistance")
    response = post(
        client,
        money,
        money,
        {
            "kind": "money",
            "what": "临时救助金",
            "amount": "500",
            "given_on": TODAY.isoformat(),
            "given_by": "民政局",
        },
    )
    assert response.status_code == 302
    assert "临时救助金" in client.get(page(live, "/assistance")).get_data(as_text=True)
    new = page(live, f"/people/{person_id}/errands/new")
    response = post(client, new, new, {"kind": "pension", "title": "养老金资格认证"})
    assert response.status_code == 302
    errand_page = response.headers["Location"]
    html = client.get(errand_page).get_data(as_text=True)
    assert "待受理" in html
    step_url = errand_page + "/step"
    assert post(client, errand_page, step_url, {"action": "accept"}).status_code == 302
    refused = post(client, errand_page, step_url, {"action": "done", "comment": ""})
    assert refused.status_code == 422
    assert (
        post(client, errand_page, step_url, {"action": "done", "comment": "已办好"}).status_code
        == 302
    )
    assert "已办结待确认" in client.get(errand_page).get_data(as_text=True)


def test_while_suspended_the_record_reads_and_a_visit_is_refused(app, live, as_user, person_id):
    def suspend(session):
        latest = admission.latest_admission(session, "civil_affairs")
        admission.suspend_admission(session, live.admin, latest, reason="整顿")

    in_county(app, live, suspend)
    client = as_user(live.workers[0])
    assert client.get(page(live, f"/people/{person_id}")).status_code == 200
    form = page(live, f"/people/{person_id}/visit")
    response = post(client, form, form, {"visited_on": TODAY.isoformat(), "condition": "good"})
    assert response.status_code == 409
    assert in_county(app, live, lambda s: service.visits_of(s, s.get(Person, person_id))) == []


def test_the_resident_reads_the_answer_and_confirms_the_errand_with_the_tracking_code(
    app, client, live, person_id
):
    def done_errand(session):
        from gridgov.core.registry.models import Person as Registered
        from tests.plugins.civil_affairs.conftest import errand, step

        found = errand(session, live.workers[0], session.get(Registered, person_id))
        step(session, live.workers[0], found, "accept")
        step(session, live.workers[0], found, "done", "医保报销已办好，钱已到账")
        return service.task_of(session, found).code

    code = in_county(app, live, done_errand)
    track = f"/t/changshan/public/track/{code}"
    html = client.get(track).get_data(as_text=True)
    assert "医保报销已办好，钱已到账" in html and "已办结待确认" in html
    assert live.workers[0].name not in html  # who handled it stays inside
    response = post(client, track, track, {"rating": "satisfied", "comment": "谢谢"})
    assert response.status_code == 302
    assert "居民已确认" in client.get(track).get_data(as_text=True)


def test_another_departments_officer_sees_no_page_and_no_menu(app, live, as_user, person_id):
    from gridgov.core.accounts.models import Role
    from gridgov.core.departments import service as departments
    from tests.factories import UserFactory

    def other_officer(session):
        office = departments.create_department(
            session, None, code="SFS", name="司法所", node=live.top
        )
        user = UserFactory(
            username="changshan-sifa", role=Role.DEPARTMENT_OFFICER.value, nodes=[live.top]
        )
        departments.add_officer(session, None, office, user)
        return user

    client = as_user(in_county(app, live, other_officer))
    assert client.get(page(live, "/")).status_code == 404
    assert client.get(page(live, f"/people/{person_id}")).status_code == 404
    assert "m/civil_affairs" not in client.get(f"/t/{live.tenant.slug}/").get_data(as_text=True)


def test_the_overview_lists_due_and_overdue_visits_per_grid_worker(app, live, as_user, person_id):
    in_county(app, live, lambda s: cared_person(s, live, grid=3, name="示例乙"))
    html = as_user(live.station_staff).get(page(live, "/")).get_data(as_text=True)
    assert 'data-testid="workers"' not in html  # one grid with people in care in its scope
    html = as_user(live.admin).get(page(live, "/")).get_data(as_text=True)
    table = html.split('data-testid="workers"')[1].split("</table>")[0]
    assert live.workers[0].name in table and live.workers[3].name in table


def test_the_pages_read_in_english_for_a_reader_who_chose_it(live, as_user, person_id):
    from gridgov.i18n import SESSION_KEY

    client = as_user(live.admin)
    with client.session_transaction() as stored:
        stored[SESSION_KEY] = "en"
    overview = client.get(page(live, "/")).get_data(as_text=True)
    assert "Overdue visits" in overview and "Empty-nest elderly" in overview
    assert "逾期未走访" not in overview
    person = client.get(page(live, f"/people/{person_id}")).get_data(as_text=True)
    assert "Visits" in person and "Record a visit" in person
