"""The plugin manager: discovers department modules through the ``gridgov.plugins`` entry-point
group, checks what each declares, and reports — without stopping the platform — the ones that
fail to load or declare something invalid.

``PluginHost`` is the typed facade core code uses (it never calls ``pm.hook``);
``PluginHost.for_tenant`` narrows it to the modules a county admitted, so a hook of any other
module is never called for that county.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy

from gridgov.core.accounts.models import Role
from gridgov.core.forms.definitions import FormDefinition, definition_problems
from gridgov.core.plugins import hookspecs
from gridgov.core.plugins.hookspecs import (
    ASSESSMENT_CATEGORIES,
    AdmissionRequirement,
    DashboardFigure,
    MapKind,
    MapLayer,
    ModuleInfo,
    PeriodicJob,
    PortalPages,
    RequirementKind,
    ScoringRule,
)
from gridgov.core.registry.tags import CORE_TAGS, TagDefinition, TagSubject
from gridgov.core.tasks.workflow import TaskType, TaskTypeRegistry, task_types

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gridgov.core.accounts.models import User
    from gridgov.core.accounts.scope import Scope
    from gridgov.core.tasks.models import Task
    from gridgov.core.tenancy.county_time import Period
    from gridgov.core.tenancy.models import Tenant

ENTRY_POINT_GROUP = "gridgov.plugins"
MODULE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

log = logging.getLogger(__name__)


class InvalidPlugin(Exception):
    """A plugin declared something the host cannot accept; the message says what."""


@dataclass(frozen=True)
class Module:
    """An installed department module and everything it declared, checked at start."""

    info: ModuleInfo
    plugin: object
    migrations: str | None = None  # the folder of its Alembic branch
    requirements: tuple[AdmissionRequirement, ...] = ()
    forms: tuple[FormDefinition, ...] = ()
    task_types: tuple[TaskType, ...] = ()
    tags: tuple[TagDefinition, ...] = ()
    scoring_rules: tuple[ScoringRule, ...] = ()
    api_blueprints: tuple[Any, ...] = ()  # flask Blueprints, checked by the web layer
    portal_pages: tuple[PortalPages, ...] = ()
    periodic_jobs: tuple[PeriodicJob, ...] = ()
    map_layers: tuple[MapLayer, ...] = ()

    @property
    def name(self) -> str:
        return self.info.name


@dataclass
class PluginHost:
    """A typed facade over ``pm.hook``: core code calls these methods, never raw hooks."""

    pm: pluggy.PluginManager
    failures: dict[str, str] = field(default_factory=dict)  # plugin name -> reason
    installed: dict[str, Module] = field(default_factory=dict)  # module name -> module
    _task_types: TaskTypeRegistry | None = field(default=None, repr=False)

    def modules(self) -> list[ModuleInfo]:
        """Every installed module's description, by name."""
        return [self.installed[name].info for name in sorted(self.installed)]

    def module(self, name: str) -> Module | None:
        """The installed module called ``name``, or None."""
        return self.installed.get(name)

    def forms(self) -> list[FormDefinition]:
        return [f for m in self._sorted() for f in m.forms]

    def form(self, code: str) -> tuple[Module, FormDefinition] | None:
        """The installed form with this code and its module, or None."""
        for module in self._sorted():
            for form in module.forms:
                if form.code == code:
                    return module, form
        return None

    def task_types(self) -> TaskTypeRegistry:
        """The core's task types and every installed module's (the task engine's registry)."""
        if self._task_types is None:
            self._task_types = task_types(t for m in self._sorted() for t in m.task_types)
        return self._task_types

    def reacts_to_transitions(self) -> bool:
        """Whether any installed module implements ``gridgov_task_transition``."""
        return bool(self.pm.hook.gridgov_task_transition.get_hookimpls())

    def tags(self) -> list[TagDefinition]:
        """The core's tags, then every module's."""
        return [*CORE_TAGS, *(t for m in self._sorted() for t in m.tags)]

    def scoring_rules(self) -> list[ScoringRule]:
        return [r for m in self._sorted() for r in m.scoring_rules]

    def periodic_jobs(self) -> list[PeriodicJob]:
        return [j for m in self._sorted() for j in m.periodic_jobs]

    def map_layers(self) -> list[MapLayer]:
        return [x for m in self._sorted() for x in m.map_layers]

    def for_tenant(self, active_modules: Iterable[str]) -> TenantHooks:
        """The hooks of the modules in ``active_modules`` only (those a county admitted)."""
        active = frozenset(name for name in active_modules if name in self.installed)
        inactive = [m.plugin for m in self.installed.values() if m.name not in active]
        return TenantHooks(self, active, inactive)

    def _sorted(self) -> list[Module]:
        return [self.installed[name] for name in sorted(self.installed)]


@dataclass(frozen=True)
class TenantHooks:
    """The plugin host as one county sees it: declarations of its admitted modules only, and
    hook calls that never reach another module (``pm.subset_hook_caller``)."""

    host: PluginHost
    active: frozenset[str]
    inactive_plugins: list[object]

    def modules(self) -> list[Module]:
        return [self.host.installed[name] for name in sorted(self.active)]

    def is_active(self, module: str) -> bool:
        return module in self.active

    def forms(self) -> list[FormDefinition]:
        return [f for m in self.modules() for f in m.forms]

    def form(self, code: str) -> FormDefinition | None:
        """The admitted form with this code, or None."""
        return next((f for f in self.forms() if f.code == code), None)

    def tags(self) -> list[TagDefinition]:
        return [*CORE_TAGS, *(t for m in self.modules() for t in m.tags)]

    def scoring_rules(self) -> list[ScoringRule]:
        return [r for m in self.modules() for r in m.scoring_rules]

    def periodic_jobs(self) -> list[PeriodicJob]:
        return [j for m in self.modules() for j in m.periodic_jobs]

    def portal_pages(self) -> list[tuple[Module, PortalPages]]:
        return [(m, p) for m in self.modules() for p in m.portal_pages]

    def map_layers(self) -> list[tuple[Module, MapLayer]]:
        return [(m, x) for m in self.modules() for x in m.map_layers]

    def task_transition(
        self,
        *,
        session: Session,
        tenant: Tenant,
        task: Task,
        action: str,
        from_state: str | None,
        actor: User | None,
        comment: str,
    ) -> None:
        """Tell every admitted module that ``task`` took ``action``."""
        self._hook("gridgov_task_transition")(
            session=session,
            tenant=tenant,
            task=task,
            action=action,
            from_state=from_state,
            actor=actor,
            comment=comment,
        )

    def demo_data(self, *, session: Session, tenant: Tenant) -> list[str]:
        """Every admitted module's demo records for ``tenant``; the lines they print."""
        results = self._hook("gridgov_demo_data")(session=session, tenant=tenant)
        return [line for result in results for line in (result or ())]

    def dashboard_figures(
        self, *, session: Session, tenant: Tenant, scope: Scope
    ) -> list[DashboardFigure]:
        """Every admitted module's figures for a user seeing ``scope``. A module whose hook
        fails is logged and left out: one module's bug must not take a county's home page down."""
        return self._figures("gridgov_dashboard_figures", session, tenant=tenant, scope=scope)

    def period_figures(
        self, *, session: Session, tenant: Tenant, scope: Scope, period: Period
    ) -> list[DashboardFigure]:
        """Every admitted module's figures for the period report of ``scope`` over ``period``;
        a module whose hook fails is logged and left out, as on the dashboard."""
        return self._figures(
            "gridgov_period_figures", session, tenant=tenant, scope=scope, period=period
        )

    def _figures(self, hook_name: str, session: Session, **arguments: Any) -> list[DashboardFigure]:
        figures: list[DashboardFigure] = []
        for module in self.modules():
            others = [p for p in self.host.pm.get_plugins() if p is not module.plugin]
            hook = self.host.pm.subset_hook_caller(hook_name, others)
            try:
                # A savepoint: a failed query of one module leaves the request's transaction usable.
                with session.begin_nested():
                    results = hook(session=session, **arguments)
                found = [f for result in results for f in (result or ())]
            except Exception:
                log.exception("module %s failed to give its figures (%s)", module.name, hook_name)
                continue
            figures.extend(f for f in found if isinstance(f, DashboardFigure))
        return figures

    def _hook(self, name: str) -> Any:
        return self.host.pm.subset_hook_caller(name, remove_plugins=self.inactive_plugins)


Check = Callable[[Module], list[str]]  # what is wrong with a module's declarations, if anything


def get_plugin_host(
    *,
    load_entrypoints: bool = True,
    plugins: tuple[object, ...] = (),
    checks: Sequence[Check] = (),
) -> PluginHost:
    """Build the plugin host; tests pass ``load_entrypoints=False`` and their own ``plugins``.
    ``checks`` are the caller's own checks of each module (the web layer's: its blueprints are
    flask Blueprints); a module failing one is skipped like any invalid module."""
    pm = pluggy.PluginManager("gridgov")
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm)
    for plugin in plugins:
        _admit(host, pm.get_canonical_name(plugin), lambda plugin=plugin: plugin, checks)
    if load_entrypoints:
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if pm.get_plugin(entry_point.name) is None:
                _admit(host, entry_point.name, entry_point.load, checks)
    pm.check_pending()
    return host


def _admit(
    host: PluginHost, name: str, load: Callable[[], object], checks: Sequence[Check]
) -> None:
    # pluggy's load_setuptools_entrypoints stops at the first broken plugin; one county's bad
    # module must not take the platform down for all, so each is loaded and checked on its own.
    pm = host.pm
    try:
        plugin = load()
        pm.register(plugin, name=name)
        pm.check_pending()
        module = _collect(host, plugin, checks)
    except Exception as exc:
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)
        host.failures[name] = f"{type(exc).__name__}: {exc}"
        log.error("plugin %s could not be loaded and is skipped: %s", name, exc)
        return
    host.installed[module.name] = module
    host._task_types = None


def _collect(host: PluginHost, plugin: object, checks: Sequence[Check]) -> Module:
    """Call the declaration hooks of ``plugin`` alone and check what they return."""
    others = [p for p in host.pm.get_plugins() if p is not plugin]

    def declared(hook: str) -> list[Any]:
        results = host.pm.subset_hook_caller(hook, remove_plugins=others)()
        return [item for result in results for item in (result or ())]

    infos = host.pm.subset_hook_caller("gridgov_module_info", remove_plugins=others)()
    if not infos:
        raise InvalidPlugin("it does not implement gridgov_module_info")
    info = infos[0]
    if not isinstance(info, ModuleInfo) or not MODULE_NAME_RE.match(info.name):
        raise InvalidPlugin(f"gridgov_module_info gave an invalid module name: {info!r}")
    if info.name in host.installed:
        raise InvalidPlugin(f"module {info.name} is already installed")
    folders = host.pm.subset_hook_caller("gridgov_migrations", remove_plugins=others)()
    module = Module(
        info=info,
        plugin=plugin,
        migrations=str(folders[0]) if folders else None,
        requirements=tuple(declared("gridgov_admission_requirements")),
        forms=tuple(declared("gridgov_forms")),
        task_types=tuple(declared("gridgov_task_types")),
        tags=tuple(declared("gridgov_tags")),
        scoring_rules=tuple(declared("gridgov_scoring_rules")),
        api_blueprints=tuple(declared("gridgov_api_blueprints")),
        portal_pages=tuple(declared("gridgov_portal_pages")),
        periodic_jobs=tuple(declared("gridgov_periodic_jobs")),
        map_layers=tuple(declared("gridgov_map_layers")),
    )
    problems = [*_problems(host, module), *(p for check in checks for p in check(module))]
    if problems:
        raise InvalidPlugin("; ".join(problems))
    return module


def _problems(host: PluginHost, module: Module) -> list[str]:
    """Everything wrong with what ``module`` declares, including clashes with the core and
    with the modules installed before it."""
    name = module.name
    problems: list[str] = []

    def check_code(kind: str, code: Any, taken: Iterable[str]) -> None:
        if not isinstance(code, str) or not code.startswith(f"{name}."):
            problems.append(f"{kind} code {code!r} does not start with {name}.")
        elif code in taken:
            problems.append(f"{kind} {code} is already declared")

    def check_items(kind: str, items: Iterable[Any], cls: type, taken: Iterable[str]) -> None:
        seen: list[str] = list(taken)
        for item in items:
            if not isinstance(item, cls):
                problems.append(f"{kind} {item!r} is not a {cls.__name__}")
                continue
            check_code(kind, item.code, seen)
            seen.append(item.code)

    check_items("form", module.forms, FormDefinition, (f.code for f in host.forms()))
    for form in module.forms:
        if isinstance(form, FormDefinition):
            problems.extend(definition_problems(form))
    taken_types = host.task_types().names()
    for task_type in module.task_types:
        if not isinstance(task_type, TaskType):
            problems.append(f"task type {task_type!r} is not a TaskType")
            continue
        check_code("task type", task_type.name, taken_types)
        taken_types.append(task_type.name)
        problems.extend(_task_type_problems(task_type))
    check_items("tag", module.tags, TagDefinition, (t.code for t in host.tags()))
    for tag in module.tags:
        if isinstance(tag, TagDefinition) and tag.subject not in set(TagSubject):
            problems.append(f"tag {tag.code} has an unknown subject {tag.subject!r}")
    check_items(
        "scoring rule", module.scoring_rules, ScoringRule, (r.code for r in host.scoring_rules())
    )
    for rule in module.scoring_rules:
        if isinstance(rule, ScoringRule) and (rule.max_points <= 0 or not callable(rule.compute)):
            problems.append(f"scoring rule {rule.code} needs max_points > 0 and a compute function")
        if isinstance(rule, ScoringRule) and rule.category not in ASSESSMENT_CATEGORIES:
            problems.append(
                f"scoring rule {rule.code}: category must be one of "
                + ", ".join(ASSESSMENT_CATEGORIES)
            )
    check_items(
        "periodic job", module.periodic_jobs, PeriodicJob, (j.code for j in host.periodic_jobs())
    )
    for job in module.periodic_jobs:
        if isinstance(job, PeriodicJob) and job.every < dt.timedelta(minutes=1):
            problems.append(f"periodic job {job.code} runs more often than once a minute")
    requirement_codes: list[str] = []
    for requirement in module.requirements:
        if not isinstance(requirement, AdmissionRequirement):
            problems.append(f"admission requirement {requirement!r} is not an AdmissionRequirement")
        elif requirement.code in requirement_codes or requirement.kind not in set(RequirementKind):
            problems.append(f"admission requirement {requirement.code} is repeated or has no kind")
        else:
            requirement_codes.append(requirement.code)
    if module.migrations is not None and not os.path.isdir(module.migrations):
        problems.append(f"migrations folder {module.migrations} does not exist")
    for pages in module.portal_pages:
        if not isinstance(pages, PortalPages):
            problems.append(f"portal pages {pages!r} are not PortalPages")
    check_items("map layer", module.map_layers, MapLayer, (x.code for x in host.map_layers()))
    for layer in module.map_layers:
        if isinstance(layer, MapLayer):
            problems.extend(_map_layer_problems(layer))
    return problems


def _map_layer_problems(layer: MapLayer) -> list[str]:
    problems = []
    if not callable(layer.points) or (layer.per_grid is not None and not callable(layer.per_grid)):
        problems.append(f"map layer {layer.code}: points and per_grid must be functions")
    kinds = [k for k in layer.kinds if isinstance(k, MapKind)]
    if not kinds or len(kinds) != len(layer.kinds):
        problems.append(f"map layer {layer.code} needs its kinds, each a MapKind")
    if len({k.code for k in kinds}) != len(kinds):
        problems.append(f"map layer {layer.code} repeats a kind")
    for kind in kinds:
        if not COLOUR_RE.match(kind.colour):
            problems.append(f"map layer {layer.code}: kind {kind.code} colour is not #rrggbb")
    return problems


def _task_type_problems(task_type: TaskType) -> list[str]:
    roles = {role.value for role in Role}
    problems = []
    if not task_type.categories:
        problems.append(f"task type {task_type.name} declares no categories")
    for rule in task_type.transitions:
        unknown = {str(role) for role in rule.roles} - roles
        if unknown or not rule.roles:
            problems.append(
                f"task type {task_type.name}: action {rule.action} names no or unknown roles "
                f"{sorted(unknown)}"
            )
        if rule.action == "report":
            problems.append(f"task type {task_type.name}: the action name report is reserved")
    return problems
