"""Reporting a task is one call: the reporter's rights, the task, its files, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import DomainError, Forbidden, NotFound
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind, StoredFile
from gridgov.core.tasks import public, reading, reporting
from gridgov.core.tasks.models import Source, Task

# The smallest valid PNG: 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
LAMP = reporting.Report(category="民生事项", title="路灯不亮")


def report(session, user, node, report=LAMP, **kwargs):
    return reporting.report_task(session, user, scope_of(session, user), node, report, **kwargs)


def tasks_filed(session) -> int:
    return session.scalar(select(func.count(Task.id)))


def files_kept(session, county) -> tuple[int, int]:
    """Stored files: rows, and files on disk in the county's folder."""
    folder = files.files_dir() / str(county.tenant.id)
    on_disk = len([p for p in folder.iterdir() if p.is_file()]) if folder.exists() else 0
    return session.scalar(select(func.count(StoredFile.id))), on_disk


def test_a_grid_worker_reporting_in_another_grid_is_refused_and_nothing_is_filed(session, county):
    with pytest.raises(NotFound) as refused:
        report(session, county.workers[0], county.grids[1])
    assert refused.value.field == "node_id"
    assert tasks_filed(session) == 0


def test_the_audit_administrator_reports_nothing(session, county):
    with pytest.raises(Forbidden):
        report(session, county.auditor, county.grids[0])
    assert tasks_filed(session) == 0


def test_the_photo_sent_with_a_report_is_stored_and_attached_in_the_same_call(session, county):
    worker = county.workers[0]
    task, created = report(
        session, worker, county.grids[0], uploads=[reporting.Upload("现场.png", PNG)]
    )
    assert created
    [photo] = reading.attachments(session, task)
    assert (photo.name, photo.content_type, photo.created_by_id) == (
        "现场.png",
        "image/png",
        worker.id,
    )
    with files.open_file(photo) as handle:
        assert handle.read() == PNG


def test_files_the_reporter_uploaded_before_are_attached_by_id(session, county):
    worker = county.workers[0]
    uploaded = files.store_file(
        session, worker, name="a.png", data=PNG, kinds={FileKind.IMAGE}, purpose="task_attachment"
    )
    task, _created = report(
        session,
        worker,
        county.grids[0],
        reporting.Report(category="民生事项", title="井盖缺失", file_ids=[uploaded.id]),
    )
    assert reading.attachments(session, task) == [uploaded]


def test_a_bad_photo_leaves_neither_the_task_nor_any_file_behind(session, county):
    before = files_kept(session, county)
    uploads = [reporting.Upload("ok.png", PNG), reporting.Upload("not-a-photo.png", PDF)]
    with pytest.raises(DomainError) as refused:
        report(session, county.workers[0], county.grids[0], uploads=uploads)
    assert refused.value.field == "photo"
    assert tasks_filed(session) == 0
    assert files_kept(session, county) == before  # the good photo's bytes went too


def test_naming_another_users_file_leaves_the_report_unfiled(session, county):
    theirs = files.store_file(
        session,
        county.workers[1],
        name="b.png",
        data=PNG,
        kinds={FileKind.IMAGE},
        purpose="task_attachment",
    )
    mine = reporting.Report(category="民生事项", title="占道经营", file_ids=[theirs.id])
    with pytest.raises(NotFound) as refused:
        report(session, county.workers[0], county.grids[0], mine)
    assert refused.value.field == "file_ids"
    assert tasks_filed(session) == 0


def test_a_resent_report_answers_the_first_task_and_stores_no_photo_again(session, county):
    draft = reporting.Report(category="民生事项", title="路灯不亮", idempotency_key="draft-9")
    photo = [reporting.Upload("现场.png", PNG)]
    first, _created = report(session, county.workers[0], county.grids[0], draft, uploads=photo)
    again, created = report(session, county.workers[0], county.grids[0], draft, uploads=photo)
    assert (again.id, created) == (first.id, False)
    assert files_kept(session, county)[0] == 1
    assert len(reading.attachments(session, first)) == 1


def test_a_resident_reports_with_no_user_through_the_public_channel(session, county):
    task = public.report_as_resident(session, county.grids[0], LAMP)
    assert (task.reporter_id, task.source) == (None, Source.RESIDENT.value)
    assert [entry.actor_name for entry in reading.history(session, task)] == ["居民"]
