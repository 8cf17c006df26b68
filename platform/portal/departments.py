"""Departments (职能部门): every member of staff sees the county's departments and who acts for
them; county administrators set them up and name their officers."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import login_required
from flask_wtf import FlaskForm

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import User
from gridgov.core.db import db_session
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.portal.forms import DepartmentEditForm, DepartmentForm, OfficersForm, split_codes
from gridgov.portal.shell import ADMIN_ROLES, bp, me, roles_required, run_change


@bp.get("/departments")
@login_required
def departments_list() -> Any:
    return _list_page(DepartmentForm(formdata=None))


@bp.post("/departments")
@roles_required(ADMIN_ROLES)
def new_department() -> Any:
    form = DepartmentForm()
    created: list[Department] = []

    def create() -> None:
        created.append(
            departments.create_department(
                db_session(),
                me(),
                code=form.code.data,
                name=form.name.data,
                node=_node(form.node.data),
                phone=form.phone.data,
            )
        )

    if form.validate_on_submit() and run_change(form, create):
        flash(_("已建立部门 %(name)s。", name=created[0].name), "success")
        return redirect(url_for("portal.department", department_id=created[0].id))
    return _list_page(form), 422


@bp.get("/departments/<int:department_id>")
@login_required
def department(department_id: int) -> Any:
    return _department_page(_get(department_id))


@bp.post("/departments/<int:department_id>")
@roles_required(ADMIN_ROLES)
def edit_department(department_id: int) -> Any:
    found = _get(department_id)
    form = DepartmentEditForm(prefix="edit")
    if form.validate_on_submit() and run_change(
        form,
        lambda: departments.update_department(
            db_session(),
            me(),
            found,
            name=form.name.data,
            node=_node(form.node.data),
            phone=form.phone.data,
            is_active=form.is_active.data,
        ),
    ):
        flash(_("已保存。"), "success")
        return redirect(url_for("portal.department", department_id=found.id))
    return _department_page(found, edit=form), 422


@bp.post("/departments/<int:department_id>/officers")
@roles_required(ADMIN_ROLES)
def department_officers(department_id: int) -> Any:
    found = _get(department_id)
    form = OfficersForm(prefix="officers")
    if form.validate_on_submit() and run_change(
        form,
        lambda: departments.set_officers(db_session(), me(), found, _users(form.usernames.data)),
        aliases={"user_ids": "usernames"},
    ):
        flash(_("已更新部门人员。"), "success")
        return redirect(url_for("portal.department", department_id=found.id))
    return _department_page(found, officers=form), 422


def _get(department_id: int) -> Department:
    try:
        return departments.get_department(db_session(), department_id)
    except NotFound:
        abort(404)


def _node(code: str | None) -> Node:
    """The node with the typed code, or a DomainError on the ``node`` field."""
    node = hierarchy.get_node_by_code(db_session(), (code or "").strip())
    if node is None:
        raise DomainError(_("没有编码为 %(code)s 的节点", code=(code or "").strip()), field="node")
    return node


def _users(text: str | None) -> list[User]:
    """The accounts whose usernames were typed, or a DomainError on ``usernames``."""
    session = db_session()
    usernames = split_codes(text)
    found = {name: accounts.get_user_by_username(session, name) for name in usernames}
    missing = [name for name, user in found.items() if user is None]
    if missing:
        raise DomainError(_("没有用户名为 %(u)s 的用户", u="、".join(missing)), field="usernames")
    return [user for user in found.values() if user is not None]


def _list_page(form: DepartmentForm) -> str:
    session = db_session()
    found = departments.list_departments(session, include_inactive=True)
    return render_template(
        "departments/list.html",
        departments=found,
        officers_of={d.id: departments.officers(session, d) for d in found},
        form=form,
        may_manage=me().role in ADMIN_ROLES,
    )


def _department_page(found: Department, **submitted: FlaskForm) -> str:
    session = db_session()
    officers = departments.officers(session, found)
    edit = submitted.get("edit") or DepartmentEditForm(
        prefix="edit",
        formdata=None,
        data={
            "name": found.name,
            "node": found.node.code,
            "phone": found.phone,
            "is_active": found.is_active,
        },
    )
    officers_form = submitted.get("officers") or OfficersForm(
        prefix="officers", formdata=None, data={"usernames": " ".join(u.username for u in officers)}
    )
    return render_template(
        "departments/detail.html",
        department=found,
        trail=[*hierarchy.ancestors(session, found.node), found.node],
        officers=officers,
        edit=edit,
        officers_form=officers_form,
        may_manage=me().role in ADMIN_ROLES,
        open_form=next(iter(submitted), None),
    )
