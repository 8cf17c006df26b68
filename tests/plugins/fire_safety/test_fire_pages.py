"""The module's portal pages: the overview with its figures per level, a checklist filled on
the phone and its hazards, the ledger, one hazard with its steps and publishing, the
four-abilities checks and the fire leaders; each user sees their own part of the county, in
Chinese first and English on request."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.departments import service as departments
from gridgov.core.registry import service as registry
from gridgov.core.tasks import public, reporting
from gridgov.core.tenancy.county_time import CountyClock
from gridgov_plugins.fire_safety import hazards
from tests.factories import UserFactory
from tests.plugins.fire_safety.conftest import PNG, finding, in_county
from tests.portal.conftest import csrf_token

TODAY = CountyClock.of(None).today()
BASE = "/t/changshan/m/fire_safety"


def file_hazard(app, county, user=None, node=None, **fields):
    user = user or county.workers[0]

    def work(session):
        return hazards.record_hazard(
            session, user, scope_of(session, user), node or county.grids[0], finding(**fields)
        ).id

    return in_county(app, county, work)


def shop_form(county, **changes):
    data = {
        "node_id": str(county.grids[0].id),
        "place": "鼓楼示例商铺",
        "inspected_on": TODAY.isoformat(),
        "extinguisher_count": "3",
        **{
            f"{item}_ok": "true"
            for item in ("extinguisher", "evacuation", "exits", "wiring", "open_flame")
        },
        "flammables_ok": "true",
        "billboard_ok": "true",
        "other_hazards-rows": "3",
    }
    data.update(changes)
    return data


def post_checklist(client, county, **changes):
    url = f"{BASE}/patrols/new/shop"
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = {**shop_form(county, **changes), "csrf_token": csrf_token(page.get_data(as_text=True))}
    return client.post(url, data=data)


def post_hazard(client, county, page_url=f"{BASE}/hazards/new", **fields):
    """Open the hazard form at ``page_url`` and file a hazard in grid 0 with ``fields``."""
    page = client.get(page_url).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "node": str(county.grids[0].id),
        "site": "0",
        "place": "城东加油站",
        "item": "straw",
        "grade": "general",
        **fields,
    }
    return client.post(f"{BASE}/hazards/new", data=data)


def test_the_menu_leads_to_the_overview_with_the_countys_totals(app, live, as_user):
    file_hazard(app, live)
    file_hazard(app, live, grade="major")
    client = as_user(live.admin)
    home = client.get("/t/changshan/").get_data(as_text=True)
    # the icon ships with the portal: no emoji font needed on the phone or office PC
    assert 'src="/static/icons/fire_safety.svg" alt="" width="16" height="16"> 消防安全' in home
    assert "🧯" not in home
    assert client.get("/static/icons/fire_safety.svg").status_code == 200
    page = client.get(f"{BASE}/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "排查火灾隐患 2 起，已整改消除 0 起" in html
    assert re.search(r'data-testid="major-open">1<', html)
    assert "待挂牌督办的重大隐患" in html  # the county lists it from here
    assert "changshan第0镇" in html  # per level: the townships


def test_the_menu_offers_the_module_only_to_who_may_open_it(live, as_user):
    # Volunteers and the audit administrator read none of its records: no entry leading to a
    # 404 (the pages refuse them all the same).
    for user in (live.volunteer, live.auditor):
        client = as_user(user)
        assert "消防安全" not in client.get("/t/changshan/").get_data(as_text=True)
        assert client.get(f"{BASE}/").status_code == 404
    worker = as_user(live.workers[0])
    assert 'icons/fire_safety.svg" alt="" width="16" height="16"> 消防安全' in worker.get(
        "/t/changshan/"
    ).get_data(as_text=True)


def test_the_overview_in_english(app, live, as_user):
    client = as_user(live.admin)
    page = client.get(f"{BASE}/").get_data(as_text=True)
    client.post(
        "/t/changshan/locale",
        data={"csrf_token": csrf_token(page), "locale": "en", "next": f"{BASE}/"},
    )
    english = client.get(f"{BASE}/").get_data(as_text=True)
    assert "0 hazards found, 0 eliminated" in english and "Rectified on time" in english
    assert "排查火灾隐患" not in english


def test_a_checklist_is_filled_on_the_phone_and_its_findings_become_hazards(app, live, as_user):
    client = as_user(live.workers[0])
    page = client.get(f"{BASE}/patrols/new/shop").get_data(as_text=True)
    assert 'data-show-if="exits_ok"' in page and 'capture="environment"' in page
    assert "js/show-if.js" in page and "<style" not in page
    response = post_checklist(
        client,
        live,
        exits_ok="false",
        exits_grade="general",
        exits_note="后门锁闭",
        exits_photo=(io.BytesIO(PNG), "门.png"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "安全出口堵塞或锁闭" in shown and 'data-testid="findings">1<' in shown
    hazard_link = re.search(rf'href="({BASE}/hazards/\d+)"', shown).group(1)
    hazard_page = client.get(hazard_link).get_data(as_text=True)
    assert "后门锁闭" in hazard_page and 'data-testid="photo"' in hazard_page
    assert 'data-testid="action-rectify"' in hazard_page


def test_a_failed_item_without_a_grade_is_shown_again_with_the_error_next_to_it(app, live, as_user):
    client = as_user(live.workers[0])
    response = post_checklist(client, live, exits_ok="false", place="保留的名称")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="exits_grade-error"' in html and "此项必填" in html
    assert 'value="保留的名称"' in html


def test_the_optional_other_hazards_fold_away_and_their_fields_are_not_starred(app, live, as_user):
    client = as_user(live.workers[0])
    page = client.get(f"{BASE}/patrols/new/shop").get_data(as_text=True)
    fold = re.search(r'<details class="part-fold">(.*?)</details>', page, re.S)
    assert fold is not None, "the optional group is folded (closed) on a new form"
    assert "其他隐患（选填）" in fold.group(1)
    assert "填写一行时须填：隐患描述、隐患等级" in fold.group(1)
    assert not re.search(r"隐患描述 \*|隐患等级 \*", fold.group(1))
    # A row half filled in: the form comes back with the group open and the problem marked.
    response = post_checklist(client, live, **{"other_hazards-0-description": "仓库住人"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<details class="part-fold" open>' in html and 'id="other_hazards-0-grade-error"' in html


def test_a_grid_outside_the_workers_scope_is_refused_on_the_form(app, live, as_user):
    client = as_user(live.workers[0])
    response = post_checklist(client, live, node_id=str(live.grids[1].id))
    assert response.status_code == 422
    assert 'id="node_id-error"' in response.get_data(as_text=True)


def test_the_ledger_lists_what_the_user_may_see_and_filters_overdue(app, live, as_user):
    found = TODAY - dt.timedelta(days=10)
    file_hazard(app, live, place="超期商铺", found_on=found, deadline=found)
    file_hazard(app, live, user=live.admin, node=live.grids[3], place="别的网格")
    client = as_user(live.workers[0])
    html = client.get(f"{BASE}/ledger").get_data(as_text=True)
    assert "超期商铺" in html and "别的网格" not in html
    assert "共 1 条" in html
    admin = as_user(live.admin)
    everything = admin.get(f"{BASE}/ledger?node={live.top.id}").get_data(as_text=True)
    assert "共 2 条" in everything
    overdue = admin.get(f"{BASE}/ledger?node={live.top.id}&overdue=1").get_data(as_text=True)
    assert "超期商铺" in overdue and "别的网格" not in overdue


def test_a_hazard_of_another_grid_is_404_for_a_grid_worker(app, live, as_user):
    hazard_id = file_hazard(app, live, user=live.admin, node=live.grids[1])
    client = as_user(live.workers[0])
    assert client.get(f"{BASE}/hazards/{hazard_id}").status_code == 404
    assert client.get(f"{BASE}/ledger?node={live.grids[1].id}").status_code == 404


def test_a_hazard_is_recorded_on_its_own_page(app, live, as_user):
    client = as_user(live.workers[0])
    deadline = (TODAY + dt.timedelta(days=2)).isoformat()
    response = post_hazard(client, live, description="柴草堆靠墙", deadline=deadline)
    assert response.status_code == 302, response.get_data(as_text=True)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "柴草堆垛靠近房屋" in html and deadline in html


def test_a_deadline_before_the_inspection_is_shown_next_to_its_field(app, live, as_user):
    client = as_user(live.workers[0])
    response = post_hazard(client, live, deadline=(TODAY - dt.timedelta(days=2)).isoformat())
    assert response.status_code == 422
    assert 'id="deadline-error"' in response.get_data(as_text=True)


def test_the_county_lists_and_publishes_a_major_hazard_from_its_page(app, live, as_user):
    hazard_id = file_hazard(app, live, grade="major", place="城南农贸市场")
    client = as_user(live.admin)
    page = client.get(f"{BASE}/hazards/{hazard_id}").get_data(as_text=True)
    assert 'data-testid="action-list"' in page and 'data-testid="publish"' not in page
    task_id = int(re.search(r'/tasks/(\d+)/act"', page).group(1))
    assert f'name="next" value="{BASE}/hazards/{hazard_id}"' in page
    listed = client.post(
        f"/t/changshan/tasks/{task_id}/act",
        data={
            "csrf_token": csrf_token(page),
            "action": "list",
            "comment": "区政府挂牌督办",
            "next": f"{BASE}/hazards/{hazard_id}",
        },
    )
    assert listed.status_code == 302
    assert listed.headers["Location"].endswith(f"{BASE}/hazards/{hazard_id}")  # back to it
    page = client.get(f"{BASE}/hazards/{hazard_id}").get_data(as_text=True)
    assert 'data-testid="listed"' in page
    published = client.post(
        f"{BASE}/hazards/{hazard_id}/publish", data={"csrf_token": csrf_token(page)}
    )
    assert published.status_code == 302
    notice = client.get(f"{BASE}/announcements").get_data(as_text=True)
    assert "城南农贸市场" in notice


def test_a_publish_refused_says_why(app, live, as_user):
    hazard_id = file_hazard(app, live, grade="major")
    client = as_user(live.admin)
    page = client.get(f"{BASE}/hazards/{hazard_id}").get_data(as_text=True)
    response = client.post(
        f"{BASE}/hazards/{hazard_id}/publish", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    assert "请先挂牌督办" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_four_abilities_check_is_filled_and_listed_with_its_result(app, live, as_user):
    client = as_user(live.workers[0])
    url = f"{BASE}/abilities/new"
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "node_id": str(live.grids[0].id),
            "place": "示例小学",
            "checked_on": TODAY.isoformat(),
            "eliminate": "true",
            "extinguish": "false",
            "evacuate": "true",
            "educate": "true",
            "facilities": "true",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    listed = client.get(f"{BASE}/abilities").get_data(as_text=True)
    assert "示例小学" in listed and "未达标" in listed
    check_link = re.search(rf'href="({BASE}/abilities/\d+)"', listed).group(1)
    assert "扑救初起火灾能力" in client.get(check_link).get_data(as_text=True)


def test_fire_leaders_coverage_is_shown_per_community(app, live, as_user):
    html = as_user(live.admin).get(f"{BASE}/leaders").get_data(as_text=True)
    assert html.count("<tr data-node=") == len(live.communities)


@pytest.mark.parametrize("who", ["volunteer", "auditor"])
def test_volunteers_and_the_audit_administrator_do_not_open_the_module(app, live, as_user, who):
    client = as_user(getattr(live, who))
    assert client.get(f"{BASE}/").status_code == 404


def test_the_checklists_page_offers_every_kind_of_site(app, live, as_user):
    html = as_user(live.workers[0]).get(f"{BASE}/checklists").get_data(as_text=True)
    for label in ("住宅楼栋", "商铺", "集贸市场", "学校", "农村住户", "重点单位", "四个能力"):
        assert label in html


def test_pages_set_a_strict_content_security_policy_and_no_inline_code(app, live, as_user):
    client = as_user(live.admin)
    for path in ("/", "/checklists", "/ledger", "/abilities", "/leaders", "/announcements"):
        response = client.get(f"{BASE}{path}")
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html and "<style" not in html, path


def test_a_sites_page_is_its_own_ledger_of_hazards_patrols_and_checks(app, live, as_user):
    def make_site(session):
        return registry.create_site(
            session, live.tenant, None, grid=live.grids[0], name="鼓楼农贸市场", kind="market"
        ).id

    site_id = in_county(app, live, make_site)
    file_hazard(app, live, place="鼓楼农贸市场", site_id=site_id, item="billboard")
    file_hazard(app, live, place="别家")
    client = as_user(live.workers[0])
    html = client.get(f"{BASE}/sites/{site_id}").get_data(as_text=True)
    assert "户外广告牌影响灭火救援" in html and "别家" not in html
    assert client.get(f"{BASE}/abilities/new?site_id={site_id}").status_code == 200
    assert as_user(live.workers[1]).get(f"{BASE}/sites/{site_id}").status_code == 404


def test_a_hazard_found_investigating_a_report_starts_from_the_report(app, live, as_user):
    def report(session):
        return public.report_as_resident(
            session,
            live.grids[0],
            reporting.Report(
                task_type="fire_safety.report",
                category="火灾隐患举报",
                title="后门锁闭",
                location_text="城关镇示例商铺",
                track="coordinate",
            ),
        ).code

    code = in_county(app, live, report)
    client = as_user(live.station_staff)
    page = client.get(f"{BASE}/hazards/new?report={code}").get_data(as_text=True)
    assert f'value="{code}"' in page and 'value="城关镇示例商铺"' in page
    response = post_hazard(
        client, live, page_url=f"{BASE}/hazards/new?report={code}", item="exits", report_code=code
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "来自举报" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_home_page_shows_the_modules_figures_for_the_users_part(app, live, as_user):
    file_hazard(app, live)
    file_hazard(app, live, user=live.admin, node=live.grids[3])
    admin_home = as_user(live.admin).get("/t/changshan/").get_data(as_text=True)
    assert 'data-code="fire_safety.hazards">2 起' in admin_home
    worker_home = as_user(live.workers[0]).get("/t/changshan/").get_data(as_text=True)
    assert 'data-code="fire_safety.hazards">1 起' in worker_home
    assert "按期整改率" in worker_home


def test_another_departments_officer_does_not_open_the_module(app, live, as_user):
    def mediator(session):
        justice = departments.create_department(
            session, None, code="SFS", name="司法所", node=live.top
        )
        user = UserFactory(username="sifa", role=Role.DEPARTMENT_OFFICER.value, nodes=[live.top])
        departments.add_officer(session, None, justice, user)
        return user

    client = as_user(in_county(app, live, mediator))
    assert client.get(f"{BASE}/").status_code == 404
    assert client.get(f"{BASE}/ledger").status_code == 404


def test_the_announcements_page_speaks_to_people_not_to_programs(live, as_user):
    html = as_user(live.admin).get(f"{BASE}/announcements").get_data(as_text=True)
    assert "社会公告" in html and "GET" not in html and "/modules/" not in html
