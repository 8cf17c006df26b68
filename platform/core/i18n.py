"""Marking user-facing text for translation. Source strings are Simplified Chinese (the first
locale); English comes from the catalogue in ``gridgov/portal/translations``.

Lazy strings: a message made in a service is translated when shown, in the reader's locale.
"""

from flask_babel import lazy_gettext as _
from flask_babel import lazy_ngettext as _n

__all__ = ["_", "_n"]
