"""Uploads and requests within bounds (issue 15, item 6) as the API answers them: a photo over
the photo limit, a fake photo, a request over the size limit (413), uploads never attached
deleted by ``gridgov files prune``, and requests limited per token (429)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select, update

from gridgov.core.db import db_session, tenant_scope, utcnow
from gridgov.core.files.models import StoredFile
from tests.api.bearer import bearer, url
from tests.api.test_tasks import PNG, report

MiB = 1024 * 1024


@pytest.fixture
def worker(county, mint):
    return bearer(mint(county, county.workers[0]))


def upload(client, county, headers, data: bytes, name: str = "现场.png"):
    return client.post(
        url(county, "/tasks/files"),
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_a_photo_over_the_photo_limit_is_refused_where_spreadsheets_are_taken(
    client, county, worker, files_dir
):
    response = upload(client, county, worker, PNG + b"\x00" * (10 * MiB))
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {"file": ["文件太大，最大 10 MB"]}
    assert not any(p.is_file() for p in files_dir.rglob("*"))


def test_a_gif_posing_as_a_photo_is_refused(client, county, worker, files_dir):
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00"
    response = upload(client, county, worker, gif, "photo.jpg")
    assert response.status_code == 422
    assert "文件类型不对" in response.get_json()["errors"]["json"]["file"][0]


def test_an_upload_past_the_request_limit_is_answered_413_in_json(
    app, client, county, worker, files_dir, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", MiB)
    response = upload(client, county, worker, PNG + b"\x00" * (2 * MiB))
    assert response.status_code == 413
    answer = response.get_json()
    assert answer["code"] == 413
    assert answer["message"] == "请求过大：上传的文件或请求体超过了允许的大小"


def test_a_json_body_past_its_limit_is_answered_413(app, client, county, worker, monkeypatch):
    monkeypatch.setitem(app.config, "GRIDGOV_MAX_BODY_BYTES", 10_000)
    response = report(client, county, worker, description="长" * 10_000)
    assert response.status_code == 413
    assert response.get_json()["code"] == 413
    assert report(client, county, worker, description="短").status_code == 201


# --- uploads never attached ------------------------------------------------------------------


def test_files_prune_deletes_uploads_never_attached_after_the_setting(
    app, client, county, worker, files_dir, monkeypatch
):
    monkeypatch.setitem(app.config, "GRIDGOV_KEEP_UNATTACHED_HOURS", 48)
    attached = upload(client, county, worker, PNG).get_json()["id"]
    report(client, county, worker, file_ids=[attached])
    forgotten = upload(client, county, worker, PNG).get_json()["id"]
    recent = upload(client, county, worker, PNG).get_json()["id"]
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        session.execute(
            update(StoredFile)
            .where(StoredFile.id.in_([attached, forgotten]))
            .values(created_at=utcnow() - dt.timedelta(hours=49))
        )
        session.commit()

    result = app.test_cli_runner().invoke(args=["files", "prune"])

    assert result.exit_code == 0, result.output
    assert f"{county.tenant.slug}: 1 unattached uploads deleted" in result.output
    with tenant_scope(session, county.tenant.id):
        left = set(session.scalars(select(StoredFile.id)))
    assert left == {attached, recent}
    assert len([p for p in files_dir.rglob("*") if p.is_file()]) == 2


# --- requests per token ----------------------------------------------------------------------


@pytest.fixture
def limited_app(another_app):
    """The shared app runs with the limiter off; this one counts, 3 requests per token."""
    return another_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        GRIDGOV_API_RATE_LIMIT="3 per minute",
    )


def test_a_token_past_its_rate_limit_gets_429_with_retry_after(limited_app, county, mint):
    client = limited_app.test_client()
    first, second = bearer(mint(county, county.admin)), bearer(mint(county, county.admin))
    answers = [client.get(url(county, "/nodes"), headers=first).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get(url(county, "/users"), headers=first)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    answer = refused.get_json()
    assert answer["code"] == 429 and "3 per minute" in answer["message"]
    # Per token, not per address or per user: the same user's other token still works.
    assert client.get(url(county, "/nodes"), headers=second).status_code == 200


def test_an_operator_token_is_limited_too(limited_app, operator_token):
    client = limited_app.test_client()
    headers = bearer(operator_token)
    answers = [client.get("/api/v1/tenants", headers=headers).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
