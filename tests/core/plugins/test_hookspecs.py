"""Every hook is documented: a docstring with an example, an entry in docs/plugins.md, and a
test named after it (Datasette's tests/test_plugins.py pattern)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from gridgov.core.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[3]
HOOKS = sorted(
    name
    for name, obj in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("gridgov_")
)


def test_the_hooks_are_found():
    assert "gridgov_module_info" in HOOKS and "gridgov_forms" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring_with_an_example(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "Example::" in doc and "@hookimpl" in doc


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_in_docs_plugins(hook):
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert re.search(rf"^### `{hook}\(", docs, re.MULTILINE), f"{hook} missing in docs/plugins.md"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test_of_its_own(hook):
    short = hook.removeprefix("gridgov_")
    tests = "\n".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("test_*.py")
    )
    assert f"def test_hook_{short}" in tests, f"no test_hook_{short}… test"
