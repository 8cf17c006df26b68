"""The hooks department modules implement. Project name ``gridgov``; every hook name carries
the ``gridgov_`` prefix and is called with keyword arguments only.

This is the seam the plugin host issue builds on: more hooks (forms, task types, tags, scoring
rules, pages, reactions, periodic jobs, dashboard figures) are added here, each with a
docstring and an example, and the typed facade in ``manager.py`` is the only caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import pluggy

hookspec = pluggy.HookspecMarker("gridgov")
hookimpl = pluggy.HookimplMarker("gridgov")


@dataclass(frozen=True)
class ModuleInfo:
    """What a department module says about itself (shown to operators and county admins)."""

    name: str  # identifier, e.g. "fire_safety"
    title: str  # shown in the UI, e.g. "消防安全"
    department: str  # e.g. "县消防救援大队"
    version: str


@hookspec
def gridgov_module_info() -> ModuleInfo:
    """Describe the module. Every department module implements this hook.

    Example::

        @hookimpl
        def gridgov_module_info():
            return ModuleInfo(name="fire_safety", title="消防安全",
                              department="消防救援大队", version="1.0")
    """
