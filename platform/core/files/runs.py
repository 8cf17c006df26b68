"""File jobs: an import or an export that a background job builds (``models.FileJob``). They
start, are followed, hand out their file and expire the same way, whichever area they list.

Starting one is one call: the area records the run (checking who asks and what for) and hands
it to ``launch``, which commits it, queues its job and notes the job's id. The job only sees
committed rows, so the run must be committed before it is queued; a run refused before
``launch`` leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import User
from gridgov.core.db import current_tenant_id, utcnow
from gridgov.core.errors import NotFound
from gridgov.core.files import service as files
from gridgov.core.files.models import FileJob, RunStatus, StoredFile
from gridgov.core.i18n import _
from gridgov.core.jobs import enqueue, progress_of

log = logging.getLogger(__name__)

Run = TypeVar("Run", bound=FileJob)

# Where an export keeps the file it built (an import's ``file_id`` is its upload instead).
OUTPUT = "file_id"


def launch(session: Session, run: Run, job: Callable[..., Any]) -> Run:
    """Commit ``run`` (just recorded by its area), queue ``job(tenant id, run id)`` and keep
    the job's id on the run for its progress. Inline (no Redis) the job has already run when
    this returns, and the run says how it went."""
    session.flush()
    session.commit()
    run.job_id = enqueue(job, current_tenant_id(session), run.id).id  # type: ignore[attr-defined]
    session.commit()
    session.refresh(run)
    return run


# What a reader is told of a run whose job broke (the details are in the log, not for them).
FAILED_MESSAGE = _("系统出错，这次没有完成。请重试；一再出现请联系本县管理员。")


def guarded(session: Session, run: FileJob, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Do a job's ``work`` on ``run`` in a savepoint. If it raises, whatever it did is undone,
    the error is logged and the run ends failed with ``FAILED_MESSAGE`` (on its ``error``, when
    it keeps one): a reader never waits for a run that stays queued or running for ever."""
    try:
        with session.begin_nested():
            return work()
    except Exception:
        log.exception("%s %s failed", type(run).__name__, getattr(run, "id", None))
    run.status, run.finished_at = RunStatus.FAILED.value, utcnow()
    if hasattr(run, "error"):
        run.error = str(FAILED_MESSAGE)
    return {"status": run.status}


def failure(run: FileJob) -> str | None:
    """Why the run failed, as its reader is told (None unless it failed)."""
    if run.status != RunStatus.FAILED:
        return None
    return getattr(run, "error", None) or str(FAILED_MESSAGE)


def visible_run(
    session: Session, model: type[Run], actor: User, run_id: int, *, everyone: bool = False
) -> Run:
    """The run with this id if ``actor`` may follow it: its author, or anyone when
    ``everyone`` (a county administrator following the county's imports). NotFound otherwise,
    in the model's words, so a reader cannot tell another's run from none."""
    run = session.scalar(select(model).where(model.id == run_id))  # type: ignore[attr-defined]
    if run is None or not (everyone or run.created_by_id == actor.id):
        raise NotFound(model.not_found)
    return run


def recent(
    session: Session, model: type[Run], actor: User, *, everyone: bool = False, limit: int
) -> list[Run]:
    """The latest ``limit`` runs of ``model``, newest first: the actor's own, or the county's
    when ``everyone``."""
    query = select(model).order_by(model.id.desc()).limit(limit)  # type: ignore[attr-defined]
    if not everyone:
        query = query.where(model.created_by_id == actor.id)
    return list(session.scalars(query))


def output_file(session: Session, run: FileJob) -> StoredFile:
    """The file an export built, or NotFound while it is being built or once it expired."""
    assert run.not_ready is not None, f"{type(run).__name__} builds no file to hand out"
    if run.status == RunStatus.EXPIRED:
        raise files.expired_export()
    file_id = getattr(run, OUTPUT)
    if file_id is None:
        raise NotFound(run.not_ready)
    return files.get_file(session, file_id)


def expire_outputs(session: Session, model: type[FileJob], before: dt.datetime) -> int:
    """Delete the files of the current county's ``model`` runs that finished before
    ``before`` (they name residents and places); each run stays, marked expired: who
    exported what, and why, is in the audit log. Returns how many files went."""
    output = getattr(model, OUTPUT)
    runs = session.scalars(
        select(model).where(output.is_not(None), model.finished_at < before)
    ).all()
    return files.delete_files_of(session, runs, OUTPUT, status=RunStatus.EXPIRED.value)


def progress(run: FileJob) -> dict[str, int] | None:
    """How far a queued or running job is (``{"done": …, "total": …}``), or None once it is
    over or when nobody knows (it ran inline, or its job expired)."""
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return None
    return progress_of(run.job_id)
