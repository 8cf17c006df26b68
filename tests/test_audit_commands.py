"""``gridgov audit verify`` and ``purge`` as an auditor and cron run them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from gridgov.config import load_config
from gridgov.core.audit import service as audit
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import pinned_clock, set_tenant, utcnow
from tests.factories import build_county


def test_verify_reports_each_county_intact_with_its_head(session, app):
    county = build_county(session)
    build_county(session, "other")
    set_tenant(session, county.tenant.id)
    head = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"changshan: {head.seq} events verified, from place 1; head {head.seq} {head.hash}" in (
        result.output
    )
    assert "other: " in result.output


def test_verify_names_the_event_edited_behind_the_apps_back_and_exits_1(sqlite_session, sqlite_app):
    county = build_county(sqlite_session)
    build_county(sqlite_session, "other")
    set_tenant(sqlite_session, county.tenant.id)
    victim = sqlite_session.scalars(select(AuditEvent).where(AuditEvent.seq == 3)).one()
    sqlite_session.execute(
        text("UPDATE audit_events SET after = NULL WHERE id = :id"), {"id": victim.id}
    )
    sqlite_session.commit()
    result = sqlite_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert (
        f"changshan: BROKEN at event {victim.id} (place 3, expected 3): its content was changed"
        in result.output
    )
    assert "the chain holds up to place 2" in result.output
    assert "other: " in result.output and "other: BROKEN" not in result.output


def test_verify_of_one_county_only(session, app):
    build_county(session)
    build_county(session, "other")
    session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--tenant", "other"])
    assert result.exit_code == 0
    assert "other: " in result.output and "changshan" not in result.output
    unknown = app.test_cli_runner().invoke(args=["audit", "verify", "--tenant", "nowhere"])
    assert unknown.exit_code == 1 and "nowhere" in unknown.output


def test_purge_removes_the_old_events_and_verify_stays_green(
    sqlite_session, sqlite_app, monkeypatch
):
    with pinned_clock(utcnow() - dt.timedelta(days=800)):
        county = build_county(sqlite_session)
    audit.record(sqlite_session, None, "x.recent", "node", 1)
    sqlite_session.commit()
    monkeypatch.setitem(sqlite_app.config, "GRIDGOV_AUDIT_RETENTION_DAYS", 730)
    runner = sqlite_app.test_cli_runner()
    dry = runner.invoke(args=["audit", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "changshan: would remove" in dry.output
    result = runner.invoke(args=["audit", "purge"])
    assert result.exit_code == 0, result.output
    assert "changshan: removed" in result.output
    set_tenant(sqlite_session, county.tenant.id)
    actions = sqlite_session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions == ["x.recent", "audit.purge"]
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_purge_refuses_a_retention_under_six_months(session, app, monkeypatch):
    build_county(session)
    session.commit()
    monkeypatch.setitem(app.config, "GRIDGOV_AUDIT_RETENTION_DAYS", 90)
    result = app.test_cli_runner().invoke(args=["audit", "purge"])
    assert result.exit_code == 1
    assert "183" in result.output


def test_a_retention_under_six_months_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="at least 183 days"):
        load_config(str(tmp_path), {"GRIDGOV_AUDIT_RETENTION_DAYS": "182", "SECRET_KEY": "x"})
    assert load_config(str(tmp_path), {"SECRET_KEY": "x"})["GRIDGOV_AUDIT_RETENTION_DAYS"] == 365
