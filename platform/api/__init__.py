"""The REST API (flask-smorest): tenant APIs under /t/<slug>/api/v1/, the operator API under
/api/v1/, OpenAPI at /api/openapi.json and its UI at /api/docs (served from vendored files)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, request
from flask_smorest.spec.plugins import integerconverter2paramschema

from gridgov.api import (
    admission,
    assessment,
    audit,
    county,
    departments,
    forms,
    nodes,
    plugins,
    registry,
    reports,
    rules,
    tasks,
    tenants,
    users,
)
from gridgov.api.blueprint import PAGINATION_HEADER, PAGINATION_HEADER_DOC, SECURITY_SCHEMES
from gridgov.api.errors import is_api_request
from gridgov.extensions import api, csrf
from gridgov.web import IdConverter

BLUEPRINTS = (
    tenants.blp,
    county.tenant_blp,
    county.me_blp,
    nodes.blp,
    users.blp,
    audit.blp,
    registry.blp,
    departments.blp,
    tasks.blp,
    rules.blp,
    rules.calendar_blp,
    reports.blp,
    admission.blp,
    forms.blp,
    plugins.blp,
    assessment.blp,
)

API_DESCRIPTION = (
    "gridgov 网格化服务管理平台接口。县级接口在 /t/<slug>/api/v1/ 下，用该县用户的令牌"
    "（Authorization: Bearer ggv_…）；平台运维接口在 /api/v1/ 下，用运维令牌（ggo_…）。"
    "错误统一为 JSON：code、status、message，字段错误在 errors.json 下；"
    "列表分页参数 page、page_size，分页信息在响应头 X-Pagination 中。"
)


# An API answer is data for scripts: nothing in it may run, load anything or be framed.
API_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# The docs page: Swagger UI from our own static files, started by a script of ours (no inline
# script, see templates/swagger_ui.html), calling only this server.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"


def init_app(app: Flask) -> None:
    # Swagger UI's validator badge would call validator.swagger.io: counties run offline.
    app.config.setdefault("OPENAPI_SWAGGER_UI_CONFIG", {"validatorUrl": None})
    app.config.setdefault("API_SPEC_OPTIONS", {"info": {"description": API_DESCRIPTION}})
    # Flask >= 2.3 ignores the JSON_AS_ASCII setting; without this, Chinese comes out as
    # \uXXXX escapes, valid but unreadable for the county IT staff using curl.
    app.json.ensure_ascii = app.config.get("JSON_AS_ASCII", True)  # type: ignore[attr-defined]
    api.init_app(app)
    api.register_converter(IdConverter, integerconverter2paramschema)
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    api.spec.components.header(PAGINATION_HEADER, PAGINATION_HEADER_DOC)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # bearer tokens, no cookies: CSRF cannot ride on them
    plugins.mount(api, app.extensions["gridgov.plugins"])
    _document_common_answers(api.spec)
    app.after_request(_security_headers)


HTTP_METHODS = ("get", "put", "post", "patch", "delete")
# What an operation may answer beside what its view documents: 404 when its path names a row
# (or a county: /t/<slug>/ of none is 404 too); 422 when it takes anything that can be wrong (a
# body, a query, a date or a code in its path), naming the field; and for a body 400 (not JSON,
# or not a form) and 413 (over GRIDGOV_MAX_BODY_MB, or GRIDGOV_MAX_REQUEST_MB for an upload).
COMMON_ANSWERS = (
    (lambda path, operation: "{" in path, 404, "NOT_FOUND"),
    (lambda path, operation: _takes_input(path, operation), 422, "UNPROCESSABLE_ENTITY"),
    (lambda path, operation: "requestBody" in operation, 400, "BAD_REQUEST"),
    (lambda path, operation: "requestBody" in operation, 413, "REQUEST_ENTITY_TOO_LARGE"),
)


def _takes_input(path: str, operation: dict[str, Any]) -> bool:
    return (
        "requestBody" in operation
        or bool(operation.get("parameters"))
        or bool(re.search(r"\{(?!slug\})", path))
    )


def _document_common_answers(spec: Any) -> None:
    """Name those answers on every operation they apply to, so that the spec lists every
    status an operation gives (the "default" answer only says what shape any error has)."""
    for path, operations in spec._paths.items():  # apispec has no public walk of its paths
        for method in HTTP_METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for applies, status, name in COMMON_ANSWERS:
                if applies(path, operation) and not {status, str(status)} & set(responses):
                    responses[str(status)] = spec.components.get_ref("response", name)


def _security_headers(response: Response) -> Response:
    """What every API answer (the spec and its docs page too) tells the browser."""
    if not is_api_request():
        return response
    docs = request.endpoint == DOCS_ENDPOINT
    policy = DOCS_CONTENT_SECURITY_POLICY if docs else API_CONTENT_SECURITY_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
