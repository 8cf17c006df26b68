"""What every API blueprint shares: the tenant from the URL, the token check and the scope it
declares in the OpenAPI spec, JSON errors, and pagination done in the database."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import wraps
from typing import Any, ClassVar, NoReturn, TypeVar

import flask_smorest
from authlib.integrations.flask_oauth2 import current_token
from flask import Response, current_app
from flask_smorest import abort
from flask_smorest.pagination import PaginationMetadataSchema, PaginationParameters
from limits import parse as parse_limit
from marshmallow import ValidationError
from sqlalchemy import Row, Select, func, select
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from gridgov.api import auth, errors
from gridgov.core.db import db_session
from gridgov.core.errors import DomainError
from gridgov.core.files.models import FileKind
from gridgov.core.files.service import DEFAULT_MAX_BYTES, MiB
from gridgov.core.i18n import _
from gridgov.extensions import limiter
from gridgov.web import add_slug, bind_tenant

COUNTY_SCHEME = "countyToken"
OPERATOR_SCHEME = "operatorToken"

SECURITY_SCHEMES = {
    COUNTY_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "ggv_<slug>_<secret>",
        "description": "县级用户的访问令牌（gridgov tokens create --tenant SLUG --user NAME），"
        "只能用于该县 /t/<slug>/api/v1/ 下的接口。每个接口所需的权限范围见其 x-scope。",
    },
    OPERATOR_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "ggo_<secret>",
        "description": "平台运维的访问令牌，只能用于 /api/v1/ 下的运维接口。",
    },
}

# Matches the API_PAGE_SIZE_MAX default; a deployment may set that lower (checked per request).
MAX_PAGE_SIZE = 500
# No list has ten million pages; a larger page number would only ask the database for an
# offset past what it can count (2^63 fails in SQLite and PostgreSQL alike).
MAX_PAGE = 10_000_000

# X-Pagination is a JSON object in a header (flask-smorest's metadata): OpenAPI 3.0 says so
# with ``content``, where flask-smorest's own "PAGINATION" header gives a ``schema``, which
# would mean the comma-separated "simple" style ("total,3,page,1").
PAGINATION_HEADER = "Pagination"
PAGINATION_HEADER_DOC = {
    "description": "分页信息，一个 JSON 对象：total 总条数、total_pages 总页数、first_page 和"
    " last_page 首末页码（没有条目时不给）、page 本页页码（页码超出末页时不给）、"
    "previous_page 和 next_page 上一页和下一页的页码（没有时不给），例如"
    ' {"total": 120, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 2,'
    ' "previous_page": 1, "next_page": 3}。',
    "required": True,
    "content": {"application/json": {"schema": PaginationMetadataSchema}},
}

# What each kind of upload is called in the spec, in the order the limits are listed.
KIND_NAMES = {
    FileKind.IMAGE: "照片（JPEG、PNG、WebP）",
    FileKind.PDF: "PDF",
    FileKind.OFFICE: "Word/Excel/ODF 文档",
    FileKind.SPREADSHEET: "Excel 表格（.xlsx）",
}

LIMIT_NAMESPACE = "api-token"  # the limiter's namespace of the per-token counts

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class ArgumentsParser(FlaskParser):
    """webargs' parser, answering a body that is not JSON at all in Chinese too."""

    def _handle_invalid_json_error(
        self, error: Exception, req: Any, *args: Any, **kwargs: Any
    ) -> NoReturn:
        abort(400, errors={"json": [str(_("请求体不是有效的 JSON"))]})


class PaginationParser(ArgumentsParser):
    """Parses ``page`` and ``page_size``; flask-smorest's schema for them speaks English, so
    its messages are replaced by ours."""

    MESSAGES: ClassVar[dict[str, Any]] = {
        "page": _("页码须为 1 到 %(n)d 之间的整数", n=MAX_PAGE),
        "page_size": _("每页条数须为 1 到 %(n)d 之间的整数", n=MAX_PAGE_SIZE),
    }

    def handle_error(self, error: ValidationError, *args: Any, **kwargs: Any) -> NoReturn:
        if isinstance(error.messages, dict):
            for location, fields in error.messages.items():
                if isinstance(fields, dict):
                    error.messages[location] = {
                        name: [str(self.MESSAGES[name])] if name in self.MESSAGES else messages
                        for name, messages in fields.items()
                    }
        super().handle_error(error, *args, **kwargs)


class ApiBlueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint of the tenant API (``operator=False``: the URL starts with
    ``/t/<slug>/`` and the county is bound from it) or of the operator API."""

    DEFAULT_PAGINATION_PARAMETERS: ClassVar[dict[str, int]] = {
        "page": 1,
        "page_size": 50,
        "max_page_size": MAX_PAGE_SIZE,
    }

    # webargs reads "json_or_form" from either body (a multipart form when a file comes along);
    # the spec documents it as a request body, not as a parameter.
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING: ClassVar[dict[str, str]] = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "json_or_form": "application/json",
    }

    ARGUMENTS_PARSER = ArgumentsParser()
    PAGINATION_ARGUMENTS_PARSER = PaginationParser()

    def __init__(self, *args: Any, operator: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_operator_api = operator
        if not operator:
            self.url_value_preprocessor(bind_tenant)
            self.url_defaults(add_slug)
        # Blueprint handlers win over any the portal registers for the whole app.
        self.register_error_handler(HTTPException, errors.http_error)
        self.register_error_handler(DomainError, errors.domain_error)
        self.after_request(_no_store)

    def _document_pagination_metadata(self, spec: Any, resp_doc: dict[str, Any]) -> None:
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = PAGINATION_HEADER

    def uploads(
        self,
        kinds: Collection[FileKind],
        *,
        name: str = "file",
        required: bool = True,
        fields: dict[str, Any] | None = None,
    ) -> Callable[[F], F]:
        """Decorator: the body is a multipart form whose part ``name`` is a file of ``kinds``
        (``fields``: the form's other parts, required, as OpenAPI schemas). Documents the part
        with the limit of each kind, and the 413 of a request over the whole limit."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: upload_part(kinds), **(fields or {})},
        }
        schema["required"] = [name, *(fields or {})] if required else [*(fields or {})]
        body = {"required": True, "content": {"multipart/form-data": {"schema": schema}}}

        def decorator(func: F) -> F:
            documented = self.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")(func)
            return self.doc(requestBody=body)(documented)

        return decorator

    def requires(self, scope: str | None) -> Callable[[F], F]:
        """Decorator: the endpoint needs a valid bearer token carrying ``scope`` (None: any
        valid token). Put it above the other decorators so the token is checked first."""
        scheme = OPERATOR_SCHEME if self.is_operator_api else COUNTY_SCHEME
        authenticate = (
            auth.authenticate_operator if self.is_operator_api else auth.authenticate_county_user
        )

        def decorator(func: F) -> F:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                authenticate(scope)
                _count_against_token()
                return func(*args, **kwargs)

            documented = self.alt_response(401, response="UNAUTHORIZED")(wrapper)
            documented = self.alt_response(429, response="TOO_MANY_REQUESTS")(documented)
            if scope:
                documented = self.alt_response(403, response="FORBIDDEN")(documented)
            # OpenAPI 3.0 lets only oauth2 schemes list scopes, and ours are plain bearer
            # tokens minted by the CLI: the scope goes in an extension field ("" = any token).
            return self.doc(security=[{scheme: []}], **{"x-scope": scope or ""})(documented)

        return decorator


def upload_part(kinds: Collection[FileKind]) -> dict[str, Any]:
    """The OpenAPI schema of a file part taking ``kinds``, with the limit of each (the type is
    judged from the content, whatever the name or the Content-Type say)."""
    limits = "；".join(
        f"{label}最大 {DEFAULT_MAX_BYTES[kind] / MiB:g} MB"
        for kind, label in KIND_NAMES.items()
        if kind in kinds
    )
    return {
        "type": "string",
        "format": "binary",
        "description": f"文件，类型按内容判定：{limits}（超过时 422，指明这个字段）。整个请求最大"
        " GRIDGOV_MAX_REQUEST_MB（默认 201 MB），超过时 413，不读请求体。",
    }


def _count_against_token() -> None:
    """Count the request against its token's allowance (GRIDGOV_API_RATE_LIMIT, per token
    whoever holds it and from wherever): past it, 429 with Retry-After, in the API's shape."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    allowance = parse_limit(current_app.config["GRIDGOV_API_RATE_LIMIT"])
    record = current_token.record  # the token just verified (a county user's or an operator's)
    key = f"{record.__tablename__}:{record.id}"
    if limiter.limiter.hit(allowance, LIMIT_NAMESPACE, key):
        return
    reset_at = limiter.limiter.get_window_stats(allowance, LIMIT_NAMESPACE, key).reset_time
    wait = max(1, math.ceil(reset_at - time.time()))
    abort(
        429,
        message=str(
            _(
                "这个令牌的请求过于频繁（上限 %(limit)s），请 %(s)d 秒后再试",
                limit=current_app.config["GRIDGOV_API_RATE_LIMIT"],
                s=wait,
            )
        ),
        headers={"Retry-After": str(wait)},
    )


def _no_store(response: Response) -> Response:
    # Answers carry staff names and phones: no shared cache or proxy may keep them.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def page_of(items: Select[Any] | Sequence[T], params: PaginationParameters) -> list[Any]:
    """One page of ``items``: a SELECT is counted and sliced in the database, a list (always
    short: children of one node, versions of one node) in memory."""
    _check_page(params)
    if isinstance(items, Select):
        return _counted_page(lambda page: db_session().scalars(page), items, params)
    params.item_count = len(items)
    return list(items[params.first_item : params.first_item + params.page_size])


def page_of_rows(query: Select[Any], params: PaginationParameters) -> list[Row[Any]]:
    """One page of a SELECT of several entities or columns (``select(Case, Task)``) as its
    rows, counted and sliced in the database."""
    _check_page(params)
    return _counted_page(lambda page: db_session().execute(page).all(), query, params)


def _check_page(params: PaginationParameters) -> None:
    if params.page > MAX_PAGE:
        abort(422, errors={"query": {"page": [str(PaginationParser.MESSAGES["page"])]}})
    limit = current_app.config.get("API_PAGE_SIZE_MAX", MAX_PAGE_SIZE)
    if params.page_size > limit:
        abort(
            422,
            errors={"query": {"page_size": [str(_("每页最多 %(n)d 条", n=limit))]}},
        )


def _counted_page(
    run: Callable[[Select[Any]], Iterable[Any]], query: Select[Any], params: PaginationParameters
) -> list[Any]:
    """The page of ``query`` that ``params`` asks for, read with ``run``; its total set in
    ``params``. A page that ends before its size is the last one, so the total is known without
    counting: most lists (a worker's tasks, a station's waiting list) fit on their first page,
    and their count was the request's longest statement after the page itself."""
    found = list(run(query.limit(params.page_size).offset(params.first_item)))
    if 0 < len(found) < params.page_size or (not found and params.first_item == 0):
        params.item_count = params.first_item + len(found)
    else:  # a full page, or one past the end: count them
        params.item_count = db_session().scalar(
            select(func.count()).select_from(query.order_by(None).subquery())
        )
    return found
