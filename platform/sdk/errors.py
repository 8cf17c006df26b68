"""The errors a module raises (and catches): the platform turns each into its answer — a 422
naming the field, a 403, a 404, a 409 — in the API and in the portal."""

from __future__ import annotations

from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound

__all__ = ["Conflict", "DomainError", "Forbidden", "NotFound"]
