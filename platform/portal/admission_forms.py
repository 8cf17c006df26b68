"""The admitted modules in the portal: their forms rendered from the definitions (for a phone),
their pages mounted behind the county's admissions, and their menu entries.

A posted form is turned into the JSON the API takes and validated by the same schema, so the
portal and the API accept and refuse exactly the same submissions.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from gridgov.core.accounts.models import NON_WORKING_ROLES
from gridgov.core.accounts.scope import scope_of
from gridgov.core.admission import access as admission_access
from gridgov.core.admission import activation
from gridgov.core.db import db_session
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.files import service as files
from gridgov.core.forms import access as forms_access
from gridgov.core.forms import service as forms
from gridgov.core.forms.definitions import (
    CHOICE_TYPES,
    FILE_TYPES,
    Field,
    FieldType,
    FormDefinition,
)
from gridgov.core.forms.schema import file_ids
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.plugins.manager import PluginHost
from gridgov.portal import shell
from gridgov.portal.shell import bp, me, user_scope
from gridgov.web import add_slug, bind_tenant, current_tenant, id_or_none, id_value

MAX_NODES = 500  # grids offered in the picker; staff with more type the code instead
EXTRA_ROWS = 3  # blank rows offered below the filled ones of a group of many rows
MAX_ROWS_SHOWN = 12  # a group allowing at most this many rows shows them all
MAX_GROUP_ROWS = 1000  # rows read of a group that sets no maximum


@bp.context_processor
def _module_menu() -> dict[str, Any]:
    """The admission link and the menu entries of the modules the user may open."""
    if g.get("tenant") is None or not current_user.is_authenticated:
        return {}
    session, user = db_session(), me()
    entries = [
        (module.info, entry, f"module_pages_{module.name}.{pages.blueprint.name}.{entry.endpoint}")
        for module in activation.readable_modules(user_scope())
        for pages in module.portal_pages
        if pages.visible is None or pages.visible(session, user)
        for entry in pages.menu
    ]
    return {
        "may_see_admissions": admission_access.may_see_admissions(me()),
        "module_menu": entries,
        "module_icons": _shipped_icons(current_app.static_folder or ""),
    }


@functools.cache
def _shipped_icons(static_folder: str) -> frozenset[str]:
    """The modules whose menu icon ships with the portal (static/icons/<name>.svg): an
    emoji icon is an empty box on a phone or office PC without an emoji font. The icons
    ship with the package, so the folder is read once, not on every page."""
    return frozenset(icon.stem for icon in (Path(static_folder) / "icons").glob("*.svg"))


def _live_form(code: str) -> FormDefinition:
    form = activation.hooks_for(user_scope()).form(code)
    if form is None:
        abort(404)
    return form


def grids_to_fill() -> list[Node]:
    """The active grids a form may be filled for: those in the user's scope (the first 500)."""
    scope = user_scope()
    return list(
        db_session().scalars(
            select(Node)
            .where(
                scope.node_filter(),
                Node.level == current_tenant().grid_level,
                Node.retired_at.is_(None),
            )
            .order_by(Node.path)
            .limit(MAX_NODES)
        )
    )


@bp.get("/forms")
@login_required
def module_forms() -> Any:
    _check_works()
    session = db_session()
    query = forms_access.visible_submissions(session, me(), user_scope())
    recent = list(session.scalars(query.limit(20)))
    return render_template(
        "forms/list.html",
        forms=activation.hooks_for(user_scope()).forms(),
        recent=recent,
    )


@bp.route("/forms/<code>", methods=["GET", "POST"])
@login_required
def fill_form(code: str) -> Any:
    _check_works()
    definition = _live_form(code)
    nodes = grids_to_fill()
    if request.method == "GET":
        return _fill_page(definition, nodes, {}, {})
    values, errors = posted_values(definition)
    message = None
    status = 422
    try:
        node = shell.visible_node(request.form.get("node_id", type=id_value) or 0)
        module, form = activation.open_form(code, node)
        # Validated even when an upload failed, so every problem shows at once.
        submission = forms.submit_form(
            db_session(), me(), form, module=module.name, node=node, data=values
        )
        if not errors:
            db_session().commit()
            flash(_("已提交。"), "success")
            return redirect(url_for("portal.form_submission", submission_id=submission.id))
    except forms.FormInvalid as invalid:
        errors.update({**invalid.messages, **errors})
    except (Conflict, NotFound) as refused:
        message, status = refused.message, refused.status
    except DomainError as refused:
        errors[refused.field or "_form"] = [str(refused.message)]
    db_session().rollback()
    return _fill_page(definition, nodes, values, errors, message), status


def _fill_page(
    definition: FormDefinition,
    nodes: list[Node],
    values: dict[str, Any],
    errors: dict[str, Any],
    message: object = None,
) -> str:
    return render_template(
        "forms/fill.html",
        form=definition,
        nodes=nodes,
        node_id=request.form.get("node_id", type=id_value),
        values=values,
        errors=errors,
        message=message,
        extra_rows=EXTRA_ROWS,
        max_rows_shown=MAX_ROWS_SHOWN,
        FieldType=FieldType,
    )


def posted_values(definition: FormDefinition) -> tuple[dict[str, Any], dict[str, Any]]:
    """The posted fields of a form rendered from ``definition`` (forms/_fields.html), in the
    API's JSON shape, and upload errors by field. Photos and files are stored as they arrive,
    so a form shown again keeps them (modules' own form pages use it too)."""
    errors: dict[str, Any] = {}

    def value(f: Field, name: str) -> Any:
        if f.type == FieldType.BOOLEAN:
            return {"true": True, "false": False}.get(request.form.get(name, ""), "")
        if f.type == FieldType.MULTI_CHOICE:
            return request.form.getlist(name)
        if f.type in FILE_TYPES:
            upload: FileStorage | None = request.files.get(name)
            if upload is not None and upload.filename:
                try:
                    return forms.store_upload(
                        db_session(),
                        me(),
                        FieldType(f.type),
                        name=upload.filename,
                        data=upload.stream,
                        field=name,
                    ).id
                except DomainError as error:
                    errors[name] = [str(error.message)]
                    return ""
            kept = request.form.get(name, "")
            kept_id = id_or_none(kept)
            return kept_id if kept_id is not None else ""
        return request.form.get(name, "")

    def row(fields: tuple[Field, ...], prefix: str) -> dict[str, Any]:
        return {f.name: value(f, f"{prefix}{f.name}") for f in fields}

    values: dict[str, Any] = {}
    for f in definition.fields:
        if f.type == FieldType.GROUP:
            rows = []
            # The form says how many rows it sent; no more than a group may hold are read.
            posted = request.form.get(f"{f.name}-rows", 0, type=int)
            for i in range(min(posted, int(f.max) if f.max is not None else MAX_GROUP_ROWS)):
                filled = row(f.fields, f"{f.name}-{i}-")
                if any(v not in ("", [], None) for v in filled.values()):
                    rows.append(filled)
            values[f.name] = rows
        else:
            values[f.name] = value(f, f.name)
    db_session().commit()  # keep the uploads whatever becomes of the form
    return values, errors


@bp.get("/form-submissions/<int:submission_id>")
@login_required
def form_submission(submission_id: int) -> Any:
    submission = _visible_submission(submission_id)
    return render_template(
        "forms/submission.html",
        submission=submission,
        form=forms.definition_of(submission),
        FieldType=FieldType,
        choice_types=CHOICE_TYPES,
        file_types=FILE_TYPES,
    )


@bp.get("/form-submissions/<int:submission_id>/files/<int:file_id>")
@login_required
def form_submission_file(submission_id: int, file_id: int) -> Any:
    submission = _visible_submission(submission_id)
    if file_id not in file_ids(forms.definition_of(submission), submission.data):
        abort(404)
    stored = files.get_file(db_session(), file_id)
    return send_file(
        files.file_path(stored), mimetype=stored.content_type, download_name=stored.name
    )


def _visible_submission(submission_id: int) -> Any:
    try:
        submission = forms_access.visible_submission(
            db_session(), me(), user_scope(), submission_id
        )
        activation.check_readable(submission.module)
    except NotFound:
        abort(404)
    return submission


# --- the modules' own pages ------------------------------------------------------------------


def mount(app: Flask, host: PluginHost) -> None:
    """Register every installed module's pages under ``/t/<slug>/m/<module>/``. All are
    registered at start (Flask cannot add routes later); each request answers 404 unless the
    county admitted the module and, for a pilot, the user's scope reaches a pilot township."""
    for module in host.installed.values():
        if not module.portal_pages:
            continue
        outer = Blueprint(
            f"module_pages_{module.name}", __name__, url_prefix=f"/t/<slug>/m/{module.name}"
        )
        outer.url_value_preprocessor(bind_tenant)
        outer.url_defaults(add_slug)
        outer.before_request(login_required(lambda name=module.name: _check_live(name)))
        # The portal's layout needs what its own pages get: the county, the user, the menu.
        outer.context_processor(shell._shell_context)
        outer.context_processor(_module_menu)
        outer.after_request(shell._security_headers)
        for pages in module.portal_pages:
            outer.register_blueprint(pages.blueprint)
        app.register_blueprint(outer)


def _check_live(module: str) -> None:
    if getattr(current_user, "tenant_id", None) != g.tenant.id:
        abort(404)
    try:
        activation.check_request(module, scope_of(db_session(), current_user), request.method)
    except NotFound:
        abort(404)
    except Conflict as error:
        abort(409, str(error))


def _check_works() -> None:
    """The security and audit administrators (三员分立) fill in and read no module forms: for
    them the pages do not exist."""
    if me().role in NON_WORKING_ROLES:
        abort(404)
