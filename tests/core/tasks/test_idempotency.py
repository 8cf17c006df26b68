"""Idempotency keys and external ids belong to their reporter: a resend is harmless, another
reporter's equal key makes their own task, never hands them someone else's."""

from __future__ import annotations

import pytest

from gridgov.core.accounts.scope import scope_of
from gridgov.core.errors import Conflict, DomainError
from gridgov.core.tasks import public, reporting
from gridgov.core.tasks.models import Task


def test_a_key_reused_by_another_reporter_makes_their_own_task(county, report):
    mine = report(idempotency_key="draft-1", title="路灯不亮")
    theirs = report(
        by=county.workers[1], node=county.grids[1], idempotency_key="draft-1", title="井盖缺失"
    )
    assert theirs.id != mine.id
    assert (theirs.reporter_id, theirs.node_id, theirs.title) == (
        county.workers[1].id,
        county.grids[1].id,
        "井盖缺失",
    )


def test_the_same_reporter_resending_gets_their_own_task_back(session, county, report):
    first = report(idempotency_key="draft-2")
    again, created = reporting.report_task(
        session,
        county.workers[0],
        scope_of(session, county.workers[0]),
        county.grids[0],
        reporting.Report(category="民生事项", title=" 路灯不亮 ", idempotency_key="draft-2"),
    )
    assert (again.id, created) == (first.id, False)
    assert session.query(Task).count() == 1


def test_the_same_key_with_other_content_is_a_conflict_naming_the_key(county, report):
    first = report(idempotency_key="draft-3", title="路灯不亮")
    with pytest.raises(Conflict) as refused:
        report(idempotency_key="draft-3", title="垃圾堆积")
    assert refused.value.field == "idempotency_key"
    assert first.code in str(refused.value.message)


def test_two_sends_at_once_make_one_task(session, county, report, monkeypatch):
    first = report(idempotency_key="draft-4")
    looked_up = reporting._already_reported
    calls = []

    def not_yet_committed(*args):
        # The concurrent request's task is not visible to the first look-up, only to the
        # database's unique index.
        calls.append(args)
        return None if len(calls) == 1 else looked_up(*args)

    monkeypatch.setattr(reporting, "_already_reported", not_yet_committed)
    again = report(idempotency_key="draft-4")
    assert again.id == first.id and len(calls) == 2
    assert session.query(Task).count() == 1


def test_another_system_with_the_same_external_id_files_its_own_case(session, county):
    def intake(by, title):
        return reporting.report_task(
            session,
            by,
            scope_of(session, by),
            county.grids[0],
            reporting.Report(
                category="社情民意", title=title, source="hotline", external_id="12345-0001"
            ),
        )

    hotline, created = intake(county.admin, "噪音扰民")
    other, other_created = intake(county.township_staff, "占道经营")
    assert (created, other_created) == (True, True)
    assert (other.id != hotline.id, other.title) == (True, "占道经营")
    again, again_created = intake(county.admin, "噪音扰民")
    assert (again.id, again_created) == (hotline.id, False)


def test_a_resident_report_carries_no_key(session, county):
    with pytest.raises(DomainError) as refused:
        public.report_as_resident(
            session,
            county.grids[0],
            reporting.Report(
                category="民生事项", title="路灯不亮", track="coordinate", idempotency_key="k"
            ),
        )
    assert refused.value.field == "idempotency_key"
