"""File jobs (imports and exports built in the background) start, are followed and are
listed the same way whichever area they belong to (``gridgov.core.files.runs``)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import runs
from gridgov.core.registry import exports as people_exports
from gridgov.core.registry.models import ExportRun
from gridgov.core.tasks import exports as task_exports
from gridgov.core.tasks.models import TaskExport
from tests.factories import build_county


@pytest.fixture
def county(session):
    return build_county(session)


def test_starting_an_export_is_one_call_that_commits_queues_and_remembers_the_job(session, county):
    admin = county.admin
    export = task_exports.start_export(session, admin, scope_of(session, admin), county.top, "red")
    # No Redis here: the job ran inline, in a session of its own, which only sees committed
    # rows; that it found the export and wrote it proves the start committed first.
    assert export.status == "done"
    assert export.job_id is not None
    assert runs.progress(export) is None  # over: nothing left to follow
    assert runs.output_file(session, export).purpose == task_exports.EXPORT_PURPOSE


def test_a_refused_start_leaves_no_run_behind(session, county):
    admin = county.admin
    with pytest.raises(DomainError):
        task_exports.start_export(session, admin, scope_of(session, admin), county.top, "blue")
    assert session.scalar(select(func.count()).select_from(TaskExport)) == 0


def test_a_run_is_followed_by_its_author_only_unless_everyone_may(session, county):
    author, other = county.admin, county.township_staff
    run = people_exports.start_export(session, author, q="")
    assert runs.visible_run(session, ExportRun, author, run.id) is run
    with pytest.raises(NotFound, match="没有这次导出"):
        runs.visible_run(session, ExportRun, other, run.id)
    assert runs.visible_run(session, ExportRun, other, run.id, everyone=True) is run
    assert runs.recent(session, ExportRun, other, limit=5) == []
    assert runs.recent(session, ExportRun, other, everyone=True, limit=5) == [run]
