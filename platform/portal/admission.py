"""Admission (准入制) in the portal: a department's officer applies for a module and follows the
review; the county administrator records the meeting's decision, widens pilots, suspends,
resumes and withdraws, and sees which modules are live in which townships."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gridgov.core import runtime
from gridgov.core.admission import access as admission_access
from gridgov.core.admission import service as admission
from gridgov.core.admission.models import Admission, AdmissionState
from gridgov.core.db import db_session
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.plugins.hookspecs import RequirementKind
from gridgov.portal.forms import PortalForm, split_codes
from gridgov.portal.shell import bp, level_name, me, run_change

ATTACHMENT_KINDS = {FileKind.PDF, FileKind.OFFICE, FileKind.IMAGE}
TEXT_MAX = Length(max=admission.MAX_TEXT)


class ApplyForm(PortalForm):
    """An application: department, module, the five items of 两明确、三到位 and attachments.
    The module's own requirements are added as fields ``req_<code>`` per module."""

    department = SelectField(_("申请部门"), coerce=int)
    module = SelectField(_("申请模块"))
    reason = TextAreaField(_("明确事由"), validators=[DataRequired(_("请填写明确事由")), TEXT_MAX])
    tasks = TextAreaField(
        _("明确具体任务"), validators=[DataRequired(_("请填写明确具体任务")), TEXT_MAX]
    )
    authority = TextAreaField(
        _("工作授权到位"), validators=[DataRequired(_("请填写工作授权到位")), TEXT_MAX]
    )
    training = TextAreaField(
        _("业务培训到位"), validators=[DataRequired(_("请填写业务培训到位")), TEXT_MAX]
    )
    funding = TextAreaField(
        _("工作经费到位"), validators=[DataRequired(_("请填写工作经费到位")), TEXT_MAX]
    )
    attachments = MultipleFileField(_("附件（会议纪要、授权文件、培训记录等）"))


class ApproveForm(PortalForm):
    meeting_date = DateField(_("会议日期"), validators=[DataRequired(_("请填写会议日期"))])
    minutes = TextAreaField(_("会议纪要"), validators=[DataRequired(_("请填写会议纪要")), TEXT_MAX])
    pilot = StringField(_("试点节点编码（留空为全县）"), validators=[Optional(), Length(max=500)])


class RejectForm(PortalForm):
    meeting_date = DateField(_("会议日期"), validators=[DataRequired(_("请填写会议日期"))])
    reasons = TextAreaField(
        _("不予准入的理由"), validators=[DataRequired(_("请填写理由")), TEXT_MAX]
    )


class WidenForm(PortalForm):
    nodes = StringField(_("增加的试点节点编码（留空为推广到全县）"), validators=[Length(max=500)])


class ReasonForm(PortalForm):
    reason = TextAreaField(_("理由"), validators=[DataRequired(_("请填写理由")), TEXT_MAX])


STEP_FORMS: dict[str, type[FlaskForm]] = {
    "approve": ApproveForm,
    "reject": RejectForm,
    "widen": WidenForm,
    "suspend": ReasonForm,
    "resume": ReasonForm,
    "withdraw": ReasonForm,
}
STEPS_BY_STATE = {
    AdmissionState.IN_REVIEW: ("approve", "reject"),
    AdmissionState.APPROVED: ("widen", "suspend", "withdraw"),
    AdmissionState.SUSPENDED: ("resume", "withdraw"),
}
STEP_LABELS = {
    "approve": _("准入（记录会议决定）"),
    "reject": _("不予准入"),
    "widen": _("扩大试点"),
    "suspend": _("暂停"),
    "resume": _("恢复"),
    "withdraw": _("撤销准入"),
}


def _requires_admission_role() -> None:
    if not admission_access.may_see_admissions(me()):
        abort(404)


def _visible(admission_id: int) -> Admission:
    try:
        return admission_access.visible_admission(db_session(), me(), admission_id)
    except NotFound:
        abort(404)


@bp.get("/admissions")
def admissions() -> Any:
    _requires_admission_role()
    session = db_session()
    found = list(session.scalars(admission_access.visible_admissions(session, me()).limit(200)))
    return render_template(
        "admission/list.html",
        admissions=found,
        state_labels=admission.STATE_LABELS,
        modules={m.name: m for m in runtime.current().plugins.modules()},
        may_apply=admission_access.may_apply(me()),
        may_review=admission_access.may_review(me()),
    )


def _apply_form(module_name: str | None) -> tuple[ApplyForm, list[Any]]:
    """The application form with the chosen module's requirements as extra fields."""
    session = db_session()
    host = runtime.current().plugins
    module = host.module(module_name or "") if module_name else None
    requirements = list(module.requirements) if module else []

    class WithRequirements(ApplyForm):
        pass

    for r in requirements:
        if r.kind == RequirementKind.TEXT:
            field = TextAreaField(r.label, validators=[Optional(), TEXT_MAX])
        else:
            field = MultipleFileField(r.label)
        setattr(WithRequirements, f"req_{r.code}", field)
    form = WithRequirements()
    form.department.choices = [
        (d.id, d.name) for d in admission_access.applying_departments(session, me())
    ]
    form.module.choices = [(m.name, f"{m.icon} {m.title}".strip()) for m in host.modules()]
    if module_name and request.method == "GET":
        form.module.data = module_name
    return form, requirements


@bp.route("/admissions/new", methods=["GET", "POST"])
def new_admission() -> Any:
    if not admission_access.may_apply(me()):
        abort(404)
    # The requirements shown are those of the module chosen, the first one until a choice.
    installed = runtime.current().plugins.modules()
    module_name = request.values.get("module") or (installed[0].name if installed else None)
    form, requirements = _apply_form(module_name)
    created: list[Admission] = []

    def apply() -> None:
        session = db_session()
        department = admission_access.applying_department(session, me(), form.department.data)
        attachments = [(f, None) for f in _store_uploads(form.attachments.data, "attachments")]
        answers: dict[str, str] = {}
        for r in requirements:
            field = form[f"req_{r.code}"]
            if r.kind == RequirementKind.TEXT:
                answers[r.code] = field.data or ""
            else:
                attachments += [(f, r.code) for f in _store_uploads(field.data, field.name)]
        created.append(
            admission.apply_for_module(
                session,
                me(),
                runtime.current().plugins,
                department=department,
                module=form.module.data,
                items={key: form[key].data for key in admission.FIVE_ITEMS},
                requirements=answers,
                attachments=attachments,
            )
        )

    is_apply = request.method == "POST" and "choose" not in request.form
    if is_apply and form.validate_on_submit() and run_change(form, apply, _REQUIREMENT_FIELDS):
        flash(_("已提交准入申请，等待县综治委主任办公会审议。"), "success")
        return redirect(url_for("portal.admission", admission_id=created[0].id))
    status = 422 if is_apply else 200
    page = render_template("admission/new.html", form=form, requirements=requirements)
    return page, status


# A service names "requirements"/"attachments"; the form shows those errors at its top.
_REQUIREMENT_FIELDS = {"requirements": "", "department_id": "department"}


def _store_uploads(uploads: list[Any] | None, field: str) -> list[Any]:
    stored = []
    for upload in uploads or []:
        if upload and upload.filename:
            stored.append(
                files.store_file(
                    db_session(),
                    me(),
                    name=upload.filename,
                    data=upload.stream,
                    kinds=ATTACHMENT_KINDS,
                    purpose=admission.FILE_PURPOSE,
                    field=field,
                )
            )
    return stored


@bp.get("/admissions/<int:admission_id>", endpoint="admission")
def admission_page(admission_id: int, forms: dict[str, FlaskForm] | None = None) -> Any:
    target = _visible(admission_id)
    steps = STEPS_BY_STATE.get(AdmissionState(target.state), ())
    may_review = admission_access.may_review(me())
    step_forms = {step: STEP_FORMS[step](prefix=step) for step in steps} if may_review else {}
    step_forms.update(forms or {})
    return render_template(
        "admission/detail.html",
        admission=target,
        module=runtime.current().plugins.module(target.module),
        state_labels=admission.STATE_LABELS,
        item_labels=admission.FIVE_ITEM_LABELS,
        step_forms=step_forms,
        step_labels=STEP_LABELS,
    )


@bp.post("/admissions/<int:admission_id>/<step>")
def decide_admission(admission_id: int, step: str) -> Any:
    target = _visible(admission_id)
    if step not in STEP_FORMS or not admission_access.may_review(me()):
        abort(404)
    form = STEP_FORMS[step](prefix=step)
    if form.validate_on_submit() and run_change(form, lambda: _run_step(step, target, form)):
        flash(_("已记录：%(step)s", step=STEP_LABELS[step]), "success")
        return redirect(url_for("portal.admission", admission_id=target.id))
    return admission_page(target.id, forms={step: form}), 422


def _run_step(step: str, target: Admission, form: Any) -> None:
    session, user = db_session(), me()
    if step == "approve":
        admission.approve_admission(
            session,
            user,
            target,
            meeting_date=form.meeting_date.data,
            minutes=form.minutes.data,
            pilot_nodes=_nodes(form.pilot.data, "pilot"),
        )
    elif step == "reject":
        admission.reject_admission(
            session, user, target, meeting_date=form.meeting_date.data, reasons=form.reasons.data
        )
    elif step == "widen":
        admission.widen_admission(session, user, target, nodes=_nodes(form.nodes.data, "nodes"))
    elif step == "suspend":
        admission.suspend_admission(session, user, target, reason=form.reason.data)
    elif step == "resume":
        admission.resume_admission(session, user, target, reason=form.reason.data)
    else:
        admission.withdraw_admission(session, user, target, reason=form.reason.data)


def _nodes(codes: str | None, field: str) -> list[Node]:
    session = db_session()
    found = []
    for code in split_codes(codes):
        node = hierarchy.get_node_by_code(session, code)
        if node is None:
            raise DomainError(_("没有编码为 %(code)s 的节点", code=code), field=field)
        found.append(node)
    return found


@bp.get("/admissions/<int:admission_id>/files/<int:file_id>")
def admission_file(admission_id: int, file_id: int) -> Any:
    target = _visible(admission_id)
    found = next((f.file for f in target.files if f.file_id == file_id), None)
    if found is None:
        abort(404)
    return send_file(files.file_path(found), mimetype=found.content_type, download_name=found.name)


@bp.get("/modules")
def modules_map() -> Any:
    """Which modules are live where: one row per installed module, one column per township."""
    if not admission_access.may_review(me()):
        abort(404)
    session = db_session()
    top = hierarchy.roots(session)
    townships = [c for root in top for c in hierarchy.children(session, root)] or top
    rows = []
    for info in runtime.current().plugins.modules():
        latest = admission.latest_admission(session, info.name)
        pilots = [p.node for p in latest.pilot_nodes] if latest else []
        live = latest is not None and latest.state == AdmissionState.APPROVED
        cells = [live and (not pilots or _overlaps(t, pilots)) for t in townships]
        rows.append((info, latest, cells))
    return render_template(
        "admission/modules.html",
        rows=rows,
        townships=townships,
        level_name=level_name(townships[0]) if townships else "",
        state_labels=admission.STATE_LABELS,
    )


def _overlaps(township: Node, pilots: list[Node]) -> bool:
    """A township is (partly) live when a pilot node is it, above it or inside it."""
    return any(township.path.startswith(p.path) or p.path.startswith(township.path) for p in pilots)
