"""Who may see and move admissions. A department's officers apply for their departments and
follow those applications; county administrators see them all and record the review
meeting's decisions; everyone else sees nothing of admission (NotFound, never Forbidden)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.admission import service as admission_service
from gridgov.core.admission.models import Admission
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.i18n import _

REVIEWER_ROLES = frozenset({Role.COUNTY_ADMIN})
APPLICANT_ROLES = frozenset({Role.DEPARTMENT_OFFICER})

NOT_FOUND = _("没有这个准入申请")


def may_see_admissions(user: User) -> bool:
    """County admins and department officers work with admissions; nobody else."""
    return user.is_active and user.role in REVIEWER_ROLES | APPLICANT_ROLES


def may_apply(user: User) -> bool:
    return user.is_active and user.role in APPLICANT_ROLES


def may_review(user: User) -> bool:
    return user.is_active and user.role in REVIEWER_ROLES


def visible_admissions(session: Session, user: User, **filters: Any) -> Any:
    """SELECT of the admissions ``user`` may see: all for county admins, their departments'
    for officers; NotFound for anyone else."""
    if may_review(user):
        return admission_service.list_admissions(**filters)
    if may_see_admissions(user):
        ids = [d.id for d in departments.departments_of(session, user)]
        return admission_service.list_admissions(department_ids=ids, **filters)
    raise NotFound(NOT_FOUND)


def visible_admission(session: Session, user: User, admission_id: int) -> Admission:
    """The admission if ``user`` may see it, else NotFound."""
    if not may_see_admissions(user):
        raise NotFound(NOT_FOUND)
    admission = admission_service.get_admission(session, admission_id)
    if may_review(user) or admission.department_id in _own_department_ids(session, user):
        return admission
    raise NotFound(NOT_FOUND)


def reviewable_admission(session: Session, user: User, admission_id: int) -> Admission:
    """The admission if ``user`` may decide on it: NotFound when they cannot see it,
    Forbidden when they see it (its department's officers) but only the county decides."""
    admission = visible_admission(session, user, admission_id)
    if not may_review(user):
        raise Forbidden(_("只有县级管理员可以记录审议结果、暂停或撤销准入"))
    return admission


def applying_departments(session: Session, user: User) -> list[Department]:
    """The departments ``user`` may apply for: those they act for, as an active officer."""
    return departments.departments_of(session, user) if may_apply(user) else []


def applying_department(session: Session, user: User, department_id: int) -> Department:
    """The department ``user`` applies for: one they are an officer of, else NotFound."""
    for department in applying_departments(session, user):
        if department.id == department_id:
            return department
    raise NotFound(_("没有这个部门"), field="department_id")


def _own_department_ids(session: Session, user: User) -> set[int]:
    return {d.id for d in departments.departments_of(session, user)}
