"""Locale selection for Flask-Babel: Simplified Chinese first, English second; and the same
catalogue and locale for the core's lazy strings (``gridgov.core.i18n``).

The catalogues live as ``.po`` files in ``gridgov/portal/translations``; the compiled ``.mo`` files
are generated at start-up into the instance folder (they are build output, kept out of git).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import flask_babel
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, session
from flask_login import current_user

from gridgov.core import i18n as core_i18n
from gridgov.extensions import babel

CATALOGUES = Path(__file__).parent / "portal" / "translations"
SESSION_KEY = "locale"


def init_app(app: Flask) -> None:
    """Compile the catalogues into the instance folder and bind Flask-Babel to them."""
    target = Path(app.instance_path) / "translations"
    compile_catalogues(CATALOGUES, target)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    core_i18n.install_catalogue(PortalCatalogue())


class PortalCatalogue:
    """The core's ``Catalogue``: Flask-Babel's locale of the app in context (the reader's in a
    request, zh_CN in a job or command) and the portal's translations."""

    def __init__(self) -> None:
        self._loaded: dict[str, NullTranslations] = {}

    def locale(self) -> str | None:
        locale = flask_babel.get_locale()
        return str(locale) if locale is not None else None

    def translations(self, locale: str) -> NullTranslations:
        # Flask-Babel loads and caches the app's catalogue per locale (none outside an app),
        # but finding it again through force_locale cost every message ~0.1 ms: a request
        # translates hundreds. Every app reads the same compiled catalogues, so the first app's
        # are kept.
        if not has_app_context():
            return NullTranslations()  # as Flask-Babel: outside an app, nothing to translate with
        found = self._loaded.get(locale)
        if found is None:
            with flask_babel.force_locale(locale):
                found = self._loaded[locale] = flask_babel.get_translations()
        return found


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Write a ``.mo`` for every ``.po`` under ``source`` that is newer than its ``.mo``."""
    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        # Several workers may start at once: write aside, then swap in atomically.
        fd, tmp_name = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(tmp_name, mo_path)
        written.append(mo_path)
    return written


def is_known_locale(locale: str | None) -> bool:
    return bool(locale) and locale in current_app.config["GRIDGOV_LOCALES"]


def select_locale() -> str | None:
    """The reader's explicit choice (kept in the session), else the logged-in user's saved
    locale, else None (Flask-Babel then uses BABEL_DEFAULT_LOCALE, zh_CN)."""
    if not has_request_context():
        return None
    chosen = session.get(SESSION_KEY)
    if is_known_locale(chosen):
        return chosen
    # current_user is only ever a user of this request's tenant (the portal's user_loader).
    saved = getattr(current_user, "locale", None)
    if current_user.is_authenticated and is_known_locale(saved):
        return saved
    return None


def select_timezone() -> str | None:
    """The county's time zone on its pages (times are shown on the county's wall clock); None
    outside a county (Flask-Babel then uses BABEL_DEFAULT_TIMEZONE)."""
    if not has_request_context():
        return None
    tenant = getattr(g, "tenant", None)
    return tenant.time_zone if tenant is not None else None
