"""The operator API: platform operators create counties (tenants) and change them."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView

from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.api.schemas import TenantCreateSchema, TenantSchema, TenantUpdateSchema
from gridgov.core.db import db_session
from gridgov.core.onboarding import counties
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant

blp = ApiBlueprint(
    "tenants",
    __name__,
    url_prefix="/api/v1/tenants",
    description="平台运维：县（租户）的开通与设置",
    operator=True,
)


@blp.route("")
class Tenants(MethodView):
    @blp.requires("tenants:read")
    @blp.response(200, TenantSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> Any:
        """All counties, by slug"""
        return page_of(tenancy.list_tenants(db_session()), pagination_parameters)

    @blp.requires("tenants:write")
    @blp.arguments(TenantCreateSchema)
    @blp.response(201, TenantSchema)
    def post(self, data: dict[str, Any]) -> Tenant:
        """Create a county with its hierarchy levels

        The tree and the staff come next, through the county's own API or a manifest.
        """
        session = db_session()
        tenant = tenancy.create_tenant(session, g.operator, **data)
        session.commit()
        return tenant


@blp.route("/<int:tenant_id>")
class TenantById(MethodView):
    @blp.requires("tenants:read")
    @blp.response(200, TenantSchema)
    def get(self, tenant_id: int) -> Tenant:
        """A county, active or not"""
        return tenancy.get_tenant(db_session(), tenant_id)

    @blp.requires("tenants:write")
    @blp.arguments(TenantUpdateSchema)
    @blp.response(200, TenantSchema)
    def patch(self, data: dict[str, Any], tenant_id: int) -> Tenant:
        """Change a county's name, level names, settings, modules or whether it is active

        The number of levels can change only while the county has no nodes.
        """
        session = db_session()
        tenant = tenancy.get_tenant(session, tenant_id)
        counties.update_tenant(session, g.operator, tenant, **data)
        session.commit()
        return tenant
