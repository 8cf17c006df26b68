"""A stored file: what was uploaded, by whom, and where its bytes lie; and what every file job
(an import or an export built in the background) records of itself."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.core.db import Base, TenantScoped, utcnow


class FileKind(StrEnum):
    """What an upload may be; each area says which kinds it accepts."""

    IMAGE = "image"  # photos from a phone: JPEG, PNG, WebP
    PDF = "pdf"  # scans of signed papers
    OFFICE = "office"  # Word and Excel documents, old and new, and their ODF twins
    SPREADSHEET = "spreadsheet"  # .xlsx only: what imports read


class StoredFile(TenantScoped, Base):
    """A file a county's user uploaded. The bytes live in the files folder (``storage_key`` is
    the path under it); the row says what they are. Who may read the file is decided by the
    record it is attached to (a task, an admission …), never by this row alone."""

    __tablename__ = "stored_files"
    __table_args__ = (Index("ix_stored_files_tenant_id_sha256", "tenant_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), comment="the file name as uploaded, cleaned")
    content_type: Mapped[str] = mapped_column(
        String(100), comment="MIME type found from the content, not from the name"
    )
    size: Mapped[int] = mapped_column(comment="bytes")
    sha256: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(
        String(32), comment="what it was uploaded for, e.g. task_attachment, admission, import"
    )
    storage_key: Mapped[str] = mapped_column(String(255), comment="path under GRIDGOV_FILES_DIR")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), comment="None: the system"
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<StoredFile {self.id} {self.name}>"


class RunStatus(StrEnum):
    """Where a file job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"  # an export whose file was deleted after its keeping period


class FileJob:
    """What every file job records of itself, mixed into its model (``registry.ImportRun``,
    ``registry.ExportRun``, ``tasks.TaskExport``). ``gridgov.core.files.runs`` starts, follows
    and expires them the same way; each model says in its own words what a reader is told."""

    not_found: ClassVar[Any]  # the message when a reader may not follow the run (or it is none)
    not_ready: ClassVar[Any] = None  # an export: the message while its file is being built

    status: Mapped[str] = mapped_column(
        String(16), default=RunStatus.QUEUED.value, comment="RunStatus"
    )
    job_id: Mapped[str | None] = mapped_column(String(64), comment="RQ job id, for progress")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
