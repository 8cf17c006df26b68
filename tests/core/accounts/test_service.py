"""Accounts: users, 一格一员 assignments, login with lockout, passwords and tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridgov.core.accounts import passwords
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import set_tenant, utcnow
from gridgov.core.errors import Conflict, DomainError
from tests.factories import PASSWORD, UserFactory, build_county

LOCKOUT = dt.timedelta(minutes=15)


def login(session, username, password, **kwargs):
    return accounts.authenticate(
        session,
        username,
        password,
        max_failures=kwargs.pop("max_failures", 5),
        lockout=LOCKOUT,
        **kwargs,
    )


def test_second_grid_worker_on_a_grid_is_refused(session):
    county = build_county(session)
    newcomer = UserFactory(username="newcomer", role=Role.GRID_WORKER.value)
    with pytest.raises(Conflict) as err:
        accounts.assign(session, None, county.tenant, newcomer, county.grids[0])
    assert err.value.field == "nodes"
    assert county.workers[0].name in str(err.value.message)


def test_grid_worker_can_take_a_vacant_grid(session):
    county = build_county(session)
    accounts.unassign(session, None, county.workers[0], county.grids[0])
    newcomer = UserFactory(username="newcomer", nodes=[county.grids[0]])
    assert accounts.responsible_worker(session, county.grids[0]) == newcomer


def test_grid_worker_cannot_be_assigned_above_the_grid_level(session):
    county = build_county(session)
    worker = UserFactory(username="w-extra")
    with pytest.raises(DomainError):
        accounts.assign(session, None, county.tenant, worker, county.communities[0])


def test_supervisor_covers_several_grids_without_being_responsible(session):
    county = build_county(session)
    assert {a.node_id for a in county.supervisor.assignments} == {g.id for g in county.grids[:2]}
    assert accounts.responsible_worker(session, county.grids[0]) == county.workers[0]


def test_volunteer_can_attach_to_any_level(session):
    county = build_county(session)
    volunteer = UserFactory(username="v2", role=Role.VOLUNTEER.value, nodes=[county.top])
    assert volunteer.assignments[0].node_id == county.top.id


def test_changing_a_supervisor_into_a_grid_worker_makes_them_responsible(session):
    county = build_county(session)
    accounts.unassign(session, None, county.workers[5], county.grids[5])
    supervisor = UserFactory(username="s2", role=Role.SUPERVISOR.value, nodes=[county.grids[5]])
    accounts.update_user(session, None, supervisor, role=Role.GRID_WORKER.value)
    assert accounts.responsible_worker(session, county.grids[5]) == supervisor


def test_role_change_that_would_put_two_workers_on_a_grid_is_refused(session):
    county = build_county(session)
    with pytest.raises(Conflict):
        accounts.update_user(session, None, county.supervisor, role=Role.GRID_WORKER.value)


def test_unknown_role_is_a_field_error(session):
    build_county(session)
    with pytest.raises(DomainError) as err:
        UserFactory(username="x1", role="gridworker")
    assert err.value.field == "role"


def test_duplicate_username_in_one_county_is_a_conflict(session):
    county = build_county(session)
    with pytest.raises(Conflict):
        UserFactory(username=county.admin.username)


def test_same_username_in_two_counties_is_two_people(session):
    a = build_county(session, "county-a")
    b = build_county(session, "county-b")
    set_tenant(session, a.tenant.id)
    mine = UserFactory(username="lihua")
    set_tenant(session, b.tenant.id)
    theirs = UserFactory(username="lihua")
    assert mine.id != theirs.id
    assert login(session, "lihua", PASSWORD) == theirs


def test_bad_phone_is_refused(session):
    build_county(session)
    with pytest.raises(DomainError) as err:
        UserFactory(username="p1", phone="12345")
    assert err.value.field == "phone"


@pytest.mark.parametrize(
    "weak", ["short1A!", "alllowercase123", "NoDigitsOrSymbols", "Lihua-2026x"]
)
def test_weak_passwords_are_refused(weak):
    with pytest.raises(DomainError) as err:
        passwords.check_strength(weak, username="lihua")
    assert err.value.field == "password"


def test_good_login_records_the_time(session):
    county = build_county(session)
    assert county.admin.last_login_at is None
    assert login(session, county.admin.username, PASSWORD) == county.admin
    assert county.admin.last_login_at is not None


def test_wrong_password_and_unknown_user_get_the_same_message(session):
    county = build_county(session)
    with pytest.raises(accounts.LoginFailed) as wrong:
        login(session, county.admin.username, "Wrong-password-1")
    with pytest.raises(accounts.LoginFailed) as unknown:
        login(session, "nobody", "Wrong-password-1")
    assert str(wrong.value.message) == str(unknown.value.message)


def test_account_locks_after_repeated_failures_even_for_the_right_password(session):
    county = build_county(session)
    for _ in range(3):
        with pytest.raises(accounts.LoginFailed):
            login(session, county.admin.username, "Wrong-password-1", max_failures=3)
    assert county.admin.is_locked(utcnow())
    with pytest.raises(accounts.LoginFailed):
        login(session, county.admin.username, PASSWORD, max_failures=3)
    locked = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.locked")).all()
    assert len(locked) == 1


def test_a_locked_account_does_not_tell_a_right_guess_from_a_wrong_one(session):
    # Else a guesser could go on during the lockout and learn when they hit the password.
    county = build_county(session)
    county.admin.locked_until = utcnow() + LOCKOUT
    with pytest.raises(accounts.LoginFailed) as wrong:
        login(session, county.admin.username, "Wrong-password-1")
    with pytest.raises(accounts.LoginFailed) as right:
        login(session, county.admin.username, PASSWORD)
    assert str(right.value.message) == str(wrong.value.message)


def test_an_administrator_unlocks_an_account_before_the_lock_runs_out(session):
    county = build_county(session)
    county.admin.locked_until = utcnow() + LOCKOUT
    worker = county.workers[0]
    worker.locked_until, worker.failed_logins = utcnow() + LOCKOUT, 2
    accounts.unlock(session, county.admin, worker)
    assert (worker.locked_until, worker.failed_logins) == (None, 0)
    assert login(session, worker.username, PASSWORD) == worker
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.unlock")).all()
    assert [e.object_id for e in events] == [str(worker.id)]


def test_lock_expires(session):
    county = build_county(session)
    county.admin.locked_until = utcnow() - dt.timedelta(seconds=1)
    assert login(session, county.admin.username, PASSWORD) == county.admin


def test_inactive_user_cannot_log_in(session):
    county = build_county(session)
    accounts.update_user(session, None, county.admin, is_active=False)
    with pytest.raises(accounts.LoginFailed):
        login(session, county.admin.username, PASSWORD)


def test_setting_a_password_lifts_the_lock(session):
    county = build_county(session)
    county.admin.locked_until = utcnow() + LOCKOUT
    accounts.set_password(session, None, county.admin, "New-Password-2026")
    assert login(session, county.admin.username, "New-Password-2026") == county.admin


def test_token_names_its_tenant_and_only_its_hash_is_stored(session):
    county = build_county(session)
    token, record = accounts.create_token(session, None, county.tenant, county.admin)
    assert accounts.token_tenant_slug(token) == county.tenant.slug
    assert token not in record.token_hash
    assert accounts.find_token(session, token) == record
    assert set(record.scope.split()) == set(accounts.DEFAULT_USER_SCOPES)


def test_token_of_another_tenant_is_not_found_in_this_one(session):
    a = build_county(session, "county-a")
    token, _record = accounts.create_token(session, None, a.tenant, a.admin)
    build_county(session, "county-b")
    assert accounts.find_token(session, token) is None


def test_token_with_unknown_scope_is_refused(session):
    county = build_county(session)
    with pytest.raises(DomainError):
        accounts.create_token(session, None, county.tenant, county.admin, scopes=["root"])


def test_operator_logs_in_as_operator_only(session):
    operator = accounts.create_operator(session, username="ops", name="运维", password=PASSWORD)
    assert login(session, "ops", PASSWORD, operator=True) == operator
    build_county(session)
    with pytest.raises(accounts.LoginFailed):
        login(session, "ops", PASSWORD)
