"""The people export writes what a clerk reads — 与户主关系 and tags in words, never the stored
codes — and those words are what an import reads back."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from gridgov.core.registry import exports
from gridgov.core.registry import service as registry
from gridgov.core.registry.imports import RELATION_WORDS
from gridgov.core.registry.models import Person, Relation
from gridgov.core.registry.service import PersonInput


def test_relations_and_tags_are_exported_in_words_an_import_reads_back(session, home):
    tenant = home.county.tenant
    head = registry.create_person(
        session, tenant, None, PersonInput(name="王示例", relation="head"), household=home.household
    )
    mother = registry.create_person(
        session,
        tenant,
        None,
        PersonInput(name="李示例", relation="parent"),
        household=home.household,
    )
    registry.tag_person(session, None, mother, "empty_nest_elderly")
    data = exports.export_people(session, home.county.admin, select(Person).order_by(Person.id))
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    column = {name: i for i, name in enumerate(rows[0])}
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[head.name][column["与户主关系"]] == "户主"
    assert by_name[mother.name][column["与户主关系"]] == "父母"
    assert by_name[mother.name][column["人员标签"]] == "空巢老人"
    # Every relation's word reads back as that relation.
    for code, word in exports.RELATION_WORDS.items():
        assert RELATION_WORDS[word] == Relation(code)
