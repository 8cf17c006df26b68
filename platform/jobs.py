"""The RQ side of background jobs: ``RQQueue`` (the core's ``JobQueue`` on Redis, used when
REDIS_URL is set), running a queued job inside the app, and the ``gridgov worker`` command.

The core enqueues through ``gridgov.core.jobs``; this module is what needs RQ and Flask.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import with_appcontext
from redis import Redis
from rq import Queue, Worker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job

from gridgov.core import runtime
from gridgov.core.jobs import progress, running

QUEUE_NAME = "gridgov"


def queue(redis_url: str) -> Queue:
    """The gridgov queue on the Redis at ``redis_url``."""
    return Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))


@dataclass(frozen=True)
class RQQueue:
    """Jobs on the RQ queue "gridgov" of the Redis at ``redis_url``, run by ``gridgov worker``."""

    redis_url: str

    def enqueue(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
        return queue(self.redis_url).enqueue(perform, func, *args, **kwargs)

    def progress_of(self, job_id: str) -> dict[str, int] | None:
        try:
            return progress(Job.fetch(job_id, connection=queue(self.redis_url).connection))
        except NoSuchJobError:
            return None


def perform(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """What a worker runs for a queued job: ``func`` inside the app (so with its runtime), as
    the job being run (its progress lands in the RQ job's meta)."""
    with _app_context(), running(get_current_job()):
        return func(*args, **kwargs)


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


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an RQ worker on the "gridgov" queue, inside the app (needs REDIS_URL)."""
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        raise click.UsageError("REDIS_URL is not set: jobs run inline and need no worker")
    engine = runtime.current().engine
    # RQ forks a work horse per job: the child must not reuse the parent's pooled database
    # connections (SQLAlchemy's recipe for multiprocessing), so it drops them without closing.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    gridgov_queue = queue(redis_url)
    Worker([gridgov_queue], connection=gridgov_queue.connection).work(burst=burst)
