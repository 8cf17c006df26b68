"""Department modules import only ``gridgov.sdk`` and ``gridgov.core.plugins.hookspecs`` of
gridgov (their migrations too). import-linter checks the built-in modules (``gridgov_plugins``);
the example third-party plugin lives under tests/, out of its reach, so this test reads every
module's source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE_FOLDERS = (
    ROOT / "plugins",
    ROOT / "tests" / "plugins" / "example_plugin" / "gridgov_env_patrol",
)
ALLOWED = ("gridgov.sdk", "gridgov.core.plugins.hookspecs")


def _sources() -> list[Path]:
    return sorted(path for folder in MODULE_FOLDERS for path in folder.rglob("*.py"))


def _gridgov_imports(path: Path) -> list[str]:
    """Every module of gridgov that ``path`` imports, wherever the import statement is."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in found if name == "gridgov" or name.startswith("gridgov.")]


def _allowed(name: str) -> bool:
    """``from gridgov.sdk import tasks`` names gridgov.sdk.tasks, ``from
    gridgov.core.plugins.hookspecs import hookimpl`` a member of the hookspecs: both allowed."""
    return any(name == allowed or name.startswith(f"{allowed}.") for allowed in ALLOWED)


def test_the_modules_sources_are_all_read():
    names = {path.relative_to(ROOT).as_posix() for path in _sources()}
    assert "plugins/fire_safety/api.py" in names
    assert "plugins/disputes/migrations/disputes_0001_dispute_cases.py" in names
    assert "tests/plugins/example_plugin/gridgov_env_patrol/__init__.py" in names


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_module_imports_only_the_sdk_and_the_hookspecs(path):
    forbidden = [name for name in _gridgov_imports(path) if not _allowed(name)]
    assert forbidden == [], f"{path.name} imports gridgov internals"
