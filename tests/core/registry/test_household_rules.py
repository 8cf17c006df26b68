"""A household has one head (户主), and a visit says what it found."""

from __future__ import annotations

import pytest

from gridgov.core.errors import DomainError
from gridgov.core.registry import service as registry
from gridgov.core.registry.service import PersonInput


def add(session, home, name, relation):
    return registry.create_person(
        session,
        home.county.tenant,
        None,
        PersonInput(name=name, relation=relation),
        household=home.household,
    )


def test_a_second_head_is_refused_naming_the_first(session, home):
    head = add(session, home, "王示例", "head")
    with pytest.raises(DomainError) as second:
        add(session, home, "王二", "head")
    assert second.value.field == "relation" and "王示例" in str(second.value.message)
    child = add(session, home, "王三", "child")
    with pytest.raises(DomainError):
        registry.update_person(
            session, home.county.tenant, None, child, PersonInput(relation="head")
        )
    # The head passes it on: first no longer head, then the other one.
    registry.update_person(session, home.county.tenant, None, head, PersonInput(relation="parent"))
    registry.update_person(session, home.county.tenant, None, child, PersonInput(relation="head"))
    assert child.relation == "head"


def test_an_empty_visit_is_refused(session, home):
    with pytest.raises(DomainError) as empty:
        registry.record_visit(session, home.county.workers[0], home.household, notes="  ")
    assert empty.value.field == "notes"
    assert registry.visits_of(session, home.household) == []
