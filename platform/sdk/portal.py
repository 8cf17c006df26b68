"""A module's portal pages: the logged-in user and their scope, running a change behind a form,
storing an uploaded photo, paging a list, the base of its forms and reading an id from a
query string, and the helpers the core's form pages use to offer
grids and repeated rows. Menus and page blueprints are declared with ``MenuEntry`` and
``PortalPages`` of ``gridgov.core.plugins.hookspecs``."""

from __future__ import annotations

from gridgov.portal.admission_forms import EXTRA_ROWS, MAX_ROWS_SHOWN, grids_to_fill, posted_values
from gridgov.portal.forms import PortalForm
from gridgov.portal.paging import Page, paginate
from gridgov.portal.shell import me, run_change, scope_roots, user_scope
from gridgov.portal.tasks import stored_photo
from gridgov.web import id_value

__all__ = [
    "EXTRA_ROWS",
    "MAX_ROWS_SHOWN",
    "Page",
    "PortalForm",
    "grids_to_fill",
    "id_value",
    "me",
    "paginate",
    "posted_values",
    "run_change",
    "scope_roots",
    "stored_photo",
    "user_scope",
]
