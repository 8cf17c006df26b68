"""``gridgov registry import/export``: the CLI imports with progress and reports bad rows."""

from __future__ import annotations

from openpyxl import load_workbook

from gridgov.core.db import tenant_scope
from gridgov.core.registry import service as registry
from gridgov.core.registry.spreadsheet import write_workbook
from tests.core.registry.conftest import id_number
from tests.factories import build_county


def test_the_cli_imports_reports_bad_rows_and_writes_the_rejected_ones(app, session, tmp_path):
    county = build_county(session, "cli")
    session.commit()
    grid = county.grids[0].code
    source = tmp_path / "people.xlsx"
    source.write_bytes(
        write_workbook(
            ["姓名", "公民身份号码", "网格编码"],
            [["示例甲", id_number(1), grid], ["示例乙", "123", grid]],
            "people",
        )
    )
    result = app.test_cli_runner().invoke(
        args=["registry", "import", str(source), "--tenant", "cli", "--kind", "people"]
    )
    assert result.exit_code == 0, result.output
    assert "2 rows: 1 created, 0 updated, 0 unchanged, 1 rejected (stored)" in result.output
    assert "第 3 行 公民身份号码" in result.output
    assert (tmp_path / "people-rejected.xlsx").stat().st_mode & 0o777 == 0o600
    rejected = load_workbook(tmp_path / "people-rejected.xlsx").active
    assert [r[0] for r in rejected.iter_rows(min_row=2, values_only=True)] == ["示例乙"]
    with tenant_scope(session, county.tenant.id):
        assert registry.find_by_id_number(session, id_number(1)).name == "示例甲"


def test_a_strict_dry_run_exits_1_when_a_row_is_bad(app, session, tmp_path):
    build_county(session, "cli")
    session.commit()
    source = tmp_path / "people.xlsx"
    source.write_bytes(write_workbook(["姓名", "网格编码"], [["示例甲", "NOPE"]], "people"))
    result = app.test_cli_runner().invoke(
        args=["registry", "import", str(source), "--tenant", "cli", "--dry-run", "--strict"]
    )
    assert result.exit_code == 1
    assert "nothing stored" in result.output


def test_the_cli_exports_masked_people_to_a_file_only_its_owner_reads(app, session, tmp_path):
    county = build_county(session, "cli")
    registry.create_person(
        session,
        county.tenant,
        None,
        registry.PersonInput(name="示例甲", id_number=id_number(1)),
        grid=county.grids[0],
    )
    session.commit()
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"an older export, readable by all")
    out.chmod(0o644)
    result = app.test_cli_runner().invoke(
        args=["registry", "export", "--tenant", "cli", "--user", "cli-super", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    values = list(load_workbook(out).active.values)
    assert values[1][0] == "示例甲" and "*" in values[1][1] and id_number(1) not in str(values)


def test_the_cli_maps_the_files_own_headers(app, session, tmp_path):
    county = build_county(session, "cli")
    session.commit()
    source = tmp_path / "people.xlsx"
    source.write_bytes(
        write_workbook(
            ["名字", "身份证", "网格编码"],
            [["示例甲", id_number(1), county.grids[0].code]],
            "people",
        )
    )
    command = ["registry", "import", str(source), "--tenant", "cli"]
    result = app.test_cli_runner().invoke(args=[*command, "--map", "名字"])
    assert result.exit_code == 2 and "HEADER=COLUMN" in result.output
    result = app.test_cli_runner().invoke(
        args=[*command, "--map", "名字=姓名", "--map", "身份证=公民身份号码"]
    )
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
