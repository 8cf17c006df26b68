"""Storing and reading uploaded files.

The content decides what a file is (its first bytes, sniffed with ``filetype``), never the name
or the type the browser claims: a script renamed ``photo.jpg`` is refused. Files are written
under ``GRIDGOV_FILES_DIR/<tenant id>/`` with a random name, so nothing a user typed becomes a
path. Object storage can replace the disk behind ``_write`` and ``file_path`` later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import tempfile
import unicodedata
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import filetype
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.accounts.models import User
from gridgov.core.db import Base, current_tenant_id
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files.models import FileKind, StoredFile
from gridgov.core.i18n import _

MiB = 1024 * 1024

# The MIME types each kind admits, as filetype names them.
KIND_TYPES: dict[FileKind, frozenset[str]] = {
    FileKind.IMAGE: frozenset({"image/jpeg", "image/png", "image/webp"}),
    FileKind.PDF: frozenset({"application/pdf"}),
    FileKind.OFFICE: frozenset(
        {
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.spreadsheet",
        }
    ),
    FileKind.SPREADSHEET: frozenset(
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    ),
}

KIND_LABELS = {
    FileKind.IMAGE: _("图片（JPEG、PNG、WebP）"),
    FileKind.PDF: _("PDF 文件"),
    FileKind.OFFICE: _("Word 或 Excel 文档"),
    FileKind.SPREADSHEET: _("Excel 表格（.xlsx）"),
}

# A phone photo is a few MB and a scan some more; a county's spreadsheet of 1M people is ~80 MB.
# The request limit (MAX_CONTENT_LENGTH, config.py) must let the largest of them through.
DEFAULT_MAX_BYTES: dict[FileKind, int] = {
    FileKind.IMAGE: 10 * MiB,
    FileKind.PDF: 20 * MiB,
    FileKind.OFFICE: 20 * MiB,
    FileKind.SPREADSHEET: 200 * MiB,
}

SNIFF_BYTES = 8192  # what filetype reads to decide
CHUNK = 1024 * 1024
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


def files_dir() -> Path:
    """The folder the files of every county live in (GRIDGOV_FILES_DIR)."""
    return runtime.current().files_dir


def store_file(
    session: Session,
    actor: User | None,
    *,
    name: str,
    data: bytes | BinaryIO,
    kinds: Collection[FileKind],
    purpose: str,
    max_bytes: int | None = None,
    field: str = "file",
) -> StoredFile:
    """Check an upload and store it for the current tenant; DomainError on ``field`` when its
    content is none of ``kinds``, it is empty, or it is larger than the limit of the kind its
    content is (a photo — JPEG, PNG or WebP — 10 MB, a PDF or Office document 20 MB, a
    spreadsheet to import 200 MB; whatever else the field accepts) or than ``max_bytes``.
    An upload nothing refers to (no foreign key to ``stored_files``) is deleted after
    ``GRIDGOV_KEEP_UNATTACHED_HOURS`` by ``gridgov files prune``: keep the id in a column with
    a foreign key to ``stored_files.id``."""
    tenant_id = current_tenant_id(session)
    if tenant_id is None:
        raise RuntimeError("store_file needs a tenant set on the session")
    stream = _as_stream(data)
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise DomainError(_("文件是空的"), field=field)
    guessed = filetype.guess(head)
    found = [k for k in kinds if guessed is not None and guessed.mime in KIND_TYPES[k]]
    if guessed is None or not found:
        accepted = "、".join(str(KIND_LABELS[kind]) for kind in kinds)
        raise DomainError(_("文件类型不对，只能上传：%(kinds)s", kinds=accepted), field=field)
    # By what the content is, not by the most the field accepts: a field taking photos and
    # spreadsheets still takes no 50 MB photo. A type of two kinds (an .xlsx is an Office
    # document and a spreadsheet) gets the stricter limit.
    limit = min(DEFAULT_MAX_BYTES[k] for k in found)
    if max_bytes is not None:
        limit = min(limit, max_bytes)
    folder = files_dir() / str(tenant_id)
    folder.mkdir(parents=True, exist_ok=True)
    digest, size, written = _write(folder, head, stream, limit)
    if written is None:
        raise DomainError(
            _("文件太大，最大 %(mb)s MB", mb=f"{limit / MiB:g}"),
            field=field,
        )
    stored = StoredFile(
        name=clean_file_name(name, guessed.extension),
        content_type=guessed.mime,
        size=size,
        sha256=digest,
        purpose=purpose,
        storage_key=str(written.relative_to(files_dir())),
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(stored)
    session.flush()
    return stored


def get_file(session: Session, file_id: int) -> StoredFile:
    """The stored file with this id in the current tenant, or NotFound."""
    stored = session.get(StoredFile, file_id)
    if stored is None or stored.tenant_id != current_tenant_id(session):
        raise NotFound(_("没有这个文件"))
    return stored


def file_path(stored: StoredFile) -> Path:
    """Where the file's bytes are on disk."""
    return files_dir() / stored.storage_key


def open_file(stored: StoredFile) -> BinaryIO:
    """The file's bytes, opened for reading (the caller closes it)."""
    return file_path(stored).open("rb")


def delete_file(session: Session, stored: StoredFile) -> None:
    """Delete a file: its bytes at once (they may hold personal data, so they do not wait for
    the commit), its row with the caller's transaction."""
    file_path(stored).unlink(missing_ok=True)
    session.delete(stored)


def delete_files_of(
    session: Session, holders: Sequence[Any], attribute: str, **changes: Any
) -> int:
    """Delete the file each of ``holders`` keeps in ``attribute`` (a file id), which becomes
    None, with ``changes`` applied to the holder too; how many were deleted."""
    for holder in holders:
        stored = get_file(session, getattr(holder, attribute))
        setattr(holder, attribute, None)
        for name, value in changes.items():
            setattr(holder, name, value)
        session.flush()  # the holder lets go of the file before the file goes
        delete_file(session, stored)
    return len(holders)


def keep_days() -> int:
    """How many days a file the system wrote for one reader (an export) is kept."""
    return runtime.current().keep_exports_days


def kept_until(made_at: dt.datetime | None) -> dt.datetime | None:
    """Until when a file the system wrote for one reader (an export) is kept."""
    if made_at is None:
        return None
    return made_at + dt.timedelta(days=keep_days())


def expiry_cutoff(now: dt.datetime) -> dt.datetime:
    """Exports made before this moment are past their keeping period at ``now``."""
    return now - dt.timedelta(days=keep_days())


def expired_export() -> NotFound:
    """What asking for an export's file answers once it was deleted after its keeping period."""
    return NotFound(
        _("导出文件已超过保存期限（%(days)d 天），已删除，请重新导出", days=keep_days())
    )


def clean_file_name(name: str, extension: str) -> str:
    """A file name safe to show and to offer as a download name: no folders, no control
    characters, at most 255 characters, ending in the extension its content has."""
    base = _UNSAFE_NAME.sub("_", unicodedata.normalize("NFC", os.path.basename(name or ""))).strip()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip(". ") or "file"
    return f"{stem[: 250 - len(extension)]}.{extension}"


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (a file the command line writes: an export, rejected rows)
    readable by its owner only, 0600 from its first byte, also when it was there before."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(data)


def _as_stream(data: bytes | BinaryIO) -> BinaryIO:
    if isinstance(data, bytes | bytearray):
        return io.BytesIO(data)
    return data


def _write(folder: Path, head: bytes, stream: BinaryIO, limit: int) -> tuple[str, int, Path | None]:
    """Copy the upload to a new file in ``folder``, hashing as it goes; (sha256, size, path),
    path None (and nothing left behind) when it grows past ``limit``."""
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    os.unlink(tmp_name)
                    return digest.hexdigest(), size, None
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(CHUNK)
        target = folder / uuid.uuid4().hex
        os.replace(tmp_name, target)
        target.chmod(0o600)
        return digest.hexdigest(), size, target
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


# --- uploads never attached -----------------------------------------------------------------

# An area keeping file ids where no foreign key sees them (a form's values, in JSON): given
# candidates, it answers the ids of those it refers to.
Holder = Callable[[Session, Sequence[StoredFile]], Collection[int]]

BATCH = 500


def delete_unattached(session: Session, before: dt.datetime, holders: Sequence[Holder] = ()) -> int:
    """Delete the current county's uploads made before ``before`` that nothing refers to: no
    foreign key of any table (the core's and the modules') names them and none of ``holders``
    keeps them — a photo uploaded for a report that was never sent, say. Bytes in the county's
    folder without a row (an upload whose request failed) go too. How many files went.

    A file attached meanwhile is kept: its row cannot be deleted while a row refers to it."""
    # One query finds them all (few, normally): the anti-joins scan each holding table once.
    found = list(
        session.scalars(
            select(StoredFile.id)
            .where(StoredFile.created_at < before, *_unreferenced())
            .order_by(StoredFile.id)
        )
    )
    deleted = 0
    for start in range(0, len(found), BATCH):
        ids = found[start : start + BATCH]
        batch = list(session.scalars(select(StoredFile).where(StoredFile.id.in_(ids))))
        held = {file_id for holder in holders for file_id in holder(session, batch)}
        for stored in batch:
            if stored.id not in held and _delete_row(session, stored):
                file_path(stored).unlink(missing_ok=True)
                deleted += 1
    return deleted + _delete_stray_bytes(session, before)


def _unreferenced() -> list[ColumnElement[bool]]:
    """No foreign key to stored_files names the file: every such column of every table known
    to the models (the modules' tables too, once they are loaded)."""
    target = StoredFile.__table__.c.id
    return [
        ~exists().where(key.parent == StoredFile.id)
        for table in Base.metadata.tables.values()
        for key in table.foreign_keys
        if key.column is target
    ]


def _delete_row(session: Session, stored: StoredFile) -> bool:
    try:
        with session.begin_nested():
            session.delete(stored)
    except IntegrityError:  # attached a moment ago
        return False
    return True


def _delete_stray_bytes(session: Session, before: dt.datetime) -> int:
    """Delete files in the current county's folder older than ``before`` that no row names."""
    tenant_id = current_tenant_id(session)
    folder = files_dir() / str(tenant_id)
    deleted = 0
    for chunk in _chunks(_older_files(folder, before.timestamp()), BATCH):
        keys = {str(path.relative_to(files_dir())): path for path in chunk}
        known = set(
            session.scalars(select(StoredFile.storage_key).where(StoredFile.storage_key.in_(keys)))
        )
        for key, path in keys.items():
            if key not in known:
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


def _older_files(folder: Path, before: float) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < before:
            yield Path(entry.path)


def _chunks(paths: Iterator[Path], size: int) -> Iterator[list[Path]]:
    chunk: list[Path] = []
    for path in paths:
        chunk.append(path)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
