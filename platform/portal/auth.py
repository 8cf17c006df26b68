"""Logging in and out of a county's portal, and choosing the page language.

A session belongs to one county: it records the tenant it was opened in, and the user loader
refuses it anywhere else, so a cookie from county B opened at county A's URL is not logged in.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from flask import (
    Flask,
    Response,
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
from flask_babel import format_datetime, refresh
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_user, logout_user
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import HTTPException

from gridgov import sessions
from gridgov.core.accounts import second_factor
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import User
from gridgov.core.accounts.service import AccountLocked, LoginFailed
from gridgov.core.audit import service as audit
from gridgov.core.db import db_session
from gridgov.core.errors import NotFound
from gridgov.core.i18n import _
from gridgov.extensions import limiter, login_manager
from gridgov.i18n import SESSION_KEY as LOCALE_KEY
from gridgov.i18n import is_known_locale
from gridgov.portal.forms import CodeForm, LoginForm
from gridgov.portal.shell import bp, is_htmx, login_url, me, safe_next
from gridgov.web import current_tenant

TENANT_KEY = "tenant_id"
PENDING_KEY = "login_pending"  # a login whose password was right, waiting for its code
PENDING_SECONDS = 300
FAILURES_KEY = "gridgov.login_failures"  # app.extensions: failed logins of unknown names
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


def _failed(response: Response) -> bool:
    return response.status_code == 401


# Per client address, only failed attempts count: a township office behind one NAT address,
# thirty staff logging in at half past eight, is not shut out by a few mistyped passwords.
# Guessing at one account is bounded by that account's lockout.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_failed)
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
    except LoginFailed as failure:
        tried = form.username.data.strip()
        known = accounts.get_user_by_username(db, tried)
        audit.record_failed_login(db, tried, known.id if known else None, channel="portal")
        db.commit()  # the failure count (and any lockout) must outlive this request
        locked_until = (
            failure.until
            if isinstance(failure, AccountLocked)
            else None
            if failure.known
            else _lock_unknown_name(tenant.id, form.username.data.strip())
        )
        if locked_until is not None:
            message = _locked_message(locked_until)
        else:
            message = _(
                "用户名或密码错误。连续 %(n)d 次错误后账号将被锁定 %(m)d 分钟。",
                n=current_app.config["GRIDGOV_MAX_FAILED_LOGINS"],
                m=current_app.config["GRIDGOV_LOCKOUT_MINUTES"],
            )
        form.form_errors.append(str(message))
        form.password.data = ""
        return render_template("login.html", form=form), 401
    assert isinstance(user, User)
    chosen_locale = None if session.get(INHERITED_LOCALE_KEY) else session.get(LOCALE_KEY)
    if second_factor.is_enrolled(user):
        # The password was right; the login finishes with the code (``login_code``). Nothing
        # but who is half-way in, and since when, is kept until then.
        session.clear()
        session[PENDING_KEY] = {
            "user": user.id,
            "tenant": tenant.id,
            "since": time.time(),
            "next": form.next.data or "",
            "locale": chosen_locale,
        }
        db.commit()
        return redirect(url_for("portal.login_code"))
    return _log_in(user, chosen_locale, form.next.data)


def _log_in(user: User, chosen_locale: str | None, target: str | None) -> Any:
    """Open the logged-in session of ``user`` (both factors checked) and go on to ``target``."""
    db = db_session()
    # A fresh session at login: nothing planted before it (a fixed session, an old CSRF
    # token, a half-finished login) survives into the logged-in one.
    session.clear()
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME without a request
    session[TENANT_KEY] = current_tenant().id
    login_user(user)
    sessions.renew(current_app)
    if is_known_locale(chosen_locale) and chosen_locale != user.locale:
        accounts.update_user(db, user, user, locale=chosen_locale)
    if is_known_locale(user.locale):
        session[LOCALE_KEY] = user.locale
    audit.record(db, user, "user.login", "user", user.id)
    db.commit()
    refresh()
    return redirect(safe_next(target))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_failed)
def login_code() -> Any:
    """The second step of an administrator's login (or anyone's who enrolled): the code from
    their authenticator app, or a recovery code, within a few minutes of the password."""
    pending = session.get(PENDING_KEY) or {}
    tenant = current_tenant()
    if (
        pending.get("tenant") != tenant.id
        or time.time() - float(pending.get("since", 0)) > PENDING_SECONDS
    ):
        session.pop(PENDING_KEY, None)
        flash(_("请重新输入用户名和密码。"), "info")
        return redirect(url_for("portal.login"))
    db = db_session()
    try:
        user = accounts.get_user(db, int(pending["user"]))
    except NotFound:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("portal.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("login_code.html", form=form), status
    try:
        if not user.is_active:
            raise LoginFailed(_("用户名或密码错误"), known=True)
        second_factor.check_code(
            db,
            user,
            form.code.data,
            max_failures=current_app.config["GRIDGOV_MAX_FAILED_LOGINS"],
            lockout=dt.timedelta(minutes=current_app.config["GRIDGOV_LOCKOUT_MINUTES"]),
        )
    except LoginFailed as failure:
        audit.record_failed_login(
            db, user.username, user.id, channel="portal", detail={"step": "second factor"}
        )
        db.commit()  # the failure count (and any lockout) must outlive this request
        if isinstance(failure, AccountLocked):
            session.pop(PENDING_KEY, None)
            form.form_errors.append(str(_locked_message(failure.until)))
        else:
            form.code.errors = [str(_("验证码不对或已用过，请输入验证器应用中当前的 6 位数字"))]
        form.code.data = ""
        return render_template("login_code.html", form=form), 401
    return _log_in(user, pending.get("locale"), pending.get("next"))


def _locked_message(until: dt.datetime) -> Any:
    return _(
        "账号因连续 %(n)d 次登录失败已被锁定，%(until)s 后可再试；"
        "急用请联系本县安全管理员在用户页面解锁。",
        n=current_app.config["GRIDGOV_MAX_FAILED_LOGINS"],
        until=format_datetime(until, "HH:mm"),
    )


def _lock_unknown_name(tenant_id: int, username: str) -> dt.datetime | None:
    """Count a failure for a name that is no active account, and lock it the way accounts lock
    (the same number of failures, the same time), so that being told "locked" never shows
    which names are accounts. Counted where the rate limits are (Redis in production, so every
    worker sees the same count); the window starts at the first failure, as an account's
    count does."""
    config = current_app.config
    item = RateLimitItemPerMinute(
        config["GRIDGOV_MAX_FAILED_LOGINS"] - 1, config["GRIDGOV_LOCKOUT_MINUTES"]
    )
    key = ("login-unknown", str(tenant_id), username.casefold())
    counter = login_failures(current_app)
    if counter.hit(item, *key):
        return None
    reset_at, _remaining = counter.get_window_stats(item, *key)
    return dt.datetime.fromtimestamp(reset_at, dt.UTC)


def login_failures(app: Flask) -> FixedWindowRateLimiter:
    """The app's counter of failed logins of unknown names (made on first use). Not the rate
    limiter's own: it works when rate limits are switched off too."""
    if FAILURES_KEY not in app.extensions:
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        app.extensions[FAILURES_KEY] = FixedWindowRateLimiter(storage)
    return app.extensions[FAILURES_KEY]


@bp.errorhandler(RateLimitExceeded)
def _too_many_logins(_error: HTTPException) -> Any:
    form = LoginForm()
    form.form_errors.append(str(_("登录尝试过于频繁，请一分钟后再试。")))
    return render_template("login.html", form=form), 429


@bp.before_app_request
def _end_sessions_past_their_lifetime() -> Any:
    """Log out a session that began longer ago than GRIDGOV_SESSION_MAX_HOURS, busy or not."""
    if g.get("tenant") is None or not current_user.is_authenticated:
        return None
    if not sessions.too_old(current_app):
        return None
    _end_session()
    flash(_("登录已超过 %(h)s 小时，请重新登录。", h=_hours()), "info")
    return redirect(login_url())


def _hours() -> str:
    return f"{current_app.config['GRIDGOV_SESSION_MAX_HOURS']:g}"


@bp.post("/logout")
def logout() -> Any:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    _end_session()
    if isinstance(user, User):
        db = db_session()
        audit.record(db, user, "user.logout", "user", user.id)
        db.commit()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("portal.login"))


def _end_session() -> None:
    """Log out and end the session on the server: its id is dropped and a new one given, so a
    copy of the old cookie logs nobody in. Only the page language stays (for the login page),
    marked as left by the previous user."""
    locale = session.get(LOCALE_KEY)
    # First, while it still holds the login: drop the stored session and take a new id.
    current_app.session_interface.regenerate(session)  # type: ignore[attr-defined]
    logout_user()
    session.clear()
    if locale:
        session[LOCALE_KEY] = locale
        session[INHERITED_LOCALE_KEY] = True


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
