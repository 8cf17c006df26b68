"""The module's portal pages under ``/t/<slug>/m/disputes/``: an overview with the figures
and the early warnings, the list of disputes, a report form for the phone, and a dispute's
page where each level takes its step and keeps the records. Labels come in both languages
(``Localized``); views are thin: check the form, call one service, redirect or show it again
with the problem next to its field (422)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gridgov.core.plugins.hookspecs import MenuEntry, PortalPages
from gridgov.sdk import county, files, registry, tasks
from gridgov.sdk.caller import may_read_registry
from gridgov.sdk.county import current_tenant
from gridgov.sdk.errors import NotFound
from gridgov.sdk.files import FileKind
from gridgov.sdk.i18n import Localized as L
from gridgov.sdk.portal import PortalForm, me, paginate, run_change, user_scope
from gridgov.sdk.registry import NodeView, Person
from gridgov.sdk.storage import db_session
from gridgov_plugins.disputes import service
from gridgov_plugins.disputes.models import Case

pages = Blueprint("disputes_pages", __name__, template_folder="templates")
PAGES = PortalPages(
    pages,
    menu=(MenuEntry("overview", "矛盾纠纷", "Disputes"),),
)
MAX_GRIDS = 300  # grids offered when reporting; more than that is a county admin's view

REQUIRED = L("必填", "Required")


def _choices(labels: dict[Any, L]) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


class ReportForm(PortalForm):
    node = SelectField(L("网格（网格单元）", "Grid (unit)"), coerce=int)
    title = StringField(
        L("纠纷简述", "Summary"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    kind = SelectField(L("纠纷类型", "Type"), choices=_choices(service.KIND_LABELS))
    risk_level = SelectField(L("风险等级", "Risk"), choices=_choices(service.RISK_LABELS))
    petition_risk = BooleanField(L("可能引发群体性上访", "Could become a group petition"))
    people_involved = IntegerField(
        L("涉及人数", "People involved"), default=2, validators=[NumberRange(1, 100000)]
    )
    found_by = SelectField(L("发现来源", "Found by"), choices=_choices(service.FOUND_BY_LABELS))
    finder_name = StringField(L("信息员姓名（非系统用户时填写）", "Volunteer's name"))
    description = TextAreaField(L("纠纷情况", "What happened"), validators=[Length(max=4000)])
    location_text = StringField(L("地点", "Place"), validators=[Length(max=300)])
    applicant = StringField(L("申请人姓名", "Applicant"), validators=[Length(max=100)])
    applicant_phone = StringField(L("申请人电话", "Applicant's phone"))
    respondent = StringField(L("被申请人姓名", "Respondent"), validators=[Length(max=100)])
    respondent_phone = StringField(L("被申请人电话", "Respondent's phone"))
    idempotency_key = HiddenField()


class StepForm(PortalForm):
    action = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(L("意见", "Comment"), validators=[Length(max=4000)])


class ReferForm(PortalForm):
    risk_level = SelectField(
        L("研判风险等级", "Risk as analysed"), choices=_choices(service.RISK_LABELS)
    )
    comment = TextAreaField(L("研判意见", "Analysis"), validators=[Length(max=4000)])


class OutcomeForm(PortalForm):
    outcome = SelectField(L("调解结果", "Outcome"), choices=_choices(service.OUTCOME_LABELS))
    referral = SelectField(
        L("调解不成的去向", "Referred to (if failed)"),
        choices=[SelectChoice("", L("（无）", "(none)")), *_choices(service.REFERRAL_LABELS)],
    )
    note = TextAreaField(L("结果说明", "Note"), validators=[Length(max=4000)])


class SessionForm(PortalForm):
    held_on = DateField(L("调解日期", "Date"), validators=[DataRequired(REQUIRED)])
    mediator = StringField(L("调解员", "Mediator"), validators=[Length(max=100)])
    attendees = StringField(L("参加人员", "Attendees"), validators=[Length(max=500)])
    notes = TextAreaField(L("调解情况", "Notes"), validators=[Length(max=4000)])


class AgreementForm(PortalForm):
    text = TextAreaField(L("协议内容", "Text"), validators=[Length(max=4000)])
    signed_on = DateField(L("签订日期", "Signed on"), validators=[DataRequired(REQUIRED)])
    scan = FileField(L("签字协议扫描件（PDF 或照片）", "Signed scan (PDF or photo)"))


class FollowUpForm(PortalForm):
    visited_on = DateField(L("回访日期", "Visited on"), validators=[DataRequired(REQUIRED)])
    is_kept = BooleanField(L("协议正在履行", "The agreement is being kept"))
    note = TextAreaField(L("回访情况", "Note"), validators=[Length(max=4000)])


class PartyForm(PortalForm):
    role = SelectField(L("身份", "Role"), choices=_choices(service.PARTY_ROLE_LABELS))
    person_id = IntegerField(
        L("人口库编号（在人口库中时）", "Registry id"), validators=[Optional()]
    )
    name = StringField(L("姓名（不在人口库时）", "Name (not in the registry)"))
    phone = StringField(L("电话", "Phone"))


RECORD_FORMS = {
    "step": StepForm,
    "refer": ReferForm,
    "outcome": OutcomeForm,
    "session": SessionForm,
    "agreement": AgreementForm,
    "follow_up": FollowUpForm,
    "party": PartyForm,
}


@pages.context_processor
def _labels() -> dict[str, Any]:
    return {
        "labels": service,
        "is_en": str(get_locale() or "") == "en",
        "may_report_case": service.may_report_case(me()),
    }


def _case(case_id: int) -> Case:
    try:
        return service.visible_case(db_session(), me(), user_scope(), case_id)
    except NotFound:
        abort(404)


@pages.get("/")
def overview() -> Any:
    session = db_session()
    warnings = session.execute(service.early_warnings(session, me(), user_scope()).limit(10)).all()
    due = session.execute(service.follow_ups_due(session, me(), user_scope()).limit(10)).all()
    return render_template(
        "disputes/overview.html",
        figures=service.dashboard_figures(session, user_scope()),
        warnings=warnings,
        due=due,
        office=service.office(session),
    )


@pages.get("/cases")
def case_list() -> Any:
    session = db_session()
    which = request.args.get("list", "open")
    filters = service.CaseFilter(is_open={"open": True, "closed": False}.get(which))
    query = service.visible_cases(session, me(), user_scope(), filters)
    return render_template(
        "disputes/list.html",
        page=paginate(session, query, rows=True, args={"list": which}),
        which=which,
        state_label=tasks.state_label,
    )


@pages.get("/warnings")
def warnings() -> Any:
    session = db_session()
    rows = session.execute(service.early_warnings(session, me(), user_scope())).all()
    return render_template("disputes/warnings.html", rows=rows, state_label=tasks.state_label)


def _report_nodes() -> list[NodeView]:
    """The grids the user may file under where the module is live (a pilot's townships)."""
    session = db_session()
    return registry.nodes_at_level(
        session,
        user_scope(),
        current_tenant(session).grid_level,
        under=county.pilot_paths(session, service.MODULE),
        limit=MAX_GRIDS,
    )


def _report_form() -> ReportForm:
    form = ReportForm()
    form.node.choices = [
        SelectChoice(node.id, f"{node.name}（{node.code}）") for node in _report_nodes()
    ]
    if not form.is_submitted() and me().role == "volunteer":
        form.found_by.data = "volunteer"
    elif not form.is_submitted() and me().role == "grid_worker":
        form.found_by.data = "grid_worker"
    return form


@pages.route("/cases/new", methods=["GET", "POST"])
def new_case() -> Any:
    form = _report_form()
    if not form.is_submitted():
        return render_template("disputes/new.html", form=form)
    if not form.validate():
        return render_template("disputes/new.html", form=form), 422
    made: dict[str, Case] = {}

    def report() -> None:
        session = db_session()
        try:
            node = registry.get_node(session, form.node.data)
        except NotFound:
            raise NotFound(L("没有这个网格", "No such grid"), field="node_id") from None
        parties = [
            service.PartyInput(role=role, name=name.data, phone=phone.data or None)
            for role, name, phone in (
                ("applicant", form.applicant, form.applicant_phone),
                ("respondent", form.respondent, form.respondent_phone),
            )
            if (name.data or "").strip()
        ]
        made["case"] = service.report_case(
            session,
            me(),
            user_scope(),
            node,
            service.CaseInput(
                title=form.title.data or "",
                kind=form.kind.data,
                description=form.description.data or "",
                risk_level=form.risk_level.data,
                petition_risk=bool(form.petition_risk.data),
                people_involved=form.people_involved.data or 2,
                found_by=form.found_by.data,
                finder_name=form.finder_name.data or "",
                location_text=form.location_text.data or "",
                parties=parties,
                idempotency_key=form.idempotency_key.data or None,
            ),
        )

    # The draft's key is a hidden field: a clash with another report of the user goes on top.
    aliases = {"node_id": "node", "phone": "applicant_phone", "idempotency_key": ""}
    if not run_change(form, report, aliases):
        return render_template("disputes/new.html", form=form), 422
    return redirect(url_for(".case", case_id=made["case"].id))


def _render_case(case: Case, failed: tuple[str, FlaskForm] | None = None, status: int = 200):
    session = db_session()
    task = service.task_of(session, case)
    rules = tasks.allowed_actions(session, me(), user_scope(), task)
    actions = {rule.action: rule for rule in rules}
    forms = {name: cls(formdata=None) for name, cls in RECORD_FORMS.items()}
    if failed is not None:
        forms[failed[0]] = failed[1]
    mediates = service.is_mediator(me())
    may_keep = mediates and task.is_open
    query, found = _people_search(may_keep)
    page = render_template(
        "disputes/case.html",
        case=case,
        task=task,
        state_label=tasks.state_label(task),
        node=registry.get_node(session, task.node_id),
        current_node=registry.get_node(session, task.current_node_id),
        steps=[actions[a] for a in service.STEPS if a in actions],
        may_refer="dispatch" in actions,
        may_close="close" in actions,
        may_visit="revisit" in actions,
        may_keep=may_keep,
        mediates=mediates,
        forms=forms,
        parties=service.parties(session, case),
        masked_phone=service.masked_phone,
        sessions=service.sessions(session, case),
        agreement=service.agreement(session, case),
        follow_ups=service.follow_ups(session, case),
        history=tasks.history(session, task),
        action_label=tasks.task_type(task.task_type).action_label,
        failed=failed[0] if failed else None,
        query=query,
        found=found,
    )
    return page, status


PEOPLE_SHOWN = 10


def _people_search(may_keep: bool) -> tuple[str, list[Person]]:
    """People of the registry matching ``?q=`` (a name prefix), to add as parties: only for
    those who keep the records and may read the registry; ID numbers and phones are never
    searched through a URL (they would end up in access logs)."""
    query = (request.args.get("q") or "").strip()[:50]
    if not (query and may_keep and may_read_registry(me())):
        return query, []
    if registry.names_personal_data(query):
        return query, []
    people = registry.people_query(user_scope(), text=query).limit(PEOPLE_SHOWN)
    return query, list(db_session().scalars(people))


@pages.get("/cases/<int:case_id>")
def case(case_id: int) -> Any:
    return _render_case(_case(case_id))


def _record(case_id: int, name: str, change: Any, aliases: dict[str, str] | None = None) -> Any:
    """Check the posted form ``name``, run ``change(form, case)``; back to the case page, or the
    page again with the form's problem marked (422)."""
    found = _case(case_id)
    form = RECORD_FORMS[name]()
    if form.validate() and run_change(form, lambda: change(form, found), aliases):
        return redirect(url_for(".case", case_id=case_id))
    return _render_case(_case(case_id), (name, form), 422)


@pages.post("/cases/<int:case_id>/step")
def step(case_id: int) -> Any:
    return _record(
        case_id,
        "step",
        lambda form, found: service.take_step(
            db_session(), me(), user_scope(), found, form.action.data, form.comment.data or ""
        ),
    )


@pages.post("/cases/<int:case_id>/refer")
def refer(case_id: int) -> Any:
    return _record(
        case_id,
        "refer",
        lambda form, found: service.refer_to_office(
            db_session(), me(), user_scope(), found, form.comment.data or "", form.risk_level.data
        ),
    )


@pages.post("/cases/<int:case_id>/outcome")
def outcome(case_id: int) -> Any:
    return _record(
        case_id,
        "outcome",
        lambda form, found: service.record_outcome(
            db_session(),
            me(),
            user_scope(),
            found,
            outcome=form.outcome.data,
            referral=form.referral.data or None,
            note=form.note.data or "",
        ),
        {"comment": "note"},
    )


@pages.post("/cases/<int:case_id>/sessions")
def record_session(case_id: int) -> Any:
    return _record(
        case_id,
        "session",
        lambda form, found: service.record_session(
            db_session(),
            me(),
            found,
            service.SessionInput(
                held_on=form.held_on.data,
                mediator=form.mediator.data or "",
                attendees=form.attendees.data or "",
                notes=form.notes.data or "",
            ),
        ),
    )


def _store_scan(upload: Any) -> Any:
    if not upload or not upload.filename:
        return None
    return files.store_file(
        db_session(),
        me(),
        name=upload.filename,
        data=upload.stream,
        kinds={FileKind.PDF, FileKind.IMAGE},
        purpose=service.FILE_PURPOSE,
        field="scan",
    )


@pages.post("/cases/<int:case_id>/agreement")
def record_agreement(case_id: int) -> Any:
    return _record(
        case_id,
        "agreement",
        lambda form, found: service.record_agreement(
            db_session(),
            me(),
            found,
            text=form.text.data or "",
            signed_on=form.signed_on.data,
            scan=_store_scan(form.scan.data),
        ),
    )


@pages.get("/cases/<int:case_id>/agreement/scan")
def agreement_scan(case_id: int) -> Any:
    try:
        stored = service.agreement_scan(db_session(), _case(case_id))
    except NotFound:
        abort(404)
    return send_file(
        files.file_path(stored), mimetype=stored.content_type, download_name=stored.name
    )


@pages.post("/cases/<int:case_id>/follow-ups")
def follow_up(case_id: int) -> Any:
    return _record(
        case_id,
        "follow_up",
        lambda form, found: service.record_follow_up(
            db_session(),
            me(),
            user_scope(),
            found,
            visited_on=form.visited_on.data,
            is_kept=bool(form.is_kept.data),
            note=form.note.data or "",
        ),
    )


@pages.post("/cases/<int:case_id>/parties")
def add_party(case_id: int) -> Any:
    return _record(
        case_id,
        "party",
        lambda form, found: service.add_party(
            db_session(),
            me(),
            user_scope(),
            found,
            service.PartyInput(
                role=form.role.data,
                name=form.name.data or "",
                person_id=form.person_id.data,
                phone=form.phone.data or None,
            ),
        ),
    )
