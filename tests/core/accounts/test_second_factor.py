"""The second factor as a service: enrolment confirmed by a code, codes never accepted twice,
recovery codes spent once, wrong codes counted like wrong passwords, resets audited, the secret
kept encrypted."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from gridgov.core.accounts import second_factor
from gridgov.core.accounts.service import AccountLocked, LoginFailed
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import tenant_scope
from gridgov.core.errors import DomainError
from tests.factories import build_county

NOON = dt.datetime(2026, 12, 2, 4, 0, 0, tzinfo=dt.UTC)
LOCKOUT = dt.timedelta(minutes=15)


@pytest.fixture
def county(session):
    county = build_county(session)
    with tenant_scope(session, county.tenant.id):
        yield county


def enrol(session, user) -> tuple[str, list[str]]:
    secret = second_factor.start_enrolment(session, user)
    return secret, second_factor.confirm(session, user, pyotp.TOTP(secret).now())


def test_administrators_must_have_one_and_others_may(county):
    for admin in (county.admin, county.security, county.auditor):
        assert second_factor.is_required(admin) and second_factor.needs_enrolment(admin)
    assert not second_factor.is_required(county.workers[0])


@time_machine.travel(NOON, tick=False)
def test_enrolment_counts_only_once_a_code_from_it_is_typed(session, county):
    user = county.admin
    secret = second_factor.start_enrolment(session, user)
    assert not second_factor.is_enrolled(user)
    assert second_factor.pending_secret(user) == secret
    assert secret.encode() not in user.totp_secret_cipher  # kept encrypted
    right = pyotp.TOTP(secret).now()
    with pytest.raises(DomainError) as wrong:
        second_factor.confirm(session, user, f"{(int(right) + 1) % 1_000_000:06d}")
    assert wrong.value.field == "code" and not second_factor.is_enrolled(user)
    codes = second_factor.confirm(session, user, pyotp.TOTP(secret).now())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert second_factor.is_enrolled(user) and not second_factor.needs_enrolment(user)
    assert all(c not in str(user.recovery_code_hashes) for c in codes)  # only hashes kept
    with pytest.raises(DomainError):
        second_factor.start_enrolment(session, user)  # a confirmed one is reset first
    session.flush()
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(user.id)))
    assert "user.second_factor_enrol" in list(actions)


def test_a_code_is_never_accepted_twice(session, county):
    user = county.admin
    with time_machine.travel(NOON, tick=False):
        secret, _codes = enrol(session, user)
    totp = pyotp.TOTP(secret)
    later = NOON + dt.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        code = totp.at(later)
        assert second_factor.verify(session, user, code)
        assert not second_factor.verify(session, user, code)  # replayed
    with time_machine.travel(later + dt.timedelta(seconds=30), tick=False):
        assert second_factor.verify(session, user, totp.at(later + dt.timedelta(seconds=30)))
    with time_machine.travel(later + dt.timedelta(minutes=10), tick=False):
        assert not second_factor.verify(session, user, totp.at(later))  # long expired


def test_a_recovery_code_works_once_and_its_use_is_audited(session, county):
    user = county.security
    _secret, codes = enrol(session, user)
    assert second_factor.verify(session, user, codes[3].upper())  # as typed off paper
    assert not second_factor.verify(session, user, codes[3])
    assert len(user.recovery_code_hashes) == 9
    session.flush()
    used = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.recovery_code_used")
    ).one()
    assert used.after == {"left": 9}


def test_wrong_codes_lock_the_account_like_wrong_passwords(session, county):
    user = county.auditor
    with time_machine.travel(NOON, tick=False):
        secret, _codes = enrol(session, user)
        for _ in range(4):
            with pytest.raises(LoginFailed) as failed:
                second_factor.check_code(session, user, "12345x", max_failures=5, lockout=LOCKOUT)
            assert not isinstance(failed.value, AccountLocked)
        with pytest.raises(AccountLocked):
            second_factor.check_code(session, user, "12345x", max_failures=5, lockout=LOCKOUT)
        with pytest.raises(AccountLocked):  # the right code too, while locked
            second_factor.check_code(
                session, user, pyotp.TOTP(secret).now(), max_failures=5, lockout=LOCKOUT
            )


def test_a_reset_takes_everything_away_and_is_audited(session, county):
    user = county.workers[0]
    enrol(session, user)
    second_factor.reset(session, county.security, user)
    assert not second_factor.is_enrolled(user)
    assert user.totp_secret_cipher is None and user.recovery_code_hashes is None
    session.flush()
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.second_factor_reset")
    ).one()
    assert event.actor_id == county.security.id and event.object_id == str(user.id)
