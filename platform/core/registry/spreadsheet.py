"""Reading and writing .xlsx for the registry: columns named by Chinese headers (a county may
map its own), rows read with python-calamine (Rust; several times faster than openpyxl and it
only reads), files written with openpyxl's write-only mode (constant memory)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from gridgov.core.errors import DomainError
from gridgov.core.i18n import _
from gridgov.core.text import without_control_characters


@dataclass(frozen=True)
class Column:
    """One column a kind of import understands: its key, its default header and the other
    headers counties commonly use for it."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False


PEOPLE_COLUMNS = (
    Column("name", "姓名", required=True),
    Column("id_number", "公民身份号码", ("身份证号", "身份证号码", "证件号码")),
    Column("phone", "联系电话", ("手机号", "手机号码", "电话")),
    Column("residence_type", "人口类型", ("人员类型", "户籍类型")),
    Column("grid", "网格编码", ("所属网格", "网格"), required=True),
    Column("address", "房屋地址", ("地址", "住址", "现住址")),
    Column("household", "户号"),
    Column("relation", "与户主关系", ("与户主的关系",)),
    Column("sex", "性别"),
    Column("birth_date", "出生日期"),
    Column("tags", "人员标签", ("标签", "特殊人群")),
)
DWELLING_COLUMNS = (
    Column("grid", "网格编码", ("所属网格", "网格"), required=True),
    Column("address", "房屋地址", ("地址",), required=True),
    Column("unit", "单元"),
    Column("number", "房号", ("门牌号",)),
    Column("is_rental", "是否出租", ("出租屋",)),
)
SITE_COLUMNS = (
    Column("grid", "网格编码", ("所属网格", "网格"), required=True),
    Column("name", "单位名称", ("名称", "场所名称"), required=True),
    Column("kind", "单位类型", ("类型", "场所类型"), required=True),
    Column("address", "地址", ("单位地址",)),
    Column("contact_name", "联系人"),
    Column("contact_phone", "联系电话", ("电话",)),
    Column("is_key", "重点单位", ("是否重点",)),
)


@dataclass
class Sheet:
    """The first worksheet of an upload: which column holds which key, and its rows."""

    headers: list[str]
    positions: dict[str, int]  # key -> column index
    rows: Iterator[tuple[int, list[Any]]]  # (row number as Excel shows it, cell values)
    total: int  # data rows (excluding the header row)


def resolve_mapping(columns: Sequence[Column], mapping: Mapping[str, str] | None) -> dict[str, str]:
    """A county's own headers as header -> key: ``mapping`` names, for a header of its sheet,
    the column it holds by its standard header (公民身份号码), a common alias or its key.
    DomainError(field="mapping") for an unknown column or one given twice."""
    known: dict[str, str] = {}
    for column in columns:
        for name in (column.key, column.header, *column.aliases):
            known[name] = column.key
    resolved: dict[str, str] = {}
    for theirs, ours in (mapping or {}).items():
        header, target = str(theirs).strip(), str(ours).strip()
        if not 1 <= len(header) <= 100:
            raise DomainError(_("表格中的列名须为 1–100 个字"), field="mapping")
        key = known.get(target)
        if key is None:
            raise DomainError(
                _(
                    "没有“%(column)s”这一列，可选：%(columns)s",
                    column=target,
                    columns="、".join(c.header for c in columns),
                ),
                field="mapping",
            )
        if key in resolved.values():
            raise DomainError(_("“%(column)s”只能对应表格中的一列", column=target), field="mapping")
        resolved[header] = key
    return resolved


def open_sheet(
    source: bytes | IO[bytes] | str,
    columns: Sequence[Column],
    mapping: Mapping[str, str] | None = None,
) -> Sheet:
    """Open the first sheet and match its header row to ``columns``; ``mapping`` (header ->
    key, see resolve_mapping) adds a county's own headers. DomainError(field="file") if it is
    not a readable .xlsx or lacks a required column."""
    try:
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        book = (
            CalamineWorkbook.from_path(source)
            if isinstance(source, str)
            else CalamineWorkbook.from_filelike(source)
        )
        sheet = book.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header_row = next(rows, None)
    except Exception:
        raise DomainError(_("不是可读取的 .xlsx 文件"), field="file") from None
    if header_row is None:
        raise DomainError(_("表格是空的"), field="file")
    headers = [str(h).strip() for h in header_row]
    names: dict[str, str] = {}
    for column in columns:
        for header in (column.header, *column.aliases):
            names[header] = column.key
    names.update(mapping or {})
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = names.get(header)
        if key is not None and key not in positions:
            positions[key] = index
    missing = [c.header for c in columns if c.required and c.key not in positions]
    if missing:
        raise DomainError(_("缺少列：%(columns)s", columns="、".join(missing)), field="file")
    numbered = ((number, list(values)) for number, values in enumerate(rows, start=2))
    return Sheet(headers, positions, numbered, max(sheet.height - 1, 0))


def cell_text(value: Any) -> str | None:
    """A cell as trimmed text (None when empty). Whole numbers lose Excel's ".0"."""
    if value is None:
        return None
    if type(value) is str:  # the common case first: an import reads millions of cells
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    text = str(value).strip()
    return text or None


def write_workbook(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    """An .xlsx of ``rows`` under ``headers``, written in constant memory."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(headers))
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def safe_cell(value: Any) -> Any:
    """A value as a cell may hold it. A text starting with = + - @ would run as a formula when
    a clerk opens the file (CSV/formula injection): it gets a leading apostrophe, so it stays
    text. Control characters (stored before they were refused) are left out: openpyxl refuses
    them, and one such name would fail every export listing it."""
    if not isinstance(value, str):
        return value
    value = without_control_characters(value)
    if value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
