"""Who reads which form submissions. Staff read what was filed at the nodes in their scope; a
department officer reads, within their scope, only the submissions of the modules their own
departments were admitted for — a fire brigade officer has no business reading a mediation
record of the same village."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import NON_WORKING_ROLES, Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.admission.models import Admission, AdmissionState
from gridgov.core.departments import service as departments
from gridgov.core.errors import NotFound
from gridgov.core.forms import service as forms
from gridgov.core.forms.models import FormSubmission
from gridgov.core.i18n import _

# An admission in one of these states was approved once: its module's records are its
# department's to read.
ONCE_APPROVED = (AdmissionState.APPROVED, AdmissionState.SUSPENDED, AdmissionState.WITHDRAWN)


def departments_modules(session: Session, user: User) -> frozenset[str] | None:
    """The modules a department officer reads (their departments were admitted for them);
    none for the security and audit administrators; None for every other role: they read
    every module's submissions in their scope."""
    if user.role in NON_WORKING_ROLES:
        return frozenset()  # the security and audit administrators read no records
    if user.role != Role.DEPARTMENT_OFFICER:
        return None
    ids = [department.id for department in departments.departments_of(session, user)]
    if not ids:
        return frozenset()
    return frozenset(
        session.scalars(
            select(Admission.module).where(
                Admission.department_id.in_(ids), Admission.state.in_(ONCE_APPROVED)
            )
        )
    )


def visible_submissions(
    session: Session, user: User, scope: Scope, *, form_code: str | None = None
) -> Any:
    """SELECT of the submissions ``user`` (seeing ``scope``) may read, newest first."""
    query = forms.list_submissions(scope, form_code=form_code)
    modules = departments_modules(session, user)
    if modules is not None:
        query = query.where(FormSubmission.module.in_(modules))
    return query


def visible_submission(
    session: Session, user: User, scope: Scope, submission_id: int
) -> FormSubmission:
    """The submission if ``user`` may read it, else NotFound (never Forbidden)."""
    submission = forms.get_submission(session, submission_id)
    modules = departments_modules(session, user)
    if not scope.contains(submission.node) or (
        modules is not None and submission.module not in modules
    ):
        raise NotFound(_("没有这份表单记录"))
    return submission
