"""Subtree filters go through ``subtree()``: on PostgreSQL it compiles to the leakproof pattern
range that the planner can answer from a ``text_pattern_ops`` index under row-level security,
which a bare ``LIKE`` (``startswith``) is not allowed to be. A scan of the source finds any other
not-leakproof operator in a filter on a tenant table; tests/core/test_rls_plans.py asserts the
plans themselves on PostgreSQL."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from gridgov.core.db import Base
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.tasks.models import Task

ROOT = Path(__file__).resolve().parents[3]

# Operators PostgreSQL does not mark leakproof that SQLAlchemy spells as column methods: under
# row-level security such a condition is evaluated after the policy on every row the policy
# lets through, never read from an index (shared/DESIGN.md, "RLS done right"; issue 20).
NOT_LEAKPROOF = {
    "startswith", "endswith", "contains", "like", "notlike", "ilike", "notilike",
    "istartswith", "iendswith", "icontains", "regexp_match", "regexp_replace", "match",
}  # fmt: skip

# Where one of them is fine, and why: a substring or suffix that no b-tree index serves anyway,
# over a set the rest of the query has already narrowed. A path column is never here: a subtree
# is an index range with subtree(column, path).
ALLOWED = {
    ("platform/core/audit/service.py", "AuditEvent.action", "startswith"): (
        "the audit list reads (tenant_id, at) newest first; the action prefix filters that page"
    ),
    ("platform/core/registry/service.py", "Dwelling.address", "contains"): (
        "an address fragment typed in the scope's dwellings list"
    ),
    ("platform/portal/users.py", "User.name", "icontains"): "a name fragment in the staff list",
    ("platform/portal/users.py", "User.username", "icontains"): "the same, for the login",
}


def tenant_columns() -> dict[str, set[str]]:
    """Every mapped class of a table with a ``tenant_id`` (the core's and each module's) and
    its column attributes."""
    for package in (ROOT / "plugins").iterdir():
        if (package / "models.py").exists():
            importlib.import_module(f"gridgov_plugins.{package.name}.models")
    importlib.import_module("gridgov.app")  # the core's models, all of them
    return {
        mapper.class_.__name__: {c.key for c in mapper.column_attrs}
        for mapper in Base.registry.mappers
        if "tenant_id" in mapper.columns
    }


def not_leakproof_filters(tree: str, columns: dict[str, set[str]]) -> list[tuple[str, str, str]]:
    """(file, Class.column, method) of each not-leakproof method applied to, or given, a
    column of a tenant table in the Python files under ``tree``."""
    found = []
    for source in sorted((ROOT / tree).rglob("*.py")):
        relative = source.relative_to(ROOT).as_posix()
        if "migrations" in source.parts:
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in NOT_LEAKPROOF
            ):
                continue
            for part in (node.func.value, *node.args):
                for name in ast.walk(part):
                    if (
                        isinstance(name, ast.Attribute)
                        and isinstance(name.value, ast.Name)
                        and name.attr in columns.get(name.value.id, ())
                    ):
                        found.append((relative, f"{name.value.id}.{name.attr}", node.func.attr))
    return found


def test_no_filter_on_a_tenant_table_uses_an_operator_that_bypasses_its_index_under_rls():
    columns = tenant_columns()
    assert {"path", "tenant_id"} <= columns["Node"] and "filed_path" in columns["Hazard"]
    found = [f for tree in ("platform", "plugins") for f in not_leakproof_filters(tree, columns)]
    unexplained = [f for f in found if f not in ALLOWED]
    assert not unexplained, (
        "a filter PostgreSQL cannot read from an index under RLS: use subtree(column, path) for"
        " a path, an equality or a range otherwise, or add it to ALLOWED with the reason:\n"
        + "\n".join(f"{file}: {column}.{method}(…)" for file, column, method in unexplained)
    )
    assert not [f for f in found if f[1].endswith("path")]
    assert set(ALLOWED) <= set(found), "ALLOWED names a filter that is gone: drop it"


def test_the_scan_finds_a_bare_like_whichever_way_it_is_spelled(tmp_path, monkeypatch):
    sample = tmp_path / "sample" / "queries.py"
    sample.parent.mkdir()
    sample.write_text(
        "q = select(Task).where(Task.filed_path.startswith(node.path, autoescape=True))\n"
        "q = select(Node).where(Node.path.like(prefix + '%'))\n"
        "q = select(Node).where(literal(path).startswith(Node.path))\n"
        "q = select(Task).where(Task.title.contains(words))\n"
        "q = select(Node).where(subtree(Node.path, prefix), Node.name == name)\n"
        "ok = node.path.startswith(other.path)  # Python strings, not SQL\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    columns = {"Task": {"filed_path", "title"}, "Node": {"path", "name"}}
    assert not_leakproof_filters("sample", columns) == [
        ("sample/queries.py", "Task.filed_path", "startswith"),
        ("sample/queries.py", "Node.path", "like"),
        ("sample/queries.py", "Node.path", "startswith"),
        ("sample/queries.py", "Task.title", "contains"),
    ]


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


def test_a_subtree_is_a_parameter_of_a_cached_statement_not_part_of_its_shape(session):
    """Statements that differ only in the subtree share one compilation (the path is a bound
    parameter), and each still reads its own subtree: the cached SQL gets this path, never
    the one it was compiled with."""
    from tests.factories import build_county

    county = build_county(session)
    first, second = county.townships

    def nodes_under(town: Node) -> Any:
        return select(Node.id).where(subtree(Node.path, town.path)).order_by(Node.id)

    key = nodes_under(first)._generate_cache_key()
    assert key is not None  # cacheable at all
    assert key == nodes_under(second)._generate_cache_key()
    for town in (first, second, first):
        below = {
            n.id for n in (town, *county.communities, *county.grids) if n.path.startswith(town.path)
        }
        assert set(session.scalars(nodes_under(town))) == below
    assert not set(session.scalars(nodes_under(first))) & set(session.scalars(nodes_under(second)))
