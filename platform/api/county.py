"""The county the caller works in, and the caller themselves with their API tokens."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from gridgov.api.access import current_caller
from gridgov.api.blueprint import ApiBlueprint
from gridgov.api.schemas import CountySchema, MeSchema, TokenSchema
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import ApiToken
from gridgov.core.db import db_session
from gridgov.core.tenancy.models import Tenant
from gridgov.web import current_tenant

tenant_blp = ApiBlueprint(
    "tenant", __name__, url_prefix="/t/<slug>/api/v1/tenant", description="本县：名称与层级"
)
me_blp = ApiBlueprint(
    "me", __name__, url_prefix="/t/<slug>/api/v1/me", description="当前用户与令牌"
)


@tenant_blp.route("")
class County(MethodView):
    @tenant_blp.requires(None)
    @tenant_blp.response(200, CountySchema)
    def get(self) -> Tenant:
        """The county: its name, its hierarchy's level names, its modules"""
        return current_tenant()


@me_blp.route("")
class Me(MethodView):
    @me_blp.requires(None)
    @me_blp.response(200, MeSchema)
    def get(self) -> dict[str, Any]:
        """Who the token acts for, in which county, with which scopes"""
        caller = current_caller()
        return {
            "user": caller.user,
            "county": current_tenant(),
            "scopes": sorted(caller.token_scopes),
        }


@me_blp.route("/tokens")
class MyTokens(MethodView):
    @me_blp.requires(None)
    @me_blp.response(200, TokenSchema(many=True))
    def get(self) -> list[ApiToken]:
        """The caller's tokens, newest first (revoked and expired ones too; never the token)"""
        return accounts.tokens_of(db_session(), current_caller().user)


@me_blp.route("/tokens/<int:token_id>")
class MyToken(MethodView):
    @me_blp.requires(None)
    @me_blp.response(204)
    def delete(self, token_id: int) -> None:
        """Revoke one of the caller's tokens now (this one too: it stops working at once)"""
        session, caller = db_session(), current_caller()
        record = accounts.get_token(session, caller.user, token_id)
        accounts.revoke_token(session, caller.user, record)
        session.commit()
