"""The error pages of every page that is not the API (the portal, the residents' pages, an
address nobody serves): in the reader's language, in the portal's frame, with a way back.
The API answers errors in JSON (``gridgov.api.errors``)."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException

from gridgov.core.i18n import _
from gridgov.core.text import bad_character

# What each status tells a person, and what they can do about it.
MESSAGES: dict[int, tuple[Any, Any]] = {
    400: (_("请求有误"), _("页面收到的内容不完整或已过期。请返回上一页，刷新后重试。")),
    403: (_("没有权限"), _("您可以查看这里，但不能做这项修改。")),
    404: (_("页面不存在"), _("您要找的内容不存在，或不在您的查看范围内。")),
    405: (_("不能这样打开此页面"), _("这个地址只接受表单提交。请从页面上的按钮或链接进入。")),
    413: (_("文件太大"), _("上传的文件超过了允许的大小。请压缩或拆分后重新上传。")),
    429: (_("操作过于频繁"), _("请稍候一分钟再试。")),
    500: (_("系统出错了"), _("这次操作没有完成。请稍后重试；一再出现请联系本县管理员。")),
}


def error_page(error: HTTPException, detail: object = None) -> tuple[str, int]:
    """The page for ``error``: its status, what it means (``detail``: in the words of the
    service that refused) and the way back (the county's home when the address names a
    county, else the platform's start page)."""
    status = error.code or 500
    title, meaning = MESSAGES.get(status, (_("出错了"), _("这次操作没有完成。请返回上一页重试。")))
    detail = detail if detail is not None else meaning
    return render_template(
        "error.html", status=status, title=title, detail=detail, tenant=g.get("tenant")
    ), status


def refuse_unreadable_address() -> tuple[str, int] | None:
    """``before_request`` of the pages: a query string holding NUL or control characters (a
    search box's ``q``, a resident's lookup code) is answered 400 with a page saying so, rather
    than reaching a query the database refuses. The API names the field itself (its schemas)."""
    from gridgov.api.errors import is_api_request

    if is_api_request():
        return None
    for key, value in request.args.items(multi=True):
        if bad_character(key) or bad_character(value):
            return error_page(
                BadRequest(), _("地址中有不能使用的字符（如 NUL 或控制字符），请检查后重试。")
            )
    return None
