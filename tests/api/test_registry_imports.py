"""Importing and exporting through the API: the import runs as a job, reports its rows and
hands back the rejected ones; exports are masked unless an allowed role gives a reason."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import select

from gridgov.core.db import db_session, tenant_scope
from gridgov.core.files.models import StoredFile
from gridgov.core.registry import imports
from gridgov.core.registry.models import ExportRun, ImportRun
from gridgov.core.registry.spreadsheet import write_workbook
from tests.api.bearer import bearer, url
from tests.core.registry.conftest import id_number

HEADERS = ["姓名", "公民身份号码", "联系电话", "网格编码"]


def upload(client, county, token, rows, **form):
    data = write_workbook(HEADERS, rows, "people")
    return client.post(
        url(county, "/registry/imports"),
        query_string={"kind": "people", **form},
        data={"file": (io.BytesIO(data), "人口.xlsx")},
        headers=token,
        content_type="multipart/form-data",
    )


def rows(county):
    grid = county.grids[0].code
    return [
        ["示例甲", id_number(1), "13812345678", grid],
        ["示例乙", "110101198001011233", "13812345678", grid],
        ["示例丙", id_number(3), "", grid],
    ]


def test_an_import_reports_its_rows_and_hands_back_the_rejected_ones(
    client, county, mint, files_dir, app
):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    token = bearer(mint(county, county.admin))
    response = upload(client, county, token, rows(county))
    assert response.status_code == 202, response.get_json()
    run = client.get(
        url(county, f"/registry/imports/{response.get_json()['id']}"), headers=token
    ).get_json()
    assert run["status"] == "done"
    assert (run["report"]["created"], run["report"]["rejected"]) == (2, 1)
    assert run["report"]["errors"][0] == {
        "row": 3,
        "column": "公民身份号码",
        "reason": run["report"]["errors"][0]["reason"],
    }
    rejected = client.get(url(county, f"/registry/imports/{run['id']}/rejected"), headers=token)
    sheet = load_workbook(io.BytesIO(rejected.data)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["示例乙"]
    people = client.get(url(county, "/people"), headers=token).get_json()
    assert sorted(p["name"] for p in people) == ["示例丙", "示例甲"]


def test_a_strict_import_with_a_bad_row_stores_nothing(client, county, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    token = bearer(mint(county, county.admin))
    response = upload(client, county, token, rows(county), strict="true")
    assert response.get_json()["report"]["stored"] is False
    assert client.get(url(county, "/people"), headers=token).get_json() == []


def test_a_file_that_is_not_xlsx_is_a_field_error(client, county, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    token = bearer(mint(county, county.admin))
    response = client.post(
        url(county, "/registry/imports?kind=people"),
        data={"file": (io.BytesIO(b"name,id\n"), "people.xlsx")},
        headers=token,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]["json"]


def test_grid_workers_cannot_import(client, county, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    token = bearer(mint(county, county.workers[0]))
    assert upload(client, county, token, rows(county)).status_code == 403


def test_an_import_of_another_user_or_county_is_404(client, county, other, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    run_id = upload(client, county, bearer(mint(county, county.admin)), rows(county)).get_json()[
        "id"
    ]
    township = bearer(mint(county, county.township_staff))
    assert (
        client.get(url(county, f"/registry/imports/{run_id}"), headers=township).status_code == 404
    )
    theirs = bearer(mint(other, other.admin))
    assert client.get(url(other, f"/registry/imports/{run_id}"), headers=theirs).status_code == 404


def test_an_export_is_masked_for_a_role_without_the_right(client, county, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    upload(client, county, bearer(mint(county, county.admin)), rows(county))
    supervisor = bearer(mint(county, county.supervisor))
    refused = client.post(
        url(county, "/people/export"), json={"reason": "核实"}, headers=supervisor
    )
    assert refused.status_code == 422
    exported = client.post(url(county, "/people/export"), json={}, headers=supervisor)
    values = list(load_workbook(io.BytesIO(exported.data)).active.values)
    assert values[0][4] == "出生年份"
    row = next(row for row in values[1:] if row[0] == "示例甲")
    assert row[1] == id_number(1)[:2] + "*" * 16 and row[2] in ("138********", None)
    assert row[4] == int(id_number(1)[6:10])
    assert id_number(1) not in str(values)


def test_an_export_with_a_reason_is_clear_for_an_allowed_role(client, county, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    admin = bearer(mint(county, county.admin))
    upload(client, county, admin, rows(county))
    exported = client.post(
        url(county, "/people/export"), json={"reason": "年度核查"}, headers=admin
    )
    values = list(load_workbook(io.BytesIO(exported.data)).active.values)
    assert id_number(1) in str(values) and values[0][4] == "出生日期"
    auditor = bearer(mint(county, county.auditor))
    events = client.get(url(county, "/audit?action=person.export"), headers=auditor).get_json()
    assert events[0]["after"]["reason"] == "年度核查"


def test_the_uploaded_file_is_deleted_once_imported(client, county, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    response = upload(client, county, bearer(mint(county, county.admin)), rows(county))
    assert response.get_json()["status"] == "done"
    left = [p.name for p in files_dir.rglob("*") if p.is_file()]
    assert len(left) == 1  # the rejected rows only: the upload (all ID numbers) is gone
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        assert session.scalars(select(StoredFile.purpose)).all() == [imports.REJECTED_PURPOSE]


def test_only_who_ran_the_import_downloads_its_rejected_rows(client, county, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    township = bearer(mint(county, county.township_staff))
    run_id = upload(client, county, township, rows(county)).get_json()["id"]
    path = url(county, f"/registry/imports/{run_id}/rejected")
    assert client.get(path, headers=township).status_code == 200
    admin = bearer(mint(county, county.admin))
    assert client.get(url(county, f"/registry/imports/{run_id}"), headers=admin).status_code == 200
    assert client.get(path, headers=admin).status_code == 404


def test_an_export_job_holds_the_callers_filtered_list_masked_for_its_author_alone(
    client, county, mint, files_dir, app
):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    upload(client, county, bearer(mint(county, county.admin)), rows(county))
    township = bearer(mint(county, county.township_staff))
    started = client.post(url(county, "/people/exports"), json={"q": "示例甲"}, headers=township)
    assert started.status_code == 202, started.get_json()
    run = client.get(
        url(county, f"/people/exports/{started.get_json()['id']}"), headers=township
    ).get_json()
    assert (run["status"], run["count"], run["is_masked"]) == ("done", 1, True)
    path = url(county, f"/people/exports/{run['id']}/file")
    values = list(load_workbook(io.BytesIO(client.get(path, headers=township).data)).active.values)
    assert [v[0] for v in values[1:]] == ["示例甲"]
    assert id_number(1) not in str(values)
    admin = bearer(mint(county, county.admin))
    assert client.get(path, headers=admin).status_code == 404
    assert client.get(url(county, "/people/exports"), headers=admin).get_json() == []


def test_an_export_of_a_searched_id_number_keeps_no_clear_number(
    client, county, mint, files_dir, app
):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    admin = bearer(mint(county, county.admin))
    upload(client, county, admin, rows(county))
    run = client.post(url(county, "/people/exports"), json={"q": id_number(1)}, headers=admin)
    assert run.get_json()["count"] == 1
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        stored = session.scalars(select(ExportRun.filters)).one()
    assert id_number(1) not in str(stored) and "id_hash" in stored


def test_a_grid_workers_export_holds_only_their_grids_people(client, county, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    grid0, grid3 = county.grids[0].code, county.grids[3].code
    table = [["示例甲", id_number(1), "", grid0], ["示例丁", id_number(4), "", grid3]]
    upload(client, county, bearer(mint(county, county.admin)), table)
    worker = bearer(mint(county, county.workers[0]))
    run = client.post(url(county, "/people/exports"), json={}, headers=worker).get_json()
    data = client.get(url(county, f"/people/exports/{run['id']}/file"), headers=worker).data
    assert [v[0] for v in list(load_workbook(io.BytesIO(data)).active.values)[1:]] == ["示例甲"]


def test_a_clear_export_needs_a_role_allowed_to_unmask(client, county, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    supervisor = bearer(mint(county, county.supervisor))
    refused = client.post(
        url(county, "/people/exports"), json={"reason": "核实"}, headers=supervisor
    )
    assert refused.status_code == 422
    assert "reason" in refused.get_json()["errors"]["json"]


def test_exports_and_rejected_rows_are_deleted_after_their_keeping_period(
    client, county, mint, files_dir, app
):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    token = bearer(mint(county, county.admin))
    imported = upload(client, county, token, rows(county)).get_json()
    exported = client.post(url(county, "/people/exports"), json={"q": "示例"}, headers=token)
    export = client.get(url(county, f"/people/exports/{exported.get_json()['id']}"), headers=token)
    export = export.get_json()
    for run in (imported, export):
        kept = run.get("file_kept_until") or run.get("rejected_file_kept_until")
        finished = dt.datetime.fromisoformat(run["finished_at"]).replace(tzinfo=None)
        assert dt.datetime.fromisoformat(kept).replace(tzinfo=None) - finished == dt.timedelta(
            days=7
        )
    assert len([p for p in files_dir.rglob("*") if p.is_file()]) == 2
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        for model in (ImportRun, ExportRun):
            for old in session.scalars(select(model)):
                old.finished_at -= dt.timedelta(days=8)
        session.commit()

    result = app.test_cli_runner().invoke(args=["files", "expire"])

    assert result.exit_code == 0, result.output
    assert f"{county.tenant.slug}: 1 people exports, 1 rejected-rows files" in result.output
    assert [p for p in files_dir.rglob("*") if p.is_file()] == []
    export = client.get(url(county, f"/people/exports/{export['id']}"), headers=token).get_json()
    assert (export["status"], export["has_file"], export["file_kept_until"]) == (
        "expired",
        False,
        None,
    )
    gone = client.get(url(county, f"/people/exports/{export['id']}/file"), headers=token)
    assert gone.status_code == 404 and "超过保存期限" in gone.get_json()["message"]
    rejected = client.get(
        url(county, f"/registry/imports/{imported['id']}/rejected"), headers=token
    )
    assert rejected.status_code == 404 and "超过保存期限" in rejected.get_json()["message"]
    run = client.get(url(county, f"/registry/imports/{imported['id']}"), headers=token).get_json()
    assert run["report"]["rejected"] == 1 and not run["has_rejected_file"]


def test_an_import_maps_the_countys_own_headers(client, county, mint, files_dir, app):
    app.config["GRIDGOV_FILES_DIR"] = str(files_dir)
    token = bearer(mint(county, county.admin))
    data = write_workbook(
        ["名字", "身份证", "网格"], [["示例甲", id_number(1), county.grids[0].code]], "people"
    )

    def post(mapping):
        return client.post(
            url(county, "/registry/imports"),
            query_string={"kind": "people", "mapping": mapping},
            data={"file": (io.BytesIO(data), "人口.xlsx")},
            headers=token,
            content_type="multipart/form-data",
        )

    not_json = post("身份证=公民身份号码")
    assert not_json.status_code == 422
    assert "mapping" in not_json.get_json()["errors"]["query"]
    unknown = post('{"名字": "昵称"}')
    assert unknown.status_code == 422 and "mapping" in unknown.get_json()["errors"]["json"]
    session = db_session()
    with tenant_scope(session, county.tenant.id):
        assert session.scalars(select(ImportRun)).all() == []  # refused before anything is kept
    done = post('{"名字": "姓名", "身份证": "公民身份号码"}').get_json()
    assert done["status"] == "done" and done["report"]["created"] == 1
    assert done["mapping"] == {"名字": "name", "身份证": "id_number"}
