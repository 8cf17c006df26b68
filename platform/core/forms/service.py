"""Use cases of declarative forms: submit a form at a node, read submissions back with the
version of the form they were made with, count them for assessment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import marshmallow as ma
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import NON_WORKING_ROLES, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.audit import service as audit
from gridgov.core.db import current_tenant_id
from gridgov.core.errors import DomainError, Forbidden, NotFound
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind, StoredFile
from gridgov.core.forms.definitions import FieldType, FormDefinition, definition_from_canonical
from gridgov.core.forms.models import FormSubmission, FormVersion
from gridgov.core.forms.schema import file_ids, schema_for, to_json
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.tenancy.county_time import Period

FILE_PURPOSE = "form"
BATCH = 1000
FILE_KINDS = {
    FieldType.PHOTO: {FileKind.IMAGE},
    FieldType.FILE: {FileKind.PDF, FileKind.OFFICE},
}


class FormInvalid(DomainError):
    """A submission does not fit its form; ``messages`` maps each field (and group row) at
    fault to what is wrong, in the shape marshmallow gives."""

    def __init__(self, messages: dict[str, Any]) -> None:
        super().__init__(_("表单填写有误，请按提示修改"))
        self.messages = messages

    def field_errors(self) -> dict[str, Any]:
        return self.messages


def stored_version(session: Session, form: FormDefinition) -> FormVersion:
    """The stored version of ``form`` as declared now, created on first use."""
    digest = form.digest()
    version = session.scalar(select(FormVersion).where(FormVersion.digest == digest))
    if version is not None:
        return version
    try:
        with session.begin_nested():
            version = FormVersion(code=form.code, digest=digest, definition=form.canonical())
            session.add(version)
    except IntegrityError:
        # Another request stored the same definition a moment ago: use theirs.
        version = session.scalar(select(FormVersion).where(FormVersion.digest == digest))
        assert version is not None
    return version


def validate_submission(form: FormDefinition, data: Any) -> dict[str, Any]:
    """``data`` checked against ``form`` and made plain JSON; FormInvalid says what is wrong."""
    try:
        loaded = schema_for(form).load(data if data is not None else {})
    except ma.ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_form": error.messages}
        raise FormInvalid(messages) from error
    return to_json(form, loaded)


def store_upload(
    session: Session, actor: User, field_type: FieldType, *, name: str, data: Any, field: str
) -> StoredFile:
    """Store a photo or document for a form field before the form is submitted."""
    kinds = FILE_KINDS.get(field_type)
    if kinds is None:
        raise DomainError(_("只能上传照片或文件"), field="kind")
    return files.store_file(
        session, actor, name=name, data=data, kinds=kinds, purpose=FILE_PURPOSE, field=field
    )


def submit_form(
    session: Session, actor: User, form: FormDefinition, *, module: str, node: Node, data: Any
) -> FormSubmission:
    """Validate ``data`` against ``form`` and store it at ``node`` with the form's current
    version. The caller has checked that the module is open for work at ``node``; the
    security and audit administrators (三员分立) do no county work and fill in no forms."""
    if actor.role in NON_WORKING_ROLES:
        raise Forbidden(_("审计管理员和安全管理员不填写业务表单"))
    values = validate_submission(form, data)
    for file_id in file_ids(form, values):
        _check_own_upload(session, actor, file_id)
    submission = FormSubmission(
        form_version_id=stored_version(session, form).id,
        form_code=form.code,
        module=module,
        node_id=node.id,
        data=values,
        submitted_by_id=actor.id,
    )
    session.add(submission)
    session.flush()
    audit.record(
        session,
        actor,
        "form.submit",
        "form_submission",
        submission.id,
        after={"form": form.code, "node_id": node.id},
    )
    return submission


def _check_own_upload(session: Session, actor: User, file_id: int) -> None:
    # Only files the submitter uploaded for a form: naming someone else's upload here would
    # let them read it through this submission.
    try:
        stored = files.get_file(session, file_id)
    except NotFound:
        stored = None
    if stored is None or stored.purpose != FILE_PURPOSE or stored.created_by_id != actor.id:
        raise FormInvalid({"_files": [str(_("文件 %(id)s 不存在或不是您上传的", id=file_id))]})


def uploads_in_use(session: Session, candidates: Sequence[StoredFile]) -> set[int]:
    """Which of ``candidates`` a submission refers to (a form keeps its files' ids among its
    values, where no foreign key sees them): a ``files.Holder`` for ``delete_unattached``.
    Only the uploaders' own submissions can name an upload (``submit_form`` checks it)."""
    wanted = {f.id: f for f in candidates if f.purpose == FILE_PURPOSE and f.created_by_id}
    if not wanted:
        return set()
    query = select(FormSubmission).where(
        FormSubmission.submitted_by_id.in_({f.created_by_id for f in wanted.values()}),
        FormSubmission.submitted_at >= min(f.created_at for f in wanted.values()),
    )
    definitions: dict[int, FormDefinition] = {}
    found: set[int] = set()
    for submission in session.scalars(query.execution_options(yield_per=BATCH)):
        definition = definitions.get(submission.form_version_id)
        if definition is None:
            definition = definitions[submission.form_version_id] = definition_of(submission)
        found.update(i for i in file_ids(definition, submission.data) if i in wanted)
    return found


def get_submission(session: Session, submission_id: int) -> FormSubmission:
    """The submission with this id in the current tenant, or NotFound."""
    submission = session.get(FormSubmission, submission_id)
    if submission is None or submission.tenant_id != current_tenant_id(session):
        raise NotFound(_("没有这份表单记录"))
    return submission


def definition_of(submission: FormSubmission) -> FormDefinition:
    """The form as it was when ``submission`` was made (not as the module declares it now)."""
    return definition_from_canonical(submission.version.definition)


def list_submissions(scope: Scope, *, form_code: str | None = None) -> Select[Any]:
    """SELECT of the submissions at nodes inside ``scope``, newest first."""
    query = (
        select(FormSubmission)
        .join(Node, Node.id == FormSubmission.node_id)
        .where(scope.node_filter())
        .order_by(FormSubmission.submitted_at.desc(), FormSubmission.id.desc())
    )
    if form_code is not None:
        query = query.where(FormSubmission.form_code == form_code)
    return query


def count_submissions(session: Session, form_code: str, *, user_id: int, period: Period) -> int:
    """How many ``form_code`` forms ``user_id`` submitted in ``period`` (county days): what
    scoring rules count."""
    since, until = period.starts_at, period.ends_at
    return (
        session.scalar(
            select(func.count(FormSubmission.id)).where(
                FormSubmission.form_code == form_code,
                FormSubmission.submitted_by_id == user_id,
                FormSubmission.submitted_at >= since,
                FormSubmission.submitted_at < until,
            )
        )
        or 0
    )
