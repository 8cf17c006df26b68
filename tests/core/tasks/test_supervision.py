"""Supervision (督办 / 挂牌督办): put on by the county or a township, listed until closed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.db import utcnow
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.tasks import supervision


def supervise(session, user, task, node, **kwargs):
    return supervision.supervise(
        session,
        user,
        scope_of(session, user),
        task,
        node=node,
        note=kwargs.pop("note", "限期办结"),
        due_at=kwargs.pop("due_at", utcnow() + dt.timedelta(days=3)),
        **kwargs,
    )


def listed(session, node, reader=None):
    """The supervision list of ``node`` as the county admin (or ``reader``) reads it."""
    reader = reader or session.scalar(select(User).where(User.role == Role.COUNTY_ADMIN))
    query = supervision.supervision_list(session, reader, scope_of(session, reader), node)
    return list(session.scalars(query))


def test_a_supervised_task_is_on_the_list_of_its_level_and_the_levels_above(
    session, county, report
):
    task = report()
    supervision = supervise(session, county.township_staff, task, county.townships[0])
    assert task.is_supervised
    assert listed(session, county.townships[0]) == [supervision]
    assert listed(session, county.top) == [supervision]
    assert listed(session, county.townships[1]) == []


def test_closing_the_task_takes_it_off_the_list(session, county, report, act):
    task = report()
    supervise(session, county.admin, task, county.top, is_listed=True)
    act(county.workers[0], task, "resolve", comment="已修好")
    assert listed(session, county.top) == []
    assert not task.is_supervised
    admin = county.admin
    ended = list(
        session.scalars(
            supervision.supervision_list(
                session, admin, scope_of(session, admin), county.top, include_ended=True
            )
        )
    )
    assert ended[0].ended_at is not None


def test_a_station_cannot_supervise(session, county, report):
    with pytest.raises(Forbidden):
        supervise(session, county.station_staff, report(), county.communities[0])


def test_a_township_cannot_supervise_at_another_township(session, county, report):
    with pytest.raises(NotFound):
        supervise(session, county.township_staff, report(), county.townships[1])


def test_a_closed_task_cannot_be_supervised(session, county, report, act):
    task = act(county.workers[0], report(), "resolve", comment="已修好")
    with pytest.raises(Conflict):
        supervise(session, county.admin, task, county.top)


def test_a_standing_rule_supervises_with_no_ones_name_on_the_order(session, county, report, act):
    task = report()
    due = utcnow() + dt.timedelta(days=30)
    order = supervision.supervise_by_rule(
        session, task, node=county.top, note="重大隐患自动挂牌", due_at=due, is_listed=True
    )
    assert (order.created_by_id, order.is_listed) == (None, True)
    assert task.is_supervised and listed(session, county.top) == [order]
    with pytest.raises(DomainError):
        supervision.supervise_by_rule(
            session, task, node=county.townships[1], note="越界", due_at=due, is_listed=False
        )
    act(county.workers[0], task, "resolve")
    with pytest.raises(Conflict):
        supervision.supervise_by_rule(
            session, task, node=county.top, note="已办结", due_at=due, is_listed=True
        )
