"""The county's rule table (规则表) and work calendar (工作日历) pages: every member of staff
reads them; county administrators edit the table as a whole (each save is a new version) and
set the days the national calendar gets wrong for the county."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from gridgov.core.db import db_session
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.i18n import _
from gridgov.core.tasks import calendar, reading, rules
from gridgov.core.tasks.rules import RuleSpec
from gridgov.portal.forms import PortalForm, show_domain_error
from gridgov.portal.shell import ADMIN_ROLES, bp, level_label, me, roles_required
from gridgov.web import current_tenant

BLANK_ROWS = 3
# Cells of a row, in the order of the table's columns; how each is read from the form.
INTEGERS = ("level", "yellow_percent", "red_percent", "escalate_to_level")
NUMBERS = ("hours", "yellow_points", "red_points")
TEXTS = ("task_type", "category", "state")


class RuleTableForm(PortalForm):
    """The CSRF token and why the rules change; the rows are read from ``r-<i>-<field>``."""

    note = TextAreaField(_("修改说明"), validators=[Length(max=500)])


class CalendarDayForm(PortalForm):
    day = DateField(_("日期"), validators=[DataRequired(_("请选择日期"))])
    kind = SelectField(
        _("这一天"),
        choices=[
            SelectChoice("off", _("放假（地方节假日）")),
            SelectChoice("work", _("上班（调休）")),
        ],
    )
    note = StringField(_("说明"), validators=[Length(max=100)])


@dataclass
class Row:
    """One row of the table as shown: what was typed and the problems next to its cells."""

    values: dict[str, str]
    errors: dict[str, str]


# --- the rule table --------------------------------------------------------------------------


@bp.get("/tasks/rules")
@login_required
def task_rules() -> Any:
    session = db_session()
    version = rules.current_version(session)
    found = rules.rules_of(session, version) if version else []
    rows = [Row(_cells(RuleSpec.of(r)), {}) for r in found]
    return _rules_page(RuleTableForm(formdata=None), rows)


@bp.post("/tasks/rules")
@roles_required(ADMIN_ROLES)
def save_task_rules() -> Any:
    form = RuleTableForm()
    rows, specs, problems = _read_rows()
    if form.validate_on_submit() and not problems:
        session = db_session()
        try:
            version = rules.replace_rules(
                session,
                me(),
                current_tenant(),
                reading.registry(),
                [spec for _shown, spec in specs],
                source="portal",
                note=form.note.data or "",
            )
            session.commit()
        except rules.RulesRefused as refused:
            session.rollback()
            for row, found in refused.problems.items():
                rows[specs[row][0]].errors.update(found)
            form.form_errors.append(str(_("规则表有误，请按标出的格子修改")))
        except DomainError as error:
            session.rollback()
            show_domain_error(form, error)
        else:
            if version is None:
                flash(_("规则表为空：各环节按引擎默认办理。"), "success")
            else:
                flash(_("已保存为规则表第 %(n)d 版。", n=version.number), "success")
            return redirect(url_for("portal.task_rules"))
    elif problems:
        form.form_errors.append(str(_("规则表有误，请按标出的格子修改")))
    return _rules_page(form, rows), 422


@bp.get("/tasks/rules/versions")
@login_required
def task_rule_versions() -> Any:
    session = db_session()
    found = list(session.scalars(rules.versions(session).limit(200)))
    return render_template("tasks/rule_versions.html", versions=found)


@bp.get("/tasks/rules/versions/<int:number>")
@login_required
def task_rule_version(number: int) -> Any:
    session = db_session()
    try:
        version = rules.get_version(session, number)
    except NotFound:
        abort(404)
    return render_template(
        "tasks/rule_version.html",
        version=version,
        rows=[Row(_cells(RuleSpec.of(r)), {}) for r in rules.rules_of(session, version)],
        **_choices(),
    )


def _rules_page(form: RuleTableForm, rows: list[Row]) -> str:
    session = db_session()
    shown = rows + [Row({}, {}) for _blank in range(BLANK_ROWS)]
    return render_template(
        "tasks/rules.html",
        form=form,
        rows=shown,
        version=rules.current_version(session),
        defaults=rules.engine_defaults(reading.usable_types(session)),
        may_edit=me().role in ADMIN_ROLES,
        **_choices(),
    )


def _choices() -> dict[str, Any]:
    """What the table's selects offer: the county's types, stages, levels and categories."""
    session = db_session()
    tenant = current_tenant()
    usable = reading.usable_types(session)
    states: dict[str, str] = {}
    for task_type in usable:
        for state in task_type.states:
            if state.is_open:
                states.setdefault(state.name, str(state.label))
    return {
        "types": [(t.name, str(t.label)) for t in usable],
        "states": list(states.items()),
        "levels": [(i, level_label(name)) for i, name in enumerate(tenant.level_names)],
        "categories": sorted({c for t in usable for c in reading.categories(tenant, t)}),
    }


def _cells(spec: RuleSpec) -> dict[str, str]:
    """A rule as the text of its cells (empty: not set)."""
    cells = {}
    for name, value in spec.as_dict().items():
        if value is None:
            cells[name] = ""
        elif name == "escalate":
            cells[name] = "yes" if value else "no"
        elif isinstance(value, float):
            cells[name] = f"{value:g}"
        else:
            cells[name] = str(value)
    return cells


def _read_rows() -> tuple[list[Row], list[tuple[int, RuleSpec]], bool]:
    """The rows typed into the table: each as shown, the non-empty ones as rules (with the
    index of the row they came from), and whether a cell could not be read."""
    rows: list[Row] = []
    specs: list[tuple[int, RuleSpec]] = []
    count = min(request.form.get("rows", type=int) or 0, rules.MAX_RULES + BLANK_ROWS)
    problems = False
    for i in range(count):
        values = {
            name: (request.form.get(f"r-{i}-{name}") or "").strip()
            for name in (*rules.KEYS, *rules.SETTINGS)
        }
        row = Row(values, {})
        rows.append(row)
        if not any(values.values()):
            continue  # a blank row, or one the administrator emptied to delete it
        parsed: dict[str, Any] = {}
        for name, text in values.items():
            if not text:
                continue
            try:
                parsed[name] = _parse(name, text)
            except ValueError:
                row.errors[name] = str(_("应为数字") if name in NUMBERS else _("应为整数"))
        if row.errors:
            problems = True
            continue
        specs.append((i, RuleSpec(**parsed)))
    return rows, specs, problems


def _parse(name: str, text: str) -> Any:
    if name in INTEGERS:
        return int(text)
    if name in NUMBERS:
        return float(text)
    if name == "escalate":
        return text == "yes"
    return text


# --- the work calendar -----------------------------------------------------------------------


@bp.get("/tasks/calendar")
@login_required
def work_calendar() -> Any:
    return _calendar_page(CalendarDayForm(formdata=None))


@bp.post("/tasks/calendar")
@roles_required(ADMIN_ROLES)
def set_work_calendar_day() -> Any:
    form = CalendarDayForm()
    if form.validate_on_submit():
        session = db_session()
        try:
            calendar.set_calendar_day(
                session,
                me(),
                form.day.data,
                is_workday=form.kind.data == "work",
                note=form.note.data or "",
            )
            session.commit()
        except DomainError as error:
            session.rollback()
            show_domain_error(form, error)
        else:
            flash(_("已保存 %(d)s。", d=form.day.data.isoformat()), "success")
            return redirect(url_for("portal.work_calendar", year=form.day.data.year))
    return _calendar_page(form), 422


@bp.post("/tasks/calendar/<day>/delete")
@roles_required(ADMIN_ROLES)
def remove_work_calendar_day(day: str) -> Any:
    form = FlaskForm()
    try:
        found = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    session = db_session()
    try:
        calendar.remove_calendar_day(session, me(), found)
    except NotFound:
        abort(404)
    session.commit()
    flash(_("已删除 %(d)s 的调整，按国家日历办理。", d=day), "success")
    return redirect(url_for("portal.work_calendar", year=found.year))


def _calendar_page(form: CalendarDayForm) -> str:
    tenant = current_tenant()
    year = request.args.get("year", type=int)
    if year is None or not dt.MINYEAR <= year <= dt.MAXYEAR:  # a date of that year must exist
        year = tenant.clock.today().year
    return render_template(
        "tasks/calendar.html",
        form=form,
        year=year,
        days=calendar.calendar_days(db_session(), year),
        may_edit=me().role in ADMIN_ROLES,
        delete_form=FlaskForm(),
    )
