"""Stored files: the content decides the type, the size is bounded, bytes land on disk."""

from __future__ import annotations

import hashlib
import io

import pytest

from gridgov.core.db import set_tenant
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind
from tests.factories import build_county

# The smallest valid PNG: 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_a_photo_is_stored_with_its_type_size_and_hash(session):
    county = build_county(session)
    stored = files.store_file(
        session,
        county.workers[0],
        name="现场.png",
        data=PNG,
        kinds={FileKind.IMAGE},
        purpose="task_attachment",
    )
    assert (stored.content_type, stored.size) == ("image/png", len(PNG))
    assert stored.sha256 == hashlib.sha256(PNG).hexdigest()
    assert stored.created_by_id == county.workers[0].id
    with files.open_file(stored) as handle:
        assert handle.read() == PNG
    assert files.file_path(stored).is_relative_to(files.files_dir() / str(county.tenant.id))


def test_a_stream_is_read_in_full(session):
    build_county(session)
    stored = files.store_file(
        session,
        None,
        name="scan.pdf",
        data=io.BytesIO(PDF * 5000),
        kinds={FileKind.PDF},
        purpose="admission",
    )
    assert stored.size == len(PDF) * 5000
    assert files.file_path(stored).read_bytes() == PDF * 5000


def test_a_script_named_like_a_photo_is_refused(session):
    build_county(session)
    with pytest.raises(DomainError) as refused:
        files.store_file(
            session,
            None,
            name="photo.jpg",
            data=b"#!/bin/sh\nrm -rf /\n",
            kinds={FileKind.IMAGE},
            purpose="task_attachment",
            field="photo",
        )
    assert refused.value.field == "photo"
    assert "图片" in str(refused.value.message)


def test_a_pdf_is_not_an_image(session):
    build_county(session)
    with pytest.raises(DomainError):
        files.store_file(session, None, name="x.png", data=PDF, kinds={FileKind.IMAGE}, purpose="t")


def test_an_empty_upload_is_refused(session):
    build_county(session)
    with pytest.raises(DomainError, match="空"):
        files.store_file(session, None, name="x.png", data=b"", kinds={FileKind.IMAGE}, purpose="t")


def test_a_file_over_the_limit_is_refused_and_leaves_nothing_on_disk(session):
    county = build_county(session)
    folder = files.files_dir() / str(county.tenant.id)
    before = set(folder.iterdir()) if folder.exists() else set()
    with pytest.raises(DomainError, match="太大"):
        files.store_file(
            session,
            None,
            name="big.pdf",
            data=PDF * 100,
            kinds={FileKind.PDF},
            purpose="admission",
            max_bytes=len(PDF) * 10,
        )
    assert (set(folder.iterdir()) if folder.exists() else set()) == before


def test_the_name_is_cleaned_of_folders_and_gets_the_real_extension(session):
    build_county(session)
    stored = files.store_file(
        session,
        None,
        name="../../etc/passwd\x00.exe",
        data=PNG,
        kinds={FileKind.IMAGE},
        purpose="t",
    )
    assert stored.name == "passwd_.png"
    assert "/" not in stored.storage_key.split("/", 1)[1]  # <tenant>/<random name>


def test_another_countys_file_is_not_found(session):
    county = build_county(session, "county-a")
    stored = files.store_file(
        session, None, name="a.png", data=PNG, kinds={FileKind.IMAGE}, purpose="t"
    )
    assert files.get_file(session, stored.id) is stored
    other = build_county(session, "county-b")
    set_tenant(session, other.tenant.id)
    with pytest.raises(NotFound):
        files.get_file(session, stored.id)
    set_tenant(session, county.tenant.id)
    assert files.get_file(session, stored.id) is stored
