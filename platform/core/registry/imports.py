"""Importing people, dwellings and sites from .xlsx: every bad row reported (row, column,
reason), the good rows stored in bulk, the rejected ones handed back as a workbook.

Rules (what a county can rely on):
- a dry run stores nothing and reports every bad row;
- an apply stores the good rows; in strict mode one bad row means nothing is stored;
- the same ID number twice in a file: the later row is rejected (pointing at the first);
- a person whose ID number is already registered is *updated*, and only where the row gives a
  value: an empty cell never erases what is stored, tags are only ever added;
- rows in a grid outside the importer's scope are rejected.

New people go in with one bulk statement per batch (COPY on PostgreSQL), with their history
rows; the per-row work is validation, two AES-GCM encryptions and two HMACs, done in one
thread while another stores the previous batch.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import multiprocessing
import operator
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import Connection, Table, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gridgov.core import personal_data
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind, RunStatus, StoredFile
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.jobs import job, report_progress
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import (
    Dwelling,
    Household,
    ImportRun,
    Person,
    PersonTag,
    RecordChange,
    Relation,
    ResidenceType,
    Sex,
)
from gridgov.core.registry.service import PersonInput
from gridgov.core.registry.spreadsheet import (
    DWELLING_COLUMNS,
    PEOPLE_COLUMNS,
    SITE_COLUMNS,
    Column,
    cell_text,
    open_sheet,
    resolve_mapping,
    write_workbook,
)
from gridgov.core.registry.tags import TagDefinition, tag_catalogue
from gridgov.core.tenancy.models import Tenant
from gridgov.core.text import bad_character

BATCH = 20000
# When a people import on PostgreSQL encrypts and hashes in worker processes: from a few
# batches (forking costs ~50 ms and a pipeline of fewer batches never fills) and only with
# cores for the workers beside the checking thread and the database's COPY. On the 2-core
# bench machine the pool made the 1,000,000-row import slower (71 s instead of 57 s: the three
# stages already fill both cores, and pickling the batches adds work), so there it stays
# serial; MIN_CORES is a guess from that, not measured on a bigger machine.
PARALLEL_ROWS = 3 * BATCH
MIN_CORES = 2 + 2
SEAL_WORKERS = 2
KINDS: dict[str, tuple[Column, ...]] = {
    "people": PEOPLE_COLUMNS,
    "households": PEOPLE_COLUMNS,  # a household list is its members with 户号 and relation
    "dwellings": DWELLING_COLUMNS,
    "sites": SITE_COLUMNS,
}

# What spreadsheets say, in Chinese, for the stored codes.
RESIDENCE_WORDS = {
    "户籍": ResidenceType.REGISTERED,
    "常住": ResidenceType.REGISTERED,
    "流动": ResidenceType.FLOATING,
    "流动人口": ResidenceType.FLOATING,
    "户籍人口": ResidenceType.REGISTERED,
}
SEX_WORDS = {"男": Sex.MALE, "女": Sex.FEMALE}
RELATION_WORDS = {
    "户主": Relation.HEAD,
    "本人": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "妻": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "子女": Relation.CHILD,
    "父母": Relation.PARENT,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "孙子女": Relation.GRANDCHILD,
    "祖父母": Relation.GRANDPARENT,
    "兄弟姐妹": Relation.SIBLING,
    "其他": Relation.OTHER,
}
# The columns holding a code, what spreadsheets write for each, and the codes themselves.
CODED_COLUMNS = tuple(
    (key, words, frozenset(c.value for c in codes))
    for key, words, codes in (
        ("residence_type", RESIDENCE_WORDS, ResidenceType),
        ("relation", RELATION_WORDS, Relation),
        ("sex", SEX_WORDS, Sex),
    )
)
YES_WORDS = {"是", "1", "Y", "y", "true", "TRUE", "重点", "出租"}
SITE_KIND_WORDS = {
    "学校": "school",
    "市场": "market",
    "医院": "hospital",
    "商铺": "shop",
    "个体工商户": "individual_business",
    "企业": "enterprise",
    "其他": "other",
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the header as the file names it
    reason: str


@dataclass
class ImportReport:
    kind: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stored: bool = False  # False: a dry run, or strict mode refused the file
    errors: list[RowError] = field(default_factory=list)
    rejected: list[tuple[int, list[Any]]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len(self.rejected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected_rows,
            "stored": self.stored,
            "errors": [e.__dict__ for e in self.errors[:1000]],
        }


def rejected_workbook(report: ImportReport) -> bytes:
    """The rejected rows as an .xlsx: the original cells, then 行号 and 错误原因."""
    reasons: dict[int, list[str]] = defaultdict(list)
    for error in report.errors:
        reasons[error.row].append(f"{error.column}: {error.reason}")
    width = len(report.headers)  # a row may be shorter (trailing empty cells) or padded
    rows = (
        [*values[:width], *[None] * (width - len(values)), number, "；".join(reasons[number])]
        for number, values in report.rejected
    )
    return write_workbook([*report.headers, "行号", "错误原因"], rows, "rejected")


Progress = Callable[[int, int], None]


def import_file(
    session: Session,
    tenant: Tenant,
    actor: User | None,
    scope: Scope,
    kind: str,
    source: bytes | IO[bytes] | str,
    *,
    dry_run: bool = False,
    strict: bool = False,
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    catalogue: Mapping[str, TagDefinition] | None = None,
    parallel: bool | None = None,
) -> ImportReport:
    """Import an .xlsx of ``kind`` (people, households, dwellings, sites); see the module.

    ``parallel``: encrypt and hash in worker processes (None: when it pays, see
    :data:`PARALLEL_ROWS`); the stored rows and the report are the same either way."""
    if kind not in KINDS:
        raise DomainError(_("不支持的导入类型"), field="kind")
    sheet = open_sheet(source, KINDS[kind], resolve_mapping(KINDS[kind], mapping))
    report = ImportReport(kind=kind, total=sheet.total, headers=sheet.headers)
    importer = _Importer(
        session, tenant, actor, scope, report, sheet.positions, catalogue, storing=not dry_run
    )
    savepoint = session.begin_nested()
    store = not dry_run
    if parallel is None:
        parallel = (
            sheet.total >= PARALLEL_ROWS
            and session.get_bind().dialect.name == "postgresql"
            and (os.cpu_count() or 1) >= MIN_CORES
        )
    sealers = (
        _sealers(importer.keys) if store and parallel and kind in ("people", "households") else None
    )
    importer.seal_here = sealers is None
    done = 0
    # Two cores' worth of work: while one thread stores a batch (mostly waiting for the
    # database, which releases the GIL), this one reads and checks the next. Checking touches
    # no database (the grids are loaded up front), so the session is only ever used by the
    # writer while it runs; each store is awaited before the next starts. With ``sealers``,
    # the encryption and hashing of a batch (a quarter of the Python work) runs in worker
    # processes meanwhile, and the writer waits for it before storing that batch.
    # On PostgreSQL the new people's ids are drawn here too, on a connection of this thread's
    # own, while the writer still stores the batch before: drawn by the writer they cost it a
    # round trip per batch, most of it spent waiting for this thread to let go of the GIL.
    drawing = (
        session.get_bind().engine.connect()
        if store
        and kind in ("people", "households")
        and session.get_bind().dialect.name == "postgresql"
        else None
    )
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry-import") as writer:
            pending: Future[None] | None = None
            for batch in _batches(sheet.rows):
                good = importer.check(kind, batch)
                prepared_at = None
                if drawing is not None and good:
                    ids = draw_ids(drawing, Person.__table__, len(good))
                    drawing.commit()
                    prepared_at = utcnow()
                    importer.prepare_people(good, ids, prepared_at)
                if pending is not None:
                    pending.result()
                    pending = None
                if strict and report.errors:
                    store = False  # keep checking, to report every bad row, but store nothing
                if store:
                    sealed = importer.seal_in(sealers, good) if sealers is not None else []
                    pending = writer.submit(
                        _in_this_context(importer.store_sealed), kind, good, sealed, prepared_at
                    )
                done += len(batch)
                if progress is not None:
                    progress(done, report.total)
            if pending is not None:
                pending.result()
    finally:
        if sealers is not None:
            sealers.shutdown(cancel_futures=True)
        if drawing is not None:
            drawing.close()
    report.errors.sort(key=lambda e: e.row)
    report.rejected.sort(key=lambda r: r[0])
    if strict and report.errors:
        store = False  # a row refused while storing (an existing person out of scope)
    if store:
        savepoint.commit()
        report.stored = True
        audit.record(
            session,
            actor,
            "registry.import",
            "import",
            kind,
            after=report.as_dict() | {"errors": len(report.errors)},
        )
    else:
        savepoint.rollback()
        report.created = report.updated = report.unchanged = 0
    return report


def _in_this_context(func: Callable[..., None]) -> Callable[..., None]:
    """``func`` run from another thread in this thread's context (the runtime, whose data
    keys it encrypts with, and the locale its messages are translated into)."""
    context = contextvars.copy_context()

    def run(*args: Any) -> None:
        context.run(func, *args)

    return run


# The keys a sealing worker process encrypts and hashes with: inherited through fork from the
# importing process's memory, never pickled, written to disk or logged.
_worker_keys: personal_data.DataKeys | None = None


def _sealers(keys: personal_data.DataKeys) -> ProcessPoolExecutor:
    """Worker processes that encrypt and hash. Forked, not spawned: a child inherits the keys
    (an AESGCM object cannot be pickled anyway) and every module already imported, and starts
    in milliseconds; it touches neither the database nor the session (the engine's pooled
    connections are dropped after a fork, see jobs.py). Forked before the writer thread
    starts."""
    return ProcessPoolExecutor(
        max_workers=SEAL_WORKERS,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_set_worker_keys,
        initargs=(keys,),
    )


def _set_worker_keys(keys: personal_data.DataKeys) -> None:
    global _worker_keys
    _worker_keys = keys


def _seal_values(
    tenant_id: int, values: list[tuple[str | None, str | None]]
) -> list[tuple[str | None, bytes | None, str | None, bytes | None]]:
    """(id hash, id cipher, phone hash, phone cipher) of each (ID number, phone), in a worker:
    sealed as _Importer._seal seals a batch (DataKeys.seal_many)."""
    keys = _worker_keys
    assert keys is not None, "a sealing worker without keys"
    sealed: list[list[Any]] = [[None] * 4 for _row in values]
    for column, personal in enumerate((PersonalField.ID_NUMBER, PersonalField.PHONE)):
        given = [(i, value[column]) for i, value in enumerate(values) if value[column]]
        hashed = keys.seal_many(tenant_id, personal, [value for _i, value in given])
        for (i, _value), (search_hash, cipher) in zip(given, hashed, strict=True):
            sealed[i][2 * column], sealed[i][2 * column + 1] = search_hash, cipher
    return [tuple(row) for row in sealed]


def _batches(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[list[tuple[int, list[Any]]]]:
    batch: list[tuple[int, list[Any]]] = []
    for row in rows:
        values = row[1]
        # A row of nothing but None and "" is skipped (counted in C: a generator a row cost more).
        if values.count(None) + values.count("") < len(values):
            batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class _Importer:
    """The state of one import: caches of grids, dwellings and households, the ID numbers
    seen so far, and the bulk writers."""

    def __init__(
        self,
        session: Session,
        tenant: Tenant,
        actor: User | None,
        scope: Scope,
        report: ImportReport,
        positions: dict[str, int],
        catalogue: Mapping[str, TagDefinition] | None,
        *,
        storing: bool,
    ) -> None:
        self.session, self.tenant, self.actor, self.scope = session, tenant, actor, scope
        self.storing = storing  # False: a dry run, nothing to encrypt
        self.report, self.positions = report, positions
        self.headers = {
            c.key: report.headers[i]
            for c in _all_columns()
            if (i := positions.get(c.key)) is not None
        }
        # Where each column's cell is; a column the sheet lacks reads the None that check()
        # appends to every row.
        self.width = len(report.headers)
        self.index = {c.key: positions.get(c.key, -1) for c in _all_columns()}
        self.catalogue = catalogue or tag_catalogue()
        self.tag_words = {d.label: d.code for d in self.catalogue.values()} | {
            c: c for c in self.catalogue
        }
        self.keys = personal_data.data_keys()
        # Every basic grid the importer may file under, by code: checking a row then needs no
        # database (see import_file), and a county has a few thousand grids at most.
        self.grids: dict[str, Node] = {
            node.code: node
            for node in session.scalars(
                select(Node).where(Node.level == tenant.grid_level, Node.retired_at.is_(None))
            )
            if scope.contains(node)
        }
        self.seen_ids: dict[str, int] = {}
        self.dwellings: dict[tuple[int, str], int] = {}
        self.households: dict[tuple[int, str], int] = {}
        # The row naming each household's head (户主), by grid, address and 户号: a household
        # has one head, so a second row naming one is refused.
        self.heads: dict[tuple[str, str, str], int] = {}
        self.actor_id = actor.id if actor is not None else None
        self.seal_here = True  # False: import_file has the rows sealed by worker processes
        self._prepare_checks()

    # --- checking ------------------------------------------------------------------------
    # check() and _check_people() run once per row of a million-row import: the column
    # indexes, labels and bound functions they use are looked up once per import (in
    # _prepare_checks) or per batch, not per cell; see bench/README.md, registry.py.

    def _prepare_checks(self) -> None:
        index = self.index
        # The header each column's errors name (the file's, else the standard one).
        self.labels = {c.key: self._header(c.key) for c in _all_columns()}
        # The cells checked for control characters, in the order their errors are listed.
        self.checked = [(self.headers[key], index[key]) for key in self.headers]
        positions = [i for _label, i in self.checked]
        self.checked_cells: Callable[[list[Any]], tuple[Any, ...]] = (
            operator.itemgetter(*positions)
            if len(positions) > 1
            else lambda values: tuple(values[i] for i in positions)
        )
        people = ("grid", "name", "id_number", "phone", "birth_date", "address", "household")
        self.people_index = tuple(index[key] for key in (*people, "tags"))
        # The coded columns with what each word is stored as (str() of the code, once).
        self.coded = tuple(
            (key, index[key], {word: str(code) for word, code in words.items()}, words, allowed)
            for key, words, allowed in CODED_COLUMNS
        )

    def check(self, kind: str, batch: list[tuple[int, list[Any]]]) -> list[dict[str, Any]]:
        """The clean values of the good rows; each bad row is reported and kept aside."""
        good = []
        width = self.width
        people = kind in ("people", "households")
        check_row = self._check_people if people else getattr(self, f"_check_{kind}")
        bad_characters = self._bad_characters
        report_errors, rejected = self.report.errors, self.report.rejected
        for number, values in batch:
            if len(values) < width:
                values.extend([None] * (width - len(values)))  # trailing empty cells
            values.append(None)  # what a column the sheet lacks reads (index -1)
            errors = bad_characters(number, values)
            clean = check_row(number, values, errors)
            if kind == "households" and not errors and not clean.get("household"):
                errors.append(RowError(number, self._header("household"), str(_("不能为空"))))
            if errors:
                report_errors.extend(errors)
                rejected.append((number, values))
            else:
                clean["row"], clean["values"] = number, values
                good.append(clean)
        if self.storing and self.seal_here and people:
            self._seal(good)
        return good

    def _bad_characters(self, number: int, values: list[Any]) -> list[RowError]:
        # A cell with NUL or a control character would fail the insert of its whole batch (or
        # every later export listing it): the row is rejected, the column named. The row's
        # texts are searched at once, joined by a tab (which is allowed), and only a row with
        # a finding cell by cell: one search a row instead of one a cell.
        cells = self.checked_cells(values)
        try:
            joined = "\t".join(cells)
        except TypeError:  # an empty cell, a number or a date
            joined = "\t".join([v for v in cells if isinstance(v, str)])
        if bad_character(joined) is None:
            return []
        return [
            RowError(number, label, problem)
            for label, i in self.checked
            if isinstance(value := values[i], str) and (problem := bad_character(value)) is not None
        ]

    def _seal(self, good: list[dict[str, Any]]) -> None:
        # Encrypted and hashed here, in the checking thread, to keep the writer's thread free
        # for the database; a person found already registered is re-sealed by update_person.
        # A batch's values of a field at once: see DataKeys.seal_many.
        tenant_id, keys = self.tenant.id, self.keys
        for personal, key, hash_key, cipher_key in (
            (PersonalField.ID_NUMBER, "id_number", "id_hash", "id_cipher"),
            (PersonalField.PHONE, "phone", "phone_hash", "phone_cipher"),
        ):
            rows = [clean for clean in good if clean.get(key)]
            sealed = keys.seal_many(tenant_id, personal, [clean[key] for clean in rows])
            for clean, (search_hash, cipher) in zip(rows, sealed, strict=True):
                clean[hash_key], clean[cipher_key] = search_hash, cipher

    def _header(self, key: str) -> str:
        return self.headers.get(key) or next(c.header for c in _all_columns() if c.key == key)

    def _cell(self, values: list[Any], key: str) -> Any:
        return values[self.index[key]]  # see check(): every row is padded

    def _text(self, values: list[Any], key: str) -> str | None:
        return cell_text(values[self.index[key]])

    def _field(
        self, number: int, errors: list[RowError], key: str, check: Callable[[], Any]
    ) -> Any:
        try:
            return check()
        except DomainError as error:
            errors.append(RowError(number, self._header(key), str(error.message)))
            return None

    def _word(self, words: Mapping[str, Any], value: str, allowed: frozenset[str]) -> Any:
        if value in words:
            return str(words[value])
        if value in allowed:
            return value
        raise DomainError(_("取值无效，可选：%(values)s", values="、".join(words)))

    def _grid(self, number: int, values: list[Any], errors: list[RowError]) -> Node | None:
        code = self._text(values, "grid")
        if code is None:
            errors.append(RowError(number, self._header("grid"), str(_("不能为空"))))
            return None
        grid = self.grids.get(code)
        if grid is None:
            errors.append(
                RowError(number, self._header("grid"), str(_("没有这个网格，或不在你的管辖范围内")))
            )
        return grid

    def _check_people(
        self, number: int, values: list[Any], errors: list[RowError]
    ) -> dict[str, Any]:
        # Written out rather than through _field and _text (a closure and two calls a cell):
        # the same checks in the same order, so the same errors, in the same order.
        labels = self.labels
        at_grid, at_name, at_id, at_phone, at_birth, at_address, at_household, at_tags = (
            self.people_index
        )
        code = cell_text(values[at_grid])
        grid = None
        if code is None:
            errors.append(RowError(number, labels["grid"], str(_("不能为空"))))
        elif (grid := self.grids.get(code)) is None:
            errors.append(
                RowError(number, labels["grid"], str(_("没有这个网格，或不在你的管辖范围内")))
            )
        clean: dict[str, Any] = {"grid": grid}
        try:
            clean["name"] = registry.clean_name(cell_text(values[at_name]))
        except DomainError as error:
            clean["name"] = None
            errors.append(RowError(number, labels["name"], str(error.message)))
        raw_id = values[at_id]
        if isinstance(raw_id, float) and raw_id > 1e15:
            errors.append(
                RowError(
                    number,
                    labels["id_number"],
                    str(_("身份证号被存成了数字，已丢失末几位：请把这一列设为文本后重填")),
                )
            )
            raw_id = None
        id_text = cell_text(raw_id)
        if id_text is not None:
            try:
                id_number = personal_data.clean_id_number(id_text)
            except DomainError as error:
                id_number = None
                errors.append(RowError(number, labels["id_number"], str(error.message)))
            clean["id_number"] = id_number
            if id_number is not None:
                first = self.seen_ids.setdefault(id_number, number)
                if first != number:
                    errors.append(
                        RowError(
                            number,
                            labels["id_number"],
                            str(_("与第 %(row)d 行的公民身份号码重复", row=first)),
                        )
                    )
        phone = cell_text(values[at_phone])
        if phone is not None:
            try:
                clean["phone"] = personal_data.clean_phone(phone)
            except DomainError as error:
                clean["phone"] = None
                errors.append(RowError(number, labels["phone"], str(error.message)))
        for key, at, stored, words, allowed in self.coded:
            word = cell_text(values[at])
            if word is None:
                continue
            if word in stored:
                clean[key] = stored[word]
            elif word in allowed:
                clean[key] = word
            else:
                clean[key] = self._field(
                    number, errors, key, lambda w=word, ws=words, a=allowed: self._word(ws, w, a)
                )
        birth = values[at_birth]
        if birth is not None and "id_number" not in clean:
            clean["birth_date"] = self._field(number, errors, "birth_date", lambda: _date(birth))
        address = clean["address"] = cell_text(values[at_address])
        household = clean["household"] = cell_text(values[at_household])
        relation = clean.get("relation")
        if household and not address:
            errors.append(RowError(number, labels["address"], str(_("有户号时须填房屋地址"))))
        if relation and not household:
            errors.append(RowError(number, labels["household"], str(_("填了与户主关系时须填户号"))))
        if household and not relation:
            errors.append(RowError(number, labels["relation"], str(_("请填写与户主关系"))))
        if relation == Relation.HEAD and household and grid:
            key = (grid.code, address or "", household)
            first = self.heads.setdefault(key, number)
            if first != number:
                errors.append(
                    RowError(
                        number,
                        labels["relation"],
                        str(_("第 %(row)d 行已是这一户的户主：一户只有一个户主", row=first)),
                    )
                )
        tags = cell_text(values[at_tags])
        clean["tags"] = [] if tags is None else self._tags(number, tags, errors)
        return clean

    def _tags(self, number: int, tags: str, errors: list[RowError]) -> list[str]:
        codes = []
        for word in tags.replace("，", ",").replace("、", ",").replace(";", ",").split(","):
            word = word.strip()
            if not word:
                continue
            if word not in self.tag_words:
                errors.append(
                    RowError(
                        number, self.labels["tags"], str(_("没有这个人员标签：%(tag)s", tag=word))
                    )
                )
            else:
                codes.append(self.tag_words[word])
        return codes

    def _check_dwellings(
        self, number: int, values: list[Any], errors: list[RowError]
    ) -> dict[str, Any]:
        address = self._text(values, "address")
        return {
            "grid": self._grid(number, values, errors),
            "address": self._field(
                number,
                errors,
                "address",
                lambda: registry.clean_text(address, field="address", limit=300),
            ),
            "unit": self._text(values, "unit") or "",
            "number": self._text(values, "number") or "",
            "is_rental": (self._text(values, "is_rental") or "") in YES_WORDS,
        }

    def _check_sites(
        self, number: int, values: list[Any], errors: list[RowError]
    ) -> dict[str, Any]:
        name, kind, phone = (
            self._text(values, "name"),
            self._text(values, "kind"),
            self._text(values, "contact_phone"),
        )
        return {
            "grid": self._grid(number, values, errors),
            "name": self._field(number, errors, "name", lambda: registry.clean_name(name)),
            "kind": self._field(
                number, errors, "kind", lambda: self._word(SITE_KIND_WORDS, kind or "", frozenset())
            ),
            "address": self._text(values, "address") or "",
            "contact_name": self._text(values, "contact_name") or "",
            "contact_phone": self._field(
                number, errors, "contact_phone", lambda: personal_data.clean_phone(phone)
            )
            if phone
            else None,
            "is_key": (self._text(values, "is_key") or "") in YES_WORDS,
        }

    def seal_in(
        self, sealers: ProcessPoolExecutor, good: list[dict[str, Any]]
    ) -> list[Future[list[Any]]]:
        """The sealing of ``good`` handed to the workers, one chunk each."""
        values = [(r.get("id_number"), r.get("phone")) for r in good]
        size = -(-len(values) // SEAL_WORKERS) or 1
        return [
            sealers.submit(_seal_values, self.tenant.id, values[i : i + size])
            for i in range(0, len(values), size)
        ]

    # --- storing -------------------------------------------------------------------------

    def store_sealed(
        self,
        kind: str,
        good: list[dict[str, Any]],
        sealed: list[Future[list[Any]]],
        prepared_at: dt.datetime | None = None,
    ) -> None:
        """store(), once the workers' ciphertexts and hashes are in the rows (as _seal puts
        them: a key only where there is a value); ``prepared_at``: see prepare_people."""
        position = 0
        for chunk in sealed:
            for id_hash, id_cipher, phone_hash, phone_cipher in chunk.result():
                clean = good[position]
                position += 1
                if id_hash is not None:
                    clean["id_hash"], clean["id_cipher"] = id_hash, id_cipher
                if phone_hash is not None:
                    clean["phone_hash"], clean["phone_cipher"] = phone_hash, phone_cipher
        self.store(kind, good, prepared_at)

    def store(
        self, kind: str, good: list[dict[str, Any]], prepared_at: dt.datetime | None = None
    ) -> None:
        if kind in ("people", "households"):
            self._store_people(good, prepared_at)
        elif kind == "dwellings":
            for row in good:
                self._dwelling(
                    row["grid"],
                    row["address"],
                    unit=row["unit"],
                    number=row["number"],
                    is_rental=row["is_rental"],
                )
            self.report.created += len(good)
        else:
            for row in good:
                grid = row.pop("grid")
                del row["row"], row["values"]
                registry.create_site(self.session, self.tenant, self.actor, grid=grid, **row)
            self.report.created += len(good)

    def _dwelling(self, grid: Node, address: str, **values: Any) -> int:
        key = (grid.id, address)
        if key not in self.dwellings:
            found = self.session.scalar(
                select(Dwelling.id).where(Dwelling.node_id == grid.id, Dwelling.address == address)
            )
            if found is None:
                found = registry.create_dwelling(
                    self.session, self.tenant, self.actor, grid=grid, address=address, **values
                ).id
            self.dwellings[key] = found
        return self.dwellings[key]

    def _household(self, dwelling_id: int, number: str) -> int:
        key = (dwelling_id, number)
        if key not in self.households:
            found = self.session.scalar(
                select(Household.id).where(
                    Household.dwelling_id == dwelling_id, Household.number == number
                )
            )
            if found is None:
                dwelling = self.session.get(Dwelling, dwelling_id)
                found = registry.create_household(
                    self.session, self.actor, dwelling=dwelling, number=number
                ).id
            self.households[key] = found
        return self.households[key]

    def _store_people(self, good: list[dict[str, Any]], prepared_at: dt.datetime | None) -> None:
        for row in good:
            if row.get("address"):
                row["dwelling_id"] = self._dwelling(row["grid"], row["address"])
                if row["household"]:
                    row["household_id"] = self._household(row["dwelling_id"], row["household"])
        good = self._without_second_heads(good)
        # New people are inserted first; a row whose ID number is already registered is skipped
        # by the unique index (which the insert probes anyway) and then updates that person.
        # A first import thus costs no separate lookup of a million ID numbers.
        registered = self._insert_people(good, prepared_at)
        if registered:
            existing = {
                p.id_number_hash: p
                for p in self.session.scalars(
                    select(Person).where(
                        one_of(
                            self.session, Person.id_number_hash, [r["id_hash"] for r in registered]
                        )
                    )
                )
            }
            for row in registered:
                self._update(existing[row["id_hash"]], row)

    def _without_second_heads(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` but those naming a head (户主) for a household that already has another
        one, each refused with that head's name; a head the same file gives another relation
        makes way. One query a batch (a first import's households are all new)."""
        heads = [r for r in rows if r.get("household_id") and r.get("relation") == Relation.HEAD]
        if not heads:
            return rows
        registered: dict[int, list[tuple[str | None, str]]] = {}
        for household_id, id_hash, name in self.session.execute(
            select(Person.household_id, Person.id_number_hash, Person.name).where(
                Person.household_id.in_({r["household_id"] for r in heads}),
                Person.relation == Relation.HEAD.value,
                Person.merged_into_id.is_(None),
            )
        ):
            registered.setdefault(household_id, []).append((id_hash, name))
        # A head this batch gives another relation (in any household) makes way; a row that
        # names no relation leaves its person's as it is.
        stepping_down = {
            r["id_hash"]
            for r in rows
            if r.get("relation") not in (None, Relation.HEAD) and r.get("id_hash")
        }
        refused = set()
        for row in heads:
            others = [
                name
                for id_hash, name in registered.get(row["household_id"], [])
                if id_hash not in stepping_down
                and not (id_hash is not None and id_hash == row.get("id_hash"))
            ]
            if others:
                self.report.errors.append(
                    RowError(
                        row["row"],
                        self._header("relation"),
                        str(_("这一户已有户主：%(name)s", name=others[0])),
                    )
                )
                self.report.rejected.append((row["row"], row["values"]))
                refused.add(row["row"])
        return [r for r in rows if r["row"] not in refused]

    def _update(self, person: Person, row: dict[str, Any]) -> None:
        if not self.scope.contains(self.session.get(Node, person.node_id)):
            # counted, not stored: the importer may not change a record outside their scope
            self.report.errors.append(
                RowError(
                    row["row"],
                    self._header("id_number"),
                    str(_("此人已登记在你管辖范围以外的网格")),
                )
            )
            self.report.rejected.append((row["row"], row["values"]))
            return
        household = (
            self.session.get(Household, row["household_id"]) if row.get("household_id") else None
        )
        data = PersonInput(
            **{k: row.get(k) for k in ("name", "residence_type", "phone", "relation")}
        )
        before = person.updated_at
        registry.update_person(
            self.session, self.tenant, self.actor, person, data, household=household
        )
        if (
            household is None
            and row.get("dwelling_id")
            and person.dwelling_id != row["dwelling_id"]
        ):
            registry.record_change(
                self.session,
                self.actor,
                "person",
                person.id,
                row["grid"].id,
                "update",
                "dwelling_id",
                person.dwelling_id,
                row["dwelling_id"],
            )
            person.dwelling_id, person.node_id, person.updated_at = (
                row["dwelling_id"],
                row["grid"].id,
                utcnow(),
            )
        for code in row["tags"]:
            registry.tag_person(self.session, self.actor, person, code, catalogue=self.catalogue)
        if person.updated_at != before or row["tags"]:
            self.report.updated += 1
        else:
            self.report.unchanged += 1

    def prepare_people(self, good: list[dict[str, Any]], ids: list[int], now: dt.datetime) -> None:
        """Give each row of ``good`` its new id and, where it names no address (no dwelling
        or household to look up in the database), its row for ``persons`` already: run by the
        checking thread, which has time to spare, so the writer only stores (building the
        rows cost the writer ~3 s of a million-row import's 53)."""
        for person_id, row in zip(ids, good, strict=True):
            row["id"] = person_id
        if self.seal_here:  # else the ciphertexts come from the workers, in the writer
            self.person_rows([r for r in good if not r.get("address")], now)

    def person_rows(self, rows: list[dict[str, Any]], now: dt.datetime) -> None:
        """Put each row's tuple for ``persons`` (PERSON_COPY_COLUMNS) under ``person``."""
        # Run for every new person: the functions and the default looked up once.
        sex_of, birth_date_of = personal_data.sex_of, personal_data.birth_date_of
        registered, tenant_id = ResidenceType.REGISTERED.value, self.tenant.id
        for row in rows:
            get = row.get
            number = get("id_number")
            if number is not None:
                sex, birth = sex_of(number), birth_date_of(number)
            else:
                sex, birth = get("sex"), get("birth_date")
            household_id = get("household_id")
            row["person"] = (
                row["id"],
                tenant_id,
                row["grid"].id,
                row["name"],
                get("residence_type") or registered,
                sex,
                birth,
                get("id_cipher"),
                get("id_hash"),
                get("phone_cipher"),
                get("phone_hash"),
                get("dwelling_id"),
                household_id,
                get("relation") if household_id else None,
                None,
                now,
                now,
            )

    def _insert_people(
        self, rows: list[dict[str, Any]], prepared_at: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """Insert the people of ``rows`` (with ``prepared_at``: rows prepare_people gave
        their ids at that time, and their tuples where it could); the rows whose ID number is
        already registered are not inserted but returned."""
        if not rows:
            return []
        session, tenant_id = self.session, self.tenant.id
        now = prepared_at or utcnow()
        if prepared_at is None:
            for person_id, row in zip(
                allocate_ids(session, Person.__table__, len(rows)), rows, strict=True
            ):
                row["id"] = person_id
        self.person_rows([r for r in rows if "person" not in r], now)
        people = [row["person"] for row in rows]
        actor_id = self.actor_id
        tags = [
            (tenant_id, row["id"], code, now, actor_id)
            for row in rows
            if row["tags"]
            for code in dict.fromkeys(row["tags"])
        ]
        skipped = bulk_insert(
            session,
            Person.__table__,
            PERSON_COPY_COLUMNS,
            people,
            unique=PERSON_UNIQUE,
            history=creation_history(session, self.actor, "person", now),
        )
        tags = [tag for tag in tags if tag[1] not in skipped]
        if tags:
            bulk_insert(session, PersonTag.__table__, TAG_COPY_COLUMNS, tags)
        self.report.created += len(rows) - len(skipped)
        return [row for row in rows if row["id"] in skipped]


def _all_columns() -> tuple[Column, ...]:
    return PEOPLE_COLUMNS + DWELLING_COLUMNS + SITE_COLUMNS


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip().replace("/", "-").replace(".", "-"))
    except ValueError:
        raise DomainError(_("日期格式应为 2024-05-01")) from None


# --- bulk writing ----------------------------------------------------------------------------

PERSON_COPY_COLUMNS = (
    "id",
    "tenant_id",
    "node_id",
    "name",
    "residence_type",
    "sex",
    "birth_date",
    "id_number_cipher",
    "id_number_hash",
    "phone_cipher",
    "phone_hash",
    "dwelling_id",
    "household_id",
    "relation",
    "merged_into_id",
    "created_at",
    "updated_at",
)
TAG_COPY_COLUMNS = ("tenant_id", "person_id", "tag", "created_at", "created_by_id")


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys of ``table``: from its sequence on PostgreSQL; on SQLite,
    after the largest (the import's transaction holds SQLite's single write lock)."""
    if session.get_bind().dialect.name != "postgresql":
        start = session.scalar(select(func.coalesce(func.max(table.c.id), 0))) + 1
        return list(range(start, start + count))
    return draw_ids(session, table, count)


def draw_ids(database: Session | Connection, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys of ``table`` from its sequence (PostgreSQL), through any
    session or connection: a sequence is no part of a transaction, so ids drawn on one
    connection are for any other to insert (and lost, a gap, if it rolls back)."""
    params = {"table": table.name, "n": count}
    # Only the first and last id travel: fetching thousands of ids cost more than the rest of
    # the batch's bookkeeping. They are consecutive unless another session drew from the
    # sequence at the same moment; then (rarely) the ids are drawn again and all fetched.
    first, last = database.execute(_FIRST_AND_LAST_ID, params).one()
    if last - first + 1 == count:
        return list(range(first, last + 1))
    return list(database.scalars(_DRAW_IDS, params))


# The sequence is looked up once (a scalar subquery), not once per id.
_DRAW_IDS = text(
    "SELECT nextval((SELECT pg_get_serial_sequence(:table, 'id')::regclass)) AS id"
    " FROM generate_series(1, :n)"
)
_FIRST_AND_LAST_ID = text(
    "SELECT min(id), max(id) FROM (SELECT nextval("
    "(SELECT pg_get_serial_sequence(:table, 'id')::regclass)) AS id"
    " FROM generate_series(1, :n)) AS drawn"
)


def one_of(session: Session, column: Any, values: list[Any]) -> Any:
    """``column IN values`` for a long list: one array parameter on PostgreSQL (an expanded
    IN of thousands of parameters costs more to build and parse than to run)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("values", values, type_=ARRAY(column.type)))
    return column.in_(values)


def creation_history(
    session: Session, actor: User | None, object_type: str, at: dt.datetime
) -> dict[str, Any]:
    """What every history entry "created" of records stored in bulk has in common; each adds
    its record's id (``object_id``) and grid (``node_id``)."""
    actor_id, actor_name = registry._actor_id_and_name(actor)
    return {
        "tenant_id": registry._tenant(session),
        "object_type": object_type,
        "action": "create",
        "actor_id": actor_id,
        "actor_name": actor_name,
        "at": at,
    }


PERSON_UNIQUE = ("tenant_id", "id_number_hash")  # uq_persons_tenant_id_id_number_hash


def bulk_insert(
    session: Session,
    table: Table,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    *,
    unique: tuple[str, ...] | None = None,
    history: dict[str, Any] | None = None,
) -> set[int]:
    """Insert ``rows`` into ``table``: COPY on PostgreSQL (in the session's transaction, so the
    tenant given to row-level security applies), one executemany elsewhere.

    With ``unique`` (the columns of a unique index), rows that would repeat a stored value
    are skipped, and their ids returned (``columns[0]`` must then be the id). With
    ``history`` (from creation_history), each row inserted gets its "created" entry in the
    change history (``table`` must then have ``node_id``)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return _insert_many(session, table, columns, rows, unique, history)
    # PostgreSQL refuses COPY FROM into a table with row-level security: copy into a
    # temporary staging table, then one INSERT … SELECT, which the policy checks. The history
    # entries are written by the same statement, from what the insert returns, so neither
    # the ids nor the grids travel back and forth.
    from psycopg import sql  # only installed with PostgreSQL support

    target, staging = sql.Identifier(table.name), sql.Identifier(f"import_{table.name}")
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    cursor = connection.connection.driver_connection.cursor()
    cursor.execute(
        sql.SQL(
            "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP"
        ).format(staging, target)
    )
    # Binary COPY: a third of the client's work per row of the text format (no bytea hex,
    # no escaping), and the rows are written while the checking thread waits for the GIL.
    cursor.execute(sql.SQL("SELECT {} FROM {} LIMIT 0").format(names, staging))
    types = [column.type_code for column in cursor.description or ()]
    with cursor.copy(
        sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(staging, names)
    ) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)
    insert = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(target, names, names, staging)
    if unique:
        insert += sql.SQL(" ON CONFLICT ({}) DO NOTHING").format(
            sql.SQL(", ").join(map(sql.Identifier, unique))
        )
    if history is None and not unique:
        cursor.execute(insert)
    else:
        statement, params = _insert_returning_skipped(
            connection.dialect, insert, staging, sql.Identifier(columns[0]), history
        )
        cursor.execute(statement, params)
    skipped = {row[0] for row in cursor.fetchall()} if unique else set()
    cursor.execute(sql.SQL("TRUNCATE {}").format(staging))
    return skipped


def _insert_returning_skipped(
    dialect: Any, insert: Any, staging: Any, id_column: Any, history: dict[str, Any] | None
) -> tuple[Any, list[Any]]:
    """``insert`` (from ``staging``) as one statement that also writes each inserted row's
    history entry, if asked, and returns the ids of the staged rows it skipped."""
    from psycopg import sql

    returning = [id_column] if history is None else [id_column, sql.Identifier("node_id")]
    statement = sql.SQL("WITH new AS ({} RETURNING {})").format(
        insert, sql.SQL(", ").join(returning)
    )
    params: list[Any] = []
    if history is not None:
        # Typed placeholders (a NULL actor would be taken for text), and the values bound as
        # the ORM would bind them (UTCDateTime).
        changes = RecordChange.__table__
        placeholders = [
            sql.SQL("{}::{}").format(
                sql.Placeholder(), sql.SQL(changes.c[key].type.compile(dialect))
            )
            for key in history
        ]
        statement += sql.SQL(
            ", history AS (INSERT INTO record_changes ({}, object_id, node_id)"
            " SELECT {}, {}, node_id FROM new)"
        ).format(
            sql.SQL(", ").join(map(sql.Identifier, history)),
            sql.SQL(", ").join(placeholders),
            id_column,
        )
        for key, value in history.items():
            bind = changes.c[key].type.bind_processor(dialect)
            params.append(bind(value) if bind is not None else value)
    statement += sql.SQL(" SELECT {} FROM {} WHERE {} NOT IN (SELECT {} FROM new)").format(
        id_column, staging, id_column, id_column
    )
    return statement, params


def _insert_many(
    session: Session,
    table: Table,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    unique: tuple[str, ...] | None,
    history: dict[str, Any] | None,
) -> set[int]:
    """bulk_insert on SQLite: one executemany, then which ids made it."""
    values = [dict(zip(columns, row, strict=True)) for row in rows]
    if unique:
        session.execute(sqlite_insert(table).on_conflict_do_nothing(index_elements=unique), values)
    else:
        session.execute(table.insert(), values)
    if not (unique or history):
        return set()
    ids = [row[0] for row in rows]
    id_column = table.c[columns[0]]
    stored = {
        row_id: node_id
        for row_id, node_id in session.execute(
            select(id_column, table.c.node_id).where(id_column.in_(ids))
        )
    }
    if history is not None and (
        entries := [history | {"object_id": i, "node_id": stored[i]} for i in ids if i in stored]
    ):
        session.execute(RecordChange.__table__.insert(), entries)
    return {i for i in ids if i not in stored}


# --- imports as jobs -------------------------------------------------------------------------

UPLOAD_PURPOSE = "registry_import"
REJECTED_PURPOSE = "registry_import_rejected"


def start_import(
    session: Session,
    actor: User,
    *,
    kind: str,
    name: str,
    data: bytes | IO[bytes],
    dry_run: bool = False,
    strict: bool = False,
    mapping: Mapping[str, str] | None = None,
) -> ImportRun:
    """Store the upload and start its import (committed, then queued: ``runs.launch``); a
    refused upload leaves nothing. ``mapping`` names the columns of the county's own headers
    (see resolve_mapping)."""
    if kind not in KINDS:
        raise DomainError(_("不支持的导入类型"), field="kind")
    resolved = resolve_mapping(KINDS[kind], mapping)  # a bad one is refused before queueing
    stored = files.store_file(
        session, actor, name=name, data=data, kinds={FileKind.SPREADSHEET}, purpose=UPLOAD_PURPOSE
    )
    run = ImportRun(
        kind=kind,
        file_id=stored.id,
        is_dry_run=dry_run,
        is_strict=strict,
        mapping=resolved or None,
        created_by_id=actor.id,
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor,
        "registry.import.start",
        "import_run",
        run.id,
        after={"kind": kind, "file_id": stored.id, "mapping": resolved or None},
    )
    return runs.launch(session, run, run_import)


@job
def run_import(session: Session, run_id: int) -> dict[str, Any]:
    """The job: import the run's file as its author, keep the report and the rejected rows."""
    run = session.scalars(select(ImportRun).where(ImportRun.id == run_id)).one()
    actor = session.get(User, run.created_by_id) if run.created_by_id else None
    tenant = session.get(Tenant, run.tenant_id)
    scope = scope_of(session, actor) if actor is not None else Scope(everything=True)
    run.status = RunStatus.RUNNING.value

    def work() -> dict[str, Any]:
        try:
            with files.open_file(files.get_file(session, run.file_id)) as source:
                report = import_file(
                    session,
                    tenant,
                    actor,
                    scope,
                    run.kind,
                    source,
                    dry_run=run.is_dry_run,
                    strict=run.is_strict,
                    mapping=run.mapping,
                    progress=report_progress,
                )
        except DomainError as error:
            run.status, run.error, run.finished_at = (
                RunStatus.FAILED.value,
                str(error.message),
                utcnow(),
            )
            _discard_upload(session, run)
            return {"status": run.status, "error": run.error}
        _discard_upload(session, run)
        if report.rejected:
            rejected = files.store_file(
                session,
                actor,
                name=f"rejected-{run.id}.xlsx",
                data=rejected_workbook(report),
                kinds={FileKind.SPREADSHEET},
                purpose=REJECTED_PURPOSE,
            )
            run.rejected_file_id = rejected.id
        run.report, run.status, run.finished_at = report.as_dict(), RunStatus.DONE.value, utcnow()
        return {"status": run.status, **run.report}

    outcome = runs.guarded(session, run, work)
    if run.status == RunStatus.FAILED and run.file_id is not None:
        _discard_upload(session, run)  # the job broke: the upload goes all the same
    return outcome


def _discard_upload(session: Session, run: ImportRun) -> None:
    # The upload holds citizens' ID numbers and is of no use once read: its bytes and its row
    # go (a dry run's file too: the apply is a new upload). The rejected rows stay, for the
    # importer alone (rejected_file).
    stored = files.get_file(session, run.file_id) if run.file_id is not None else None
    run.file_id = None
    if stored is not None:
        files.delete_file(session, stored)


def expire_rejected_files(session: Session, before: dt.datetime) -> int:
    """Delete the rejected-rows files of the current county's imports that finished before
    ``before`` (they hold ID numbers as typed); the runs and their reports stay."""
    finished = session.scalars(
        select(ImportRun).where(
            ImportRun.rejected_file_id.is_not(None), ImportRun.finished_at < before
        )
    ).all()
    return files.delete_files_of(session, finished, "rejected_file_id")


def rejected_file(session: Session, actor: User, run: ImportRun) -> StoredFile:
    """The rejected rows of ``run`` (original cells, ID numbers included): only the user who ran
    the import may have them, not even a county administrator; NotFound for anyone else."""
    if run.created_by_id != actor.id or not (run.report or {}).get("rejected"):
        raise NotFound(_("这次导入没有被拒绝的行"))
    if run.rejected_file_id is None:
        raise NotFound(
            _(
                "被拒绝的行的文件已超过保存期限（%(days)d 天），已删除",
                days=files.keep_days(),
            )
        )
    return files.get_file(session, run.rejected_file_id)


def import_runs(session: Session, actor: User) -> list[ImportRun]:
    """The latest imports: all of them for a county administrator, else the actor's own."""
    return runs.recent(session, ImportRun, actor, everyone=_sees_all_imports(actor), limit=50)


def visible_import_run(session: Session, actor: User, run_id: int) -> ImportRun:
    """A run its author or a county administrator may follow; NotFound for anyone else."""
    return runs.visible_run(session, ImportRun, actor, run_id, everyone=_sees_all_imports(actor))


def _sees_all_imports(actor: User) -> bool:
    return actor.role == Role.COUNTY_ADMIN
