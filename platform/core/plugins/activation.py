"""Which department modules this deployment runs: the plugin host of the runtime in place."""

from __future__ import annotations

from gridgov.core import runtime
from gridgov.core.plugins.manager import PluginHost


def plugin_host() -> PluginHost:
    """The plugin host of the runtime in place (the modules installed, admitted or not)."""
    return runtime.current().plugins
