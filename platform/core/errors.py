"""Exceptions shared by every core area; views turn them into HTTP answers."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the operation; the message is safe to show to the user.

    ``field`` names the input field at fault, when there is one, so that forms and the API can
    put the message next to it.
    """

    status = 422

    def __init__(self, message: object, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message  # may be a lazy string, translated when shown
        self.field = field

    def field_errors(self) -> dict[str, list[str]]:
        return {self.field: [str(self.message)]} if self.field else {}


class NotFound(DomainError):
    """The object does not exist *for this caller* (another tenant's, or out of scope)."""

    status = 404


class Forbidden(DomainError):
    """The caller may see the object but may not do this to it."""

    status = 403


class Conflict(DomainError):
    """The operation clashes with what is stored (a duplicate code, a grid already taken)."""

    status = 409


class TooManyRequests(DomainError):
    """The caller did this too often for now; the message says how often it may, and
    ``retry_after`` in how many seconds it may again (None: not known)."""

    status = 429

    def __init__(
        self, message: object, *, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after
