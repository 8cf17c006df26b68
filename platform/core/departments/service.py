"""Use cases of departments: the county sets them up and names the officers acting for them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.service import clean_phone
from gridgov.core.audit import service as audit
from gridgov.core.audit.service import Actor
from gridgov.core.db import current_tenant_id
from gridgov.core.departments.models import Department, DepartmentOfficer
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.service import clean_code, clean_name
from gridgov.core.i18n import _


def get_department(session: Session, department_id: int) -> Department:
    """The department with this id in the current tenant, or NotFound."""
    department = session.get(Department, department_id)
    if department is None or department.tenant_id != current_tenant_id(session):
        raise NotFound(_("没有这个部门"))
    return department


def get_department_by_code(session: Session, code: str) -> Department | None:
    """The department with this code in the current tenant, or None."""
    return session.scalar(select(Department).where(Department.code == code))


def list_departments(session: Session, *, include_inactive: bool = False) -> list[Department]:
    """The current tenant's departments by name."""
    query = select(Department).order_by(Department.name, Department.id)
    if not include_inactive:
        query = query.where(Department.is_active.is_(True))
    return list(session.scalars(query))


def create_department(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    node: Node,
    phone: str | None = None,
) -> Department:
    """Create a department serving the subtree of ``node``."""
    code = clean_code(code)
    if get_department_by_code(session, code) is not None:
        # Unique per tenant: the message cannot reveal another county's department.
        raise Conflict(_("部门编码 %(code)s 已被使用", code=code), field="code")
    department = Department(
        code=code,
        name=clean_name(name),
        node_id=_active(node).id,
        phone=clean_phone(phone),
    )
    session.add(department)
    session.flush()
    audit.record(
        session,
        actor,
        "department.create",
        "department",
        department.id,
        after=_snapshot(department),
    )
    return department


def update_department(
    session: Session,
    actor: Actor,
    department: Department,
    *,
    name: str | None = None,
    node: Node | None = None,
    phone: Any = ...,
    is_active: bool | None = None,
) -> Department:
    """Rename a department, move it to another node, change its phone, (de)activate it."""
    before = _snapshot(department)
    if name is not None:
        department.name = clean_name(name)
    if node is not None:
        department.node_id = _active(node).id
    if phone is not ...:
        department.phone = clean_phone(phone)
    if is_active is not None:
        department.is_active = is_active
    after = _snapshot(department)
    if after != before:
        audit.record(
            session,
            actor,
            "department.update",
            "department",
            department.id,
            before=before,
            after=after,
        )
    return department


def officers(session: Session, department: Department) -> list[User]:
    """The users acting for ``department``, by name."""
    return list(
        session.scalars(
            select(User)
            .join(DepartmentOfficer, DepartmentOfficer.user_id == User.id)
            .where(DepartmentOfficer.department_id == department.id)
            .order_by(User.name, User.id)
        )
    )


def departments_of(session: Session, user: User) -> list[Department]:
    """The active departments ``user`` acts for."""
    return list(
        session.scalars(
            select(Department)
            .join(DepartmentOfficer, DepartmentOfficer.department_id == Department.id)
            .where(DepartmentOfficer.user_id == user.id, Department.is_active.is_(True))
            .order_by(Department.name)
        )
    )


def add_officer(session: Session, actor: Actor, department: Department, user: User) -> None:
    """Let ``user`` (a department officer) act for ``department``; nothing if they already do."""
    if user.role != Role.DEPARTMENT_OFFICER:
        raise DomainError(
            _("%(name)s 不是部门人员，只有部门人员可以代表部门", name=user.name), field="user_ids"
        )
    if _membership(session, department, user) is not None:
        return
    session.add(DepartmentOfficer(department_id=department.id, user_id=user.id))
    session.flush()
    audit.record(
        session,
        actor,
        "department.add_officer",
        "department",
        department.id,
        after={"user": user.username},
    )


def remove_officer(session: Session, actor: Actor, department: Department, user: User) -> None:
    """Stop ``user`` acting for ``department``; nothing if they did not."""
    membership = _membership(session, department, user)
    if membership is None:
        return
    session.delete(membership)
    session.flush()
    audit.record(
        session,
        actor,
        "department.remove_officer",
        "department",
        department.id,
        before={"user": user.username},
    )


def set_officers(session: Session, actor: Actor, department: Department, users: list[User]) -> None:
    """Make ``users`` exactly the officers of ``department``."""
    wanted = {user.id for user in users}
    for current in officers(session, department):
        if current.id not in wanted:
            remove_officer(session, actor, department, current)
    for user in users:
        add_officer(session, actor, department, user)


def _membership(session: Session, department: Department, user: User) -> DepartmentOfficer | None:
    return session.scalar(
        select(DepartmentOfficer).where(
            DepartmentOfficer.department_id == department.id,
            DepartmentOfficer.user_id == user.id,
        )
    )


def _active(node: Node) -> Node:
    if node.is_retired:
        raise DomainError(_("节点 %(name)s 已撤销", name=node.name), field="node_id")
    return node


def _snapshot(department: Department) -> dict[str, Any]:
    return {
        "code": department.code,
        "name": department.name,
        "node_id": department.node_id,
        "phone": department.phone,
        "is_active": department.is_active,
    }
