"""The module's portal pages under ``/t/<slug>/m/civil_affairs/``: an overview with the figures,
due and overdue visits per level (drilling down to the grids and their workers) and the
overdue list; the care register; a person's care record with the details form; the visit
form, assistance and errand forms for the phone; the errands and the assistance lists. Labels
come in both languages (``Localized``); views are thin: check the form, call one service,
redirect or show it again with the problem next to its field (422)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gridgov.core.plugins.hookspecs import MenuEntry, PortalPages
from gridgov.sdk import caller, registry, tasks
from gridgov.sdk.county import clock_of
from gridgov.sdk.errors import NotFound
from gridgov.sdk.i18n import Localized as L
from gridgov.sdk.portal import PortalForm, id_value, me, paginate, run_change, user_scope
from gridgov.sdk.registry import Node, Person
from gridgov.sdk.storage import db_session
from gridgov_plugins.civil_affairs import service
from gridgov_plugins.civil_affairs.models import Errand

pages = Blueprint("civil_affairs_pages", __name__, template_folder="templates")
PAGES = PortalPages(
    pages,
    menu=(MenuEntry("overview", "民政关爱", "Care"),),
    visible=service.may_read,
)
REQUIRED = L("必填", "Required")
OVERDUE_SHOWN = 30


def _choices(labels: dict[Any, L], blank: bool = False) -> list[SelectChoice]:
    found = [SelectChoice(str(value), label) for value, label in labels.items()]
    return [SelectChoice("", L("（无）", "(none)")), *found] if blank else found


class RecordForm(PortalForm):
    disability_category = SelectField(
        L("残疾类别", "Disability"), choices=_choices(service.DISABILITY_LABELS, blank=True)
    )
    disability_level = SelectField(
        L("残疾等级", "Grade"), choices=_choices(service.LEVEL_LABELS, blank=True)
    )
    allowance_status = SelectField(
        L("低保状态", "Allowance"), choices=_choices(service.ALLOWANCE_LABELS, blank=True)
    )
    allowance_review_on = DateField(L("低保复核日期", "Review date"), validators=[Optional()])
    illness = StringField(L("大病名称", "Illness"), validators=[Length(max=200)])
    note = TextAreaField(L("备注", "Note"), validators=[Length(max=2000)])


class VisitForm(PortalForm):
    visited_on = DateField(L("走访日期", "Visited on"), validators=[DataRequired(REQUIRED)])
    condition = SelectField(
        L("身体和生活状况", "Condition"), choices=_choices(service.CONDITION_LABELS)
    )
    needs = TextAreaField(L("需求", "Needs"), validators=[Length(max=2000)])
    follow_up = TextAreaField(L("跟进措施", "Follow-up"), validators=[Length(max=2000)])
    needs_follow_up = BooleanField(L("需要跟进", "Needs a follow-up"))


class AssistanceForm(PortalForm):
    kind = SelectField(L("救助类型", "Kind"), choices=_choices(service.ASSISTANCE_LABELS))
    what = StringField(
        L("内容（如大米 2 袋、临时救助金）", "What"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )
    amount = DecimalField(L("金额（元）", "Amount (yuan)"), places=2, validators=[Optional()])
    quantity = IntegerField(L("数量", "Quantity"), validators=[Optional(), NumberRange(1, 100000)])
    given_on = DateField(L("发放日期", "Given on"), validators=[DataRequired(REQUIRED)])
    given_by = StringField(
        L("发放单位或人员", "Given by"), validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    to_household = BooleanField(L("发给全户", "To the whole household"))


class ErrandForm(PortalForm):
    kind = SelectField(L("代办事项", "Errand"), choices=_choices(service.ERRAND_LABELS))
    title = StringField(L("简述", "Summary"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(L("具体要求", "Details"), validators=[Length(max=2000)])
    idempotency_key = HiddenField()


class StepForm(PortalForm):
    action = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(L("说明", "Comment"), validators=[Length(max=2000)])
    # Checked by the service (only a confirmation carries a rating), not by the form.
    rating = SelectField(
        L("居民评价", "Resident's rating"),
        choices=_choices(service.RATING_LABELS, blank=True),
        validate_choice=False,
    )


@pages.before_request
def _readers_only() -> None:
    # Volunteers, supervisors, the audit administrator (三员分立) and other departments'
    # officers see none of the module's records.
    if not service.may_read(db_session(), me()):
        abort(404)


@pages.context_processor
def _labels() -> dict[str, Any]:
    session = db_session()
    return {
        "labels": service,
        "is_en": str(get_locale() or "") == "en",
        "may_keep": service.may_keep(session, me()),
        "may_request": service.may_request_errand(session, me()),
        "state_label": tasks.state_label,
    }


def _person(person_id: int) -> Person:
    try:
        return service.visible_person(db_session(), me(), user_scope(), person_id)
    except NotFound:
        abort(404)


def _chosen_node() -> Node:
    """The node the overview is about: ``?node=<id>`` if the user sees it, else their top."""
    session = db_session()
    node_id = request.args.get("node", type=id_value)
    if node_id is not None:
        try:
            return caller.visible_node(session, user_scope(), node_id)
        except NotFound:
            abort(404)
    roots = caller.scope_roots(session, user_scope())
    if not roots:
        abort(404)
    return roots[0]


@pages.get("/")
def overview() -> Any:
    session = db_session()
    today = clock_of(session).today()
    node = _chosen_node()
    due = service.due_list(session, me(), user_scope(), today=today)
    return render_template(
        "civil_affairs/overview.html",
        figures=service.dashboard_figures(session, user_scope()),
        node=node,
        trail=[n for n in registry.ancestors(session, node) if user_scope().contains_path(n.path)],
        levels=service.counts_by_level(session, me(), user_scope(), node, today=today, entries=due),
        workers=service.counts_by_worker(session, me(), user_scope(), today=today, entries=due)[
            :OVERDUE_SHOWN
        ],
        overdue=[e for e in due if e.is_overdue][:OVERDUE_SHOWN],
        due_soon=[e for e in due if not e.is_overdue][:OVERDUE_SHOWN],
        reviews=session.execute(
            service.allowance_reviews_due(session, me(), user_scope(), today=today).limit(
                OVERDUE_SHOWN
            )
        ).all(),
        today=today,
    )


@pages.get("/people")
def people() -> Any:
    session = db_session()
    tag = request.args.get("tag") or None
    if tag not in (None, *service.CARE_TAGS):
        tag = None
    text = (request.args.get("q") or "").strip()[:50]
    if registry.names_personal_data(text):  # never an ID number or phone in a URL
        text = ""
    query = service.care_people(session, me(), user_scope(), tag=tag, text=text or None)
    return render_template(
        "civil_affairs/people.html",
        page=paginate(session, query, args={"tag": tag or "", "q": text}),
        tag=tag,
        q=text,
        age_of=lambda p: service.age_of(session, p),
    )


def _render_person(person: Person, failed: tuple[str, PortalForm] | None = None, status=200):
    session = db_session()
    record = service.record_of(session, person)
    form = RecordForm(formdata=None, obj=record) if failed is None else failed[1]
    page = render_template(
        "civil_affairs/person.html",
        person=person,
        age=service.age_of(session, person),
        phone=service.masked_phone(person),
        tags=service.care_tags(person),
        grid=registry.get_node(session, person.node_id),
        record=record,
        form=form,
        failed=failed[0] if failed else None,
        visits=service.visits_of(session, person),
        assistance=service.assistance_of(session, person),
        errands=service.errands_of(session, person),
    )
    return page, status


@pages.get("/people/<int:person_id>")
def person(person_id: int) -> Any:
    return _render_person(_person(person_id))


@pages.post("/people/<int:person_id>/record")
def save_record(person_id: int) -> Any:
    found = _person(person_id)
    form = RecordForm()

    def change() -> None:
        service.save_record(
            db_session(),
            me(),
            user_scope(),
            found,
            service.RecordInput(
                disability_category=form.disability_category.data or None,
                disability_level=form.disability_level.data or None,
                allowance_status=form.allowance_status.data or None,
                allowance_review_on=form.allowance_review_on.data,
                illness=form.illness.data or "",
                note=form.note.data or "",
            ),
        )

    if form.validate() and run_change(form, change):
        return redirect(url_for(".person", person_id=person_id))
    return _render_person(_person(person_id), ("record", form), 422)


def _form_page(person: Person, form: PortalForm, kind: str, status: int = 200) -> Any:
    return render_template("civil_affairs/form.html", person=person, form=form, kind=kind), status


@pages.route("/people/<int:person_id>/visit", methods=["GET", "POST"])
def visit(person_id: int) -> Any:
    found = _person(person_id)
    form = VisitForm()
    if not form.is_submitted():
        form.visited_on.data = clock_of(db_session()).today()
        return _form_page(found, form, "visit")

    def change() -> None:
        service.record_care_visit(
            db_session(),
            me(),
            user_scope(),
            found,
            service.VisitInput(
                visited_on=form.visited_on.data,
                condition=form.condition.data,
                needs=form.needs.data or "",
                follow_up=form.follow_up.data or "",
                needs_follow_up=bool(form.needs_follow_up.data),
            ),
        )

    if form.validate() and run_change(form, change, {"notes": "needs", "person_id": ""}):
        return redirect(url_for(".person", person_id=person_id))
    return _form_page(_person(person_id), form, "visit", 422)


@pages.route("/people/<int:person_id>/assistance", methods=["GET", "POST"])
def assistance(person_id: int) -> Any:
    found = _person(person_id)
    form = AssistanceForm()
    if not form.is_submitted():
        form.given_on.data = clock_of(db_session()).today()
        return _form_page(found, form, "assistance")

    def change() -> None:
        service.record_assistance(
            db_session(),
            me(),
            user_scope(),
            found,
            service.AssistanceInput(
                kind=form.kind.data,
                what=form.what.data or "",
                given_on=form.given_on.data,
                given_by=form.given_by.data or "",
                amount=form.amount.data,
                quantity=form.quantity.data,
                to_household=bool(form.to_household.data),
            ),
        )

    if form.validate() and run_change(form, change):
        return redirect(url_for(".person", person_id=person_id))
    return _form_page(_person(person_id), form, "assistance", 422)


@pages.route("/people/<int:person_id>/errands/new", methods=["GET", "POST"])
def new_errand(person_id: int) -> Any:
    found = _person(person_id)
    form = ErrandForm()
    if not form.is_submitted():
        return _form_page(found, form, "errand")
    made: dict[str, Errand] = {}

    def change() -> None:
        made["errand"] = service.request_errand(
            db_session(),
            me(),
            user_scope(),
            found,
            service.ErrandInput(
                kind=form.kind.data,
                title=form.title.data or "",
                description=form.description.data or "",
                idempotency_key=form.idempotency_key.data or None,
            ),
        )

    if form.validate() and run_change(form, change, {"idempotency_key": ""}):
        return redirect(url_for(".errand", errand_id=made["errand"].id))
    return _form_page(_person(person_id), form, "errand", 422)


@pages.get("/errands")
def errands() -> Any:
    session = db_session()
    which = request.args.get("list", "open")
    is_open = {"open": True, "closed": False}.get(which)
    query = service.visible_errands(session, me(), user_scope(), is_open=is_open)
    return render_template(
        "civil_affairs/errands.html",
        page=paginate(session, query, rows=True, args={"list": which}),
        which=which,
    )


def _errand(errand_id: int) -> Errand:
    try:
        return service.visible_errand(db_session(), me(), user_scope(), errand_id)
    except NotFound:
        abort(404)


def _render_errand(errand: Errand, failed: StepForm | None = None, status: int = 200) -> Any:
    session = db_session()
    task = service.task_of(session, errand)
    rules = tasks.allowed_actions(session, me(), user_scope(), task)
    person = session.get(Person, errand.person_id) if errand.person_id else None
    page = render_template(
        "civil_affairs/errand.html",
        errand=errand,
        task=task,
        person=person,
        steps=[r for r in rules if r.action in service.ERRAND_STEPS],
        form=failed or StepForm(formdata=None),
        failed=failed.action.data if failed else None,
        history=tasks.history(session, task),
        action_label=tasks.task_type(task.task_type).action_label,
    )
    return page, status


@pages.get("/errands/<int:errand_id>")
def errand(errand_id: int) -> Any:
    return _render_errand(_errand(errand_id))


@pages.post("/errands/<int:errand_id>/step")
def errand_step(errand_id: int) -> Any:
    found = _errand(errand_id)
    form = StepForm()

    def change() -> None:
        service.take_errand_step(
            db_session(),
            me(),
            user_scope(),
            found,
            form.action.data,
            form.comment.data or "",
            form.rating.data or None,
        )

    if form.validate() and run_change(form, change):
        return redirect(url_for(".errand", errand_id=errand_id))
    return _render_errand(_errand(errand_id), form, 422)


@pages.get("/assistance")
def assistance_list() -> Any:
    session = db_session()
    query = service.visible_assistance(session, me(), user_scope())
    return render_template(
        "civil_affairs/assistance.html", page=paginate(session, query, rows=True)
    )
