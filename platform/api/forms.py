"""The forms API: the forms of the modules admitted where the caller works, submitting one at
a node, and reading submissions back with the version of the form they were made with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, send_file
from flask.views import MethodView
from flask_smorest import abort

from gridgov.api import access
from gridgov.api.access import current_caller
from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.api.forms_schemas import (
    FormSchema,
    ModuleFigureSchema,
    SubmissionDetailSchema,
    SubmissionSchema,
    SubmitSchema,
    UploadArgsSchema,
)
from gridgov.api.schemas import StoredFileSchema
from gridgov.core.admission import activation
from gridgov.core.db import db_session
from gridgov.core.errors import NotFound
from gridgov.core.files import service as files
from gridgov.core.files.models import StoredFile
from gridgov.core.forms import access as forms_access
from gridgov.core.forms import service as forms
from gridgov.core.forms.definitions import FieldType, FormDefinition
from gridgov.core.forms.models import FormSubmission
from gridgov.core.forms.schema import file_ids
from gridgov.core.i18n import _
from gridgov.web import current_tenant

blp = ApiBlueprint(
    "forms",
    __name__,
    url_prefix="/t/<slug>/api/v1",
    description="模块表单：已准入模块的表单定义、填报与查看（旧记录按填报时的表单版本显示）",
)


@dataclass(frozen=True)
class FormView:
    code: str
    module: str
    title: str
    title_en: str
    version: str
    fields: list[dict[str, Any]]


def form_view(form: FormDefinition) -> FormView:
    canonical = form.canonical()
    return FormView(
        code=form.code,
        module=module_of(form.code),
        title=form.title,
        title_en=form.title_en,
        version=form.digest(),
        fields=canonical["fields"],
    )


def module_of(form_code: str) -> str:
    # Form codes start with their module's name (the plugin host refuses any other).
    return form_code.split(".", 1)[0]


def live_form(code: str) -> FormDefinition:
    form = activation.hooks_for(current_caller().scope).form(code)
    if form is None:
        raise NotFound(_("没有这个表单"))
    return form


def visible_submission(submission_id: int) -> FormSubmission:
    caller = current_caller()
    submission = forms_access.visible_submission(
        db_session(), caller.user, caller.scope, submission_id
    )
    activation.check_readable(submission.module)
    return submission


@dataclass(frozen=True)
class SubmissionView:
    submission: FormSubmission
    form: FormView | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.submission, name)


@blp.route("/forms")
class Forms(MethodView):
    @blp.requires("forms:read")
    @blp.response(200, FormSchema(many=True))
    def get(self) -> list[FormView]:
        """The forms of the modules live where the caller works"""
        return [form_view(f) for f in activation.hooks_for(current_caller().scope).forms()]


@blp.route("/forms/<code>")
class FormByCode(MethodView):
    @blp.requires("forms:read")
    @blp.response(200, FormSchema)
    def get(self, code: str) -> FormView:
        """A form's current definition"""
        return form_view(live_form(code))


@blp.route("/forms/<code>/submissions")
class Submissions(MethodView):
    @blp.requires("forms:read")
    @blp.response(200, SubmissionSchema(many=True))
    @blp.paginate()
    def get(self, code: str, pagination_parameters: Any) -> list[FormSubmission]:
        """Submissions of a form in the caller's scope, newest first

        Still readable after the county suspended or withdrew the module.
        """
        activation.check_readable(module_of(code))
        caller = current_caller()
        query = forms_access.visible_submissions(
            db_session(), caller.user, caller.scope, form_code=code
        )
        return page_of(query, pagination_parameters)

    @blp.requires("forms:write")
    @blp.arguments(SubmitSchema)
    @blp.response(201, SubmissionDetailSchema)
    def post(self, data: dict[str, Any], code: str) -> SubmissionView:
        """Submit a form at a node

        404 where the module is not admitted (outside a pilot too), 409 while the county has
        it suspended or withdrawn; field errors come under ``errors.json.data``.
        """
        session, caller = db_session(), current_caller()
        node = access.visible_node(session, caller, data["node_id"])
        module, form = activation.open_form(code, node)
        try:
            submission = forms.submit_form(
                session, caller.user, form, module=module.name, node=node, data=data["data"]
            )
        except forms.FormInvalid as invalid:
            session.rollback()
            abort(422, message=str(invalid.message), errors={"json": {"data": invalid.messages}})
        session.commit()
        return SubmissionView(submission, form_view(form))


@blp.route("/form-submissions/<int:submission_id>")
class SubmissionById(MethodView):
    @blp.requires("forms:read")
    @blp.response(200, SubmissionDetailSchema)
    def get(self, submission_id: int) -> SubmissionView:
        """A submission with the form as it was when it was made"""
        submission = visible_submission(submission_id)
        return SubmissionView(submission, form_view(forms.definition_of(submission)))


@blp.route("/form-submissions/<int:submission_id>/files/<int:file_id>")
class SubmissionFile(MethodView):
    @blp.requires("forms:read")
    @blp.response(200, content_type="application/octet-stream")
    def get(self, submission_id: int, file_id: int) -> Any:
        """Download a photo or document of a submission"""
        submission = visible_submission(submission_id)
        if file_id not in file_ids(forms.definition_of(submission), submission.data):
            raise NotFound(_("没有这个文件"))
        stored = files.get_file(db_session(), file_id)
        return send_file(
            files.file_path(stored), mimetype=stored.content_type, download_name=stored.name
        )


@blp.route("/form-files")
class FormFiles(MethodView):
    @blp.requires("forms:write")
    @blp.arguments(UploadArgsSchema, location="query")
    @blp.uploads(forms.FILE_KINDS[FieldType.PHOTO] | forms.FILE_KINDS[FieldType.FILE])
    @blp.response(201, StoredFileSchema)
    def post(self, args: dict[str, Any]) -> StoredFile:
        """Upload a photo or document for a form field (multipart field ``file``)

        Returns the id to give as the field's value when submitting.
        """
        session, caller = db_session(), current_caller()
        upload = request.files.get("file")
        if upload is None:
            abort(422, errors={"files": {"file": [str(_("请选择文件"))]}})
        stored = forms.store_upload(
            session,
            caller.user,
            FieldType(args["kind"]),
            name=upload.filename or "file",
            data=upload.stream,
            field="file",
        )
        session.commit()
        return stored


@dataclass(frozen=True)
class FigureView:
    module: str
    code: str
    label: str
    label_en: str
    value: float
    unit: str
    extra: dict[str, Any]


@blp.route("/module-figures")
class ModuleFigures(MethodView):
    @blp.requires("forms:read")
    @blp.response(200, ModuleFigureSchema(many=True))
    def get(self) -> list[FigureView]:
        """The admitted modules' dashboard figures for the caller's scope

        E.g. open fire hazards by grade, disputes reported and resolved within the grid; each
        module computes its own over what the caller may see.
        """
        caller = current_caller()
        figures = activation.hooks_for(caller.scope).dashboard_figures(
            session=db_session(), tenant=current_tenant(), scope=caller.scope
        )
        return [
            FigureView(
                module=module_of(f.code),
                code=f.code,
                label=f.label,
                label_en=f.label_en,
                value=f.value,
                unit=f.unit,
                extra=dict(f.extra),
            )
            for f in figures
        ]
