"""A module's REST API, built the way the core's is: a flask-smorest blueprint (routes and
marshmallow schemas land in ``/api/openapi.json``), the token check and the caller, the base
schema with Chinese messages, and pagination in the core's shape (``page``/``page_size``, the
``X-Pagination`` header)."""

from __future__ import annotations

from typing import Any

from gridgov.api.access import Caller, current_caller
from gridgov.api.auth import authenticate_county_user
from gridgov.api.blueprint import ApiBlueprint, page_of, page_of_rows
from gridgov.api.schemas import ApiSchema, QueryArgsSchema

__all__ = [
    "ApiSchema",
    "Blueprint",
    "Caller",
    "QueryArgsSchema",
    "authenticate",
    "current_caller",
    "page_of",
    "page_of_rows",
]


class Blueprint(ApiBlueprint):
    """A flask-smorest blueprint of a module's county API, mounted by the host under
    ``/t/<slug>/api/v1/modules/<module>/`` and documented in the OpenAPI spec. Declare each
    view's token scope with ``@blp.requires("tasks:read")`` above the other decorators."""

    def __init__(self, name: str, import_name: str, **kwargs: Any) -> None:
        super().__init__(name, import_name, operator=False, **kwargs)


def authenticate(scope: str | None) -> Caller:
    """Check the bearer token of this county API request (401 without a valid one, 403 when it
    lacks ``scope``; None: any valid token) and return the caller."""
    return authenticate_county_user(scope)
