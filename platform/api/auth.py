"""Bearer-token authentication of API calls, with Authlib's resource protector.

County tokens look like ``ggv_<slug>_<secret>`` and work only under ``/t/<slug>/api/v1/``:
the tenant comes from the URL and the token names one, and the two must agree — a token of
another county answers 404 there without being looked up. Operator tokens (``ggo_<secret>``)
work only on the operator API. Unknown, expired and revoked tokens, and tokens of deactivated
accounts, answer 401; a token without the endpoint's scope answers 403.
"""

from __future__ import annotations

import datetime as dt
from typing import NoReturn

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6750 import BearerTokenValidator, InvalidTokenError
from flask import abort as flask_abort
from flask import g
from flask_smorest import abort

from gridgov.api.access import Caller
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import ApiToken, Operator, OperatorToken, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.audit import service as audit
from gridgov.core.db import db_session, set_tenant, utcnow
from gridgov.core.i18n import _

# Writing last_used_at on every call would turn each read into a write; a minute is as precise
# as "which tokens are still in use" needs.
LAST_USED_PRECISION = dt.timedelta(minutes=1)

OPERATOR_TOKEN_PREFIX = "ggo_"  # noqa: S105 - a prefix, not a secret


class Credential(TokenMixin):
    """A stored token and the account it acts for, as Authlib's validator expects a token."""

    def __init__(self, record: ApiToken | OperatorToken, account: User | Operator) -> None:
        self.record = record
        self.account = account

    def check_client(self, client: object) -> bool:
        return False  # tokens are minted for accounts, not for OAuth clients

    def get_scope(self) -> str:
        return self.record.scope

    def get_expires_in(self) -> int:
        if self.record.expires_at is None:
            return 0
        return max(0, int((self.record.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return self.record.expires_at is not None and self.record.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        # A deactivated account's tokens stop working at once, not when they expire.
        return self.record.revoked_at is not None or not self.account.is_active

    def get_user(self) -> User | Operator:
        return self.account


class CountyTokenValidator(BearerTokenValidator):
    """Finds a county user's token in the tenant the URL named (``bind_tenant`` ran first)."""

    def authenticate_token(self, token_string: str) -> Credential | None:
        slug = accounts.token_tenant_slug(token_string)
        if slug is None:
            return None  # an operator token or garbage: not a token of any county
        if slug != g.tenant.slug:
            flask_abort(404)
        g.presented_token_hash = accounts.token_hash(token_string)
        record = accounts.find_token(db_session(), token_string)
        return Credential(record, record.user) if record is not None else None

    def validate_token(self, token: Credential | None, scopes: object, request: object) -> None:
        try:
            super().validate_token(token, scopes, request)
        except InvalidTokenError:
            if g.get("presented_token_hash"):  # it named this county: someone tried to log in
                _record_refused(token)
            raise


def _record_refused(credential: Credential | None) -> None:
    """A county token refused, in the county's audit log: whose it was and why, and the start
    of its hash (``api_tokens.token_hash``) to tell it apart; never the token."""
    detail = {"token_hash": g.presented_token_hash[:16]}
    account = credential.account if credential is not None else None
    if credential is None:
        detail["reason"] = "unknown"
    else:
        detail["token_id"] = credential.record.id
        detail["reason"] = (
            "revoked"
            if credential.record.revoked_at is not None
            else "expired"
            if credential.is_expired()
            else "deactivated"
        )
    session = db_session()
    audit.record_failed_login(
        session,
        account.username if account is not None else "",
        account.id if account is not None else None,
        channel="api",
        detail=detail,
    )
    session.commit()  # the 401 that follows ends the request without a commit


class OperatorTokenValidator(BearerTokenValidator):
    """Finds a platform operator's token; county tokens are not valid here."""

    def authenticate_token(self, token_string: str) -> Credential | None:
        if not token_string.startswith(OPERATOR_TOKEN_PREFIX):
            return None
        record = accounts.find_operator_token(db_session(), token_string)
        return Credential(record, record.operator) if record is not None else None


_MESSAGES = {
    "missing_authorization": _("缺少访问令牌：请在 Authorization 头中提供 Bearer 令牌"),
    "unsupported_token_type": _("只接受 Bearer 令牌：Authorization: Bearer <令牌>"),
    "invalid_token": _("访问令牌无效、已过期或已被撤销"),
}


class Protector(ResourceProtector):
    """Authlib's resource protector answering in the API's error shape."""

    def raise_error_response(self, error: OAuth2Error, scope: str | None = None) -> NoReturn:
        # Keep WWW-Authenticate (RFC 6750 §3) and the no-store headers; the body is ours.
        headers = {
            name: value
            for name, value in error.get_headers()
            if name.lower() in {"www-authenticate", "cache-control", "pragma"}
        }
        if error.error == "insufficient_scope":
            message = _("访问令牌没有此操作所需的权限范围：%(scope)s", scope=scope or "")
        else:
            message = _MESSAGES.get(error.error, _MESSAGES["invalid_token"])
        abort(error.status_code, message=str(message), headers=headers)

    def authenticate(self, scope: str | None) -> Credential:
        """Verify the request's bearer token (and its scope, when one is needed)."""
        try:
            return self.acquire_token([scope] if scope else None)
        except OAuth2Error as error:
            self.raise_error_response(error, scope)


county_protector = Protector()
county_protector.register_token_validator(CountyTokenValidator(realm="gridgov"))
operator_protector = Protector()
operator_protector.register_token_validator(OperatorTokenValidator(realm="gridgov-operator"))


def authenticate_county_user(scope: str | None) -> Caller:
    """Check the token of a tenant API call and remember who is calling (``g.caller``)."""
    credential = county_protector.authenticate(scope)
    session = db_session()
    user = credential.account
    assert isinstance(user, User)
    _note_use(credential)
    g.caller = Caller(
        user=user,
        scope=scope_of(session, user),
        token_scopes=frozenset(credential.get_scope().split()),
    )
    return g.caller


def authenticate_operator(scope: str | None) -> Operator:
    """Check the token of an operator API call; the session then sees no county's rows."""
    set_tenant(db_session(), None)
    credential = operator_protector.authenticate(scope)
    operator = credential.account
    assert isinstance(operator, Operator)
    _note_use(credential)
    g.operator = operator
    return operator


def _note_use(credential: Credential) -> None:
    now = utcnow()
    last = credential.record.last_used_at
    if last is None or now - last >= LAST_USED_PRECISION:
        credential.record.last_used_at = now
        db_session.commit()
