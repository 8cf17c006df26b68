"""The plugin host loads modules through entry points and survives a broken one."""

from __future__ import annotations

import importlib.metadata
import sys
import types

import pytest

from gridgov.core.plugins import manager
from gridgov.core.plugins.hookspecs import ModuleInfo, hookimpl


class FireSafety:
    @hookimpl
    def gridgov_module_info(self):
        return ModuleInfo(
            name="fire_safety", title="消防安全", department="消防救援大队", version="1.0"
        )


def fake_entry_points(monkeypatch, **modules):
    eps = []
    for name, module in modules.items():
        sys.modules[f"fake_plugin_{name}"] = module
        eps.append(importlib.metadata.EntryPoint(name, f"fake_plugin_{name}", "gridgov.plugins"))
    monkeypatch.setattr(
        manager.importlib.metadata,
        "entry_points",
        lambda group: [e for e in eps if e.group == group],
    )


def test_hook_module_info_lists_registered_modules():
    host = manager.get_plugin_host(load_entrypoints=False, plugins=(FireSafety(),))
    assert [m.name for m in host.modules()] == ["fire_safety"]


def test_module_is_discovered_through_its_entry_point(monkeypatch):
    good = types.ModuleType("good")
    good.gridgov_module_info = FireSafety().gridgov_module_info
    fake_entry_points(monkeypatch, fire_safety=good)
    host = manager.get_plugin_host()
    assert [m.title for m in host.modules()] == ["消防安全"]


def test_broken_plugin_is_reported_and_the_others_still_load(monkeypatch, caplog):
    good = types.ModuleType("good")
    good.gridgov_module_info = FireSafety().gridgov_module_info
    broken = types.ModuleType("broken")

    @hookimpl
    def gridgov_no_such_hook():
        return None

    broken.gridgov_no_such_hook = gridgov_no_such_hook
    fake_entry_points(monkeypatch, broken=broken, fire_safety=good)
    host = manager.get_plugin_host()
    assert "broken" in host.failures
    assert "gridgov_no_such_hook" in host.failures["broken"]
    assert [m.name for m in host.modules()] == ["fire_safety"]
    assert "broken" in caplog.text


@pytest.fixture(autouse=True)
def _forget_fake_modules():
    yield
    for name in [n for n in sys.modules if n.startswith("fake_plugin_")]:
        del sys.modules[name]
