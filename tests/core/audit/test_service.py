"""The audit log: masked personal fields, append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridgov.core.accounts import service as accounts
from gridgov.core.audit import service as audit
from gridgov.core.audit.models import AuditEvent, AuditLogIsAppendOnly
from tests.factories import UserFactory, build_county


def test_phone_is_masked_in_the_audit_log(session):
    county = build_county(session)
    user = UserFactory(username="p1", phone="13800001234")
    accounts.update_user(session, county.admin, user, phone="13900005678")
    session.flush()
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "user.update", AuditEvent.object_id == str(user.id)
        )
    ).one()
    assert event.before["phone"] == "138********"
    assert event.after["phone"] == "139********"
    assert "5678" not in str(event.after)
    assert event.actor_name.startswith(county.admin.name)


def test_audit_events_cannot_be_edited(session):
    build_county(session)
    event = session.scalars(select(AuditEvent)).first()
    event.action = "forged"
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()


def test_audit_events_cannot_be_deleted(session):
    build_county(session)
    event = session.scalars(select(AuditEvent)).first()
    session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()


def test_audit_log_of_one_county_does_not_show_another(session):
    a = build_county(session, "county-a")
    build_county(session, "county-b")
    events = session.scalars(audit.list_events(session)).all()
    assert events
    assert all(e.tenant_id != a.tenant.id for e in events)


def test_id_numbers_keep_only_their_area_code_and_birth_dates_their_year():
    assert audit.mask_value("id_number", "110101199003071234") == "110101************"
    assert audit.mask_value("birth_date", "1990-03-07") == 1990


def test_events_stored_in_the_older_form_read_in_todays():
    stored = {"id_number": "110***********1234", "phone": "138****5678", "name": "张三"}
    assert audit.mask_personal(stored) == {
        "id_number": "110***************",
        "phone": "138********",
        "name": "张三",
    }
