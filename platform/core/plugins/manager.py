"""The plugin manager: discovers department modules through the ``gridgov.plugins`` entry-point
group and reports, without stopping the platform, the ones that fail to load."""

from __future__ import annotations

import importlib.metadata
import logging
from dataclasses import dataclass, field

import pluggy

from gridgov.core.plugins import hookspecs
from gridgov.core.plugins.hookspecs import ModuleInfo

ENTRY_POINT_GROUP = "gridgov.plugins"

log = logging.getLogger(__name__)


@dataclass
class PluginHost:
    """A typed facade over ``pm.hook``: core code calls these methods, never raw hooks."""

    pm: pluggy.PluginManager
    failures: dict[str, str] = field(default_factory=dict)  # entry-point name -> reason

    def modules(self) -> list[ModuleInfo]:
        """Every installed module's description, by name."""
        return sorted(self.pm.hook.gridgov_module_info(), key=lambda m: m.name)


def get_plugin_host(
    *, load_entrypoints: bool = True, plugins: tuple[object, ...] = ()
) -> PluginHost:
    """Build the plugin host; tests pass ``load_entrypoints=False`` and their own ``plugins``."""
    pm = pluggy.PluginManager("gridgov")
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm)
    for plugin in plugins:
        pm.register(plugin)
    if load_entrypoints:
        _load_entrypoints(host)
    pm.check_pending()
    return host


def _load_entrypoints(host: PluginHost) -> None:
    # pluggy's load_setuptools_entrypoints stops at the first broken plugin; one county's bad
    # module must not take the platform down for all, so each is loaded and checked on its own.
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if host.pm.get_plugin(entry_point.name) is not None:
            continue
        try:
            plugin = entry_point.load()
            host.pm.register(plugin, name=entry_point.name)
            host.pm.check_pending()
        except Exception as exc:
            if host.pm.get_plugin(entry_point.name) is not None:
                host.pm.unregister(name=entry_point.name)
            host.failures[entry_point.name] = f"{type(exc).__name__}: {exc}"
            log.error("plugin %s could not be loaded: %s", entry_point.name, exc)
