"""Department pages: every member of staff sees the departments; county administrators set them
up and name their officers, with bad input marked on the form and nothing stored lost."""

from __future__ import annotations

from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session, set_tenant
from gridgov.core.departments import service as departments
from tests.portal.conftest import login, post_form

LIST = "/t/changshan/departments"


def _officer(app, county, username: str = "xf.li") -> None:
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        accounts.create_user(
            session, None, username=username, name="李消防", role="department_officer"
        )
        session.commit()


def _department_names(app, county) -> list[str]:
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        return [d.name for d in departments.list_departments(session, include_inactive=True)]


def test_a_grid_worker_sees_the_departments_but_no_form(client, county):
    login(client, "changshan", county.workers[0].username)
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "changshan消防救援大队" in html
    assert "新建部门" not in html
    refused = post_form(client, LIST, LIST, {"code": "X", "name": "越权", "node": "CHA"})
    assert refused.status_code == 404
    assert _department_names(client.application, county) == ["changshan消防救援大队"]


def test_the_admin_creates_a_township_department(as_admin, county):
    response = post_form(
        as_admin, LIST, LIST, {"code": "SFS0", "name": "第0镇司法所", "node": "CHA-T0"}
    )
    assert response.status_code == 302
    page = as_admin.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "第0镇司法所" in html and "changshan第0镇" in html


def test_an_unknown_node_code_is_marked_and_what_was_typed_stays(as_admin, county):
    response = post_form(as_admin, LIST, LIST, {"code": "MZ", "name": "民政办", "node": "NOPE"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "没有编码为 NOPE 的节点" in html
    assert 'value="民政办"' in html
    assert "民政办" not in _department_names(as_admin.application, county)


def test_officers_must_exist_and_be_department_officers(app, as_admin, county):
    _officer(app, county)
    page = f"{LIST}/{county.department.id}"
    action = f"{page}/officers"
    unknown = post_form(as_admin, page, action, {"officers-usernames": "nobody"})
    assert unknown.status_code == 422
    assert "没有用户名为 nobody 的用户" in unknown.get_data(as_text=True)
    wrong_role = post_form(
        as_admin, page, action, {"officers-usernames": county.workers[0].username}
    )
    assert wrong_role.status_code == 422
    assert "不是部门人员" in wrong_role.get_data(as_text=True)
    done = post_form(as_admin, page, action, {"officers-usernames": "xf.li"})
    assert done.status_code == 302
    assert "李消防" in as_admin.get(page).get_data(as_text=True)


def test_another_countys_department_is_404(as_admin, county, other_county):
    response = as_admin.get(f"{LIST}/{other_county.department.id}")
    assert response.status_code == 404
