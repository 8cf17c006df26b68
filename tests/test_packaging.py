"""The folder/import-name mapping of shared/DESIGN.md holds and every package is shipped."""

from __future__ import annotations

import importlib.metadata
import platform
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def listed_packages() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(data["tool"]["setuptools"]["packages"])


def package_folders(folder: str, name: str) -> set[str]:
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        relative = path.parent.relative_to(ROOT / folder)
        found.add(".".join([name, *relative.parts]))
    return found


def test_every_package_folder_is_listed_in_pyproject():
    missing = (
        package_folders("platform", "gridgov") | package_folders("plugins", "gridgov_plugins")
    ) - listed_packages()
    assert missing == set(), f"add these to [tool.setuptools] packages: {sorted(missing)}"


def test_platform_folder_does_not_shadow_the_standard_library():
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert callable(platform.system)  # still the standard module


def test_console_script_points_at_the_cli():
    scripts = importlib.metadata.entry_points(group="console_scripts")
    assert any(ep.name == "gridgov" and ep.value == "gridgov.cli:main" for ep in scripts)
