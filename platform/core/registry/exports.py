"""Exporting a filtered list of people to .xlsx, masked as the reader's role requires.

By default every ID number and phone is masked and a birth date shows as its year, as the
reader's role is shown them on every page (gridgov.core.registry.disclosure). A role allowed to
unmask a field gets it in clear only by giving a reason (and the birth date with a clear ID
number, which holds it); every export is written to the audit log with the reason, if any, and
how many people it held.

A long list is built by a job (``start_export`` then ``run_export``), with its progress; the
file is kept for its author alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from gridgov.core import runtime
from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import DomainError
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind, RunStatus
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.jobs import job, report_progress
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import disclosure
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import ExportRun, Person
from gridgov.core.registry.spreadsheet import write_workbook

HEADERS = (
    "姓名",
    "公民身份号码",
    "联系电话",
    "性别",
    "出生日期",  # "出生年份" where the ID number is masked: only the year is shown then
    "人口类型",
    "网格编码",
    "与户主关系",
    "人员标签",
)
BIRTH_YEAR_HEADER = "出生年份"
PROGRESS_EVERY = 1000  # rows between two progress reports of an export job
EXPORT_PURPOSE = "registry_export"
# What a clerk reads in the sheet, and what an import of it reads back (``imports``): words,
# never the stored codes.
SEX_WORDS = {"male": "男", "female": "女"}
RESIDENCE_WORDS = {"registered": "户籍", "floating": "流动"}
RELATION_WORDS = {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "grandchild": "孙子女",
    "grandparent": "祖父母",
    "sibling": "兄弟姐妹",
    "other": "其他",
}


def clear_fields(actor: User, reason: str | None) -> set[PersonalField]:
    """The fields an export shows in clear: none without a reason, else those the actor's role
    may unmask (DomainError on ``reason`` if it is too short or the role may unmask none)."""
    if reason is None:
        return set()
    if len(reason.strip()) < 2:
        raise DomainError(_("请说明导出完整信息的理由"), field="reason")
    clear = {f for f in PersonalField if disclosure.may_unmask(actor.role, f)}
    if not clear:
        raise DomainError(_("你的角色无权导出完整的个人信息"), field="reason")
    return clear


def export_people(
    session: Session,
    actor: User,
    query: Select[Any],
    *,
    reason: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The people of ``query`` as an .xlsx; clear values only with a reason (audited)."""
    return _export(session, actor, query, reason, progress)[0]


def _export(
    session: Session,
    actor: User,
    query: Select[Any],
    reason: str | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[bytes, int]:
    clear = clear_fields(actor, reason)
    people = session.scalars(query.options(selectinload(Person.tags))).all()
    node_ids = {p.node_id for p in people}
    codes = dict(session.execute(select(Node.id, Node.code).where(Node.id.in_(node_ids))).all())

    seen = disclosure.disclosure(actor.role)
    # Every installed module's tags too: a tag stays readable after its module was suspended.
    tag_words = {d.code: d.label for d in runtime.current().plugins.tags()}

    def shown(person: Person, field: PersonalField) -> str | None:
        if field in clear:
            return registry.plain_value(person, field)
        return registry.masked_value(person, field, actor.role)

    def born(person: Person) -> Any:
        return (
            person.birth_date if PersonalField.ID_NUMBER in clear else seen.birth(person.birth_date)
        )

    def counted(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for done, row in enumerate(rows, start=1):
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, len(people))
            yield row

    rows = (
        (
            p.name,
            shown(p, PersonalField.ID_NUMBER),
            shown(p, PersonalField.PHONE),
            SEX_WORDS.get(p.sex or "", ""),
            born(p),
            RESIDENCE_WORDS.get(p.residence_type, p.residence_type),
            codes[p.node_id],
            RELATION_WORDS.get(p.relation or "", p.relation or ""),
            "、".join(tag_words.get(t.tag, t.tag) for t in p.tags),
        )
        for p in people
    )
    headers = HEADERS
    if PersonalField.ID_NUMBER not in clear:
        headers = tuple(BIRTH_YEAR_HEADER if h == "出生日期" else h for h in HEADERS)
    data = write_workbook(headers, counted(rows), "people")
    audit.record(
        session,
        actor,
        "person.export",
        "person",
        "list",
        after={"count": len(people), "unmasked": sorted(clear), "reason": reason},
    )
    return data, len(people)


# --- exports as jobs -------------------------------------------------------------------------


def start_export(
    session: Session,
    actor: User,
    *,
    q: str | None = None,
    filters: dict[str, Any] | None = None,
    reason: str | None = None,
) -> ExportRun:
    """Record an export of the people ``actor`` would find with ``q`` and ``filters`` (as in
    ``registry.search_people``) and start it (committed, then queued: ``runs.launch``). An ID
    number or phone searched for is kept only as its search hash, and is an exact search like
    any other: only for the roles that need one, limited and audited."""
    clear_fields(actor, reason)  # refused now rather than in the job
    registry.search_people(session, actor, scope_of(session, actor), q, **(filters or {}))
    run = ExportRun(
        filters={**registry.search_filters(session, q), **(filters or {})},
        reason=reason.strip()[:200] if reason is not None else None,
        created_by_id=actor.id,
    )
    session.add(run)
    return runs.launch(session, run, run_export)


@job
def run_export(session: Session, run_id: int) -> dict[str, Any]:
    """The job: build the run's .xlsx in its author's scope, as of now, and keep it."""
    run = session.scalars(select(ExportRun).where(ExportRun.id == run_id)).one()
    actor = session.get(User, run.created_by_id) if run.created_by_id else None
    if actor is None:  # the author's account was deleted meanwhile: nobody may have it
        run.status, run.finished_at = RunStatus.FAILED.value, utcnow()
        return {"status": run.status}
    run.status = RunStatus.RUNNING.value

    def build() -> dict[str, Any]:
        query = registry.people_query(scope_of(session, actor), **run.filters)
        data, run.count = _export(session, actor, query, run.reason, report_progress)
        stored = files.store_file(
            session,
            actor,
            name=f"people-{run.id}.xlsx",
            data=data,
            kinds={FileKind.SPREADSHEET},
            purpose=EXPORT_PURPOSE,
        )
        run.file_id, run.status, run.finished_at = stored.id, RunStatus.DONE.value, utcnow()
        return {"status": run.status, "count": run.count}

    return runs.guarded(session, run, build)


def export_runs(session: Session, actor: User) -> list[ExportRun]:
    """The actor's latest exports, newest first."""
    return runs.recent(session, ExportRun, actor, limit=20)
