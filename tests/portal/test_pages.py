"""Every page renders for the roles allowed to see it, and answers 404 (or the login page) to
everyone else; what a page shows stays inside the reader's scope."""

from __future__ import annotations

import re

import pytest

from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session, set_tenant
from tests.portal.conftest import login

ROLES = (
    "admin",
    "security",
    "auditor",
    "township_staff",
    "station_staff",
    "supervisor",
    "worker",
    "volunteer",
)


def user_of(county, role: str):
    return county.workers[0] if role == "worker" else getattr(county, role)


def pages(county) -> dict[str, str]:
    return {
        "home": "/t/changshan/",
        "tree": "/t/changshan/hierarchy",
        "top": f"/t/changshan/nodes/{county.top.id}",
        "township0": f"/t/changshan/nodes/{county.townships[0].id}",
        "township1": f"/t/changshan/nodes/{county.townships[1].id}",
        "grid0": f"/t/changshan/nodes/{county.grids[0].id}",
        "grid1": f"/t/changshan/nodes/{county.grids[1].id}",
        "users": "/t/changshan/users",
        "new_user": "/t/changshan/users/new",
        "user": f"/t/changshan/users/{county.workers[0].id}",
        "audit": "/t/changshan/audit",
    }


# Which pages each role may open (everything else must be 404).
ALLOWED = {
    # 三员分立: the county runs the county, the security administrator the accounts, the audit
    # administrator reads the log.
    "admin": {"home", "tree", "top", "township0", "township1", "grid0", "grid1"},
    "security": {
        "home",
        "tree",
        "top",
        "township0",
        "township1",
        "grid0",
        "grid1",
        "users",
        "new_user",
        "user",
    },
    "auditor": {"home", "tree", "top", "township0", "township1", "grid0", "grid1", "audit"},
    "township_staff": {"home", "tree", "township0", "grid0", "grid1"},
    "station_staff": {"home", "tree", "grid0", "grid1"},
    "supervisor": {"home", "tree", "grid0", "grid1"},
    "worker": {"home", "tree", "grid0"},
    "volunteer": {"home", "tree", "grid0", "grid1"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_pages_and_404_elsewhere(client, county, role):
    assert login(client, "changshan", user_of(county, role).username).status_code == 302
    for name, url in pages(county).items():
        expected = 200 if name in ALLOWED[role] else 404
        assert client.get(url).status_code == expected, (role, name)


def test_anonymous_visitors_are_sent_to_the_login_page(client, county):
    for name, url in pages(county).items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response.headers["Location"].startswith("/t/changshan/login?next="), name


def test_admin_home_counts_the_county(as_admin, county):
    page = as_admin.get("/t/changshan/").get_data(as_text=True)
    # 2 townships, 4 communities, 8 grids; 8 workers + 7 other staff
    for caption, count in (("乡镇", 2), ("社区", 4), ("网格", 8), ("在岗人员", 15)):
        assert f'<span class="figure">{count}</span><span class="caption">{caption}</span>' in page
    assert "全部（changshan县）" in page  # the scope line


def test_grid_worker_home_shows_the_notice_of_their_grid(app, client, county):
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        worker = accounts.get_user(session, county.workers[0].id)
        accounts.update_user(session, None, worker, phone="13800138000")
        session.commit()
    login(client, "changshan", county.workers[0].username)
    page = client.get("/t/changshan/").get_data(as_text=True)
    assert page.count('data-testid="my-grid"') == 1
    assert county.grids[0].name in page and county.grids[1].name not in page
    assert county.workers[0].name in page and "13800138000" in page
    assert county.supervisor.name in page  # the supervisor of this grid is on the notice too
    assert "第0镇第0社区" in page  # where the grid lies


def test_grid_worker_home_puts_reporting_and_their_tasks_by_deadline_first(app, client, county):
    from gridgov.core.accounts.scope import scope_of
    from gridgov.core.tasks import reporting

    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        worker = accounts.get_user(session, county.workers[0].id)
        for title in ("路灯不亮", "井盖缺失"):
            reporting.report_task(
                session,
                worker,
                scope_of(session, worker),
                county.grids[0],
                reporting.Report(category="民生事项", title=title),
            )
        session.commit()
    login(client, "changshan", county.workers[0].username)
    page = client.get("/t/changshan/").get_data(as_text=True)
    report, tasks, grid = (
        page.index(f'data-testid="{t}"') for t in ("report-first", "my-tasks", "my-grid")
    )
    assert report < tasks < grid
    mine = page[tasks:grid]
    assert "路灯不亮" in mine and "井盖缺失" in mine and "已上报" in mine


def test_staff_home_lists_their_subtree(client, county):
    login(client, "changshan", county.township_staff.username)
    page = client.get("/t/changshan/").get_data(as_text=True)
    assert county.townships[0].name in page
    assert county.townships[1].name not in page
    assert "查看范围" in page and county.townships[0].name in page


def test_node_page_shows_who_is_responsible_with_phone_and_other_staff(app, as_admin, county):
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        accounts.update_user(
            session, None, accounts.get_user(session, county.workers[0].id), phone="13912345678"
        )
        accounts.update_user(
            session, None, accounts.get_user(session, county.supervisor.id), phone="0571-88886666"
        )
        session.commit()
    page = as_admin.get(f"/t/changshan/nodes/{county.grids[0].id}").get_data(as_text=True)
    assert "网格员" in page and county.workers[0].name in page and "13912345678" in page
    assert "督导员" in page and county.supervisor.name in page and "0571-88886666" in page
    assert county.grids[0].code in page
    # breadcrumb from the top
    for above in (county.top, county.townships[0], county.communities[0]):
        assert f'/t/changshan/nodes/{above.id}">{above.name}</a>' in page
    assert "设立" in page  # history


def test_node_page_lists_children_with_counts(as_admin, county):
    page = as_admin.get(f"/t/changshan/nodes/{county.townships[0].id}").get_data(as_text=True)
    assert county.communities[0].name in page and county.communities[1].name in page
    assert "网格 2" in page  # each community has two grids
    assert county.communities[2].name not in page  # another township's


def test_tree_opens_children_on_demand(as_admin, county):
    tree = as_admin.get("/t/changshan/hierarchy").get_data(as_text=True)
    assert county.townships[0].name in tree
    assert county.communities[0].name not in tree  # not rendered until opened
    url = f"/t/changshan/hierarchy/nodes/{county.townships[0].id}/children"
    fragment = as_admin.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert "<html" not in html
    assert county.communities[0].name in html and county.communities[2].name not in html
    # without htmx the same address leads to the node's page
    assert as_admin.get(url).headers["Location"] == f"/t/changshan/nodes/{county.townships[0].id}"


def test_a_grid_worker_cannot_open_another_grid_or_its_children(client, county):
    login(client, "changshan", county.workers[0].username)
    assert client.get(f"/t/changshan/nodes/{county.grids[1].id}").status_code == 404
    assert client.get(f"/t/changshan/nodes/{county.communities[0].id}").status_code == 404
    url = f"/t/changshan/hierarchy/nodes/{county.communities[0].id}/children"
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
    tree = client.get("/t/changshan/hierarchy").get_data(as_text=True)
    assert county.grids[0].name in tree and county.grids[1].name not in tree


def test_an_expired_session_on_a_fragment_reloads_the_login_page(client, county):
    url = f"/t/changshan/hierarchy/nodes/{county.townships[0].id}/children"
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/t/changshan/login")


def test_another_countys_node_is_404_even_for_an_admin(client, county, other_county):
    login(client, "changshan", county.admin.username)
    assert client.get(f"/t/changshan/nodes/{other_county.top.id}").status_code == 404
    assert client.get(f"/t/changshan/users/{other_county.admin.id}").status_code == 404
    page = client.get("/t/changshan/hierarchy").get_data(as_text=True)
    assert other_county.top.name not in page


def test_users_page_lists_and_filters_staff(as_security, county):
    page = as_security.get("/t/changshan/users").get_data(as_text=True)
    assert county.admin.name in page and county.workers[7].name in page
    assert "从未登录" in page
    by_role = as_security.get("/t/changshan/users?role=supervisor").get_data(as_text=True)
    assert county.supervisor.name in by_role and county.workers[0].name not in by_role
    by_node = as_security.get(f"/t/changshan/users?node={county.communities[0].code}")
    html = by_node.get_data(as_text=True)
    assert county.workers[0].name in html and county.station_staff.name in html
    assert county.workers[2].name not in html and county.township_staff.name not in html
    unknown = as_security.get("/t/changshan/users?node=NO-SUCH")
    assert unknown.status_code == 422
    assert "没有编码为 NO-SUCH 的节点" in unknown.get_data(as_text=True)


def test_audit_page_shows_and_filters_events_in_words(as_auditor, county):
    page = as_auditor.get("/t/changshan/audit").get_data(as_text=True)
    assert '<strong class="action" title="user.login">登录</strong>' in page
    assert '<strong class="action" title="node.create">新建节点</strong>' in page
    assert "节点 #" in page and "user.login<" not in page
    only_users = as_auditor.get("/t/changshan/audit?object_type=user&action=user.create")
    html = only_users.get_data(as_text=True)
    assert 'title="user.create">新建账号</strong>' in html
    assert 'title="node.create"' not in html and 'title="assignment.create"' not in html
    # The filter offers the actions and objects in words; the chosen one stays selected.
    assert '<option selected value="user.create">新建账号</option>' in html
    assert '<option selected value="user">账号</option>' in html
    assert '<option value="fire_safety.hazard.record">登记火灾隐患</option>' in page


def test_an_audited_change_lists_only_what_changed_in_words(app):
    from gridgov.portal.audit_labels import changes

    with app.test_request_context("/"):
        rows = changes(
            {"name": "东街网格", "current_node_id": 4, "phone": None, "role": "grid_worker"},
            {
                "name": "东街新网格",
                "current_node_id": 4,
                "phone": "138********",
                "role": "grid_worker",
            },
        )
        shown = [(str(r.label), r.before, r.after) for r in rows]
    assert shown == [("名称", "东街网格", "东街新网格"), ("电话", "—", "138********")]


def test_audit_page_has_no_way_to_change_the_log(as_auditor):
    assert as_auditor.post("/t/changshan/audit").status_code == 405


def test_pages_forbid_outside_assets_framing_and_caching(as_admin):
    response = as_admin.get("/t/changshan/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    page = response.get_data(as_text=True)
    assert "http://" not in page and "https://" not in page  # every asset is our own


def test_every_asset_the_layout_names_is_served_from_here(as_admin):
    page = as_admin.get("/t/changshan/").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert any("htmx.min.js" in a for a in assets) and any("portal.css" in a for a in assets)
    for asset in assets:
        response = as_admin.get(asset)
        assert response.status_code == 200, asset
        response.close()


def test_node_and_user_pages_link_to_their_audit_trail(as_auditor, county):
    grid = county.grids[0]
    page = as_auditor.get(f"/t/changshan/nodes/{grid.id}").get_data(as_text=True)
    assert f"/t/changshan/audit?object_type=node&amp;object_id={grid.id}" in page
    trail = as_auditor.get(f"/t/changshan/audit?object_type=node&object_id={grid.id}")
    html = trail.get_data(as_text=True)
    assert 'title="node.create">新建节点</strong>' in html
    assert 'title="user.create"' not in html
