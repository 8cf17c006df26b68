"""Registry benchmark: import N people from .xlsx, compare with a raw COPY of the same rows,
then search and list in the resulting tenant. Prints figures; asserts nothing.

    BENCH_APP=postgresql+psycopg://app:…@host/db BENCH_OWNER=postgresql+psycopg://owner:…@host/db \\
        .venv/bin/python bench/registry.py --people 1000000 [--sqlite-people 100000]

The PostgreSQL database named by BENCH_OWNER is emptied (schema dropped) first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from gridgov.app import create_app
from gridgov.core import personal_data
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import db_session, make_engine, set_tenant
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import imports
from gridgov.core.registry import service as registry
from gridgov.core.registry.spreadsheet import open_sheet, write_workbook
from gridgov.core.registry.synthetic import people
from gridgov.core.tenancy import service as tenancy
from gridgov.migrations import upgrade

GRIDS = 100
HEADERS = ["姓名", "公民身份号码", "联系电话", "人口类型", "网格编码"]


def log(message: str) -> None:
    print(message, flush=True)


def reset_postgres(owner_url: str, app_url: str) -> None:
    from sqlalchemy import make_url

    engine = make_engine(owner_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{make_url(app_url).username}"'))
    engine.dispose()


def make_county(session):
    tenant = tenancy.create_tenant(
        session, None, slug="bench", name="基准县", level_names=["县", "乡镇", "社区", "网格"]
    )
    set_tenant(session, tenant.id)
    top = hierarchy.create_node(session, tenant, None, parent=None, code="B", name="基准县")
    town = hierarchy.create_node(session, tenant, None, parent=top, code="B-T", name="镇")
    community = hierarchy.create_node(session, tenant, None, parent=town, code="B-C", name="社区")
    grids = [
        hierarchy.create_node(
            session, tenant, None, parent=community, code=f"G{i:03d}", name=f"网格{i}"
        )
        for i in range(GRIDS)
    ]
    worker = accounts.create_user(
        session, None, username="w0", name="网格员", role=Role.GRID_WORKER
    )
    accounts.assign(session, None, tenant, worker, grids[0])
    session.commit()
    return tenant, grids, worker


def write_xlsx(path: Path, count: int) -> float:
    start = time.perf_counter()
    rows = (
        [p.name, p.id_number, p.phone, "户籍", f"G{i % GRIDS:03d}"]
        for i, p in enumerate(people(count))
    )
    path.write_bytes(write_workbook(HEADERS, rows, "people"))
    return time.perf_counter() - start


def parse_only(path: Path) -> float:
    start = time.perf_counter()
    sheet = open_sheet(str(path), imports.PEOPLE_COLUMNS)
    for _row in sheet.rows:
        pass
    return time.perf_counter() - start


def run_import(session, tenant, path: Path) -> tuple[float, imports.ImportReport]:
    start = time.perf_counter()
    report = imports.import_file(session, tenant, None, scope_of_everything(), "people", str(path))
    session.commit()
    return time.perf_counter() - start, report


def scope_of_everything():
    from gridgov.core.accounts.scope import Scope

    return Scope(everything=True)


def raw_copy(owner_url: str, tenant_id: int, count: int, *, foreign_keys: bool) -> float:
    """COPY the same people, already encrypted, into a copy of the persons table (same
    columns and indexes, no RLS) as the owner: the database's own speed for these rows.
    With ``foreign_keys`` the copy also has persons' foreign keys, checked row by row as
    they are for the import (COPY refuses a table with row-level security, so that is the
    one thing left out)."""
    keys = personal_data.data_keys()
    now = registry.utcnow()
    rows = []
    for i, p in enumerate(people(count)):
        rows.append(
            (
                i + 1,
                tenant_id,
                1,
                p.name,
                "registered",
                "male",
                p.birth_date,
                keys.encrypt(tenant_id, PersonalField.ID_NUMBER, p.id_number),
                keys.search_hash(tenant_id, PersonalField.ID_NUMBER, p.id_number),
                keys.encrypt(tenant_id, PersonalField.PHONE, p.phone),
                keys.search_hash(tenant_id, PersonalField.PHONE, p.phone),
                None,
                None,
                None,
                None,
                now,
                now,
            )
        )
    engine = make_engine(owner_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_copy")
        conn.exec_driver_sql(
            "CREATE TABLE bench_copy (LIKE persons INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
        if foreign_keys:
            definitions = conn.exec_driver_sql(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = 'persons'::regclass AND contype = 'f'"
            ).scalars()
            for definition in list(definitions):
                conn.exec_driver_sql(f"ALTER TABLE bench_copy ADD {definition}")
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()
        start = time.perf_counter()
        columns = ", ".join(imports.PERSON_COPY_COLUMNS)
        with cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        elapsed = time.perf_counter() - start
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_copy")
    engine.dispose()
    return elapsed


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000


def timed(action, repeat: int) -> list[float]:
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        action(i)
        samples.append(time.perf_counter() - start)
    return samples


def searches(session, tenant, grids, worker, count: int, repeat: int = 200) -> None:
    admin = accounts.create_user(
        session, None, username="admin0", name="管理员", role=Role.COUNTY_ADMIN
    )
    session.commit()
    admin_scope = scope_of_everything()
    worker_scope = scope_of(session, worker)
    sample = [p for i, p in enumerate(people(min(count, 5000))) if i % 25 == 0]

    def by_id(i: int) -> None:
        person = sample[i % len(sample)]
        found = session.scalars(
            registry.search_people(session, admin, admin_scope, person.id_number).limit(50)
        ).all()
        assert len(found) == 1

    def by_name(i: int) -> None:
        prefix = sample[i % len(sample)].name[:2]
        found = session.scalars(
            registry.search_people(session, admin, admin_scope, prefix).limit(50)
        ).all()
        assert found

    def grid_list(i: int) -> None:
        query = registry.people_query(worker_scope, grid_id=grids[0].id).limit(50)
        listed = session.scalars(query).all()
        masked = [
            (
                p.name,
                registry.masked_value(p, PersonalField.ID_NUMBER, worker.role),
                registry.masked_value(p, PersonalField.PHONE, worker.role),
            )
            for p in listed
        ]
        assert len(masked) == 50

    for label, action in (
        ("search by exact ID number (checked against the limit, audited)", by_id),
        ("search by name prefix (first page of 50)", by_name),
        ("list a grid's people, masked (page of 50, grid worker scope)", grid_list),
    ):
        action(0)
        samples = timed(action, repeat)
        log(
            f"  {label}: p95 {p95(samples):.1f} ms,"
            f" median {statistics.median(samples) * 1000:.1f} ms"
        )


def bench(database: str, owner_url: str, app_url: str, count: int, workdir: Path) -> None:
    log(f"\n== {database}: {count:,} people ==")
    if database == "postgresql":
        reset_postgres(owner_url, app_url)
    upgrade(owner_url, app_url)
    app = create_app(
        {
            "DATABASE_URL": app_url,
            "MIGRATION_DATABASE_URL": owner_url,
            "INSTANCE_PATH": str(workdir),
            # The search benchmark runs hundreds of exact searches as one user: each is still
            # checked against the limit and audited, it only never reaches it.
            "GRIDGOV_EXACT_SEARCH_LIMITS": "1000000 per hour",
        }
    )
    with app.app_context():
        session = db_session()
        tenant, grids, worker = make_county(session)
        path = workdir / f"people-{count}.xlsx"
        if not path.exists():
            log(f"  writing {path.name} (openpyxl write-only): {write_xlsx(path, count):.1f} s")
        parse = parse_only(path)
        log(
            f"  parsing the .xlsx alone (python-calamine): {parse:.1f} s,"
            f" {count / parse:,.0f} rows/s"
        )
        elapsed, report = run_import(session, tenant, path)
        log(
            f"  import (parse + validate + encrypt + store): {elapsed:.1f} s,"
            f" {report.created / elapsed:,.0f} people/s ({report.created:,} created,"
            f" {report.rejected_rows} rejected)"
        )
        pipeline = elapsed - parse
        log(f"  import without parsing: {pipeline:.1f} s, {count / pipeline:,.0f} people/s")
        if database == "postgresql":
            for label, foreign_keys in (
                ("same indexes and foreign keys", True),
                ("same indexes, no foreign keys", False),
            ):
                copy = raw_copy(owner_url, tenant.id, count, foreign_keys=foreign_keys)
                log(
                    f"  raw COPY of the same rows into a table with the {label}"
                    f" (pre-encrypted, owner, no RLS): {copy:.1f} s, {count / copy:,.0f} rows/s"
                )
                log(
                    f"    import / COPY speed: {copy / elapsed:.0%}"
                    f" (without parsing: {copy / pipeline:.0%})"
                )
            session.execute(text("ANALYZE persons"))
            session.commit()
        set_tenant(session, tenant.id)
        searches(session, tenant, grids, worker, count)
        db_session.remove()
    app.extensions["gridgov.engine"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--sqlite-people", type=int, default=100_000)
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the generated .xlsx files here and reuse them (writing 1M rows takes minutes)",
    )
    args = parser.parse_args()
    app_url, owner_url = os.environ.get("BENCH_APP"), os.environ.get("BENCH_OWNER")
    if not (app_url and owner_url):
        sys.exit("set BENCH_APP and BENCH_OWNER (PostgreSQL, application role and owner)")
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "bench.db").unlink(missing_ok=True)
        bench("postgresql", owner_url, app_url, args.people, workdir)
        if args.sqlite_people:
            sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
            bench("sqlite", sqlite_url, sqlite_url, args.sqlite_people, workdir)


if __name__ == "__main__":
    main()
