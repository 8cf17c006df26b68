"""The module's portal pages: the overview with its figures and due lists, targets, births and
entitlements for those who keep them; a form with bad input comes back marked with what was
typed (422); the audit admin and other departments' officers get no menu entry and 404."""

from __future__ import annotations

import datetime as dt

from gridgov.core.accounts.models import Role
from gridgov.core.departments import service as departments
from tests.factories import UserFactory
from tests.plugins.family_planning.conftest import BASE, TODAY, in_county, special, woman
from tests.portal.conftest import csrf_token

PAGES = (
    "/",
    "/targets",
    "/targets/new",
    "/births",
    "/births/new",
    "/entitlements",
    "/entitlements/new",
)


# What a browser posts for the fields left as they were: the selects' first option, empty text.
UNTOUCHED = {
    "special_kind": "",
    "recognised_on": "",
    "note": "",
    "certificate_number": "",
    "year": "",
}


def post(client, page, data, action=None):
    html = client.get(f"{BASE}{page}").get_data(as_text=True)
    sent = {k: v for k, v in UNTOUCHED.items() if f'name="{k}"' in html}
    return client.post(
        f"{BASE}{action or page}", data={"csrf_token": csrf_token(html), **sent, **data}
    )


def test_every_page_opens_for_the_worker_and_the_office(live, as_user):
    for user in (live.county.workers[0], live.officer, live.county.township_staff):
        client = as_user(user)
        for path in PAGES:
            assert client.get(f"{BASE}{path}").status_code == 200, (user.username, path)


def test_the_overview_lists_the_follow_ups_due_with_the_grid_and_its_worker(app, live, as_user):
    in_county(app, live, lambda s: woman(s, live))
    page = as_user(live.officer).get(f"{BASE}/").get_data(as_text=True)
    assert "甲李梅" in page and live.county.workers[0].name in page
    assert 'data-code="family_planning.targets"' in page


def test_no_page_shows_an_id_number_or_a_birth_date(app, live, as_user):
    target_id = in_county(app, live, lambda s: woman(s, live).id)
    page = as_user(live.county.workers[0]).get(f"{BASE}/targets/{target_id}").get_data(as_text=True)
    born = live.family.mother.birth_date.isoformat()
    assert "甲李梅" in page and "30" in page and born not in page


def test_registering_a_target_with_bad_input_keeps_what_was_typed(live, as_user):
    client = as_user(live.county.workers[0])
    refused = post(
        client,
        "/targets/new",
        {"person_id": str(live.family.father.id), "kind": "woman", "note": "已婚育龄"},
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "15–49" in page and "已婚育龄" in page and 'aria-invalid="true"' in page


def test_registering_a_target_and_filing_its_follow_up_on_the_pages(app, live, as_user):
    client = as_user(live.county.workers[0])
    made = post(client, "/targets/new", {"person_id": str(live.family.mother.id), "kind": "woman"})
    assert made.status_code == 302
    target_page = made.headers["Location"]
    target_id = int(target_page.rstrip("/").split("/")[-1])
    bad = post(
        client,
        f"/targets/{target_id}/follow-up",
        {"visited_on": TODAY.isoformat(), "condition": "good"},
    )
    assert bad.status_code == 422
    done = post(
        client,
        f"/targets/{target_id}/follow-up",
        {"visited_on": TODAY.isoformat(), "condition": "good", "notes": "已见本人，身体健康"},
    )
    assert done.status_code == 302
    assert "已见本人" in client.get(f"{BASE}/targets/{target_id}").get_data(as_text=True)


def test_a_birth_registered_on_the_page_lists_the_newborn_family(app, live, as_user):
    in_county(app, live, lambda s: woman(s, live))
    client = as_user(live.county.workers[0])
    bad = post(
        client,
        "/births/new",
        {
            "mother_id": str(live.family.mother.id),
            "child_name": "甲宝宝",
            "sex": "male",
            "born_on": "",
            "place_of_birth": "县医院",
        },
    )
    assert bad.status_code == 422 and "甲宝宝" in bad.get_data(as_text=True)
    done = post(
        client,
        "/births/new",
        {
            "mother_id": str(live.family.mother.id),
            "child_name": "甲宝宝",
            "sex": "male",
            "born_on": (TODAY - dt.timedelta(days=2)).isoformat(),
            "place_of_birth": "县医院",
        },
    )
    assert done.status_code == 302
    assert "甲宝宝" in client.get(f"{BASE}/births").get_data(as_text=True)


def test_an_entitlement_is_applied_checked_approved_and_paid_on_the_pages(app, live, as_user):
    in_county(app, live, lambda s: special(s, live))
    worker = as_user(live.county.workers[0])
    made = post(
        worker,
        "/entitlements/new",
        {"person_id": str(live.family.grandfather.id), "scheme": "special"},
    )
    assert made.status_code == 302, made.get_data(as_text=True)
    page = made.headers["Location"].split("/m/family_planning")[1]
    township = as_user(live.county.township_staff)
    assert post(township, page, {}, f"{page}/check").status_code == 302
    officer = as_user(live.officer)
    assert post(officer, page, {}, f"{page}/approve").status_code == 302
    bad = post(officer, page, {"amount": "", "paid_on": TODAY.isoformat()}, f"{page}/pay")
    assert bad.status_code == 422
    paid = post(officer, page, {"amount": "590", "paid_on": TODAY.isoformat()}, f"{page}/pay")
    assert paid.status_code == 302
    assert 'data-state="paid"' in officer.get(f"{BASE}{page}").get_data(as_text=True)


def test_a_step_the_role_may_not_take_is_refused_not_marked(app, live, as_user):
    in_county(app, live, lambda s: special(s, live))
    worker = as_user(live.county.workers[0])
    made = post(
        worker,
        "/entitlements/new",
        {"person_id": str(live.family.grandfather.id), "scheme": "special"},
    )
    page = made.headers["Location"].split("/m/family_planning")[1]
    assert post(worker, page, {}, f"{page}/check").status_code == 403


def test_the_audit_admin_and_another_departments_officer_get_no_menu_and_404(app, live, as_user):
    def add_other(session):
        other = UserFactory(
            username="changshan-other", role=Role.DEPARTMENT_OFFICER.value, nodes=[live.county.top]
        )
        departments.add_officer(session, None, live.county.department, other)
        return other

    other = in_county(app, live, add_other)
    for user in (live.county.auditor, other, live.county.volunteer):
        client = as_user(user)
        home = client.get("/t/changshan/").get_data(as_text=True)
        assert "计划生育" not in home, user.username
        for path in PAGES:
            assert client.get(f"{BASE}{path}").status_code == 404, (user.username, path)


def test_a_worker_outside_the_pilot_gets_404(live, as_user):
    client = as_user(live.county.workers[4])
    assert client.get(f"{BASE}/").status_code == 404


def test_the_pages_speak_english_to_an_english_reader(app, live, as_user):
    in_county(app, live, lambda s: woman(s, live))
    client = as_user(live.officer)
    home = client.get("/t/changshan/").get_data(as_text=True)
    client.post(
        "/t/changshan/locale",
        data={"csrf_token": csrf_token(home), "locale": "en", "next": f"{BASE}/"},
    )
    html = client.get(f"{BASE}/").get_data(as_text=True)
    assert "Follow-ups due and overdue" in html and "Woman of child-bearing age" in html
    assert "待随访和逾期随访" not in html and "育龄妇女" not in html
