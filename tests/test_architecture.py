"""The layers of shared/DESIGN.md, as import-linter contracts in pyproject.toml, checked with
every test run: modules reach the platform only through gridgov.sdk and the hookspecs, the core
knows neither the web layer, the job runner nor Flask, lower core areas build on nothing above
them, and the core has no import cycles."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def contracts() -> dict[str, dict]:
    settings = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {contract["id"]: contract for contract in settings["contracts"]}


def test_the_import_linter_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    # no_cache: the cache would be a folder in the working tree.
    exit_code = lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert exit_code == 0, report
    for contract in contracts().values():
        assert f"{contract['name']} KEPT" in report


def test_modules_are_kept_from_every_part_of_gridgov_but_the_sdk() -> None:
    # A new top-level package or module of gridgov is closed to modules until listed as open.
    forbidden = set(contracts()["modules-use-the-sdk"]["forbidden_modules"])
    parts = {f"gridgov.{m.name}" for m in pkgutil.iter_modules([str(ROOT / "platform")])}
    assert parts - {"gridgov.sdk"} == forbidden


def test_the_example_plugin_uses_only_the_sdk_and_the_hookspecs() -> None:
    # It lives under tests/, outside what import-linter analyses, and stands for a third
    # party's package: its imports are checked here the same way.
    graph = grimp.build_graph("gridgov_env_patrol", "gridgov", include_external_packages=True)
    allowed = ("gridgov.sdk", "gridgov.core.plugins.hookspecs")
    reached = {
        imported
        for module in graph.find_children("gridgov_env_patrol") | {"gridgov_env_patrol"}
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("gridgov.")
    }
    assert reached, "the example plugin imports nothing of gridgov: the test would prove nothing"
    assert {m for m in reached if not m.startswith(allowed)} == set()
