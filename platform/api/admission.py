"""The admission API (准入制): departments' officers apply for modules and follow their
applications; county administrators record the review meeting's decisions, widen pilots,
suspend, resume and withdraw; and see which modules are live where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, send_file
from flask.views import MethodView
from flask_smorest import abort

from gridgov.api import access
from gridgov.api.access import current_caller
from gridgov.api.admission_schemas import (
    AdmissionApplySchema,
    AdmissionDetailSchema,
    AdmissionListArgsSchema,
    AdmissionSchema,
    ApproveSchema,
    ModuleStatusSchema,
    ReasonSchema,
    RejectSchema,
    WidenSchema,
)
from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.api.schemas import StoredFileSchema
from gridgov.core import runtime
from gridgov.core.admission import access as admission_access
from gridgov.core.admission import service as admission
from gridgov.core.admission.models import Admission
from gridgov.core.db import db_session
from gridgov.core.errors import NotFound
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind, StoredFile
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _

blp = ApiBlueprint(
    "admissions",
    __name__,
    url_prefix="/t/<slug>/api/v1",
    description="准入制：职能部门申请模块进入网格（两明确、三到位），县综治委主任办公会审议、试点与推广、暂停与撤销",
)

ATTACHMENT_KINDS = {FileKind.PDF, FileKind.OFFICE, FileKind.IMAGE}


def visible(admission_id: int) -> Admission:
    return admission_access.visible_admission(db_session(), current_caller().user, admission_id)


def reviewable(admission_id: int) -> Admission:
    return admission_access.reviewable_admission(db_session(), current_caller().user, admission_id)


def nodes(node_ids: list[int]) -> list[Node]:
    return access.assignable_nodes(db_session(), current_caller(), node_ids)


@blp.route("/admissions")
class Admissions(MethodView):
    @blp.requires("admission:read")
    @blp.arguments(AdmissionListArgsSchema, location="query")
    @blp.response(200, AdmissionSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Admission]:
        """Admissions the caller may see, newest first

        County administrators see all; a department's officers their departments'; others 404.
        """
        query = admission_access.visible_admissions(db_session(), current_caller().user, **args)
        return page_of(query, pagination_parameters)

    @blp.requires("admission:write")
    @blp.arguments(AdmissionApplySchema)
    @blp.response(201, AdmissionDetailSchema)
    def post(self, data: dict[str, Any]) -> Admission:
        """Apply for a module (a department's officer)

        States 两明确、三到位 (reason, tasks, authority, training, funding), answers the module's
        own requirements and names the files uploaded through ``POST /admissions/files``.
        """
        session, caller = db_session(), current_caller()
        department = admission_access.applying_department(
            session, caller.user, data["department_id"]
        )
        attachments = [(_own_upload(a["file_id"]), a["requirement"]) for a in data["attachments"]]
        created = admission.apply_for_module(
            session,
            caller.user,
            runtime.current().plugins,
            department=department,
            module=data["module"],
            items={key: data[key] for key in admission.FIVE_ITEMS},
            requirements=data["requirements"],
            attachments=attachments,
        )
        session.commit()
        return created


def _own_upload(file_id: int) -> StoredFile:
    try:
        return files.get_file(db_session(), file_id)
    except NotFound:
        raise NotFound(_("没有这个文件"), field="attachments") from None


@blp.route("/admissions/files")
class AdmissionFiles(MethodView):
    @blp.requires("admission:write")
    @blp.uploads(ATTACHMENT_KINDS)
    @blp.response(201, StoredFileSchema)
    def post(self) -> StoredFile:
        """Upload a document for an application (multipart field ``file``)

        PDF, Word/Excel or a photo; returns the id to name in ``attachments``.
        """
        session, caller = db_session(), current_caller()
        if not admission_access.may_apply(caller.user):
            raise NotFound(admission_access.NOT_FOUND)
        upload = request.files.get("file")
        if upload is None:
            abort(422, errors={"files": {"file": [str(_("请选择文件"))]}})
        stored = files.store_file(
            session,
            caller.user,
            name=upload.filename or "file",
            data=upload.stream,
            kinds=ATTACHMENT_KINDS,
            purpose=admission.FILE_PURPOSE,
        )
        session.commit()
        return stored


@blp.route("/admissions/<int:admission_id>")
class AdmissionById(MethodView):
    @blp.requires("admission:read")
    @blp.response(200, AdmissionDetailSchema)
    def get(self, admission_id: int) -> Admission:
        """An admission with its five items, attachments and history"""
        return visible(admission_id)


@blp.route("/admissions/<int:admission_id>/files/<int:file_id>")
class AdmissionFileById(MethodView):
    @blp.requires("admission:read")
    @blp.response(200, content_type="application/octet-stream")
    def get(self, admission_id: int, file_id: int) -> Any:
        """Download a document attached to the admission"""
        found = next((f.file for f in visible(admission_id).files if f.file_id == file_id), None)
        if found is None:
            raise NotFound(_("没有这个文件"))
        return send_file(
            files.file_path(found), mimetype=found.content_type, download_name=found.name
        )


def _decided(admission_id: int, step: Any, **kwargs: Any) -> Admission:
    """Run a county administrator's ``step`` on the admission and commit it."""
    session, caller = db_session(), current_caller()
    target = reviewable(admission_id)
    step(session, caller.user, target, **kwargs)
    session.commit()
    return target


@blp.route("/admissions/<int:admission_id>/approve")
class Approve(MethodView):
    @blp.requires("admission:write")
    @blp.arguments(ApproveSchema)
    @blp.response(200, AdmissionDetailSchema)
    def post(self, data: dict[str, Any], admission_id: int) -> Admission:
        """Approve (county admin)

        With the review meeting's date and minutes; ``pilot_node_ids`` make it a pilot in those
        townships first (试点先行).
        """
        return _decided(
            admission_id,
            admission.approve_admission,
            meeting_date=data["meeting_date"],
            minutes=data["minutes"],
            pilot_nodes=nodes(data["pilot_node_ids"]),
        )


@blp.route("/admissions/<int:admission_id>/reject")
class Reject(MethodView):
    @blp.requires("admission:write")
    @blp.arguments(RejectSchema)
    @blp.response(200, AdmissionDetailSchema)
    def post(self, data: dict[str, Any], admission_id: int) -> Admission:
        """Reject with reasons (county admin)"""
        return _decided(
            admission_id,
            admission.reject_admission,
            meeting_date=data["meeting_date"],
            reasons=data["reasons"],
        )


@blp.route("/admissions/<int:admission_id>/widen")
class Widen(MethodView):
    @blp.requires("admission:write")
    @blp.arguments(WidenSchema)
    @blp.response(200, AdmissionDetailSchema)
    def post(self, data: dict[str, Any], admission_id: int) -> Admission:
        """Widen a pilot (county admin)

        Adds ``node_ids`` to the pilot, or with none makes the module live county-wide.
        """
        return _decided(admission_id, admission.widen_admission, nodes=nodes(data["node_ids"]))


@blp.route("/admissions/<int:admission_id>/suspend")
class Suspend(MethodView):
    @blp.requires("admission:write")
    @blp.arguments(ReasonSchema)
    @blp.response(200, AdmissionDetailSchema)
    def post(self, data: dict[str, Any], admission_id: int) -> Admission:
        """Suspend (county admin)

        No new work; what the module stored stays readable.
        """
        return _decided(admission_id, admission.suspend_admission, reason=data["reason"])


@blp.route("/admissions/<int:admission_id>/resume")
class Resume(MethodView):
    @blp.requires("admission:write")
    @blp.arguments(ReasonSchema)
    @blp.response(200, AdmissionDetailSchema)
    def post(self, data: dict[str, Any], admission_id: int) -> Admission:
        """Resume a suspended module (county admin)"""
        return _decided(admission_id, admission.resume_admission, reason=data["reason"])


@blp.route("/admissions/<int:admission_id>/withdraw")
class Withdraw(MethodView):
    @blp.requires("admission:write")
    @blp.arguments(ReasonSchema)
    @blp.response(200, AdmissionDetailSchema)
    def post(self, data: dict[str, Any], admission_id: int) -> Admission:
        """Withdraw (county admin)

        For good: the module's records stay, read-only; bringing it back takes a new application.
        """
        return _decided(admission_id, admission.withdraw_admission, reason=data["reason"])


@dataclass(frozen=True)
class ModuleStatus:
    name: str
    title: str
    department: str
    version: str
    icon: str
    state: str | None
    pilot_nodes: list[Node]
    admission_id: int | None


@blp.route("/modules")
class Modules(MethodView):
    @blp.requires("admission:read")
    @blp.response(200, ModuleStatusSchema(many=True))
    def get(self) -> list[ModuleStatus]:
        """Installed modules and where each is live in the county (county admin)"""
        session, caller = db_session(), current_caller()
        if not admission_access.may_review(caller.user):
            raise NotFound(admission_access.NOT_FOUND)
        statuses = []
        for info in runtime.current().plugins.modules():
            latest = admission.latest_admission(session, info.name)
            statuses.append(
                ModuleStatus(
                    name=info.name,
                    title=info.title,
                    department=info.department,
                    version=info.version,
                    icon=info.icon,
                    state=latest.state if latest else None,
                    pilot_nodes=[p.node for p in latest.pilot_nodes] if latest else [],
                    admission_id=latest.id if latest else None,
                )
            )
        return statuses
