"""The departments API: the county's departments (职能部门) and who acts for them. Every member
of staff may read them (tasks are dispatched to them); county administrators set them up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.views import MethodView

from gridgov.api import access
from gridgov.api.access import current_caller
from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.api.schemas import (
    DepartmentCreateSchema,
    DepartmentListArgsSchema,
    DepartmentSchema,
    DepartmentUpdateSchema,
    OfficersSchema,
)
from gridgov.core.accounts.models import User
from gridgov.core.db import db_session
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department

blp = ApiBlueprint(
    "departments",
    __name__,
    url_prefix="/t/<slug>/api/v1/departments",
    description="职能部门：部门、服务范围与部门人员",
)


@dataclass(frozen=True)
class DepartmentView:
    """A department with its officers; other attributes are the department's own."""

    department: Department
    officers: list[User]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.department, name)


def view(department: Department) -> DepartmentView:
    return DepartmentView(department, departments.officers(db_session(), department))


@blp.route("")
class Departments(MethodView):
    @blp.requires("departments:read")
    @blp.arguments(DepartmentListArgsSchema, location="query")
    @blp.response(200, DepartmentSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[DepartmentView]:
        """The county's departments, by name"""
        found = departments.list_departments(
            db_session(), include_inactive=args["include_inactive"]
        )
        return [view(d) for d in page_of(found, pagination_parameters)]

    @blp.requires("departments:write")
    @blp.arguments(DepartmentCreateSchema)
    @blp.response(201, DepartmentSchema)
    def post(self, data: dict[str, Any]) -> DepartmentView:
        """Create a department (county administrators)"""
        session, caller = db_session(), current_caller()
        access.check_may_manage_departments(caller)
        node = access.visible_node(session, caller, data.pop("node_id"))
        department = departments.create_department(session, caller.user, node=node, **data)
        session.commit()
        return view(department)


@blp.route("/<int:department_id>")
class DepartmentById(MethodView):
    @blp.requires("departments:read")
    @blp.response(200, DepartmentSchema)
    def get(self, department_id: int) -> DepartmentView:
        """A department and its officers"""
        return view(departments.get_department(db_session(), department_id))

    @blp.requires("departments:write")
    @blp.arguments(DepartmentUpdateSchema)
    @blp.response(200, DepartmentSchema)
    def patch(self, data: dict[str, Any], department_id: int) -> DepartmentView:
        """Rename a department, change what it serves or its phone, or deactivate it"""
        session, caller = db_session(), current_caller()
        access.check_may_manage_departments(caller)
        department = departments.get_department(session, department_id)
        if "node_id" in data:
            data["node"] = access.visible_node(session, caller, data.pop("node_id"))
        departments.update_department(session, caller.user, department, **data)
        session.commit()
        return view(department)


@blp.route("/<int:department_id>/officers")
class DepartmentOfficers(MethodView):
    @blp.requires("departments:write")
    @blp.arguments(OfficersSchema)
    @blp.response(200, DepartmentSchema)
    def put(self, data: dict[str, Any], department_id: int) -> DepartmentView:
        """Set who acts for the department (replaces the current officers)"""
        session, caller = db_session(), current_caller()
        access.check_may_manage_departments(caller)
        department = departments.get_department(session, department_id)
        users = [
            access.visible_user(session, caller, user_id)
            for user_id in dict.fromkeys(data["user_ids"])
        ]
        departments.set_officers(session, caller.user, department, users)
        session.commit()
        return view(department)
