"""What every portal page shares: the blueprint under ``/t/<slug>/``, who the user is in this
county, what part of the hierarchy they may see and change, and how pages answer errors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, abort, g, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from wtforms import Form

from gridgov.core.accounts import access
from gridgov.core.accounts.models import NON_WORKING_ROLES, Role, User
from gridgov.core.accounts.scope import Scope, is_county_wide, scope_of
from gridgov.core.accounts.service import role_label
from gridgov.core.assessment import leave as assessment_leave
from gridgov.core.assessment import records as assessment_records
from gridgov.core.assessment import review as assessment_review
from gridgov.core.assessment import run as assessment_run
from gridgov.core.assessment import scheme as assessment_scheme
from gridgov.core.assessment import sheets as assessment_sheets
from gridgov.core.db import db_session
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.registry import access as registry_access
from gridgov.core.reports import service as reports
from gridgov.core.tasks import public, reporting
from gridgov.portal.forms import show_domain_error
from gridgov.web import add_slug, bind_tenant, current_tenant

bp = Blueprint("portal", __name__, url_prefix="/t/<slug>")
bp.url_value_preprocessor(bind_tenant)
bp.url_defaults(add_slug)

View = TypeVar("View", bound=Callable[..., Any])

# Roles that administer the county's structure and set-up; that manage accounts; that read the
# audit log (三员分立: three different people).
ADMIN_ROLES = access.SYSTEM_ADMIN_ROLES
ACCOUNT_ROLES = access.ACCOUNT_ADMIN_ROLES
AUDIT_ROLES = access.AUDIT_READER_ROLES


def me() -> User:
    """The logged-in user (only ever a user of this request's county)."""
    return cast(User, current_user._get_current_object())


def roles_required(roles: frozenset[Role]) -> Callable[[View], View]:
    """Log in first; a user without one of ``roles`` gets 404, as if the page did not exist."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if me().role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return cast(View, wrapper)

    return decorate


def user_scope() -> Scope:
    """The subtrees the logged-in user may see, worked out once per request."""
    if "portal_scope" not in g:
        g.portal_scope = scope_of(db_session(), me())
    return g.portal_scope


def scope_roots() -> list[Node]:
    """The top nodes of what the user sees: the county's roots, or the nodes they work at."""
    return access.scope_roots(db_session(), user_scope())


def visible_node(node_id: int) -> Node:
    """The node, if it is in this county and in the user's scope; otherwise 404."""
    try:
        return access.visible_node(db_session(), user_scope(), node_id)
    except NotFound:
        abort(404)


def may_add_child(node: Node) -> bool:
    """County admins anywhere; township staff at their township and below."""
    return access.may_add_child(me(), user_scope(), current_tenant(), node)


def may_change(node: Node) -> bool:
    """Rename, move, retire, split, merge: county admins anywhere; township staff strictly
    below the node they are assigned to (their own township is the county's to change)."""
    return not node.is_retired and access.may_change(me(), user_scope(), node)


# A county names its levels in Chinese (区/街道/社区/网格, 县/乡镇/村/网格 …). An English page
# shows the usual English word for the names counties use, and any other name as written.
LEVEL_NAMES_EN = {
    "市": "City",
    "县": "County",
    "区": "District",
    "旗": "Banner",
    "县（区）": "County",
    "乡镇": "Township",
    "乡": "Township",
    "镇": "Town",
    "街道": "Subdistrict",
    "乡镇（街道）": "Township",
    "苏木": "Sumu",
    "社区": "Community",
    "村": "Village",
    "村（社区）": "Village",
    "社区（村）": "Community",
    "嘎查": "Gacha",
    "片区": "Area",
    "网格": "Grid",
}


def level_label(name: str) -> str:
    """The county's name for a level, in the reader's language."""
    return LEVEL_NAMES_EN.get(name, name) if str(get_locale()) == "en" else name


def level_name(node: Node) -> str:
    names = current_tenant().level_names
    return level_label(names[node.level]) if node.level < len(names) else str(node.level)


def describe_scope() -> list[list[Node]]:
    """Each scope root with the nodes above it, for the line that tells the user what they see."""
    session = db_session()
    return [[*hierarchy.ancestors(session, root), root] for root in scope_roots()]


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


# --- errors ----------------------------------------------------------------------------------


def _error_page(status: int, title: object, detail: object = "") -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, detail=detail), status


def _not_found_page() -> tuple[str, int]:
    return _error_page(404, _("页面不存在"), _("您要找的内容不存在，或不在您的查看范围内。"))


@bp.errorhandler(404)
def _not_found(_error: HTTPException) -> Any:
    return _not_found_page()


@bp.errorhandler(NotFound)
def _domain_not_found(_error: NotFound) -> Any:
    return _not_found_page()


@bp.errorhandler(403)
def _forbidden(_error: HTTPException) -> Any:
    return _error_page(403, _("没有权限"), _("您可以查看这里，但不能做这项修改。"))


@bp.errorhandler(CSRFError)
def _csrf_failed(_error: CSRFError) -> Any:
    return _error_page(
        400, _("页面已过期"), _("为了安全，表单已失效。请返回上一页，刷新后重新提交。")
    )


def login_url() -> str:
    """Where an anonymous visitor of this page is sent, coming back here afterwards."""
    target = request.full_path if request.query_string else request.path
    return url_for("portal.login", next=target)


def safe_next(target: str | None) -> str:
    """``target`` if it is a page of this county's portal, else the home page (no open
    redirects to other sites or other counties)."""
    prefix = f"/t/{current_tenant().slug}/"
    if target and target.startswith(prefix) and "//" not in target and "\\" not in target:
        return target
    return url_for("portal.home")


def run_change(
    form: Form, change: Callable[[], Any], aliases: Mapping[str, str] | None = None
) -> bool:
    """Run a service call and commit it; on a DomainError roll back and mark the form.

    Returns whether the change was stored, so the view either redirects or shows the form
    again with what was typed and the problem next to its field.
    """
    session = db_session()
    try:
        change()
        session.commit()
    except DomainError as error:
        session.rollback()
        show_domain_error(form, error, aliases)
        return False
    return True


@dataclass(frozen=True)
class Rights:
    """What the menus and links of a page offer the user, as the access rules of each area
    decide it (templates ask these, never a role name)."""

    admin: bool  # the county's structure and set-up
    accounts: bool  # users, their roles, assignments and locks
    audit: bool  # the audit log
    registry: bool  # people and houses
    registry_import: bool  # importing spreadsheets into them
    tasks: bool  # reporting and handling tasks
    period_reports: bool
    notice_board: bool  # keeping one's grid notice board
    work: bool  # the county's work: departments' modules and forms (not 安全/审计管理员)
    my_assessment: bool  # a grid worker's own monthly sheet (我的考核)
    assessment: bool  # the sheets of the workers in one's scope (考核表)
    assessment_scores: bool  # entering manual scores (人工评分)
    assessment_runs: bool  # starting a month's run (计算)
    assessment_scheme: bool  # the county's scheme (考核方案)
    leave: bool  # leave requests (请销假): asking, or deciding and reading
    objections: bool  # the objections (复核) of one's workers, to answer
    assessment_lock: bool  # confirming and locking a month, and its payouts (兑现)
    worker_days: bool  # a worker's days of a month on one page (网格员日常)
    meetings: bool  # recording the station's morning meetings (晨会)
    spot_checks: bool  # asking residents about their grid worker (抽查)

    @classmethod
    def of(cls, user: User) -> Rights:
        return cls(
            admin=user.role in ADMIN_ROLES,
            accounts=access.may_manage_users(user),
            audit=access.may_read_audit(user),
            registry=registry_access.may_read(user),
            registry_import=registry_access.may_import(user),
            tasks=reporting.may_report(user),
            period_reports=reports.may_read(user),
            notice_board=public.may_keep_notice_board(user),
            work=user.role not in NON_WORKING_ROLES,
            my_assessment=user.role == Role.GRID_WORKER,
            assessment=user.role in assessment_sheets.READER_ROLES,
            assessment_scores=user.role in assessment_scheme.SCORER_ROLES,
            assessment_runs=user.role in assessment_run.RUNNER_ROLES,
            assessment_scheme=user.role == Role.COUNTY_ADMIN,
            leave=user.role in assessment_leave.READER_ROLES or user.role == Role.GRID_WORKER,
            objections=user.role in assessment_review.REVIEWER_ROLES,
            assessment_lock=user.role == Role.COUNTY_ADMIN,
            worker_days=user.role in assessment_records.CHECKER_ROLES,
            meetings=user.role in assessment_records.STATION_ROLES,
            spot_checks=user.role in assessment_records.CHECKER_ROLES,
        )


@bp.context_processor
def _shell_context() -> dict[str, Any]:
    """What the layout needs on every page: the county, the user, their scope, the locale."""
    tenant = g.get("tenant")
    logged_in = tenant is not None and current_user.is_authenticated
    sees_everything = logged_in and user_scope().everything
    return {
        "tenant": tenant,
        "user": me() if logged_in else None,
        "role_label": role_label,
        "level_name": level_name,
        "level_label": level_label,
        "sees_everything": sees_everything,
        "scope_trails": describe_scope() if logged_in and not sees_everything else [],
        "county_wide": is_county_wide,
        "may": Rights.of(me()) if logged_in else None,
        "locale": str(get_locale() or ""),
        "here": request.full_path if request.query_string else request.path,
    }


# Pages only load what our own server sends (every asset is vendored); htmx's indicator
# styles are switched off in the layout so that no inline style is needed either.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


@bp.after_request
def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # Pages carry staff names and phones: a shared phone or a proxy must not keep them.
    response.headers.setdefault("Cache-Control", "no-store")
    # The same address answers a fragment to htmx and a redirect to a plain visit.
    response.vary.add("HX-Request")
    return response
