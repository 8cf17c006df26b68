"""The logged-in user's own account (我的账号): their API tokens (listed, revoked), changing
their password — which they must do first when someone else set it (an initial password, a
reset) — and setting up the second factor, which administrators must do before any other
page opens."""

from __future__ import annotations

from typing import Any

import segno
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup

from gridgov.core.accounts import second_factor as second_factor_rules
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import User
from gridgov.core.db import db_session, utcnow
from gridgov.core.errors import DomainError
from gridgov.core.i18n import _
from gridgov.portal.forms import CodeForm, OwnPasswordForm, show_domain_error
from gridgov.portal.shell import bp, me, run_change, safe_next
from gridgov.web import current_tenant

# What a user who must change their password or set up a second factor can still open: those
# two forms, logging out, the page language.
OPEN_BEFORE_CHANGE = frozenset(
    {
        "portal.change_password",
        "portal.second_factor",
        "portal.logout",
        "portal.switch_locale",
        "portal.login",
    }
)


@bp.before_app_request
def _account_in_order_first() -> Any:
    """From every portal and module page of the county, send a user whose password someone
    else set to the change form, then an administrator without a second factor to its set-up
    (the API is the token's business, not the session's)."""
    if g.get("tenant") is None or request.endpoint in OPEN_BEFORE_CHANGE:
        return None
    if request.path.startswith(f"/t/{g.tenant.slug}/api/") or not current_user.is_authenticated:
        return None
    user = me()
    if user.must_change_password:
        return redirect(url_for("portal.change_password", next=request.full_path))
    if must_enrol(user):
        return redirect(url_for("portal.second_factor"))
    return None


def must_enrol(user: User) -> bool:
    """Whether ``user`` must set up a second factor now (an administrator without one, unless
    this deployment made it optional: the demo, the tests)."""
    enforced = current_app.config["GRIDGOV_ADMIN_SECOND_FACTOR"] != "optional"
    return enforced and second_factor_rules.needs_enrolment(user)


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
        if must_enrol(me()):
            return redirect(url_for("portal.second_factor"))
        return redirect(safe_next(request.args.get("next")))
    # Never send a password back to the browser, not even the one just typed.
    form.current.data = form.password.data = form.confirm.data = ""
    status = 422 if request.method == "POST" else 200
    return render_template(
        "account/password.html", form=form, forced=me().must_change_password
    ), status


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
def second_factor() -> Any:
    """Set up the second factor: scan the QR code, type a code from the app, note the recovery
    codes (shown once)."""
    user, session = me(), db_session()
    form = CodeForm()
    if second_factor_rules.is_enrolled(user):
        return render_template("account/second_factor.html", enrolled=True, form=form)
    secret = second_factor_rules.pending_secret(user)
    if secret is None:
        secret = second_factor_rules.start_enrolment(session, user)
        session.commit()
    if form.validate_on_submit():
        try:
            codes = second_factor_rules.confirm(session, user, form.code.data)
        except DomainError as error:
            session.rollback()
            show_domain_error(form, error)
        else:
            session.commit()
            return render_template("account/second_factor.html", recovery_codes=codes, form=form)
    form.code.data = ""
    uri = second_factor_rules.provisioning_uri(user, secret, current_tenant().slug)
    # segno draws the data as one path and escapes the title: the SVG holds no text of ours.
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, title=str(_("两步验证二维码")))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "account/second_factor.html",
            form=form,
            required=must_enrol(user),
            qr_svg=Markup(qr_svg),  # noqa: S704 (segno's own markup, see above)
            secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        ),
        status,
    )


@bp.get("/account")
@login_required
def account() -> Any:
    user = me()
    return render_template(
        "account/index.html",
        tokens=accounts.tokens_of(db_session(), user),
        token_state=lambda record: accounts.token_state(record, utcnow()),
        second_factor_on=second_factor_rules.is_enrolled(user),
        revoke=FlaskForm(formdata=None),
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_my_token(token_id: int) -> Any:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    session = db_session()
    try:
        record = accounts.get_token(session, me(), token_id)
    except DomainError:
        abort(404)
    accounts.revoke_token(session, me(), record)
    session.commit()
    flash(_("令牌 %(id)d 已吊销，立即失效。", id=token_id), "success")
    return redirect(url_for("portal.account"))
