"""The plugin host loads modules through entry points, checks what they declare, and reports
and skips the broken ones without stopping."""

from __future__ import annotations

import importlib.metadata
import sys
import types
from typing import Any

import pytest
from flask import Blueprint

from gridgov.core.forms.definitions import Field, FormDefinition
from gridgov.core.plugins import manager
from gridgov.core.plugins.hookspecs import MapKind, MapLayer, ModuleInfo, ScoringRule, hookimpl
from gridgov.core.registry.tags import TagDefinition
from gridgov.core.tasks.workflow import Reach, State, TaskType, TransitionRule


def info(name: str) -> ModuleInfo:
    return ModuleInfo(name=name, title="消防安全", department="消防救援大队", version="1.0")


class FireSafety:
    @hookimpl
    def gridgov_module_info(self):
        return info("fire_safety")


def module_of(name: str, **hooks) -> object:
    """A plugin object for module ``name`` implementing ``hooks`` (hook name -> result)."""
    plugin = types.ModuleType(f"plugin_{name}")
    plugin.gridgov_module_info = hookimpl(lambda: info(name))
    for hook, result in hooks.items():
        setattr(plugin, hook, hookimpl(lambda result=result: result))
    return plugin


def form(code: str, *fields: Field) -> FormDefinition:
    return FormDefinition(code, "巡查", "Patrol", fields or (Field("ok", "boolean", "完好", "OK"),))


def task_type(name: str, *, roles=("township_staff",), action="close") -> TaskType:
    return TaskType(
        name=name,
        label="隐患",
        categories=("消防隐患",),
        initial="open",
        states=(State("open", "待整改", sla_hours=40), State("closed", "已整改", is_open=False)),
        transitions=(
            TransitionRule(action, "整改", ("open",), "closed", frozenset(roles), Reach.OWNER),
        ),
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


def test_plugin_that_cannot_be_imported_is_reported_and_skipped(monkeypatch):
    good = types.ModuleType("good")
    good.gridgov_module_info = FireSafety().gridgov_module_info
    fake_entry_points(monkeypatch, fire_safety=good)
    missing = importlib.metadata.EntryPoint("gone", "no_such_package_xyz", "gridgov.plugins")
    found = manager.importlib.metadata.entry_points(group="gridgov.plugins")
    monkeypatch.setattr(manager.importlib.metadata, "entry_points", lambda group: [*found, missing])
    host = manager.get_plugin_host()
    assert host.failures["gone"].startswith("ModuleNotFoundError")
    assert [m.name for m in host.modules()] == ["fire_safety"]


def test_plugin_without_module_info_is_skipped():
    plugin = types.ModuleType("formless")
    plugin.gridgov_forms = hookimpl(lambda: [form("x.y")])
    host = manager.get_plugin_host(load_entrypoints=False, plugins=(plugin,))
    assert host.modules() == []
    assert "gridgov_module_info" in next(iter(host.failures.values()))


def test_plugin_whose_hook_raises_is_skipped():
    def explode():
        raise RuntimeError("database not reachable")

    plugin = module_of("fire_safety")
    plugin.gridgov_forms = hookimpl(explode)
    host = manager.get_plugin_host(load_entrypoints=False, plugins=(plugin,))
    assert host.modules() == []
    assert "database not reachable" in next(iter(host.failures.values()))


KIND = MapKind("major", "重大", "Major", "#c81e1e")


def map_layer(code: str, **changes: Any) -> MapLayer:
    fields: dict[str, Any] = {"points": lambda session, user, scope: None, "kinds": (KIND,)}
    fields.update(changes)
    return MapLayer(code, "隐患", "Hazards", **fields)


@pytest.mark.parametrize(
    ("hooks", "reason"),
    [
        ({"gridgov_forms": [form("other.patrol")]}, "does not start with fire_safety."),
        (
            {"gridgov_forms": [form("fire_safety.p", Field("x", "colour", "颜色", "C"))]},
            "unknown type",
        ),
        (
            {"gridgov_forms": [form("fire_safety.p", Field("x", "choice", "等级", "Grade"))]},
            "no choices",
        ),
        ({"gridgov_forms": [form("fire_safety.p"), form("fire_safety.p")]}, "already declared"),
        ({"gridgov_tags": [TagDefinition("disabled", "残疾人", "Disabled")]}, "does not start"),
        ({"gridgov_scoring_rules": ["not a rule"]}, "is not a ScoringRule"),
        ({"gridgov_task_types": [task_type("hazard")]}, "does not start with fire_safety."),
        ({"gridgov_task_types": [task_type("fire_safety.h", roles={"chief"})]}, "unknown roles"),
        ({"gridgov_task_types": [task_type("fire_safety.h", action="report")]}, "is reserved"),
        ({"gridgov_task_types": ["a workflow"]}, "is not a TaskType"),
        ({"gridgov_map_layers": [map_layer("hazards")]}, "does not start with fire_safety."),
        ({"gridgov_map_layers": [map_layer("fire_safety.h", kinds=())]}, "needs its kinds"),
        (
            {"gridgov_map_layers": [map_layer("fire_safety.h", kinds=(KIND, KIND))]},
            "repeats a kind",
        ),
        (
            {
                "gridgov_map_layers": [
                    map_layer("fire_safety.h", kinds=(MapKind("a", "甲", "A", "red"),))
                ]
            },
            "colour is not #rrggbb",
        ),
        ({"gridgov_map_layers": [map_layer("fire_safety.h", points="rows")]}, "must be functions"),
        ({"gridgov_map_layers": ["a layer"]}, "is not a MapLayer"),
    ],
)
def test_invalid_declaration_skips_the_plugin_and_says_why(hooks, reason):
    host = manager.get_plugin_host(
        load_entrypoints=False, plugins=(module_of("fire_safety", **hooks),)
    )
    assert host.modules() == []
    assert reason in next(iter(host.failures.values()))


def test_hook_map_layers_are_kept_per_module_and_offered_where_admitted():
    layer = map_layer("fire_safety.hazards")
    host = manager.get_plugin_host(
        load_entrypoints=False, plugins=(module_of("fire_safety", gridgov_map_layers=[layer]),)
    )
    assert host.map_layers() == [layer]
    assert [x for _m, x in host.for_tenant(["fire_safety"]).map_layers()] == [layer]
    assert host.for_tenant([]).map_layers() == []


def test_second_plugin_claiming_an_installed_module_name_is_skipped():
    first = module_of("fire_safety", gridgov_forms=[form("fire_safety.patrol")])
    clash = module_of("fire_safety", gridgov_forms=[form("fire_safety.other")])
    clash.__name__ = "impostor"
    host = manager.get_plugin_host(load_entrypoints=False, plugins=(first, clash))
    assert [f.code for f in host.forms()] == ["fire_safety.patrol"]
    assert "already installed" in host.failures["impostor"]


def test_hook_admission_requirements_are_kept_per_module():
    from gridgov.core.plugins.hookspecs import AdmissionRequirement, RequirementKind

    needed = AdmissionRequirement("catalogue", "隐患目录", "Catalogue", RequirementKind.FILE)
    host = manager.get_plugin_host(
        load_entrypoints=False,
        plugins=(module_of("fire_safety", gridgov_admission_requirements=[needed]),),
    )
    assert host.module("fire_safety").requirements == (needed,)


def test_hook_forms_are_listed_by_module():
    patrol = form("fire_safety.patrol")
    host = manager.get_plugin_host(
        load_entrypoints=False, plugins=(module_of("fire_safety", gridgov_forms=[patrol]),)
    )
    assert host.forms() == [patrol]


def test_hook_task_types_join_the_core_types_in_the_engines_registry():
    hazard = task_type("fire_safety.hazard")
    host = manager.get_plugin_host(
        load_entrypoints=False, plugins=(module_of("fire_safety", gridgov_task_types=[hazard]),)
    )
    assert host.task_types().names() == ["default", "fire_safety.hazard"]
    assert host.task_types().get("fire_safety.hazard").module == "fire_safety"


def test_a_task_type_another_module_already_declared_is_refused():
    first = module_of("fire_safety", gridgov_task_types=[task_type("fire_safety.hazard")])
    second = module_of("disputes", gridgov_task_types=[task_type("fire_safety.hazard")])
    host = manager.get_plugin_host(load_entrypoints=False, plugins=(first, second))
    assert [m.name for m in host.modules()] == ["fire_safety"]
    assert "does not start with disputes." in next(iter(host.failures.values()))


def test_hook_tags_come_after_the_core_tags():
    leader = TagDefinition("fire_safety.leader", "消防带头人", "Fire leader")
    host = manager.get_plugin_host(
        load_entrypoints=False, plugins=(module_of("fire_safety", gridgov_tags=[leader]),)
    )
    assert host.tags()[-1] == leader
    assert "disabled" in [t.code for t in host.tags()]


def test_hook_scoring_rules_score_within_their_maximum():
    rule = ScoringRule("fire_safety.patrols", "巡查", "Patrols", max_points=5, compute=lambda c: 9)
    host = manager.get_plugin_host(
        load_entrypoints=False, plugins=(module_of("fire_safety", gridgov_scoring_rules=[rule]),)
    )
    assert host.scoring_rules() == [rule]
    assert rule.score(None) == 5


def test_hook_api_blueprints_are_kept_for_mounting():
    blueprint = Blueprint("fire_api", __name__)
    host = manager.get_plugin_host(
        load_entrypoints=False,
        plugins=(module_of("fire_safety", gridgov_api_blueprints=[blueprint]),),
    )
    assert host.module("fire_safety").api_blueprints == (blueprint,)


def test_hook_portal_pages_bring_their_menu_entries():
    from gridgov.core.plugins.hookspecs import MenuEntry, PortalPages

    pages = PortalPages(Blueprint("fire_pages", __name__), (MenuEntry("ledger", "台帐", "Ledger"),))
    host = manager.get_plugin_host(
        load_entrypoints=False, plugins=(module_of("fire_safety", gridgov_portal_pages=[pages]),)
    )
    assert host.for_tenant(["fire_safety"]).portal_pages()[0][1].menu[0].label == "台帐"
    assert host.for_tenant([]).portal_pages() == []


def test_hook_periodic_jobs_more_often_than_a_minute_are_refused():
    import datetime as dt

    from gridgov.core.plugins.hookspecs import PeriodicJob

    hourly = PeriodicJob("fire_safety.remind", "提醒", "Remind", dt.timedelta(hours=1), print)
    hectic = PeriodicJob("fire_safety.spin", "轮询", "Spin", dt.timedelta(seconds=5), print)
    host = manager.get_plugin_host(
        load_entrypoints=False,
        plugins=(
            module_of("fire_safety", gridgov_periodic_jobs=[hourly]),
            module_of("noisy", gridgov_periodic_jobs=[hectic]),
        ),
    )
    assert host.periodic_jobs() == [hourly]
    assert "more often than once a minute" in next(iter(host.failures.values()))


@pytest.fixture(autouse=True)
def _forget_fake_modules():
    yield
    for name in [n for n in sys.modules if n.startswith("fake_plugin_")]:
        del sys.modules[name]
