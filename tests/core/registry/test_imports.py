"""Importing people, dwellings and sites from .xlsx: bad rows reported and handed back, good rows
stored, strict mode, dedup across imports, nothing stored lost."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from gridgov.core import personal_data
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import utcnow
from gridgov.core.errors import DomainError
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import imports
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Dwelling, Household, Person, RecordChange, Site
from gridgov.core.registry.spreadsheet import write_workbook
from tests.core.registry.conftest import id_number

HEADERS = [
    "姓名",
    "公民身份号码",
    "联系电话",
    "人口类型",
    "网格编码",
    "房屋地址",
    "户号",
    "与户主关系",
    "人员标签",
]


def xlsx(rows, headers=HEADERS) -> bytes:
    return write_workbook(headers, rows, "people")


def person_row(county, n, *, grid=0, phone="13812345678", **overrides):
    row = {
        "姓名": f"示例{n}",
        "公民身份号码": id_number(n),
        "联系电话": phone,
        "人口类型": "户籍",
        "网格编码": county.grids[grid].code,
        "房屋地址": "",
        "户号": "",
        "与户主关系": "",
        "人员标签": "",
    } | overrides
    return [row[h] for h in HEADERS]


def run(session, county, data, *, user=None, **kwargs):
    user = user or county.admin
    return imports.import_file(
        session,
        county.tenant,
        user,
        scope_of(session, user),
        kwargs.pop("kind", "people"),
        data,
        **kwargs,
    )


def count(session, model=Person):
    return session.scalar(select(func.count()).select_from(model))


def test_an_import_with_ten_percent_bad_rows_stores_exactly_the_good_ones(session, county):
    rows = [person_row(county, n) for n in range(18)]
    rows.insert(4, person_row(county, 100, **{"公民身份号码": "110101198001011233"}))
    rows.insert(12, person_row(county, 101, phone="12345"))
    report = run(session, county, xlsx(rows))
    assert (report.created, report.rejected_rows, report.stored) == (18, 2, True)
    assert [(e.row, e.column) for e in report.errors] == [(6, "公民身份号码"), (14, "联系电话")]
    assert count(session) == 18
    assert registry.find_by_id_number(session, id_number(100)) is None


def test_the_rejected_rows_come_back_as_a_workbook_with_row_and_reason(session, county):
    rows = [person_row(county, 1), person_row(county, 2, phone="12345")]
    report = run(session, county, xlsx(rows))
    sheet = load_workbook(io.BytesIO(imports.rejected_workbook(report))).active
    values = list(sheet.values)
    assert values[0][-2:] == ("行号", "错误原因")
    assert len(values) == 2 and values[1][0] == "示例2"
    assert values[1][values[0].index("行号")] == 3  # under its header, however long the row
    assert values[1][-1].startswith("联系电话:")


def test_a_dry_run_reports_every_bad_row_and_stores_nothing(session, county):
    rows = [
        person_row(county, 1),
        person_row(county, 2, phone="1"),
        person_row(county, 3, **{"姓名": ""}),
    ]
    report = run(session, county, xlsx(rows), dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(3, "联系电话"), (4, "姓名")]
    assert not report.stored and count(session) == 0


def test_strict_mode_stores_nothing_when_one_row_is_bad(session, county):
    rows = [person_row(county, n) for n in range(9)] + [person_row(county, 50, phone="0")]
    report = run(session, county, xlsx(rows), strict=True)
    assert not report.stored and report.rejected_rows == 1
    assert count(session) == 0 and count(session, Dwelling) == 0


def test_strict_mode_stores_everything_when_all_rows_are_good(session, county):
    report = run(session, county, xlsx([person_row(county, n) for n in range(3)]), strict=True)
    assert report.stored and count(session) == 3


def test_each_imported_person_has_its_created_entry_in_the_history(session, county):
    before = utcnow()
    run(session, county, xlsx([person_row(county, 1), person_row(county, 2, grid=1)]))
    people = {p.id: p for p in session.scalars(select(Person))}
    entries = session.scalars(select(RecordChange).order_by(RecordChange.object_id)).all()
    assert [(e.object_type, e.action, e.object_id, e.node_id) for e in entries] == [
        ("person", "create", p.id, p.node_id) for p in sorted(people.values(), key=lambda p: p.id)
    ]
    assert {p.node_id for p in people.values()} == {county.grids[0].id, county.grids[1].id}
    assert {(e.actor_id, e.actor_name) for e in entries} == {
        (county.admin.id, f"{county.admin.name} ({county.admin.username})")
    }
    assert all(before <= e.at <= utcnow() for e in entries)


@pytest.mark.parametrize("drawn_at_the_same_time", [False, True])
def test_ids_for_a_batch_are_fresh_even_when_another_session_draws_at_the_same_time(
    session, county, monkeypatch, drawn_at_the_same_time
):
    run(session, county, xlsx([person_row(county, 1)]))
    if drawn_at_the_same_time:
        # As if another session's ids were interleaved: the first and last are 10 apart.
        monkeypatch.setattr(
            imports,
            "_FIRST_AND_LAST_ID",
            text("SELECT 1 + 0 * :n, 11 + 0 * length(:table)"),
        )
    ids = imports.allocate_ids(session, Person.__table__, 5)
    assert len(set(ids)) == 5
    assert not session.scalars(select(Person.id).where(Person.id.in_(ids))).all()
    report = run(session, county, xlsx([person_row(county, n) for n in range(2, 7)]))
    assert report.created == 5 and count(session) == 6


def test_the_same_id_number_in_a_second_import_updates_only_the_given_values(session, county):
    run(session, county, xlsx([person_row(county, 1, **{"人员标签": "残疾人"})]))
    second = run(session, county, xlsx([person_row(county, 1, phone="", **{"姓名": "改名"})]))
    assert (second.created, second.updated) == (0, 1)
    person = registry.find_by_id_number(session, id_number(1))
    assert person.name == "改名"
    assert registry.plain_value(person, PersonalField.PHONE) == "13812345678"  # empty cell kept it
    assert [t.tag for t in person.tags] == ["disabled"]
    assert count(session) == 1


def test_the_same_id_number_twice_in_one_file_rejects_the_later_row(session, county):
    report = run(session, county, xlsx([person_row(county, 1), person_row(county, 1)]))
    assert report.created == 1
    assert [(e.row, e.reason) for e in report.errors] == [(3, "与第 2 行的公民身份号码重复")]


def test_rows_in_a_grid_outside_the_importers_scope_are_rejected(session, county):
    rows = [person_row(county, 1, grid=0), person_row(county, 2, grid=7)]
    report = run(session, county, xlsx(rows), user=county.township_staff)
    assert report.created == 1 and [e.row for e in report.errors] == [3]


def test_an_id_number_stored_by_excel_as_a_number_is_refused(session, county):
    rows = [person_row(county, 1, **{"公民身份号码": 110101195001011234.0})]
    report = run(session, county, xlsx(rows))
    assert report.created == 0 and report.errors[0].column == "公民身份号码"


def test_households_and_dwellings_are_made_from_address_and_household_number(session, county):
    rows = [
        person_row(county, 1, **{"房屋地址": "幸福路 8 号", "户号": "A1", "与户主关系": "户主"}),
        person_row(county, 2, **{"房屋地址": "幸福路 8 号", "户号": "A1", "与户主关系": "配偶"}),
    ]
    run(session, county, xlsx(rows), kind="households")
    household = session.scalars(select(Household)).one()
    assert sorted(p.relation for p in registry.get_household(session, household.id).members) == [
        "head",
        "spouse",
    ]
    assert count(session, Dwelling) == 1


def test_a_county_can_map_its_own_headers(session, county):
    headers = ["名字", *HEADERS[1:]]
    data = xlsx([person_row(county, 1)], headers=headers)
    with pytest.raises(DomainError):
        run(session, county, data)
    report = run(session, county, data, mapping={"名字": "name"})
    assert report.created == 1


def test_dwellings_and_sites_are_imported(session, county):
    dwellings = write_workbook(
        ["网格编码", "房屋地址", "单元", "房号", "是否出租"],
        [[county.grids[0].code, "和平路 1 号", "1单元", "101", "是"]],
        "d",
    )
    sites = write_workbook(
        ["网格编码", "单位名称", "单位类型", "联系电话", "重点单位"],
        [
            [county.grids[0].code, "示例小学", "学校", "13812345678", "是"],
            [county.grids[0].code, "示例", "太空站", "", ""],
        ],
        "s",
    )
    assert run(session, county, dwellings, kind="dwellings").created == 1
    report = run(session, county, sites, kind="sites")
    assert report.created == 1 and report.errors[0].column == "单位类型"
    assert session.scalars(select(Site)).one().is_key
    assert session.scalars(select(Dwelling)).one().is_rental


def test_a_file_that_is_not_a_workbook_is_a_field_error(session, county):
    with pytest.raises(DomainError) as refused:
        run(session, county, b"not a spreadsheet")
    assert refused.value.field == "file"


def test_rows_refused_while_checking_or_storing_are_reported_in_row_order(
    session, county, monkeypatch
):
    monkeypatch.setattr(imports, "BATCH", 3)  # several batches: checked while others are stored
    run(session, county, xlsx([person_row(county, 99, grid=7)]))
    rows = [person_row(county, n) for n in range(1, 8)]
    rows[1] = person_row(county, 99, **{"姓名": "改名"})  # registered outside the staff's scope
    rows[5] = person_row(county, 1)  # the same ID number as row 2
    report = run(session, county, xlsx(rows), user=county.township_staff)
    assert [e.row for e in report.errors] == [3, 7]
    assert (report.created, count(session)) == (5, 6)
    assert session.scalar(select(Person.name).where(Person.node_id == county.grids[7].id)) == (
        "示例99"
    )


def test_strict_mode_stores_nothing_when_a_row_is_refused_while_storing(
    session, county, monkeypatch
):
    monkeypatch.setattr(imports, "BATCH", 2)
    run(session, county, xlsx([person_row(county, 99, grid=7)]))
    rows = [person_row(county, n) for n in range(1, 6)] + [person_row(county, 99)]
    report = run(session, county, xlsx(rows), user=county.township_staff, strict=True)
    assert not report.stored and [e.row for e in report.errors] == [7]
    assert count(session) == 1


OWN_HEADERS = ["名字", "身份证", "手机", "所在网格"]


def own_rows(county):
    return [["示例1", id_number(1), "13812345678", county.grids[0].code]]


def test_a_countys_own_headers_are_matched_through_a_mapping(session, county):
    with pytest.raises(DomainError, match="缺少列") as missing:
        run(session, county, xlsx(own_rows(county), OWN_HEADERS))
    assert missing.value.field == "file"
    mapping = {"名字": "姓名", "身份证": "公民身份号码", "手机": "phone", "所在网格": "网格"}
    report = run(session, county, xlsx(own_rows(county), OWN_HEADERS), mapping=mapping)
    assert report.created == 1
    person = registry.find_by_id_number(session, id_number(1))
    assert person.name == "示例1" and person.node_id == county.grids[0].id
    assert registry.masked_value(person, PersonalField.PHONE, "county_admin") == "138********"


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"名字": "昵称"}, "没有“昵称”这一列"),
        ({"名字": "姓名", "称呼": "name"}, "只能对应表格中的一列"),
        ({" ": "姓名"}, "列名须为"),
    ],
)
def test_a_bad_mapping_is_a_field_error_and_stores_nothing(session, county, mapping, message):
    with pytest.raises(DomainError, match=message) as refused:
        run(session, county, xlsx(own_rows(county), OWN_HEADERS), mapping=mapping)
    assert refused.value.field == "mapping"
    assert count(session) == 0


def household_row(county, n, relation, number="A1"):
    return person_row(
        county, n, **{"房屋地址": "幸福路 8 号", "户号": number, "与户主关系": relation}
    )


def heads(session):
    return sorted(p.name for p in session.scalars(select(Person).where(Person.relation == "head")))


def test_a_second_head_of_one_household_in_a_file_is_refused(session, county):
    rows = [
        household_row(county, 1, "户主"),
        household_row(county, 2, "户主"),
        household_row(county, 3, "户主", number="A2"),
    ]
    report = run(session, county, xlsx(rows), kind="households")
    assert report.created == 2
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (3, "与户主关系", "第 2 行已是这一户的户主：一户只有一个户主")
    ]
    assert heads(session) == ["示例1", "示例3"]


def test_a_head_for_a_household_that_has_one_is_refused_naming_it(session, county):
    run(session, county, xlsx([household_row(county, 1, "户主")]), kind="households")
    report = run(session, county, xlsx([household_row(county, 2, "户主")]), kind="households")
    assert report.created == 0
    assert [(e.row, e.reason) for e in report.errors] == [(2, "这一户已有户主：示例1")]
    # The head already registered, imported again, is the same person: no second head.
    again = run(session, county, xlsx([household_row(county, 1, "户主")]), kind="households")
    assert again.errors == [] and again.unchanged == 1
    assert heads(session) == ["示例1"] and count(session) == 1


def test_a_head_the_same_file_steps_down_makes_way_for_the_new_one(session, county):
    run(session, county, xlsx([household_row(county, 1, "户主")]), kind="households")
    handover = [household_row(county, 1, "配偶"), household_row(county, 2, "户主")]
    report = run(session, county, xlsx(handover), kind="households")
    assert report.errors == [] and (report.created, report.updated) == (1, 1)
    assert heads(session) == ["示例2"]


def test_a_head_named_again_without_a_relation_keeps_the_household_from_a_second(session, county):
    run(session, county, xlsx([household_row(county, 1, "户主")]), kind="households")
    rows = [person_row(county, 1, phone="13912345678"), household_row(county, 2, "户主")]
    report = run(session, county, xlsx(rows), kind="people")
    assert [(e.row, e.reason) for e in report.errors] == [(3, "这一户已有户主：示例1")]
    assert heads(session) == ["示例1"]


def stored_people(session, county):
    """What an import left: each person's plain values, hashes and household, and the history
    (ids and ciphertexts differ between two imports; what they decrypt to must not)."""
    keys = personal_data.data_keys()
    tenant_id = county.tenant.id
    people = sorted(
        (
            p.name,
            p.id_number_hash,
            keys.decrypt(tenant_id, PersonalField.ID_NUMBER, p.id_number_cipher),
            p.phone_hash,
            keys.decrypt(tenant_id, PersonalField.PHONE, p.phone_cipher)
            if p.phone_cipher
            else None,
            p.node_id,
            p.relation,
            session.get(Household, p.household_id).number if p.household_id else None,
        )
        for p in session.scalars(select(Person))
    )
    history = sorted(
        (c.object_type, c.action, c.field, c.node_id, c.new_value)
        for c in session.scalars(select(RecordChange))
    )
    return people, history


def test_the_parallel_import_stores_and_reports_exactly_what_the_serial_one_does(
    session, county, monkeypatch
):
    monkeypatch.setattr(imports, "BATCH", 4)  # several batches, sealed while others are stored
    rows = [person_row(county, n, phone=f"1381234{n:04d}") for n in range(1, 16)]
    rows[2] = person_row(county, 1)  # the same ID number as row 2
    rows[4] = person_row(county, 100, **{"公民身份号码": "110101198001011233"})
    rows[6] = person_row(county, 101, phone="12345")
    rows[8] = person_row(county, 7, phone="", **{"房屋地址": "幸福路1号", "户号": "A1"})
    head = {"房屋地址": "幸福路1号", "户号": "A1", "与户主关系": "户主"}
    rows[9] = person_row(county, 108, **head)
    rows[10] = person_row(county, 109, **head)  # a second head of household A1
    rows[12] = person_row(county, 10, **{"网格编码": "不存在"})
    data = xlsx(rows)
    results = []
    for parallel in (True, False):
        outer = session.begin_nested()
        report = run(session, county, data, parallel=parallel)
        results.append((report.as_dict(), report.rejected, stored_people(session, county)))
        outer.rollback()
    assert [e["row"] for e in results[0][0]["errors"]] == [4, 6, 8, 10, 12, 14]
    assert results[0][0]["created"] == 9
    assert results[0] == results[1]


def test_control_characters_are_reported_per_cell_beside_empty_and_number_cells(session, county):
    # A row's texts are searched for control characters at once, and cell by cell only when
    # something is found: each bad cell is still named, in the sheet's order, and a row of
    # empty and number cells is read as before.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "公民身份号码", "联系电话", "网格编码", "房屋地址"])
    grid = county.grids[0].code
    sheet.append(["示例甲", id_number(1), 13812345678, grid, None])
    sheet.append(["示例\x9b乙", id_number(2), None, grid, "幸福路\x9b1 号"])  # C1 controls
    sheet.append([None, id_number(3), None, grid, "幸福路\x851 号"])
    data = io.BytesIO()
    book.save(data)
    report = run(session, county, data.getvalue())
    control = "不能含控制字符（如 NUL、换页、退格）"
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (3, "姓名", control),
        (3, "房屋地址", control),
        (3, "姓名", "只能是一行文字，不能含换行、制表符或控制字符"),
        (4, "房屋地址", control),
        (4, "姓名", "不能为空"),
    ]
    assert report.created == 1
    stored = session.scalars(select(Person)).one()
    assert stored.name == "示例甲"
    assert registry.plain_value(stored, PersonalField.PHONE) == "13812345678"
