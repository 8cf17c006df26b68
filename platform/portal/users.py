"""User management for the security administrator (安全管理员, 三员分立): find staff by role and
node, create accounts, change them, attach them to nodes (一格一员 shown where it bites), set
passwords, deactivate, unlock. Administrator accounts are shown but changed only on the server
(``access.check_may_manage_account``); unlocking them is allowed."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import or_, select

from gridgov.core.accounts import access, second_factor
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import User
from gridgov.core.db import db_session, utcnow
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.i18n import _
from gridgov.portal.forms import (
    AssignForm,
    PasswordForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
    split_codes,
)
from gridgov.portal.paging import paginate
from gridgov.portal.shell import ACCOUNT_ROLES, bp, me, roles_required, run_change, user_scope
from gridgov.web import current_tenant

PAGE_SIZE = 50


@bp.get("/users")
@roles_required(ACCOUNT_ROLES)
def users() -> Any:
    form = UserFilterForm(request.args)
    session = db_session()
    node = None
    if form.node.data and form.node.data.strip():
        node = hierarchy.get_node_by_code(session, form.node.data.strip())
        if node is None:
            form.node.errors = [str(_("没有编码为 %(code)s 的节点", code=form.node.data.strip()))]
    status_filter = form.status.data == "active" if form.status.data else None
    query = access.visible_users(
        me(), user_scope(), role=form.role.data or None, node=node, is_active=status_filter
    )
    if form.node.errors:
        query = query.where(User.id.is_(None))
    if form.q.data and form.q.data.strip():
        words = form.q.data.strip()  # a "%" or "_" typed is a character, not a wildcard
        query = query.where(
            or_(
                User.name.icontains(words, autoescape=True),
                User.username.icontains(words, autoescape=True),
            )
        )
    page = paginate(
        session, query.order_by(None).order_by(User.role, User.username), size=PAGE_SIZE
    )
    status = 422 if form.node.errors else 200
    page_html = render_template(
        "users/list.html", form=form, page=page, nodes_of=_nodes_of(page.items)
    )
    return page_html, status


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(ACCOUNT_ROLES)
def new_user() -> Any:
    form = UserCreateForm()
    created: list[User] = []

    def create() -> None:
        session = db_session()
        access.check_may_grant(me(), form.role.data)
        user = accounts.create_user(
            session,
            me(),
            username=form.username.data,
            name=form.name.data,
            role=form.role.data,
            phone=form.phone.data,
            password=form.password.data or None,
        )
        accounts.set_assignments(session, me(), current_tenant(), user, _nodes(form.nodes.data))
        created.append(user)

    if form.validate_on_submit() and run_change(form, create):
        flash(_("已创建用户 %(name)s。", name=created[0].name), "success")
        return redirect(url_for("portal.user", user_id=created[0].id))
    if request.method == "POST":
        form.password.data = ""
        return render_template("users/new.html", form=form), 422
    return render_template("users/new.html", form=form)


@bp.get("/users/<int:user_id>")
@roles_required(ACCOUNT_ROLES)
def user(user_id: int) -> Any:
    return _user_page(_get(user_id))


@bp.post("/users/<int:user_id>")
@roles_required(ACCOUNT_ROLES)
def edit_user(user_id: int) -> Any:
    account = _get(user_id)
    form = UserEditForm(prefix="edit")

    def change() -> None:
        access.check_may_manage_account(me(), account)
        if form.role.data != account.role:
            access.check_may_grant(me(), form.role.data)
        accounts.update_user(
            db_session(),
            me(),
            account,
            name=form.name.data,
            role=form.role.data,
            phone=form.phone.data,
        )

    if form.validate_on_submit() and run_change(form, change):
        flash(_("已保存。"), "success")
        return redirect(url_for("portal.user", user_id=account.id))
    return _user_page(account, edit=form), 422


@bp.post("/users/<int:user_id>/nodes")
@roles_required(ACCOUNT_ROLES)
def assign_nodes(user_id: int) -> Any:
    account = _get(user_id)
    form = AssignForm(prefix="assign")

    def change() -> None:
        access.check_may_manage_account(me(), account)
        accounts.set_assignments(
            db_session(), me(), current_tenant(), account, _nodes(form.nodes.data)
        )

    if form.validate_on_submit() and run_change(form, change):
        flash(_("已更新负责的节点。"), "success")
        return redirect(url_for("portal.user", user_id=account.id))
    return _user_page(account, assign=form), 422


@bp.post("/users/<int:user_id>/password")
@roles_required(ACCOUNT_ROLES)
def set_password(user_id: int) -> Any:
    account = _get(user_id)
    form = PasswordForm(prefix="password")

    def change() -> None:
        access.check_may_manage_account(me(), account)
        accounts.set_password(db_session(), me(), account, form.password.data, one_time=True)

    if form.validate_on_submit() and run_change(form, change):
        flash(_("已设置新密码。"), "success")
        return redirect(url_for("portal.user", user_id=account.id))
    # Never send a password back to the browser, not even the one just typed.
    form.password.data = form.confirm.data = ""
    return _user_page(account, password=form), 422


@bp.post("/users/<int:user_id>/active")
@roles_required(ACCOUNT_ROLES)
def set_active(user_id: int) -> Any:
    account = _get(user_id)
    form = FlaskForm()
    active = request.form.get("active") == "1"
    if not form.validate_on_submit():
        abort(400)
    if account.id == me().id and not active:
        flash(_("不能停用自己的账号。"), "error")
        return redirect(url_for("portal.user", user_id=account.id))

    def change() -> None:
        access.check_may_manage_account(me(), account)
        accounts.update_user(db_session(), me(), account, is_active=active)

    if run_change(form, change):
        flash(_("账号已启用。") if active else _("账号已停用，该用户不能再登录。"), "success")
    else:
        flash(" ".join(map(str, form.form_errors)), "error")
    return redirect(url_for("portal.user", user_id=account.id))


@bp.post("/users/<int:user_id>/unlock")
@roles_required(ACCOUNT_ROLES)
def unlock_user(user_id: int) -> Any:
    account = _get(user_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)

    def change() -> None:
        access.check_may_unlock(me())
        accounts.unlock(db_session(), me(), account)

    if run_change(form, change):
        flash(_("账号已解锁，可以再次登录。"), "success")
    else:
        flash(" ".join(map(str, form.form_errors)), "error")
    return redirect(url_for("portal.user", user_id=account.id))


@bp.post("/users/<int:user_id>/second-factor/reset")
@roles_required(ACCOUNT_ROLES)
def reset_second_factor(user_id: int) -> Any:
    account = _get(user_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)

    def change() -> None:
        access.check_may_manage_account(me(), account)
        second_factor.reset(db_session(), me(), account)

    if run_change(form, change):
        flash(_("已重置两步验证；该用户下次登录时重新设置。"), "success")
    else:
        flash(" ".join(map(str, form.form_errors)), "error")
    return redirect(url_for("portal.user", user_id=account.id))


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@roles_required(ACCOUNT_ROLES)
def revoke_token(user_id: int, token_id: int) -> Any:
    account = _get(user_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    session = db_session()
    try:
        record = accounts.get_token(session, account, token_id)
    except DomainError:
        abort(404)
    accounts.revoke_token(session, me(), record)
    session.commit()
    flash(_("令牌 %(id)d 已吊销，立即失效。", id=token_id), "success")
    return redirect(url_for("portal.user", user_id=account.id))


def _get(user_id: int) -> User:
    try:
        return accounts.get_user(db_session(), user_id)
    except DomainError:
        abort(404)


def _nodes(text: str | None) -> list[Node]:
    """The nodes whose codes were typed, or a DomainError on the ``nodes`` field."""
    session = db_session()
    codes = split_codes(text)
    found = {n.code: n for n in session.scalars(select(Node).where(Node.code.in_(codes)))}
    missing = [code for code in codes if code not in found]
    if missing:
        raise DomainError(_("没有编码为 %(code)s 的节点", code="、".join(missing)), field="nodes")
    return [found[code] for code in codes]


def _nodes_of(users: list[User]) -> dict[int, list[tuple[Node, bool]]]:
    """Each user's nodes (and whether they are its responsible worker), in one query."""
    if not users:
        return {}
    rows = db_session().execute(
        select(Assignment.user_id, Node, Assignment.is_responsible)
        .join(Node, Node.id == Assignment.node_id)
        .where(Assignment.user_id.in_([u.id for u in users]))
        .order_by(Node.code)
    )
    found: dict[int, list[tuple[Node, bool]]] = defaultdict(list)
    for user_id, node, responsible in rows:
        found[user_id].append((node, responsible))
    return found


def _user_page(account: User, **submitted: FlaskForm) -> str:
    nodes = _nodes_of([account]).get(account.id, [])
    edit = submitted.get("edit") or UserEditForm(prefix="edit", formdata=None, obj=account)
    assign = submitted.get("assign") or AssignForm(
        prefix="assign", formdata=None, data={"nodes": " ".join(n.code for n, _r in nodes)}
    )
    password = submitted.get("password") or PasswordForm(prefix="password", formdata=None)
    return render_template(
        "users/edit.html",
        account=account,
        nodes=nodes,
        edit=edit,
        assign=assign,
        password=password,
        toggle=FlaskForm(formdata=None),
        locked=account.is_locked(utcnow()),
        manageable=access.may_manage_account(me(), account),
        second_factor_on=second_factor.is_enrolled(account),
        tokens=accounts.tokens_of(db_session(), account),
        token_state=lambda record: accounts.token_state(record, utcnow()),
        second_factor_required=second_factor.is_required(account),
        open_form=next(iter(submitted), None),
    )
