""" "Everything under this node" as a condition on a materialized-path column that PostgreSQL
answers from the column's ``text_pattern_ops`` index even under row-level security.

``column LIKE '/1/5/%'`` alone is not enough there: ``textlike`` is not leakproof, so with an RLS
policy on the table the planner may not turn it into an index range and scans every row of the
county. The same prefix as a range of the (leakproof) pattern operators ``~>=~`` and ``~<~``
is an index range; the LIKE stays for exactness. SQLite has no RLS and no such operators.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import Session


def under_path(session: Session, column: Any, path: str) -> Any:
    """A WHERE clause: ``column`` (a materialized path) lies at or under ``path``."""
    like = column.startswith(path, autoescape=True)
    if session.get_bind().dialect.name != "postgresql":
        return like
    # Paths end with "/": every path under "/1/5/" sorts before "/1/50" ("/" + 1 is "0").
    following = path[:-1] + chr(ord(path[-1]) + 1)
    return and_(
        column.op("~>=~", is_comparison=True)(path),
        column.op("~<~", is_comparison=True)(following),
        like,
    )
