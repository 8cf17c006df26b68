"""Files and photos: storing an upload (its type judged from its content, its size bounded),
finding a stored file, and where its bytes are to send them."""

from __future__ import annotations

from gridgov.core.files.models import FileKind, StoredFile
from gridgov.core.files.service import file_path, get_file, store_file

__all__ = ["FileKind", "StoredFile", "file_path", "get_file", "store_file"]
