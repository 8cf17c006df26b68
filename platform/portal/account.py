"""The logged-in user's own account (我的账号): changing their password — which they must do
first when someone else set it (an initial password, a reset) — before any other page opens."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session
from gridgov.core.i18n import _
from gridgov.portal.forms import OwnPasswordForm
from gridgov.portal.shell import bp, me, run_change, safe_next

# What a user who must change their password can still open: the form itself, logging out,
# the page language.
OPEN_BEFORE_CHANGE = frozenset(
    {"portal.change_password", "portal.logout", "portal.switch_locale", "portal.login"}
)


@bp.before_app_request
def _password_change_first() -> Any:
    """Send a user whose password someone else set to the change form, from every portal and
    module page of the county (the API is the token's business, not the session's)."""
    if g.get("tenant") is None or request.endpoint in OPEN_BEFORE_CHANGE:
        return None
    if request.path.startswith(f"/t/{g.tenant.slug}/api/"):
        return None
    if current_user.is_authenticated and getattr(me(), "must_change_password", False):
        return redirect(url_for("portal.change_password", next=request.full_path))
    return None


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = OwnPasswordForm()
    if form.validate_on_submit() and run_change(
        form,
        lambda: accounts.change_own_password(
            db_session(), me(), form.current.data, form.password.data
        ),
    ):
        flash(_("密码已修改。"), "success")
        return redirect(safe_next(request.args.get("next")))
    # Never send a password back to the browser, not even the one just typed.
    form.current.data = form.password.data = form.confirm.data = ""
    status = 422 if request.method == "POST" else 200
    return render_template(
        "account/password.html", form=form, forced=me().must_change_password
    ), status
