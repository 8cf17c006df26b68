"""What the core needs from outside, handed to it explicitly: the process-wide ``Runtime`` (the
database engine, the plugin host, the job queue, the files folder, the data key, the clock) and
the per-call context (the caller's address).

The web layer builds a ``Runtime`` from its configuration and installs it for every app context
(so requests, CLI commands and jobs all see the same one); a test or script without an app can
install its own with ``use``. Core code asks ``current()``, never Flask::

    with runtime.use(Runtime(engine=engine, plugins=host, jobs=InlineQueue(), ...)):
        report_task(...)
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from gridgov.core.jobs import JobQueue
    from gridgov.core.plugins.manager import PluginHost


def real_now() -> dt.datetime:
    """The real time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Runtime:
    """The deployment the core runs in; one per app (or test), shared by every call."""

    engine: Engine  # sessions bind to it (gridgov.core.db.db_session)
    plugins: PluginHost  # the department modules installed in this deployment
    jobs: JobQueue  # where ``gridgov.core.jobs.enqueue`` sends work
    files_dir: Path  # the folder the files of every county live in
    keep_exports_days: int  # how long a file written for one reader (an export) is kept
    data_key: str = field(repr=False)  # GRIDGOV_DATA_KEY: the master key of personal data
    # How many exact searches (a whole ID number or phone) one user may make, per window, as
    # `limits` writes it; gridgov.core.registry.service.check_exact_search counts them.
    exact_search_limits: str = "30 per hour; 100 per day"
    clock: Callable[[], dt.datetime] = real_now

    def now(self) -> dt.datetime:
        """The current moment by this runtime's clock (aware, UTC)."""
        return self.clock()


_installed: ContextVar[Runtime | None] = ContextVar("gridgov_runtime", default=None)


def now() -> dt.datetime:
    """The current moment by the installed runtime's clock, or the real one where none is
    installed (a migration, a script): what ``gridgov.core.db.utcnow`` answers."""
    installed = _installed.get()
    return installed.now() if installed is not None else real_now()


def current() -> Runtime:
    """The runtime installed for this call; RuntimeError if there is none (core code run
    outside the app, a job runner or ``use``)."""
    installed = _installed.get()
    if installed is None:
        raise RuntimeError(
            "no gridgov runtime is installed: run this inside an app context, a job, or"
            " `with gridgov.core.runtime.use(...)`"
        )
    return installed


@contextlib.contextmanager
def use(runtime: Runtime) -> Iterator[Runtime]:
    """Within the block ``current()`` answers ``runtime``; the previous one comes back after."""
    token = _installed.set(runtime)
    try:
        yield runtime
    finally:
        _installed.reset(token)


# --- the call: who is asking, per request -----------------------------------------------------


@dataclass(frozen=True)
class Call:
    """What one call (a request) tells the core about its caller."""

    address: str | None = None  # the caller's network address, for the audit log


_NO_CALL = Call()  # jobs and CLI commands: no caller
_call: ContextVar[Call | None] = ContextVar("gridgov_call", default=None)


@contextlib.contextmanager
def call(*, address: str | None) -> Iterator[Call]:
    """Within the block the core serves a caller at ``address`` (the web layer sets it per
    request; jobs and CLI commands have none)."""
    this = Call(address=address)
    token = _call.set(this)
    try:
        yield this
    finally:
        _call.reset(token)


def caller() -> Call:
    """The current call (an empty one outside a request)."""
    return _call.get() or _NO_CALL
