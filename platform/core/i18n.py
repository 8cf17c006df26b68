"""Marking user-facing text for translation. Source strings are Simplified Chinese (the first
locale); English comes from the catalogue in ``gridgov/portal/translations``.

Lazy strings: a message made in a service is translated when shown, in the reader's locale.
The web layer installs the ``Catalogue`` that knows the reader's locale and the translations
(``gridgov.i18n``); with none installed (a script), text stays in Chinese. Department modules
are not in our catalogue, so they give both languages themselves (``Localized``).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gettext as gettext_module
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from babel.support import LazyProxy

__all__ = ["Catalogue", "LazyText", "Localized", "_", "_n", "force_locale", "install_catalogue"]

SOURCE_LOCALE = "zh_CN"  # the language the source strings are written in


class Catalogue(Protocol):
    """The reader's locale and the translations into a locale (the web layer provides it)."""

    def locale(self) -> str | None:
        """The locale of the reader being served, or None (the source locale)."""
        ...

    def translations(self, locale: str) -> gettext_module.NullTranslations:
        """The translations into ``locale``."""
        ...


_catalogue: Catalogue | None = None
_forced_locale: ContextVar[str | None] = ContextVar("gridgov_forced_locale", default=None)


def install_catalogue(catalogue: Catalogue | None) -> None:
    """Make ``catalogue`` the one lazy strings are translated with (once per process)."""
    global _catalogue
    _catalogue = catalogue


def current_locale() -> str:
    """The locale text is shown in now: a forced one, else the reader's, else Chinese."""
    forced = _forced_locale.get()
    if forced is not None:
        return forced
    reader = _catalogue.locale() if _catalogue is not None else None
    return reader or SOURCE_LOCALE


@contextlib.contextmanager
def force_locale(locale: str) -> Iterator[None]:
    """Within the block text is shown in ``locale`` whoever reads: for text the core stores
    (a notification is read later, by someone else, in the county's language)."""
    token = _forced_locale.set(locale)
    try:
        yield
    finally:
        _forced_locale.reset(token)


def _translations() -> gettext_module.NullTranslations:
    if _catalogue is None:
        return gettext_module.NullTranslations()
    return _catalogue.translations(current_locale())


def gettext(message: str, /, **variables: Any) -> str:
    """``message`` translated into the current locale, ``%(name)s`` filled from ``variables``."""
    text = _translations().gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> str:
    """Like ``gettext``, with the plural form for ``num`` (also given as ``%(num)d``)."""
    variables.setdefault("num", num)
    return _translations().ngettext(singular, plural, num) % variables


class LazyText(LazyProxy):
    """A message translated each time it is shown. Like Flask-Babel's lazy strings it is
    hashable and markup as is (``__html__``): Jinja, WTForms labels and Flask's JSON take it
    as text."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(str(self))

    def __html__(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"l{str(self)!r}"

    def __copy__(self) -> LazyText:
        return LazyText(self._func, *self._args, enable_cache=False, **self._kwargs)

    def __deepcopy__(self, memo: Any) -> LazyText:
        return LazyText(
            self._func,
            *copy.deepcopy(self._args, memo),
            enable_cache=False,
            **copy.deepcopy(self._kwargs, memo),
        )


def _(message: str, /, **variables: Any) -> LazyText:
    """``message`` (Chinese) marked for translation, translated when shown."""
    return LazyText(functools.partial(gettext, message, **variables), enable_cache=False)


def _n(singular: str, plural: str, num: int, /, **variables: Any) -> LazyText:
    """``_`` with a plural form chosen by ``num``."""
    return LazyText(
        functools.partial(ngettext, singular, plural, num, **variables), enable_cache=False
    )


@dataclass(frozen=True)
class Localized:
    """A label a plugin gives in both languages; shown in the reader's locale like ``_()``."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en if current_locale() == "en" else self.zh
