"""Exporting a filtered list of people to .xlsx, masked as the reader's role requires.

By default every ID number and phone is masked. A role allowed to unmask a field (see
gridgov.core.personal_data.UNMASK_ROLES) gets it in clear only by giving a reason, and the
export is then written to the audit log with the reason and how many people it held.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from gridgov.core import personal_data
from gridgov.core.accounts.models import User
from gridgov.core.audit import service as audit
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.personal_data import PersonalField
from gridgov.core.registry import service as registry
from gridgov.core.registry.models import Person
from gridgov.core.registry.spreadsheet import write_workbook

HEADERS = (
    "姓名",
    "公民身份号码",
    "联系电话",
    "性别",
    "出生日期",
    "人口类型",
    "网格编码",
    "与户主关系",
    "人员标签",
)
SEX_WORDS = {"male": "男", "female": "女"}
RESIDENCE_WORDS = {"registered": "户籍", "floating": "流动"}


def export_people(
    session: Session, actor: User, query: Select[Any], *, reason: str | None = None
) -> bytes:
    """The people of ``query`` as an .xlsx; clear values only with a reason (audited)."""
    clear: set[PersonalField] = set()
    if reason is not None:
        if len(reason.strip()) < 2:
            raise DomainError(_("请说明导出完整信息的理由"), field="reason")
        clear = {f for f in PersonalField if personal_data.may_unmask(actor.role, f)}
        if not clear:
            raise DomainError(_("你的角色无权导出完整的个人信息"), field="reason")
    people = session.scalars(query.options(selectinload(Person.tags))).all()
    node_ids = {p.node_id for p in people}
    codes = dict(session.execute(select(Node.id, Node.code).where(Node.id.in_(node_ids))).all())

    def shown(person: Person, field: PersonalField) -> str | None:
        if field in clear:
            return registry.plain_value(person, field)
        return registry.masked_value(person, field)

    rows = (
        (
            p.name,
            shown(p, PersonalField.ID_NUMBER),
            shown(p, PersonalField.PHONE),
            SEX_WORDS.get(p.sex or "", ""),
            p.birth_date,
            RESIDENCE_WORDS.get(p.residence_type, p.residence_type),
            codes[p.node_id],
            p.relation or "",
            "、".join(t.tag for t in p.tags),
        )
        for p in people
    )
    data = write_workbook(HEADERS, rows, "people")
    audit.record(
        session,
        actor,
        "person.export",
        "person",
        "list",
        after={"count": len(people), "unmasked": sorted(clear), "reason": reason},
    )
    return data
