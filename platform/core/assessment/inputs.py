"""What the assessment's services check of what people type and whom they act on: a text
(no forbidden characters, not too long, present when required) and whether a grid worker lies
in the actor's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts.scope import Scope
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.i18n import _
from gridgov.core.text import check_text


def checked_text(
    value: str | None,
    field: str,
    *,
    max_length: int,
    required: Any = None,
    one_line: bool = False,
) -> str:
    """``value`` stripped; a DomainError on ``field`` if it holds a forbidden character, is
    longer than ``max_length``, or is empty while ``required`` (the message to show) is given."""
    value = check_text((value or "").strip(), field=field, one_line=one_line)
    if required is not None and not value:
        raise DomainError(required, field=field)
    if len(value) > max_length:
        raise DomainError(_("最多 %(n)d 字", n=max_length), field=field)
    return value


def worker_in_scope(session: Session, scope: Scope, user_id: int) -> bool:
    """Whether one of the grids of ``user_id`` lies in ``scope``."""
    if scope.everything:
        return True
    paths = session.scalars(
        select(Node.path)
        .join(Assignment, Assignment.node_id == Node.id)
        .where(Assignment.user_id == user_id)
    )
    return any(scope.contains_path(path) for path in paths)
