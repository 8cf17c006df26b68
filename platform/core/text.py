"""What a text may hold when it comes in (API, portal, imports, manifests, the CLI): no NUL and
no control characters, no lone surrogates, and a number that fits the database's integers.

PostgreSQL refuses NUL in text and lone surrogates in UTF-8, and openpyxl refuses the C0 control
characters in a cell: one such name stored would fail every export that lists it. So they are
refused where the text enters, with the field named, never cleaned away silently.
"""

from __future__ import annotations

import re
from typing import Any

from gridgov.core.errors import DomainError
from gridgov.core.i18n import _

# Ids are PostgreSQL ``integer`` (int4) columns; other whole numbers are stored in int4 too.
MAX_ID = 2**31 - 1
MIN_INT = -(2**31)
MAX_INT = 2**31 - 1

# C0 controls but tab, line feed and carriage return (a comment may have lines), DEL, the C1
# controls, and lone surrogates (JSON's "\ud800" reaches Python as one).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# A one-line text (a name, a code) has no line breaks or tabs either.
_FORBIDDEN_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

CONTROL_MESSAGE = _("不能含控制字符（如 NUL、换页、退格）")
LINE_MESSAGE = _("只能是一行文字，不能含换行、制表符或控制字符")


def bad_character(value: str, *, one_line: bool = False) -> str | None:
    """What is wrong with the characters of ``value`` (a message), or None when they are fine."""
    if one_line:
        return str(LINE_MESSAGE) if _FORBIDDEN_IN_LINE.search(value) else None
    return str(CONTROL_MESSAGE) if _FORBIDDEN.search(value) else None


def check_text(value: Any, *, field: str, one_line: bool = False) -> Any:
    """``value`` unchanged when it is not a text or holds only allowed characters; DomainError
    on ``field`` otherwise."""
    if isinstance(value, str):
        problem = bad_character(value, one_line=one_line)
        if problem is not None:
            raise DomainError(problem, field=field)
    return value


def without_control_characters(value: str) -> str:
    """``value`` with what a spreadsheet cell cannot hold taken out: for writing rows stored
    before these characters were refused, so that an export never fails on them."""
    return _FORBIDDEN.sub("", value)
