"""Background jobs: RQ on Redis when REDIS_URL is set, otherwise run inline in-process.

A job takes ids plus the tenant id, never ORM objects (they would be pickled, stale and
detached from any session). Decorate it with ``@job``: it then runs in an app context with a
session of its own scoped to that tenant, committed when the job returns::

    @job
    def rename_node(session: Session, node_id: int, name: str) -> None:
        ...

    enqueue(rename_node, tenant.id, node.id, "新名字")

Enqueue after committing what the job needs: a worker (and an inline job, which has its own
session) only sees committed rows.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

import click
from flask import Flask, current_app, has_app_context
from flask.cli import with_appcontext
from redis import Redis
from rq import Queue, Worker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy.orm import Session

from gridgov.core.db import Base, db_session, set_tenant

QUEUE_NAME = "gridgov"

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class InlineJob:
    """What ``enqueue`` returns when no Redis is configured: the job has already run.

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


_inline_job: contextvars.ContextVar[InlineJob | None] = contextvars.ContextVar(
    "gridgov_inline_job", default=None
)


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Job | InlineJob:
    """Run ``func(*args, **kwargs)`` in the background: on the RQ queue "gridgov" if the app has
    a REDIS_URL, else inline, now. Returns the RQ job, or an ``InlineJob`` that has finished."""
    found = _orm_object_in((*args, *kwargs.values()))
    if found is not None:
        raise TypeError(f"pass ids to jobs, not ORM objects: got a {type(found).__name__}")
    with _app_context():
        redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        return queue(redis_url).enqueue(func, *args, **kwargs)
    return _run_inline(func, args, kwargs)


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


def queue(redis_url: str) -> Queue:
    """The gridgov queue on the Redis at ``redis_url``."""
    return Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))


def _run_inline(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> InlineJob:
    inline = InlineJob(status="started")
    token = _inline_job.set(inline)
    try:
        inline.result = func(*args, **kwargs)
        inline.status = "finished"
    except Exception:
        # As with a worker, a failed job is recorded and logged; it does not fail the caller.
        log.exception("inline job %s failed", getattr(func, "__qualname__", func))
        inline.status = "failed"
        inline.exc_info = traceback.format_exc()
    finally:
        _inline_job.reset(token)
    return inline


def current_job() -> Job | InlineJob | None:
    """The job being run (RQ or inline), or None outside a job."""
    return _inline_job.get() or get_current_job()


def report_progress(done: int, total: int) -> None:
    """Record how far the current job is, in ``job.meta["progress"]``; a no-op outside a job."""
    running = current_job()
    if running is None:
        return
    running.meta["progress"] = {"done": done, "total": total}
    running.save_meta()


def progress(job: Job | InlineJob) -> dict[str, int] | None:
    """The last progress the job reported (``{"done": …, "total": …}``), or None."""
    return job.get_meta(refresh=True).get("progress")


def progress_of(job_id: str | None) -> dict[str, int] | None:
    """The last progress of the queued job with this id, or None (no Redis: jobs ran inline
    and are over; an unknown or expired job)."""
    redis_url = current_app.config.get("REDIS_URL")
    if job_id is None or not redis_url:
        return None
    try:
        return progress(Job.fetch(job_id, connection=queue(redis_url).connection))
    except NoSuchJobError:
        return None


# --- running a job inside the app, scoped to a tenant ----------------------------------------

_worker_app: Flask | None = None


@contextlib.contextmanager
def _app_context() -> Iterator[None]:
    """The app in context, or (a worker started without one, e.g. plain ``rq worker``) an app
    made once per process from the environment."""
    global _worker_app
    if has_app_context():
        yield
        return
    if _worker_app is None:
        from gridgov.app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield


def job(func: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[int | None, P], R]:
    """Make ``func(session, *args)`` a job called as ``job(tenant_id, *args)``.

    The job gets a session of its own (never the caller's), scoped to ``tenant_id`` (None: the
    platform level, for jobs that touch no county's rows); it is committed if the job returns and
    rolled back if it raises.
    """

    @functools.wraps(func)
    def run(tenant_id: int | None, *args: P.args, **kwargs: P.kwargs) -> R:
        with _app_context():
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


# --- the worker process ----------------------------------------------------------------------


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an RQ worker on the "gridgov" queue, inside the app (needs REDIS_URL)."""
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        raise click.UsageError("REDIS_URL is not set: jobs run inline and need no worker")
    engine = current_app.extensions["gridgov.engine"]
    # RQ forks a work horse per job: the child must not reuse the parent's pooled database
    # connections (SQLAlchemy's recipe for multiprocessing), so it drops them without closing.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    gridgov_queue = queue(redis_url)
    Worker([gridgov_queue], connection=gridgov_queue.connection).work(burst=burst)
