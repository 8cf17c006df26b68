"""Subtree filters go through ``subtree()``: on PostgreSQL it compiles to the leakproof pattern
range that the planner can answer from a ``text_pattern_ops`` index under row-level security,
which a bare ``LIKE`` (``startswith``) is not allowed to be."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.tasks.models import Task

ROOT = Path(__file__).resolve().parents[3]

# A path-like column (``path``, ``filed_path``, ``current_path``, ``node_path``…) filtered with
# a LIKE-shaped method: the shape that scans the whole table under RLS.
BARE_PATH_FILTER = re.compile(r"\b\w*path\s*\.\s*(startswith|like|contains|ilike)\(")

# The one place allowed to spell the LIKE: the construct itself (it adds the range around it).
ALLOWED = {Path("platform/core/hierarchy/paths.py")}


def test_no_bare_like_on_a_path_column_in_queries():
    offenders = []
    for tree in ("platform", "plugins"):
        for source in (ROOT / tree).rglob("*.py"):
            relative = source.relative_to(ROOT)
            if relative in ALLOWED or "migrations" in relative.parts:
                continue
            for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
                if BARE_PATH_FILTER.search(line) and "autoescape" in line:
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "use subtree(column, path) instead:\n" + "\n".join(offenders)


def test_the_scan_catches_a_bare_like():
    assert BARE_PATH_FILTER.search("Task.filed_path.startswith(node.path, autoescape=True)")
    assert BARE_PATH_FILTER.search("Node.path.like(prefix + '%')")
    assert not BARE_PATH_FILTER.search("Dwelling.address.contains(q, autoescape=True)")


def test_postgresql_compiles_to_the_leakproof_range():
    sql = str(
        select(Task.id)
        .where(subtree(Task.filed_path, "/1/5/"))
        .compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    assert "tasks.filed_path ~>=~ '/1/5/'" in sql
    assert "tasks.filed_path ~<~ '/1/50'" in sql
    assert "LIKE" in sql


def test_sqlite_compiles_to_like_only():
    sql = str(
        select(Node.id)
        .where(subtree(Node.path, "/1/5/"))
        .compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    )
    assert "~>=~" not in sql
    assert "LIKE" in sql
