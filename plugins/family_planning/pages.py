"""The module's portal pages under ``/t/<slug>/m/family_planning/``: the overview with its
figures and the lists of follow-ups and entitlements due, the targets (register one, one
target with its follow-ups, the follow-up form for the phone), the births (register one, link
the child), and the entitlements (apply, and each step by the role whose step it is).

Every GET only reads. Chinese first, English through ``Localized``; views are thin: check the
form, call one service, redirect — or show the form again with the problem marked (422).
People are shown by name and age: never an ID number, a phone or a birth date.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gridgov.core.plugins.hookspecs import MenuEntry, PortalPages
from gridgov.sdk import caller, county, forms, registry
from gridgov.sdk.county import clock_of
from gridgov.sdk.errors import DomainError, NotFound
from gridgov.sdk.i18n import Localized as L
from gridgov.sdk.portal import (
    EXTRA_ROWS,
    MAX_ROWS_SHOWN,
    PortalForm,
    me,
    paginate,
    posted_values,
    run_change,
    user_scope,
)
from gridgov.sdk.registry import PersonView
from gridgov.sdk.storage import db_session
from gridgov_plugins.family_planning import (
    access,
    births,
    entitlements,
    figures,
    follow_ups,
    targets,
)
from gridgov_plugins.family_planning.models import (
    EntitlementState,
    Scheme,
    Target,
    TargetKind,
)

pages = Blueprint("family_planning_pages", __name__, template_folder="templates")
PAGES = PortalPages(
    pages,
    menu=(MenuEntry("overview", "计划生育", "Family planning"),),
    visible=access.may_read,
)
REQUIRED = L("必填", "Required")
PEOPLE_SHOWN = 10
DUE_SHOWN = 50


def _choices(labels: dict[Any, L]) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


class TargetForm(PortalForm):
    person_id = IntegerField(
        L("人口库编号", "Registry id"), validators=[DataRequired(REQUIRED), NumberRange(1)]
    )
    kind = SelectField(
        L("对象类别", "Kind"),
        choices=[
            SelectChoice(TargetKind.WOMAN.value, targets.KIND_LABELS[TargetKind.WOMAN]),
            SelectChoice(TargetKind.SPECIAL.value, targets.KIND_LABELS[TargetKind.SPECIAL]),
        ],
    )
    special_kind = SelectField(
        L("特殊家庭类别（特殊家庭填写）", "Kind of special family"),
        choices=[SelectChoice("", L("（不适用）", "(n/a)")), *_choices(targets.SPECIAL_LABELS)],
    )
    recognised_on = DateField(
        L("认定日期（特殊家庭填写）", "Recognised on"), validators=[Optional()]
    )
    note = TextAreaField(L("备注", "Note"), validators=[Length(max=2000)])


class BirthForm(PortalForm):
    mother_id = SelectField(L("母亲（育龄妇女）", "Mother"), coerce=int)
    child_name = StringField(
        L("孩子姓名", "Child's name"), validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    sex = SelectField(L("性别", "Sex"), choices=_choices(births.SEX_LABELS))
    born_on = DateField(L("出生日期", "Born on"), validators=[DataRequired(REQUIRED)])
    place_of_birth = StringField(
        L("出生地点（医院）", "Place of birth"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )
    certificate_number = StringField(
        L("出生医学证明编号（可选）", "Birth certificate number (optional)"),
        validators=[Length(max=32)],
    )


class ChildForm(PortalForm):
    child_id = IntegerField(
        L("孩子的人口库编号", "The child's registry id"),
        validators=[DataRequired(REQUIRED), NumberRange(1)],
    )


class EntitlementForm(PortalForm):
    person_id = IntegerField(
        L("人口库编号", "Registry id"), validators=[DataRequired(REQUIRED), NumberRange(1)]
    )
    scheme = SelectField(L("扶助项目", "Scheme"), choices=_choices(entitlements.SCHEME_LABELS))
    year = IntegerField(L("年度", "Year"), validators=[Optional(), NumberRange(2000, 2100)])
    note = TextAreaField(L("申请说明", "Note"), validators=[Length(max=2000)])


class RefuseForm(PortalForm):
    reason = TextAreaField(
        L("不予通过的理由", "Reason"), validators=[DataRequired(REQUIRED), Length(max=2000)]
    )


class PayForm(PortalForm):
    amount = DecimalField(
        L("发放金额（元）", "Amount (yuan)"),
        places=2,
        validators=[DataRequired(REQUIRED), NumberRange(0.01, 999999)],
    )
    paid_on = DateField(L("发放日期", "Paid on"), validators=[DataRequired(REQUIRED)])


class StepForm(PortalForm):
    pass


@pages.before_request
def _readers_only() -> None:
    # Volunteers, the security and audit administrators (三员分立) and other departments'
    # officers see none of the module's records.
    if not access.may_read(db_session(), me()):
        abort(404)


@pages.context_processor
def _helpers() -> dict[str, Any]:
    session = db_session()
    return {
        "is_en": str(get_locale() or "") == "en",
        "today": clock_of(session).today(),
        "kind_labels": targets.KIND_LABELS,
        "special_labels": targets.SPECIAL_LABELS,
        "sex_labels": births.SEX_LABELS,
        "scheme_labels": entitlements.SCHEME_LABELS,
        "state_labels": entitlements.STATE_LABELS,
        "may_keep": access.may_keep(session, me()),
        "may_apply": me().role in entitlements.APPLICANTS,
    }


class _Refused(Exception):
    """A refusal that is not about the form (404, 403, 409): answered as such, not as a 422."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(str(error.message))
        self.error = error


def _store(form: PortalForm, change: Any) -> bool:
    """``run_change`` for the module's forms: a problem with what was typed marks the form
    (False, the page comes back as 422); a refusal of the step itself — out of scope, the
    wrong role, the module suspended (409) — is answered with its status and message."""

    def guarded() -> None:
        try:
            change()
        except DomainError as error:
            if error.status != 422:
                raise _Refused(error) from error
            raise

    try:
        return run_change(form, guarded)
    except _Refused as refused:
        db_session().rollback()
        abort(refused.error.status, description=str(refused.error.message))


def _found(lookup: Any, *args: Any) -> Any:
    try:
        return lookup(db_session(), me(), user_scope(), *args)
    except NotFound:
        abort(404)


def _people_search() -> tuple[str, list[PersonView]]:
    """People of the registry matching ``?q=`` (a name prefix) for a picker; ID numbers and
    phones are never searched through a URL (they would end up in access logs)."""
    query = (request.args.get("q") or "").strip()[:50]
    if not query or registry.names_personal_data(query) or not caller.may_read_registry(me()):
        return query, []
    found = registry.people_query(user_scope(), text=query).limit(PEOPLE_SHOWN)
    return query, [PersonView.of(person) for person in db_session().scalars(found)]


# --- overview --------------------------------------------------------------------------------


@pages.get("/")
def overview() -> Any:
    session = db_session()
    due = targets.due_follow_ups(session, me(), user_scope())
    owed = entitlements.due_entitlements(session, me(), user_scope())
    people = targets.people_of(session, owed[:DUE_SHOWN])
    grids = {n.id: n for n in _grids({line.node_id for line in due} | {d.node_id for d in owed})}
    return render_template(
        "family_planning/overview.html",
        figures=figures.dashboard_figures(session, user_scope()),
        due=due[:DUE_SHOWN],
        due_count=len(due),
        owed=owed[:DUE_SHOWN],
        owed_count=len(owed),
        people=people,
        grids=grids,
        office=county.module_department(session, access.MODULE),
    )


def _grids(node_ids: set[int]) -> list[Any]:
    session = db_session()
    return [registry.get_node(session, node_id) for node_id in sorted(node_ids)]


# --- targets ---------------------------------------------------------------------------------


@pages.get("/targets")
def target_list() -> Any:
    session = db_session()
    kind = request.args.get("kind")
    if kind not in set(TargetKind):
        kind = None
    page = paginate(session, targets.targets(user_scope(), kind=kind), args={"kind": kind or ""})
    return render_template(
        "family_planning/targets.html",
        page=page,
        people=targets.people_of(session, list(page.items)),
        kind=kind,
    )


def _target_page(form: TargetForm, status: int = 200) -> Any:
    query, found = _people_search()
    return render_template(
        "family_planning/new_target.html", form=form, query=query, found=found
    ), status


@pages.route("/targets/new", methods=["GET", "POST"])
def new_target() -> Any:
    form = TargetForm()
    if not form.is_submitted():
        form.person_id.data = request.args.get("person_id", type=int)
        return _target_page(form)
    if not form.validate():
        return _target_page(form, 422)
    made: dict[str, Target] = {}

    def register() -> None:
        made["target"] = targets.register_target(
            db_session(),
            me(),
            user_scope(),
            targets.TargetInput(
                person_id=form.person_id.data or 0,
                kind=form.kind.data,
                special_kind=form.special_kind.data or None,
                recognised_on=form.recognised_on.data,
                note=form.note.data or "",
            ),
        )

    if not _store(form, register):
        return _target_page(form, 422)
    return redirect(url_for(".target", target_id=made["target"].id))


@pages.get("/targets/<int:target_id>")
def target(target_id: int) -> Any:
    session = db_session()
    found = _found(targets.visible_target, target_id)
    made = follow_ups.follow_ups_of(session, found)
    return render_template(
        "family_planning/target.html",
        target=found,
        person=targets.people_of(session, [found]).get(found.person_id),
        node=registry.get_node(session, found.node_id),
        follow_ups=[(f, follow_ups.submission_of(session, f)) for f in made],
        condition_labels={c.value: (c.label_en, c.label) for c in follow_ups.CONDITIONS},
    )


@pages.route("/targets/<int:target_id>/follow-up", methods=["GET", "POST"])
def follow_up(target_id: int) -> Any:
    session = db_session()
    found = _found(targets.visible_target, target_id)
    definition = follow_ups.FORM
    shown: dict[str, Any] = {"values": {}, "errors": {}, "message": None}

    def page(status: int) -> Any:
        return render_template(
            "family_planning/follow_up.html",
            form=definition,
            target=found,
            person=targets.people_of(session, [found]).get(found.person_id),
            extra_rows=EXTRA_ROWS,
            max_rows_shown=MAX_ROWS_SHOWN,
            **shown,
        ), status

    if request.method == "GET":
        shown["values"] = {"visited_on": clock_of(session).today().isoformat()}
        return page(200)
    values, errors = posted_values(definition)
    shown.update(values=values, errors=errors)
    try:
        form = county.open_form(definition.code, registry.get_node(session, found.node_id))
        follow_ups.file_follow_up(session, me(), user_scope(), found, form, values)
        if not errors:
            session.commit()
            flash(str(L("随访已记录。", "Follow-up recorded.")), "success")
            return redirect(url_for(".target", target_id=found.id))
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


# --- births ----------------------------------------------------------------------------------


@pages.get("/births")
def birth_list() -> Any:
    session = db_session()
    page = paginate(session, births.births(user_scope()))
    return render_template(
        "family_planning/births.html",
        page=page,
        people=targets.people_of(session, list(page.items)),
        masked=births.masked_certificate,
    )


def _birth_form() -> BirthForm:
    session = db_session()
    form = BirthForm()
    women = list(session.scalars(targets.targets(user_scope(), kind=TargetKind.WOMAN.value)))
    people = targets.people_of(session, women)
    today = clock_of(session).today()
    form.mother_id.choices = [
        SelectChoice(p.id, f"{p.name}（{p.age(today) or '?'}岁）")
        for p in sorted(people.values(), key=lambda p: p.name)
    ]
    return form


@pages.route("/births/new", methods=["GET", "POST"])
def new_birth() -> Any:
    form = _birth_form()
    if not form.is_submitted():
        return render_template("family_planning/new_birth.html", form=form)
    if not form.validate():
        return render_template("family_planning/new_birth.html", form=form), 422

    def register() -> None:
        births.register_birth(
            db_session(),
            me(),
            user_scope(),
            births.BirthInput(
                mother_id=form.mother_id.data,
                child_name=form.child_name.data or "",
                sex=form.sex.data,
                born_on=form.born_on.data,
                place_of_birth=form.place_of_birth.data or "",
                certificate_number=form.certificate_number.data or None,
            ),
        )

    if not _store(form, register):
        return render_template("family_planning/new_birth.html", form=form), 422
    flash(str(L("出生已登记，全户已标记为新生儿家庭。", "Birth registered.")), "success")
    return redirect(url_for(".birth_list"))


@pages.route("/births/<int:birth_id>", methods=["GET", "POST"])
def birth(birth_id: int) -> Any:
    session = db_session()
    found = _found(births.visible_birth, birth_id)
    form = ChildForm()
    status = 200
    if form.is_submitted():
        linked = form.validate() and _store(
            form,
            lambda: births.link_child(
                db_session(), me(), user_scope(), found, form.child_id.data or 0
            ),
        )
        if linked:
            return redirect(url_for(".birth", birth_id=birth_id))
        status = 422
    return render_template(
        "family_planning/birth.html",
        birth=found,
        form=form,
        mother=targets.people_of(session, [found]).get(found.mother_id),
        members=registry.household_members(session, found.household_id),
        masked=births.masked_certificate,
    ), status


# --- entitlements ----------------------------------------------------------------------------


@pages.get("/entitlements")
def entitlement_list() -> Any:
    session = db_session()
    year = request.args.get("year", type=int) or clock_of(session).today().year
    state = request.args.get("state")
    if state not in set(EntitlementState):
        state = None
    query = entitlements.entitlements(user_scope(), year=year, state=state)
    page = paginate(session, query, args={"year": year, "state": state or ""})
    settings = county.current_tenant(session).settings or {}
    return render_template(
        "family_planning/entitlements.html",
        page=page,
        people=targets.people_of(session, list(page.items)),
        year=year,
        state=state,
        overdue={
            e.id
            for e in page.items
            if entitlements.is_overdue(e, settings, clock_of(session).today())
        },
        payment_due=entitlements.payment_due(settings, year),
    )


def _entitlement_form_page(form: EntitlementForm, status: int = 200) -> Any:
    query, found = _people_search()
    return render_template(
        "family_planning/new_entitlement.html", form=form, query=query, found=found
    ), status


@pages.route("/entitlements/new", methods=["GET", "POST"])
def new_entitlement() -> Any:
    form = EntitlementForm()
    if not form.is_submitted():
        form.person_id.data = request.args.get("person_id", type=int)
        if request.args.get("scheme") in set(Scheme):
            form.scheme.data = request.args["scheme"]
        return _entitlement_form_page(form)
    if not form.validate():
        return _entitlement_form_page(form, 422)
    made: dict[str, Any] = {}

    def apply() -> None:
        made["entitlement"] = entitlements.apply_for(
            db_session(),
            me(),
            user_scope(),
            entitlements.ApplicationInput(
                person_id=form.person_id.data or 0,
                scheme=form.scheme.data,
                year=form.year.data,
                note=form.note.data or "",
            ),
        )

    if not _store(form, apply):
        return _entitlement_form_page(form, 422)
    return redirect(url_for(".entitlement", entitlement_id=made["entitlement"].id))


def _entitlement_page(entitlement: Any, failed: dict[str, Any] | None = None, status: int = 200):
    session = db_session()
    settings = county.current_tenant(session).settings or {}
    shown = {"refuse": RefuseForm(formdata=None), "pay": PayForm(formdata=None)}
    shown.update(failed or {})
    return render_template(
        "family_planning/entitlement.html",
        entitlement=entitlement,
        person=targets.people_of(session, [entitlement]).get(entitlement.person_id),
        steps=entitlements.steps_for(session, me(), entitlement),
        is_overdue=entitlements.is_overdue(entitlement, settings, clock_of(session).today()),
        step_form=StepForm(formdata=None),
        **shown,
    ), status


@pages.get("/entitlements/<int:entitlement_id>")
def entitlement(entitlement_id: int) -> Any:
    return _entitlement_page(_found(entitlements.visible_entitlement, entitlement_id))


@pages.post("/entitlements/<int:entitlement_id>/<action>")
def entitlement_step(entitlement_id: int, action: str) -> Any:
    found = _found(entitlements.visible_entitlement, entitlement_id)
    user, scope = me(), user_scope()
    session = db_session()
    if action in ("check", "approve"):
        form: PortalForm = StepForm()
        step = getattr(entitlements, action)
        change: Any = lambda: step(session, user, scope, found)  # noqa: E731
    elif action == "refuse":
        form = RefuseForm()
        change = lambda: entitlements.refuse(  # noqa: E731
            session, user, scope, found, form.reason.data or ""
        )
    elif action == "pay":
        form = PayForm()
        change = lambda: entitlements.record_payment(  # noqa: E731
            session, user, scope, found, amount=form.amount.data, paid_on=form.paid_on.data
        )
    else:
        abort(404)
    if form.validate() and _store(form, change):
        return redirect(url_for(".entitlement", entitlement_id=entitlement_id))
    failed = {action: form} if action in ("refuse", "pay") else {}
    return _entitlement_page(_found(entitlements.visible_entitlement, entitlement_id), failed, 422)
