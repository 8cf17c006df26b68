"""Texts in Chinese first with an English translation, shown in the user's language."""

from __future__ import annotations

from gridgov.core.i18n import Localized, _

__all__ = ["Localized", "_"]
