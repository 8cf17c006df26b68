"""Every API error as JSON in flask-smorest's shape:
``{"code": 422, "status": "Unprocessable Entity", "message": "…", "errors": {"json": {…}}}``.

Domain errors raised by services keep their status and the field they name; HTTP errors
(``abort``, webargs validation, Authlib's token checks) get a Chinese message when they carry
none. Whatever the view had changed is rolled back before answering.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from flask import request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from gridgov.core.db import db_session
from gridgov.core.errors import DomainError, TooManyRequests
from gridgov.core.i18n import _

DEFAULT_MESSAGES = {
    400: _("请求格式有误"),
    401: _("需要有效的访问令牌"),
    403: _("无权执行此操作"),
    404: _("没有找到"),
    405: _("不支持这个请求方法"),
    409: _("与已有数据冲突"),
    413: _("请求过大：上传的文件或请求体超过了允许的大小"),
    415: _("请求体须为 JSON"),
    422: _("请求数据有误，请按字段说明修改"),
    429: _("请求过于频繁，请稍后再试"),
    500: _("服务器内部错误，请稍后再试"),
}

# Services name a user's assigned nodes "nodes"; the API takes their ids as "node_ids".
API_FIELD_NAMES = {"nodes": "node_ids"}

_API_PATH = re.compile(r"^/(api/|t/[^/]+/api/)")


def is_api_request() -> bool:
    """True when the request is for the REST API (operator or tenant), not the portal."""
    return bool(_API_PATH.match(request.path))


def domain_error(error: DomainError) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Answer a service's refusal with its status and, when it names one, the field at fault;
    a limit reached says when to try again (Retry-After)."""
    db_session.rollback()
    payload: dict[str, Any] = {
        "code": error.status,
        "status": HTTPStatus(error.status).phrase,
        "message": str(error.message),
    }
    fields = {API_FIELD_NAMES.get(name, name): msgs for name, msgs in error.field_errors().items()}
    if fields:
        payload["errors"] = {"json": fields}
    headers = {}
    if isinstance(error, TooManyRequests) and error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return payload, error.status, headers


def http_error(error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Answer an HTTP error raised by ``abort``, argument parsing or the token check."""
    db_session.rollback()
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    payload: dict[str, Any] = {
        "code": code,
        "status": error.name,
        "message": str(data.get("message") or DEFAULT_MESSAGES.get(code, error.name)),
    }
    # webargs puts validation errors under "messages"; flask-smorest's abort under "errors".
    errors = data.get("errors") or data.get("messages")
    if errors:
        payload["errors"] = _plain(errors)
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return payload, code, headers


def _plain(value: Any) -> Any:
    """Validation messages may be lazy strings (translated when shown): make them text."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)
