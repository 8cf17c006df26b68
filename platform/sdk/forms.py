"""Forms declared as data (``gridgov_forms``): the definition types, submitting a form (the
core validates it and keeps the definition's version), reading and counting submissions."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from gridgov.core.forms.definitions import Choice, Field, FieldType, FormDefinition, ShowIf
from gridgov.core.forms.models import FormSubmission
from gridgov.core.forms.service import (
    FormInvalid,
    count_submissions,
    get_submission,
    store_upload,
    submit_form,
)

__all__ = [
    "Choice",
    "Field",
    "FieldType",
    "FormDefinition",
    "FormInvalid",
    "FormSubmission",
    "ShowIf",
    "count_all_submissions",
    "count_submissions",
    "get_submission",
    "store_upload",
    "submit_form",
    "unprocessed_submissions",
]


def count_all_submissions(session: Session, form_code: str) -> int:
    """How many ``form_code`` forms the current county has on file, whoever filed them."""
    query = select(func.count(FormSubmission.id)).where(FormSubmission.form_code == form_code)
    return session.scalar(query) or 0


def unprocessed_submissions(
    form_codes: Collection[str], processed_by: Collection[Any]
) -> Select[Any]:
    """A SELECT of the submissions of ``form_codes`` that no row of the module's tables refers
    to yet, oldest first: ``processed_by`` are the module's columns holding a submission id
    (e.g. ``Patrol.submission_id``)."""
    query = select(FormSubmission).where(FormSubmission.form_code.in_(tuple(form_codes)))
    for column in processed_by:
        query = query.where(~exists().where(column == FormSubmission.id))
    return query.order_by(FormSubmission.id)
