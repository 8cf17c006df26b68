"""Checking what a person typed into a module's form or sent to its API, each refusal a
DomainError on the field, in both languages: a required text within its length, one of a
list of choices, a date that is not in the county's future."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from gridgov.core.errors import DomainError
from gridgov.core.i18n import Localized
from gridgov.core.tenancy.service import clock_of

__all__ = ["choice", "optional_choice", "past_date", "text"]

CHOOSE = Localized("请从列表中选择", "Choose from the list")


def text(value: Any, field: str, *, limit: int, required: bool = True) -> str:
    """``value`` as text without surrounding spaces; DomainError on ``field`` when it is
    required and empty, or longer than ``limit`` characters."""
    cleaned = str(value or "").strip()
    if required and not cleaned:
        raise DomainError(Localized("不能为空", "Required"), field=field)
    if len(cleaned) > limit:
        raise DomainError(
            Localized(f"最多 {limit} 个字", f"At most {limit} characters"), field=field
        )
    return cleaned


def choice(value: Any, allowed: type[Enum], field: str, message: Localized = CHOOSE) -> str:
    """``value`` if it is one of the values of the enum ``allowed``; else DomainError on
    ``field`` with ``message`` (by default "choose from the list")."""
    cleaned = str(value or "").strip()
    if cleaned not in {item.value for item in allowed}:
        raise DomainError(message, field=field)
    return cleaned


def optional_choice(
    value: Any, allowed: type[Enum], field: str, message: Localized = CHOOSE
) -> str | None:
    """As ``choice``, but nothing chosen is None."""
    if not str(value or "").strip():
        return None
    return choice(value, allowed, field, message)


def past_date(session: Session, value: dt.date | None, field: str) -> dt.date:
    """``value`` if it is given and not after the county's today; else DomainError on
    ``field``."""
    if value is None:
        raise DomainError(Localized("请填写日期", "Give the date"), field=field)
    if value > clock_of(session).today():
        raise DomainError(
            Localized("日期不能在将来", "The date cannot be in the future"), field=field
        )
    return value
