"""Marking user-facing text for translation. Source strings are Simplified Chinese (the first
locale); English comes from the catalogue in ``gridgov/portal/translations``.

Lazy strings: a message made in a service is translated when shown, in the reader's locale.
Department modules are not in our catalogue, so they give both languages themselves
(``Localized``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _
from flask_babel import lazy_ngettext as _n

__all__ = ["Localized", "_", "_n"]


@dataclass(frozen=True)
class Localized:
    """A label a plugin gives in both languages; shown in the reader's locale like ``_()``."""

    zh: str
    en: str

    def __str__(self) -> str:
        if has_request_context() and str(get_locale() or "") == "en":
            return self.en
        return self.zh
