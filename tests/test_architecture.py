"""The layers of shared/DESIGN.md, as import-linter contracts in pyproject.toml, checked with
every test run: modules reach the platform only through gridgov.sdk and the hookspecs, the core
knows neither the web layer, the job runner nor Flask, lower core areas build on nothing above
them, and the core has no import cycles. (The example plugin under tests/ is out of
import-linter's reach: tests/sdk/test_module_imports.py reads its imports.)"""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

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
