"""A county sees only the modules it admitted: their declarations, and their hooks — a hook
of any other module is never called for that county."""

from __future__ import annotations

from gridgov.core.accounts.scope import Scope
from gridgov.core.forms.definitions import Field, FormDefinition
from gridgov.core.plugins.hookspecs import DashboardFigure, ModuleInfo, hookimpl
from gridgov.core.plugins.manager import get_plugin_host


class Spy:
    """A module that notes every call of its hooks."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[str] = []

    @hookimpl
    def gridgov_module_info(self):
        return ModuleInfo(name=self.name, title="探针", department="测试", version="0")

    @hookimpl
    def gridgov_forms(self):
        return [FormDefinition(f"{self.name}.f", "表", "Form", (Field("a", "text", "甲", "A"),))]

    @hookimpl
    def gridgov_dashboard_figures(self, tenant):
        self.calls.append(tenant)
        return [DashboardFigure(f"{self.name}.n", "数", "Count", value=1)]


def test_hook_dashboard_figures_reach_only_admitted_modules(session):
    admitted, other = Spy("admitted"), Spy("other")
    host = get_plugin_host(load_entrypoints=False, plugins=(admitted, other))
    figures = host.for_tenant(["admitted"]).dashboard_figures(
        session=session, tenant="county-a", scope=Scope(everything=True)
    )
    assert [f.code for f in figures] == ["admitted.n"]
    assert admitted.calls == ["county-a"]
    assert other.calls == []


def test_county_with_no_admitted_module_calls_no_module_hook():
    spy = Spy("spy")
    host = get_plugin_host(load_entrypoints=False, plugins=(spy,))
    tenant_hooks = host.for_tenant([])
    assert tenant_hooks.dashboard_figures(session=None, tenant="x", scope=Scope()) == []
    assert spy.calls == []


def test_forms_of_modules_not_admitted_are_unknown_to_the_county():
    host = get_plugin_host(load_entrypoints=False, plugins=(Spy("alpha"), Spy("beta")))
    assert [f.code for f in host.for_tenant(["beta"]).forms()] == ["beta.f"]
    assert host.for_tenant(["beta"]).form("alpha.f") is None


def test_modules_named_but_not_installed_are_ignored():
    host = get_plugin_host(load_entrypoints=False, plugins=(Spy("alpha"),))
    assert host.for_tenant(["alpha", "gone"]).active == frozenset({"alpha"})
