"""Background jobs as the core sees them: a ``JobQueue`` interface the runtime holds (RQ on Redis
in production, ``InlineQueue`` on the embedded default), the ``@job`` decorator and progress.

A job takes ids plus the tenant id, never ORM objects (they would be pickled, stale and
detached from any session). Decorate it with ``@job``: it then runs with a session of its own
scoped to that tenant, committed when the job returns::

    @job
    def rename_node(session: Session, node_id: int, name: str) -> None:
        ...

    enqueue(rename_node, tenant.id, node.id, "新名字")

Enqueue after committing what the job needs: a worker (and an inline job, which has its own
session) only sees committed rows. Whoever runs a job installs the runtime first (the app
context does, in requests, CLI commands and the worker).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.db import Base, db_session, set_tenant

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class Job(Protocol):
    """What ``enqueue`` returns: the parts of ``rq.job.Job`` that callers use."""

    @property
    def id(self) -> str: ...

    @property
    def meta(self) -> dict[str, Any]: ...

    def get_status(self, refresh: bool = True) -> Any: ...

    def get_meta(self, refresh: bool = True) -> dict[str, Any]: ...

    def save_meta(self) -> None: ...

    def return_value(self, refresh: bool = False) -> Any: ...


class JobQueue(Protocol):
    """Where jobs go: RQ on Redis (``gridgov.jobs.RQQueue``) or ``InlineQueue``."""

    def enqueue(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
        """Run ``func(*args, **kwargs)`` in the background (or now); the job."""
        ...

    def progress_of(self, job_id: str) -> dict[str, int] | None:
        """The last progress the job with this id reported, or None (unknown, expired, or
        jobs that ran inline and are over)."""
        ...


@dataclass
class InlineJob:
    """A job ``InlineQueue`` ran: it has already finished when ``enqueue`` returns.

    It answers the few parts of ``rq.job.Job`` that callers use (``id``, ``meta``,
    ``get_status``, ``return_value``), so code that reports progress works either way.
    """

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    meta: dict[str, Any] = field(default_factory=dict)
    status: str = "queued"
    result: Any = None
    exc_info: str | None = None

    def get_status(self, refresh: bool = True) -> str:
        return self.status

    def get_meta(self, refresh: bool = True) -> dict[str, Any]:
        return self.meta

    def save_meta(self) -> None:
        """Nothing to save: the caller holds this very object."""

    def return_value(self, refresh: bool = False) -> Any:
        return self.result


class InlineQueue:
    """The queue of the embedded default (no Redis): a job runs in-process, now."""

    def enqueue(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> InlineJob:
        inline = InlineJob(status="started")
        with running(inline):
            try:
                inline.result = func(*args, **kwargs)
                inline.status = "finished"
            except Exception:
                # As with a worker, a failed job is recorded and logged; it does not fail the
                # caller.
                log.exception("inline job %s failed", getattr(func, "__qualname__", func))
                inline.status = "failed"
                inline.exc_info = traceback.format_exc()
        return inline

    def progress_of(self, job_id: str) -> dict[str, int] | None:
        return None  # inline jobs are over by the time anyone asks


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
    """Run ``func(*args, **kwargs)`` in the background, on the runtime's job queue. Returns the
    job (an ``InlineJob`` that has finished, without Redis)."""
    found = _orm_object_in((*args, *kwargs.values()))
    if found is not None:
        raise TypeError(f"pass ids to jobs, not ORM objects: got a {type(found).__name__}")
    return runtime.current().jobs.enqueue(func, *args, **kwargs)


def _orm_object_in(value: Any) -> Base | None:
    """The first ORM object in ``value`` (looking into lists, tuples, sets and dicts), if any."""
    if isinstance(value, Base):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            found = _orm_object_in(item)
            if found is not None:
                return found
    return None


# --- the job being run ------------------------------------------------------------------------

_running: contextvars.ContextVar[Job | None] = contextvars.ContextVar(
    "gridgov_running_job", default=None
)


@contextlib.contextmanager
def running(job: Job | None) -> Iterator[None]:
    """Within the block ``job`` is the job being run (the queues' runners set it)."""
    token = _running.set(job)
    try:
        yield
    finally:
        _running.reset(token)


def current_job() -> Job | None:
    """The job being run (RQ or inline), or None outside a job."""
    return _running.get()


def report_progress(done: int, total: int) -> None:
    """Record how far the current job is, in ``job.meta["progress"]``; a no-op outside a job."""
    job = current_job()
    if job is None:
        return
    job.meta["progress"] = {"done": done, "total": total}
    job.save_meta()


def progress(job: Job) -> dict[str, int] | None:
    """The last progress the job reported (``{"done": …, "total": …}``), or None."""
    return job.get_meta(refresh=True).get("progress")


def progress_of(job_id: str | None) -> dict[str, int] | None:
    """The last progress of the queued job with this id, or None (no Redis: jobs ran inline
    and are over; an unknown or expired job)."""
    if job_id is None:
        return None
    return runtime.current().jobs.progress_of(job_id)


def job(func: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[int | None, P], R]:
    """Make ``func(session, *args)`` a job called as ``job(tenant_id, *args)``.

    The job gets a session of its own (never the caller's), scoped to ``tenant_id`` (None: the
    platform level, for jobs that touch no county's rows); it is committed if the job returns and
    rolled back if it raises.
    """

    @functools.wraps(func)
    def run(tenant_id: int | None, *args: P.args, **kwargs: P.kwargs) -> R:
        # A new session rather than the thread's scoped one: an inline job must not commit
        # or close the session of the request that enqueued it.
        session = db_session.session_factory()
        try:
            set_tenant(session, tenant_id)
            result = func(session, *args, **kwargs)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    return run
