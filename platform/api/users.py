"""The accounts API: the county's staff as the caller may see them; the security administrator
creates and changes staff accounts and decides which nodes each person works on. Administrator
accounts (三员) are changed on the server only."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from gridgov.api import access
from gridgov.api.access import current_caller
from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.api.schemas import (
    AssignmentsSchema,
    TokenSchema,
    UserCreateSchema,
    UserListArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import ApiToken, User
from gridgov.core.db import db_session
from gridgov.web import current_tenant

blp = ApiBlueprint(
    "users",
    __name__,
    url_prefix="/t/<slug>/api/v1/users",
    description="账号与分配：人员、角色、负责的节点",
)


@blp.route("")
class Users(MethodView):
    @blp.requires("users:read")
    @blp.arguments(UserListArgsSchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[User]:
        """The accounts the caller may see, by username

        Filter by ``role``, by ``node_id`` (people attached to that node or below it) and by
        ``is_active``.
        """
        session, caller = db_session(), current_caller()
        node = None
        if "node_id" in args:
            node = access.visible_node(session, caller, args["node_id"])
        query = access.visible_users(
            caller, role=args.get("role"), node=node, is_active=args.get("is_active")
        )
        return page_of(query, pagination_parameters)

    @blp.requires("users:write")
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> User:
        """Create an account (the security administrator)

        Without a password the account cannot log in yet. Attach it to nodes with
        ``PUT /users/<id>/assignments``. Administrator roles (county, security and audit
        administrator) are given on the server only: 403.
        """
        session, caller = db_session(), current_caller()
        access.check_may_grant(caller, data["role"])
        user = accounts.create_user(session, caller.user, **data)
        session.commit()
        return user


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @blp.requires("users:read")
    @blp.response(200, UserSchema)
    def get(self, user_id: int) -> User:
        """An account and the nodes it is attached to"""
        return access.visible_user(db_session(), current_caller(), user_id)

    @blp.requires("users:write")
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """Change an account's name, role, phone, locale, or deactivate it

        A deactivated account can no longer log in and its API tokens stop working. An
        administrator's account, or an administrator role, is changed on the server only: 403.
        """
        session, caller = db_session(), current_caller()
        access.check_may_manage_users(caller)
        user = access.visible_user(session, caller, user_id)
        access.check_may_manage_account(caller, user)
        if data.get("role", user.role) != user.role:
            access.check_may_grant(caller, data["role"])
        accounts.update_user(session, caller.user, user, **data)
        session.commit()
        return user


@blp.route("/<int:user_id>/assignments")
class UserAssignments(MethodView):
    @blp.requires("users:write")
    @blp.arguments(AssignmentsSchema)
    @blp.response(200, UserSchema)
    def put(self, data: dict[str, Any], user_id: int) -> User:
        """Set the nodes an account works on (replaces the current ones)

        A grid worker becomes the responsible worker of each grid given; a grid already
        having one is refused (一格一员).
        """
        session, caller = db_session(), current_caller()
        access.check_may_manage_users(caller)
        user = access.visible_user(session, caller, user_id)
        access.check_may_manage_account(caller, user)
        nodes = access.assignable_nodes(session, caller, data["node_ids"])
        accounts.set_assignments(session, caller.user, current_tenant(), user, nodes)
        session.commit()
        return user


@blp.route("/<int:user_id>/tokens")
class UserTokens(MethodView):
    @blp.requires("users:read")
    @blp.response(200, TokenSchema(many=True))
    def get(self, user_id: int) -> list[ApiToken]:
        """An account's API tokens (the security administrator; never the tokens themselves)"""
        session, caller = db_session(), current_caller()
        access.check_may_manage_users(caller)
        return accounts.tokens_of(session, access.visible_user(session, caller, user_id))


@blp.route("/<int:user_id>/tokens/<int:token_id>")
class UserToken(MethodView):
    @blp.requires("users:write")
    @blp.response(204)
    def delete(self, user_id: int, token_id: int) -> None:
        """Revoke an account's token now (the security administrator, any account's: ending
        access grants nothing)"""
        session, caller = db_session(), current_caller()
        access.check_may_manage_users(caller)
        user = access.visible_user(session, caller, user_id)
        accounts.revoke_token(session, caller.user, accounts.get_token(session, user, token_id))
        session.commit()
