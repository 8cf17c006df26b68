"""User management by the security administrator (三员分立): create, edit, assign (一格一员
shown on the field), set passwords, deactivate; bad input comes back marked, nothing stored is
lost."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridgov.core.accounts.models import User
from gridgov.core.db import db_session, set_tenant, utcnow
from gridgov.core.hierarchy.models import Assignment
from tests.portal.conftest import csrf_token, login, post_form

NEW = "/t/changshan/users/new"


def find_user(app, tenant_id: int, username: str) -> tuple[User | None, list[int]]:
    with app.app_context():
        session = db_session()
        set_tenant(session, tenant_id)
        user = session.scalar(select(User).where(User.username == username))
        nodes = (
            list(session.scalars(select(Assignment.node_id).where(Assignment.user_id == user.id)))
            if user
            else []
        )
        if user is not None:
            session.expunge(user)
        return user, nodes


def test_create_a_grid_worker_for_a_vacant_grid(app, as_admin, county):
    # the county administrator makes a vacant grid first, the security administrator staffs it
    community = county.communities[0]
    post_form(
        as_admin,
        f"/t/changshan/nodes/{community.id}",
        f"/t/changshan/nodes/{community.id}/children",
        {"add-code": "CHA-VACANT", "add-name": "空缺网格"},
    )
    as_admin.post("/t/changshan/logout", data={"csrf_token": _token(as_admin)})
    assert login(as_admin, "changshan", county.security.username).status_code == 302
    response = post_form(
        as_admin,
        NEW,
        NEW,
        {
            "username": "wang.jg",
            "name": "王建国",
            "role": "grid_worker",
            "phone": "13800001111",
            "nodes": "CHA-VACANT",
            "password": "Wang-Grid-2026",
        },
    )
    assert response.status_code == 302
    user, nodes = find_user(app, county.tenant.id, "wang.jg")
    assert user is not None and user.role == "grid_worker" and len(nodes) == 1
    page = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "王建国" in page and "空缺网格" in page
    # and the new account can log in, and must first choose a password of its own
    as_admin.post("/t/changshan/logout", data={"csrf_token": _token(as_admin)})
    assert login(as_admin, "changshan", "wang.jg", "Wang-Grid-2026").status_code == 302
    first = as_admin.get("/t/changshan/")
    assert first.status_code == 302 and "/account/password" in first.headers["Location"]


def _token(client) -> str:
    return csrf_token(client.get("/t/changshan/").get_data(as_text=True))


def test_one_grid_one_worker_conflict_is_shown_on_the_nodes_field(app, as_security, county):
    taken = county.grids[0]
    response = post_form(
        as_security,
        NEW,
        NEW,
        {
            "username": "li.si",
            "name": "李四",
            "role": "grid_worker",
            "phone": "13800002222",
            "nodes": taken.code,
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="nodes-error"' in page and "一格一员" in page
    # everything typed is still there, and nothing was stored
    assert 'value="li.si"' in page and 'value="李四"' in page and 'value="13800002222"' in page
    assert taken.code in page
    assert find_user(app, county.tenant.id, "li.si")[0] is None


def test_bad_fields_are_marked_each_where_it_belongs(as_security, county):
    response = post_form(
        as_security,
        NEW,
        NEW,
        {
            "username": "ok.name",
            "name": "张三",
            "role": "volunteer",
            "phone": "12345",
        },
    )
    assert response.status_code == 422
    assert 'id="phone-error"' in response.get_data(as_text=True)
    weak = post_form(
        as_security,
        NEW,
        NEW,
        {
            "username": "ok.name",
            "name": "张三",
            "role": "volunteer",
            "password": "short",
        },
    )
    page = weak.get_data(as_text=True)
    assert weak.status_code == 422 and 'id="password-error"' in page and "密码至少" in page
    assert 'value="short"' not in page  # a password is never sent back
    unknown = post_form(
        as_security,
        NEW,
        NEW,
        {
            "username": "ok.name",
            "name": "张三",
            "role": "volunteer",
            "nodes": "NOPE-1",
        },
    )
    assert "没有编码为 NOPE-1 的节点" in unknown.get_data(as_text=True)
    duplicate = post_form(
        as_security,
        NEW,
        NEW,
        {
            "username": county.workers[0].username,
            "name": "张三",
            "role": "volunteer",
        },
    )
    assert 'id="username-error"' in duplicate.get_data(as_text=True)


def test_edit_name_role_and_phone(app, as_security, county):
    target = county.volunteer
    url = f"/t/changshan/users/{target.id}"
    response = post_form(
        as_security,
        url,
        url,
        {
            "edit-name": "新名字",
            "edit-role": "station_staff",
            "edit-phone": "13900003333",
        },
    )
    assert response.status_code == 302
    user, _nodes = find_user(app, county.tenant.id, target.username)
    assert (user.name, user.role, user.phone) == ("新名字", "station_staff", "13900003333")


def test_a_role_that_clashes_with_the_assignments_is_marked_on_the_role(app, as_security, county):
    # station staff sit on a community; a grid worker may only sit on a grid
    target = county.station_staff
    url = f"/t/changshan/users/{target.id}"
    response = post_form(
        as_security,
        url,
        url,
        {
            "edit-name": target.name,
            "edit-role": "grid_worker",
            "edit-phone": "",
        },
    )
    assert response.status_code == 422
    assert 'id="edit-role-error"' in response.get_data(as_text=True)
    assert find_user(app, county.tenant.id, target.username)[0].role == "station_staff"


def test_assign_nodes_and_the_one_worker_rule(app, as_security, county):
    worker = county.workers[0]
    url = f"/t/changshan/users/{worker.id}"
    clash = post_form(
        as_security,
        url,
        f"{url}/nodes",
        {"assign-nodes": f"{county.grids[0].code} {county.grids[1].code}"},
    )
    assert clash.status_code == 422
    page = clash.get_data(as_text=True)
    assert 'id="assign-nodes-error"' in page and "一格一员" in page
    assert find_user(app, county.tenant.id, worker.username)[1] == [county.grids[0].id]
    supervisor = county.supervisor
    url = f"/t/changshan/users/{supervisor.id}"
    codes = "、".join(g.code for g in county.grids[:3])
    assert post_form(as_security, url, f"{url}/nodes", {"assign-nodes": codes}).status_code == 302
    assert sorted(find_user(app, county.tenant.id, supervisor.username)[1]) == sorted(
        g.id for g in county.grids[:3]
    )


def test_set_password_checks_strength_and_confirmation(app, as_security, county):
    worker = county.workers[1]
    url = f"/t/changshan/users/{worker.id}"
    mismatch = post_form(
        as_security,
        url,
        f"{url}/password",
        {"password-password": "New-Pass-2026", "password-confirm": "other"},
    )
    assert mismatch.status_code == 422
    assert "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    weak = post_form(
        as_security,
        url,
        f"{url}/password",
        {"password-password": "alllowercase", "password-confirm": "alllowercase"},
    )
    assert weak.status_code == 422 and 'id="password-password-error"' in weak.get_data(as_text=True)
    ok = post_form(
        as_security,
        url,
        f"{url}/password",
        {"password-password": "New-Pass-2026", "password-confirm": "New-Pass-2026"},
    )
    assert ok.status_code == 302
    as_security.post("/t/changshan/logout", data={"csrf_token": _token(as_security)})
    assert login(as_security, "changshan", worker.username, "New-Pass-2026").status_code == 302


def test_deactivate_and_reactivate(app, as_security, county):
    worker = county.workers[2]
    url = f"/t/changshan/users/{worker.id}"
    assert post_form(as_security, url, f"{url}/active", {"active": "0"}).status_code == 302
    assert find_user(app, county.tenant.id, worker.username)[0].is_active is False
    listing = as_security.get("/t/changshan/users?status=inactive").get_data(as_text=True)
    assert worker.name in listing and county.workers[3].name not in listing
    assert post_form(as_security, url, f"{url}/active", {"active": "1"}).status_code == 302
    assert find_user(app, county.tenant.id, worker.username)[0].is_active is True


def test_the_security_admin_cannot_deactivate_themselves(app, as_security, county):
    url = f"/t/changshan/users/{county.security.id}"
    response = post_form(as_security, url, f"{url}/active", {"active": "0"})
    assert response.status_code == 302
    assert "不能停用自己的账号" in as_security.get(url).get_data(as_text=True)
    assert find_user(app, county.tenant.id, county.security.username)[0].is_active is True


def test_staff_who_are_not_admins_cannot_manage_users(client, county):
    login(client, "changshan", county.township_staff.username)
    page = client.get("/t/changshan/").get_data(as_text=True)
    token = csrf_token(page)
    assert "用户管理" not in page
    response = client.post(
        NEW, data={"csrf_token": token, "username": "x1", "name": "x", "role": "county_admin"}
    )
    assert response.status_code == 404


def test_a_locked_account_is_unlocked_from_its_page(app, as_security, county):
    worker = county.workers[1]
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        session.get(User, worker.id).locked_until = utcnow() + dt.timedelta(minutes=15)
        session.commit()
    url = f"/t/changshan/users/{worker.id}"
    assert 'data-testid="unlock"' in as_security.get(url).get_data(as_text=True)
    assert post_form(as_security, url, f"{url}/unlock", {}).status_code == 302
    page = as_security.get(url).get_data(as_text=True)
    assert "账号已解锁" in page and 'data-testid="unlock"' not in page
    assert find_user(app, county.tenant.id, worker.username)[0].locked_until is None
    as_security.post("/t/changshan/logout", data={"csrf_token": _token(as_security)})
    assert login(as_security, "changshan", worker.username).status_code == 302


def test_the_staff_list_searches_names_and_logins_by_a_fragment_typed_as_it_is(as_security, county):
    def listed(words: str) -> str:
        return as_security.get("/t/changshan/users", query_string={"q": words}).get_data(
            as_text=True
        )

    found = listed(county.workers[2].username.upper())  # logins are found whatever the case
    assert county.workers[2].name in found and county.workers[3].name not in found
    assert county.workers[3].name in listed(county.workers[3].name)
    # "%" and "_" are characters someone typed, not wildcards that list everyone
    for words in ("%", "-w_"):
        page = listed(words)
        assert county.workers[0].name not in page and county.workers[3].name not in page, words
