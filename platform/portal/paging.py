"""Paging a portal list: one page of a query, and what the pager under the list needs (the
``pager`` macro of ``_forms.html``).

A list of a county's size (a million people, tens of thousands of sites) is not counted:
``counted=False`` fetches one row more than a page to know whether there is a next one, and
the pager shows "next" without "page n of m". Shorter lists (users, the audit log, tasks of a
subtree) are counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

PAGE_SIZE = 30


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, its number (from 1), and where the pager links go."""

    items: list[T]
    number: int
    size: int
    has_more: bool
    total: int | None = None  # None: not counted
    args: Mapping[str, Any] = field(default_factory=dict)  # kept by the pager's links

    @property
    def pages(self) -> int | None:
        """How many pages there are, when counted."""
        if self.total is None:
            return None
        return max((self.total + self.size - 1) // self.size, 1)


# No list has this many pages; a larger number would ask the database for an offset past
# what it can count.
MAX_PAGE = 10_000_000


def page_number() -> int:
    """The page asked for (``?page=``), 1 when missing or not a positive number, at most
    ``MAX_PAGE`` (an empty page)."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def paginate(
    session: Session,
    query: Select[Any],
    *,
    size: int = PAGE_SIZE,
    counted: bool = True,
    number: int | None = None,
    args: Mapping[str, Any] | None = None,
    rows: bool = False,
) -> Page[Any]:
    """The page ``number`` (default: the request's) of ``query``'s objects (with ``rows``: its
    rows, for a query of several columns), with the request's other query arguments (or
    ``args``) for the pager's links."""
    number = number or page_number()
    if args is None:
        args = {k: v for k, v in request.args.items() if k != "page"}
    offset = (number - 1) * size

    def fetch(limit: int) -> list[Any]:
        sliced = query.limit(limit).offset(offset)
        return list(session.execute(sliced).all() if rows else session.scalars(sliced))

    if not counted:
        found = fetch(size + 1)
        return Page(found[:size], number, size, has_more=len(found) > size, args=args)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    found = fetch(size)
    has_more = offset + len(found) < total
    return Page(found, number, size, has_more=has_more, total=total, args=args)
