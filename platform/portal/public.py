"""The resident channel under /t/<slug>/public/, with no login: a grid's notice board (公示板)
with its QR code, reporting a problem with a photo, following it by tracking code and rating
it. Rate limited, and the report form asks a small sum (``gridgov.core.tasks.public``)."""

from __future__ import annotations

import io
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_wtf.file import FileField
from werkzeug import exceptions as werkzeug_exceptions
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from gridgov.core.db import db_session
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import service as files
from gridgov.core.i18n import _
from gridgov.core.maps import service as maps
from gridgov.core.tasks import public, reading, reporting, transitions
from gridgov.core.tasks.models import Task
from gridgov.extensions import limiter
from gridgov.portal.errors import error_page
from gridgov.portal.forms import PortalForm, show_domain_error
from gridgov.portal.shell import CONTENT_SECURITY_POLICY
from gridgov.portal.tasks import category_choices, stored_photo, type_and_category
from gridgov.portal.tasks_forms import RATING_CHOICES
from gridgov.web import add_slug, bind_tenant, current_tenant

bp = Blueprint("public", __name__, url_prefix="/t/<slug>/public")
bp.url_value_preprocessor(bind_tenant)
bp.url_defaults(add_slug)

# Abuse of an open form: a few reports an hour from one address is plenty for a resident.
REPORT_LIMIT = "10 per hour"
LOOKUP_LIMIT = "60 per hour"


class ResidentReportForm(PortalForm):
    category = SelectField(_("问题类别"))
    title = StringField(_("问题"), validators=[DataRequired(_("请简要写明问题")), Length(max=200)])
    description = TextAreaField(_("详细情况"), validators=[Length(max=4000)])
    location_text = StringField(_("地点"), validators=[Length(max=300)])
    photo = FileField(_("照片（可选）"))
    answer = StringField(_("验证题"), validators=[DataRequired(_("请回答验证题"))])
    challenge = HiddenField()


class RatingForm(PortalForm):
    rating = SelectField(_("评价"), choices=RATING_CHOICES, default="satisfied")
    comment = TextAreaField(_("意见"), validators=[Length(max=2000)])


def _secret() -> str:
    return str(current_app.secret_key)


def _report_form() -> tuple[ResidentReportForm, public.Challenge]:
    form = ResidentReportForm()
    form.category.choices = category_choices(reading.usable_types(db_session(), public=True))
    challenge = public.new_challenge(_secret())
    form.challenge.data = challenge.token
    return form, challenge


def _grid(code: str) -> Any:
    return public.public_grid(db_session(), current_tenant(), code)  # NotFound: see below


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> Any:
    """A resident's page that finds nothing says what: no such grid (a QR code of a grid
    since merged, a mistyped address)."""
    return error_page(werkzeug_exceptions.NotFound(), detail=error.message)


@bp.get("/grids/<code>")
def notice_board(code: str) -> Any:
    board = public.notice_board(db_session(), _grid(code))
    return render_template(
        "public/notice_board.html",
        board=board,
        tenant=current_tenant(),
        outline=maps.outline_svg(board.grid.boundary),
    )


@bp.get("/grids/<code>/qr.svg")
def notice_board_qr(code: str) -> Response:
    grid = _grid(code)
    target = url_for("public.notice_board", code=grid.code, _external=True)
    out = io.BytesIO()
    segno.make(target, error="m").save(out, kind="svg", scale=6, title=grid.name)
    return Response(out.getvalue(), mimetype="image/svg+xml")


@bp.get("/grids/<code>/photo")
def notice_board_photo(code: str) -> Response:
    board = public.notice_board(db_session(), _grid(code))
    if board.photo is None:
        abort(404)
    return send_file(files.file_path(board.photo), mimetype=board.photo.content_type)


@bp.route("/grids/<code>/report", methods=["GET", "POST"])
@limiter.limit(REPORT_LIMIT, methods=["POST"])
def report(code: str) -> Any:
    grid = _grid(code)
    form, challenge = _report_form()
    if not form.is_submitted():
        return _report_page(form, challenge, grid)
    if not form.validate():
        form.answer.data = ""  # the page asks a new sum
        return _report_page(form, challenge, grid, 422)
    session = db_session()
    try:
        try:
            public.check_challenge(
                session, _secret(), request.form.get("challenge", ""), form.answer.data
            )
        finally:
            session.commit()  # spent once checked, whether the report goes through or not
        task_type, category = type_and_category(form.category.data)
        task = public.report_as_resident(
            session,
            grid,
            reporting.Report(
                task_type=task_type,
                category=category,
                title=form.title.data or "",
                description=form.description.data or "",
                location_text=form.location_text.data or "",
                track="coordinate",
            ),
        )
        stored = stored_photo(None, form.photo.data)
        if stored is not None:
            reporting.attach_file(session, None, task, stored)
        session.commit()
    except DomainError as error:
        session.rollback()
        show_domain_error(form, error)
        form.answer.data = ""
        return _report_page(form, challenge, grid, 422)
    return redirect(url_for("public.track", code=task.code))


def _report_page(form: Any, challenge: public.Challenge, grid: Any, status: int = 200) -> Any:
    form.challenge.data = challenge.token
    page = render_template(
        "public/report.html",
        form=form,
        question=challenge.question,
        grid=grid,
        tenant=current_tenant(),
    )
    return page, status


def _task_by_code(code: str) -> Task:
    return reading.get_task_by_code(db_session(), code)


@bp.get("/track")
@limiter.limit(LOOKUP_LIMIT)
def track_lookup() -> Any:
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("public.track", code=code.upper()))
    return render_template("public/lookup.html", tenant=current_tenant(), code="")


@bp.route("/track/<code>", methods=["GET", "POST"])
@limiter.limit(LOOKUP_LIMIT)
def track(code: str) -> Any:
    try:
        task = _task_by_code(code)
    except NotFound as missing:  # a code mistyped: the lookup again, the problem marked
        page = render_template(
            "public/lookup.html", tenant=current_tenant(), code=code, problem=missing.message
        )
        return page, 404
    form = RatingForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            session = db_session()
            try:
                transitions.evaluate_as_resident(
                    session, task, form.rating.data, form.comment.data or ""
                )
                session.commit()
                return redirect(url_for("public.track", code=task.code))
            except DomainError as error:
                session.rollback()
                show_domain_error(form, error)
        status = 422
        task = _task_by_code(code)
    view = public.tracking(db_session(), task)
    page = render_template(
        "public/track.html",
        tracking=view,
        form=form if view.may_rate else None,
        tenant=current_tenant(),
    )
    return page, status


@bp.after_request
def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # A tracking code in the address is all it takes to read a report: no other site learns
    # it from a Referer, and no shared phone's browser or proxy keeps the pages.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
