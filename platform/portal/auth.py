"""Logging in and out of a county's portal, and choosing the page language.

A session belongs to one county: it records the tenant it was opened in, and the user loader
refuses it anywhere else, so a cookie from county B opened at county A's URL is not logged in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import refresh
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import HTTPException

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import User
from gridgov.core.accounts.service import LoginFailed
from gridgov.core.audit import service as audit
from gridgov.core.db import db_session
from gridgov.core.errors import NotFound
from gridgov.core.i18n import _
from gridgov.extensions import limiter, login_manager
from gridgov.i18n import SESSION_KEY as LOCALE_KEY
from gridgov.i18n import is_known_locale
from gridgov.portal.forms import LoginForm
from gridgov.portal.shell import bp, is_htmx, login_url, me, safe_next
from gridgov.web import current_tenant

TENANT_KEY = "tenant_id"
# Set when the locale in the session was left by a previous user of this browser (at logout):
# it still shows the login page in that language but is not the next user's choice.
INHERITED_LOCALE_KEY = "locale_inherited"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session's user, only within the county the session was opened in."""
    tenant = g.get("tenant")
    kind, _sep, raw = user_id.partition(":")
    if tenant is None or kind != "user" or not raw.isdigit():
        return None
    if session.get(TENANT_KEY) != tenant.id:
        return None
    try:
        user = accounts.get_user(db_session(), int(raw))
    except NotFound:
        return None
    return user if user.is_active else None


@login_manager.unauthorized_handler
def _send_to_login() -> Any:
    if g.get("tenant") is None:
        abort(401)
    if is_htmx():
        # A fragment request cannot show a login page in place: make htmx load it whole.
        return "", 401, {"HX-Redirect": login_url()}
    return redirect(login_url())


def _login_rate_limit() -> str:
    return current_app.config["GRIDGOV_LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("login.html", form=form), status
    db = db_session()
    tenant = current_tenant()
    try:
        user = accounts.authenticate(
            db,
            form.username.data.strip(),
            form.password.data,
            max_failures=current_app.config["GRIDGOV_MAX_FAILED_LOGINS"],
            lockout=dt.timedelta(minutes=current_app.config["GRIDGOV_LOCKOUT_MINUTES"]),
        )
    except LoginFailed:
        tried = form.username.data.strip()
        known = accounts.get_user_by_username(db, tried)
        audit.record_failed_login(db, tried, known.id if known else None, channel="portal")
        db.commit()  # the failure count (and any lockout) must outlive this request
        # One message whatever went wrong, so the page never tells whether an account exists
        # or is locked; it says what may have happened and who can help.
        form.form_errors.append(
            str(
                _(
                    "用户名或密码错误，或账号因连续失败 %(n)d 次已被锁定 %(m)d 分钟。"
                    "被锁定时，请等锁定结束，或请本县管理员在用户页面解锁。",
                    n=current_app.config["GRIDGOV_MAX_FAILED_LOGINS"],
                    m=current_app.config["GRIDGOV_LOCKOUT_MINUTES"],
                )
            )
        )
        form.password.data = ""
        return render_template("login.html", form=form), 401
    assert isinstance(user, User)
    chosen_locale = None if session.get(INHERITED_LOCALE_KEY) else session.get(LOCALE_KEY)
    # A fresh session at login: nothing planted before it (a fixed session, an old CSRF
    # token) survives into the logged-in one.
    session.clear()
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME without a request
    session[TENANT_KEY] = tenant.id
    login_user(user)
    if is_known_locale(chosen_locale) and chosen_locale != user.locale:
        accounts.update_user(db, user, user, locale=chosen_locale)
    if is_known_locale(user.locale):
        session[LOCALE_KEY] = user.locale
    audit.record(db, user, "user.login", "user", user.id)
    db.commit()
    refresh()
    return redirect(safe_next(form.next.data))


@bp.errorhandler(RateLimitExceeded)
def _too_many_logins(_error: HTTPException) -> Any:
    form = LoginForm()
    form.form_errors.append(str(_("登录尝试过于频繁，请一分钟后再试。")))
    return render_template("login.html", form=form), 429


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        db = db_session()
        audit.record(db, me(), "user.logout", "user", me().id)
        db.commit()
    locale = session.get(LOCALE_KEY)
    logout_user()
    session.clear()
    if locale:
        session[LOCALE_KEY] = locale
        session[INHERITED_LOCALE_KEY] = True
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("portal.login"))


@bp.post("/locale")
def switch_locale() -> Any:
    """Switch the page language; a logged-in user keeps the choice for next time."""
    locale = request.form.get("locale")
    if is_known_locale(locale):
        session[LOCALE_KEY] = locale
        session.pop(INHERITED_LOCALE_KEY, None)
        if current_user.is_authenticated and me().locale != locale:
            db = db_session()
            accounts.update_user(db, me(), me(), locale=locale)
            db.commit()
        refresh()
    return redirect(safe_next(request.form.get("next")))
