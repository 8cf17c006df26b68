"""The county's audit log: a module records every change it makes to its own records."""

from __future__ import annotations

from gridgov.core.audit.service import record

__all__ = ["record"]
