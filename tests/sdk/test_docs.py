"""docs/sdk.md documents every public name of gridgov.sdk with its signature, and nothing else
(like Datasette's tests/test_docs.py): a name added to a submodule's ``__all__`` without a
``### `<submodule>.<name>(…)` `` heading, a changed signature, or a heading left behind after
a rename fails here."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import gridgov.sdk

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sdk.md"
HEADING = re.compile(r"^### `(?P<module>\w+)\.(?P<name>\w+)(?P<signature>\(.*\))?[^`]*`", re.M)
SUBMODULES = sorted(info.name for info in pkgutil.iter_modules(gridgov.sdk.__path__))


def _headings() -> dict[str, str | None]:
    """``"<submodule>.<name>"`` of every heading of docs/sdk.md, with its signature if any."""
    text = DOCS.read_text(encoding="utf-8")
    return {f"{m['module']}.{m['name']}": m["signature"] for m in HEADING.finditer(text)}


def _public() -> dict[str, object]:
    names = {}
    for submodule in SUBMODULES:
        module = importlib.import_module(f"gridgov.sdk.{submodule}")
        for name in module.__all__:
            names[f"{submodule}.{name}"] = getattr(module, name)
    return names


def _has_signature(obj: object) -> bool:
    """Functions, dataclasses and the SDK's own classes are documented with their signature."""
    if inspect.isfunction(obj):
        return True
    return isinstance(obj, type) and (
        dataclasses.is_dataclass(obj) or obj.__module__.startswith("gridgov.sdk")
    )


def _split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside brackets (annotations hold commas too)."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [part.strip() for part in [*parts, current] if part.strip()]


def _documented_parameters(signature: str) -> list[str]:
    inner = signature[1 : _closing(signature)]
    names = [re.split(r"[:=]", part)[0].strip() for part in _split_top_level(inner)]
    return [name for name in names if name not in ("*", "/")]


def _closing(signature: str) -> int:
    depth = 0
    for index, char in enumerate(signature):
        depth += char == "("
        depth -= char == ")"
        if depth == 0:
            return index
    raise AssertionError(f"unbalanced signature {signature}")


def _parameters(obj: object) -> list[str]:
    prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    return [prefix.get(p.kind, "") + p.name for p in inspect.signature(obj).parameters.values()]


def test_every_submodule_declares_its_public_names():
    for submodule in SUBMODULES:
        module = importlib.import_module(f"gridgov.sdk.{submodule}")
        assert module.__all__, submodule
        assert module.__doc__, submodule
        assert f"## `gridgov.sdk.{submodule}`" in DOCS.read_text(encoding="utf-8"), submodule


@pytest.mark.parametrize("name", sorted(_public()))
def test_public_name_is_documented_with_its_signature(name):
    headings = _headings()
    assert name in headings, f"docs/sdk.md has no heading for {name}"
    obj = _public()[name]
    if _has_signature(obj):
        documented = headings[name]
        assert documented, f"docs/sdk.md gives {name} without its signature"
        assert _documented_parameters(documented) == _parameters(obj), name


def test_public_names_have_docstrings_or_a_description():
    text = DOCS.read_text(encoding="utf-8")
    for name in _public():
        section = text.split(f"### `{name}", 1)[1].split("\n### ", 1)[0]
        assert "```python" in section, f"{name} has no example"
        prose = section.split("```python", 1)[0].split("\n", 1)[1].strip()
        assert prose, f"{name} is not described"


def test_the_docs_name_nothing_that_does_not_exist():
    public = _public()
    assert sorted(set(_headings()) - set(public)) == []
