"""The module's portal pages under ``/t/<slug>/m/fire_safety/``: the overview with its figures
per level, the checklists filled on a phone, the rectification ledger (整改台帐) by node, site
and grade, one hazard, the county's announcements (社会公告), the four-abilities checks and the
fire leaders per community. Steps of a hazard or a report (整改、复查、查处 …) are taken on the
core's task page, which runs this module's workflows.

Every GET only reads. Chinese first: labels come in both languages (``t(zh, en)``) and are
picked by the reader's locale, as the core's module forms do.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gridgov.core.plugins.hookspecs import MenuEntry, PortalPages
from gridgov.sdk import caller, county, forms, registry, tasks
from gridgov.sdk.caller import Role, Scope
from gridgov.sdk.county import clock_of, current_tenant
from gridgov.sdk.errors import DomainError, NotFound
from gridgov.sdk.forms import FormDefinition
from gridgov.sdk.i18n import Localized
from gridgov.sdk.portal import (
    EXTRA_ROWS,
    MAX_ROWS_SHOWN,
    grids_to_fill,
    id_value,
    me,
    paginate,
    posted_values,
    run_change,
    scope_roots,
    stored_photo,
    user_scope,
)
from gridgov.sdk.registry import Node, Site, SiteView
from gridgov.sdk.storage import db_session
from gridgov.sdk.tasks import Task
from gridgov_plugins.fire_safety import figures, hazards, inspections
from gridgov_plugins.fire_safety.checklists import (
    ABILITY_FORM_DEFINITION,
    GRADES,
    ITEMS,
    PATROL_FORMS,
    SITE_TYPES,
    ability_label,
)
from gridgov_plugins.fire_safety.models import AbilityCheck, Grade, Hazard, Patrol
from gridgov_plugins.fire_safety.workflow import HAZARD, REPORT

pages = Blueprint("fire_safety_pages", __name__, template_folder="templates")
PAGES = PortalPages(
    pages, menu=(MenuEntry("overview", "消防安全", "Fire safety"),), visible=hazards.may_read
)

MAX_SITES = 300  # sites offered in a picker; beyond that the place is typed


def t(zh: str, en: str) -> str:
    """A label of the module in the reader's language."""
    return str(Localized(zh, en))


@pages.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "t": t,
        "hazard_label": hazards.hazard_label,
        "grade_label": hazards.grade_label,
        "site_type_label": hazards.site_type_label,
        "ability_label": ability_label,
        "state_label": tasks.state_label,
        "hazard_state_label": _hazard_state_label,
        "hazard_states": figures.HAZARD_STATES,
        "percent": figures.percent,
        "today": clock_of(db_session()).today(),
    }


@pages.before_request
def _readers_only() -> None:
    # Volunteers, the audit administrator (三员分立) and other departments' officers see none
    # of the module's records.
    if not hazards.may_read(db_session(), me()):
        abort(404)


def _hazard_state_label(state: str) -> str:
    return str(tasks.task_type(HAZARD).state(state).label)


def _found(lookup: Any, *args: Any) -> Any:
    """The record ``lookup`` finds for the user, or 404."""
    try:
        return lookup(db_session(), me(), user_scope(), *args)
    except NotFound:
        abort(404)


def _chosen_node() -> Node:
    """The node a page is about: ``?node=<id>`` if the user sees it, else their first root."""
    node_id = request.args.get("node", type=id_value)
    if node_id is not None:
        try:
            return caller.visible_node(db_session(), user_scope(), node_id)
        except NotFound:
            abort(404)
    roots = scope_roots()
    if not roots:
        abort(404)
    return roots[0]


# --- overview --------------------------------------------------------------------------------


@pages.get("/")
def overview() -> Any:
    session, scope = db_session(), user_scope()
    node = _chosen_node()
    today = clock_of(db_session()).today()
    children = registry.children(session, node)
    trail = registry.ancestors(session, node)
    month_start = today.replace(day=1)
    waiting_reports = list(
        session.scalars(
            tasks.visible_tasks(session, me(), scope, tasks.TaskFilter(is_open=True, node=node))
            .where(Task.task_type == REPORT)
            .limit(20)
        )
    )
    to_list: list[Any] = []
    if me().role == Role.COUNTY_ADMIN:
        to_list = list(
            session.execute(
                hazards.ledger(scope, hazards.LedgerFilter(node=node, grade=Grade.MAJOR), today)
                .where(Task.is_open.is_(True), Task.is_supervised.is_(False))
                .limit(20)
            ).all()
        )
    return render_template(
        "fire_safety/overview.html",
        node=node,
        trail=trail,
        visible_trail={n.id for n in trail if scope.contains(n)},
        counts=figures.hazard_counts(session, scope, today, node),
        by_child=figures.counts_by_child(session, scope, today, node, children),
        children=children,
        reports=figures.report_counts(session, _within(node)),
        patrols_this_month=figures.patrols_in(session, _within(node), month_start, today),
        leaders=figures.leader_count(session, _within(node)),
        waiting_reports=waiting_reports,
        to_list=to_list,
    )


def _within(node: Node) -> Scope:
    """The user's scope narrowed to ``node`` (which they see)."""
    scope = user_scope()
    if scope.contains(node):
        return Scope(paths=(node.path,))
    return scope


# --- checklists ------------------------------------------------------------------------------


@pages.get("/checklists")
def checklists() -> Any:
    session = db_session()
    recent = list(session.scalars(inspections.patrols(user_scope()).limit(20)))
    return render_template(
        "fire_safety/checklists.html", site_types=SITE_TYPES.values(), recent=recent
    )


def _sites(node_ids: list[int]) -> list[SiteView]:
    """Registry sites of the grids offered, for the picker (none when there are too many)."""
    if not node_ids:
        return []
    found = registry.sites_at(db_session(), node_ids, limit=MAX_SITES + 1)
    return found if len(found) <= MAX_SITES else []


def _fill(
    definition: FormDefinition, endpoint: str, endpoint_args: dict[str, Any], back: str
) -> Any:
    """Show a module form (GET) or submit it and process it at once (POST); a refused form
    comes back with what was typed and each problem next to its field."""
    grids = grids_to_fill()
    sites = _sites([g.id for g in grids])
    site_id = request.values.get("site_id", type=id_value)
    shown: dict[str, Any] = {"values": {}, "errors": {}, "message": None, "node_id": None}

    def page(status: int) -> Any:
        return render_template(
            "fire_safety/fill.html",
            form=definition,
            action=url_for(endpoint, **endpoint_args),
            grids=grids,
            sites=sites,
            site_id=site_id,
            back=back,
            extra_rows=EXTRA_ROWS,
            max_rows_shown=MAX_ROWS_SHOWN,
            **shown,
        ), status

    if request.method == "GET":
        picked = next((s for s in sites if s.id == site_id), None)
        if picked is not None:
            shown.update(values={"place": picked.name}, node_id=picked.node_id)
        return page(200)
    values, errors = posted_values(definition)
    shown.update(values=values, errors=errors, node_id=request.form.get("node_id", type=id_value))
    session = db_session()
    try:
        try:
            node = caller.visible_node(session, user_scope(), shown["node_id"] or 0)
        except NotFound:
            raise DomainError(t("请选择网格", "Choose a grid"), field="node_id") from None
        form = county.open_form(definition.code, node)
        made = inspections.submit(
            session, me(), user_scope(), node, form, values, site_id=site_id or None
        )
        if not errors:
            session.commit()
            flash(t("已提交。", "Submitted."), "success")
            if isinstance(made, Patrol):
                return redirect(url_for(".patrol", patrol_id=made.id))
            return redirect(url_for(".abilities"))
    except forms.FormInvalid as invalid:
        errors.update({**invalid.messages, **errors})
    except DomainError as refused:
        session.rollback()
        if refused.status != 422:
            shown["message"] = refused.message
            return page(refused.status)
        errors[refused.field or "_form"] = [str(refused.message)]
    session.rollback()
    return page(422)


@pages.route("/patrols/new/<site_type>", methods=["GET", "POST"])
def new_patrol(site_type: str) -> Any:
    found = SITE_TYPES.get(site_type)
    if found is None:
        abort(404)
    definition = PATROL_FORMS[found.form_code]
    return _fill(definition, ".new_patrol", {"site_type": site_type}, url_for(".checklists"))


@pages.get("/patrols/<int:patrol_id>")
def patrol(patrol_id: int) -> Any:
    found = _found(inspections.visible_patrol, patrol_id)
    session = db_session()
    return render_template(
        "fire_safety/patrol.html",
        patrol=found,
        node=registry.get_node(session, found.node_id),
        submission=forms.get_submission(session, found.submission_id),
        rows=inspections.hazards_of_patrol(session, found),
    )


# --- the ledger and one hazard ---------------------------------------------------------------


@pages.get("/ledger")
def ledger() -> Any:
    session, scope = db_session(), user_scope()
    node = _chosen_node()
    today = clock_of(db_session()).today()
    grade = request.args.get("grade") or None
    state = request.args.get("state") or None
    filters = hazards.LedgerFilter(
        node=node,
        grade=grade if grade in set(Grade) else None,
        state=state if state in figures.HAZARD_STATES else None,
        site_id=request.args.get("site_id", type=id_value),
        overdue=request.args.get("overdue") == "1",
    )
    query = hazards.ledger(scope, filters, today)
    return render_template(
        "fire_safety/ledger.html",
        node=node,
        page=paginate(session, query, rows=True),
        filters=filters,
        states=figures.HAZARD_STATES,
        hazard_type=tasks.task_type(HAZARD),
    )


@pages.get("/hazards/<int:hazard_id>")
def hazard(hazard_id: int) -> Any:
    found = _found(hazards.visible_hazard, hazard_id)
    session = db_session()
    task = hazards.task_of(session, found)
    return render_template(
        "fire_safety/hazard.html",
        hazard=found,
        task=task,
        node=registry.get_node(session, found.node_id),
        site=registry.get_site(session, found.site_id) if found.site_id else None,
        photos=tasks.attachments(session, task),
        history=tasks.history(session, task),
        rules=tasks.allowed_actions(session, me(), user_scope(), task),
        is_listed=hazards.is_listed(session, found),
        may_publish=me().role == Role.COUNTY_ADMIN,
        report=tasks.get_task(session, found.report_task_id) if found.report_task_id else None,
    )


@pages.post("/hazards/<int:hazard_id>/publish")
def publish(hazard_id: int) -> Any:
    found = _found(hazards.visible_hazard, hazard_id)
    session = db_session()
    try:
        hazards.publish_hazard(session, me(), user_scope(), found)
        session.commit()
        flash(t("已向社会公告。", "Published."), "success")
    except DomainError as refused:
        session.rollback()
        flash(str(refused.message), "error")
        return redirect(url_for(".hazard", hazard_id=hazard_id)), 303
    return redirect(url_for(".hazard", hazard_id=hazard_id))


class HazardForm(FlaskForm):
    """One hazard, recorded without a checklist (e.g. found investigating a report)."""

    node = SelectField(Localized("所在网格", "Grid"), coerce=int)
    site = SelectField(Localized("单位场所（可选）", "Site (optional)"), coerce=int, default=0)
    place = StringField(
        Localized("场所或楼栋名称", "Site or building"),
        validators=[DataRequired(Localized("请填写场所", "Name the site")), Length(max=200)],
    )
    item = SelectField(Localized("隐患类别", "Kind of hazard"))
    grade = SelectField(Localized("隐患等级", "Grade"), default="general")
    description = TextAreaField(Localized("隐患描述", "Description"), validators=[Length(max=2000)])
    found_on = DateField(Localized("检查日期", "Inspected on"), validators=[Optional()])
    deadline = DateField(
        Localized("整改期限（不填按县里规定的天数）", "Rectify by (empty: the county's default)"),
        validators=[Optional()],
    )
    photo = FileField(Localized("隐患照片", "Photo"))
    report_code = StringField(
        Localized("来自举报（查询码，可选）", "From a report (tracking code, optional)"),
        validators=[Length(max=16)],
    )


def _hazard_form() -> HazardForm:
    form = HazardForm()
    grids = grids_to_fill()
    form.node.choices = [(g.id, f"{g.name}（{g.code}）") for g in grids]
    form.site.choices = [(0, "—")] + [(s.id, s.name) for s in _sites([g.id for g in grids])]
    form.item.choices = [(code, item.hazard) for code, item in ITEMS.items()]
    form.grade.choices = [(c.value, Localized(c.label, c.label_en)) for c in GRADES]
    return form


@pages.route("/hazards/new", methods=["GET", "POST"])
def new_hazard() -> Any:
    form = _hazard_form()
    if not form.is_submitted():
        report_code = request.args.get("report")
        if report_code:
            _prefill_from_report(form, report_code)
        return render_template("fire_safety/new_hazard.html", form=form)
    if not form.validate():
        return render_template("fire_safety/new_hazard.html", form=form), 422
    session = db_session()
    made: dict[str, Hazard] = {}

    def record() -> None:
        node = caller.visible_node(session, user_scope(), form.node.data)
        report_id = None
        if (form.report_code.data or "").strip():
            report = tasks.get_task_by_code(session, form.report_code.data)
            report_id = report.id
        photo = stored_photo(me(), form.photo.data)
        made["hazard"] = hazards.record_hazard(
            session,
            me(),
            user_scope(),
            node,
            hazards.HazardInput(
                place=form.place.data or "",
                item=form.item.data,
                grade=form.grade.data,
                description=form.description.data or "",
                found_on=form.found_on.data,
                deadline=form.deadline.data,
                site_id=form.site.data or None,
                photo_ids=(photo.id,) if photo else (),
                report_task_id=report_id,
            ),
        )

    aliases = {
        "node_id": "node",
        "site_id": "site",
        "photo_ids": "photo",
        "file": "photo",
        "code": "report_code",
        "report_task_id": "report_code",
    }
    if not run_change(form, record, aliases):
        return render_template("fire_safety/new_hazard.html", form=form), 422
    flash(t("隐患已登记。", "Hazard filed."), "success")
    return redirect(url_for(".hazard", hazard_id=made["hazard"].id))


def _prefill_from_report(form: HazardForm, code: str) -> None:
    """Start a hazard from the resident's report being investigated (read only)."""
    try:
        report = tasks.get_task_by_code(db_session(), code)
        tasks.visible_task(db_session(), me(), user_scope(), report.id)
    except NotFound:
        return
    form.report_code.data = report.code
    form.place.data = report.location_text or report.title
    form.description.data = report.description
    if report.node_id in dict(form.node.choices):
        form.node.data = report.node_id


@pages.get("/announcements")
def announcements() -> Any:
    session = db_session()
    rows = session.execute(
        hazards.ledger(
            user_scope(), hazards.LedgerFilter(published=True), clock_of(db_session()).today()
        ).limit(200)
    ).all()
    return render_template("fire_safety/announcements.html", rows=rows)


@pages.get("/sites/<int:site_id>")
def site(site_id: int) -> Any:
    session = db_session()
    found: Site = _found(registry.visible_site, site_id)
    today = clock_of(db_session()).today()
    rows = session.execute(
        hazards.ledger(user_scope(), hazards.LedgerFilter(site_id=found.id), today)
    ).all()
    return render_template(
        "fire_safety/site.html",
        site=found,
        node=registry.get_node(session, found.node_id),
        rows=rows,
        patrols=list(session.scalars(inspections.patrols(user_scope(), site_id=found.id))),
        statuses=inspections.site_statuses(session, user_scope(), site_id=found.id),
    )


# --- four abilities --------------------------------------------------------------------------


@pages.get("/abilities")
def abilities() -> Any:
    session = db_session()
    return render_template(
        "fire_safety/abilities.html",
        statuses=inspections.site_statuses(session, user_scope()),
        revisit_days=inspections.revisit_days(session),
    )


@pages.route("/abilities/new", methods=["GET", "POST"])
def new_ability_check() -> Any:
    return _fill(ABILITY_FORM_DEFINITION, ".new_ability_check", {}, url_for(".abilities"))


@pages.get("/abilities/<int:check_id>")
def ability_check(check_id: int) -> Any:
    found: AbilityCheck = _found(inspections.visible_ability_check, check_id)
    session = db_session()
    return render_template(
        "fire_safety/ability_check.html",
        check=found,
        node=registry.get_node(session, found.node_id),
        previous=session.get(AbilityCheck, found.previous_id) if found.previous_id else None,
    )


# --- fire leaders ----------------------------------------------------------------------------


@pages.get("/leaders")
def leaders() -> Any:
    rows = figures.leader_coverage(
        db_session(), user_scope(), current_tenant(db_session()).grid_level
    )
    return render_template(
        "fire_safety/leaders.html",
        rows=rows,
        share=figures.LEADER_SHARE,
        tag=figures.LEADER_TAG,
    )
