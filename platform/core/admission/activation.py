"""Modules switched on per county by admission: the plugin host of the runtime narrowed to
what a county (or a user's part of it) admitted, and the checks that keep a module's forms,
pages and API closed where it is not live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridgov.core import runtime
from gridgov.core.admission import service as admission
from gridgov.core.db import db_session
from gridgov.core.errors import NotFound
from gridgov.core.i18n import _
from gridgov.core.registry.tags import tag_catalogue

if TYPE_CHECKING:
    from gridgov.core.accounts.scope import Scope
    from gridgov.core.forms.definitions import FormDefinition
    from gridgov.core.hierarchy.models import Node
    from gridgov.core.plugins.manager import Module, TenantHooks
    from gridgov.core.registry.tags import TagDefinition


def hooks_for(scope: Scope | None = None) -> TenantHooks:
    """The host narrowed to the modules the current county admitted (with ``scope``: live
    somewhere the scope reaches). Use it for every hook call made for a county."""
    return runtime.current().plugins.for_tenant(admission.live_modules(db_session(), scope))


def county_tags() -> dict[str, TagDefinition]:
    """The current county's tag catalogue: the core's tags and those of the modules it admitted
    (a suspended or withdrawn module's tags stay on the people who have them, but cannot be
    given to anyone new)."""
    return tag_catalogue(extra=[tag for module in hooks_for().modules() for tag in module.tags])


def open_form(code: str, node: Node) -> tuple[Module, FormDefinition]:
    """The form with this code and its module, if the module takes new work at ``node``:
    NotFound when unknown or not admitted there, Conflict when suspended or withdrawn."""
    found = runtime.current().plugins.form(code)
    if found is None:
        raise NotFound(_("没有这个表单"))
    admission.check_open_for_work(db_session(), found[0].name, node)
    return found


def check_readable(module: str) -> None:
    """NotFound unless the county ever admitted ``module``: a suspended or withdrawn module's
    records stay readable, a module never admitted has none to show."""
    if not admission.was_ever_live(db_session(), module):
        raise NotFound(_("没有这个表单"))


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_request(module: str, scope: Scope, method: str) -> None:
    """What a module's pages and API allow before every request: everything where the module
    is live for ``scope``; while the county has it suspended or withdrawn, reading its
    records (Conflict for a write); NotFound where it was never admitted, or is live only in
    pilot townships ``scope`` does not reach."""
    session = db_session()
    reach = admission.module_reach(session, scope)
    if module in reach.here:
        return
    if not reach.readable(module):
        raise NotFound(_("该模块未在此准入"))
    if method not in READ_METHODS:
        admission.check_open_for_work(session, module)  # Conflict while suspended or withdrawn


def readable_modules(scope: Scope) -> list[Module]:
    """The modules whose pages a user seeing ``scope`` may open: live for them, or suspended or
    withdrawn in the county (read-only)."""
    reach = admission.module_reach(db_session(), scope)
    host = runtime.current().plugins
    return [host.installed[name] for name in sorted(host.installed) if reach.readable(name)]
