"""请销假: a grid worker asks for leave, the station (or township, or county) approves or
refuses it, the worker reports back (销假). Approved days lower what the assessment expects
of the worker (patrols, daily logs). Every step is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.assessment.inputs import checked_text, worker_in_scope
from gridgov.core.assessment.models import LeaveRequest, LeaveState
from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.i18n import _
from gridgov.core.tenancy.service import current_tenant

# Who decides leave: the station, the township and the county, within their scope.
DECIDER_ROLES = frozenset({Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})
# Who reads the requests of the workers in their scope: the deciders, and supervisors.
READER_ROLES = DECIDER_ROLES | {Role.SUPERVISOR}
MAX_DAYS = 180
MAX_REASON = 500


def request_leave(
    session: Session, worker: User, first_day: dt.date, last_day: dt.date, reason: str
) -> LeaveRequest:
    """The grid worker asks for ``first_day`` … ``last_day`` off."""
    if worker.role != Role.GRID_WORKER:
        raise Forbidden(_("只有网格员请假"))
    reason = checked_text(reason, "reason", max_length=MAX_REASON, required=_("请写明请假事由"))
    if last_day < first_day:
        raise DomainError(_("结束日期不能早于开始日期"), field="last_day")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise DomainError(_("一次请假最多 %(n)d 天", n=MAX_DAYS), field="last_day")
    overlapping = session.scalar(
        select(LeaveRequest.id).where(
            LeaveRequest.user_id == worker.id,
            LeaveRequest.state.in_([LeaveState.REQUESTED.value, LeaveState.APPROVED.value]),
            LeaveRequest.first_day <= last_day,
            LeaveRequest.last_day >= first_day,
        )
    )
    if overlapping is not None:
        raise Conflict(_("这几天已有请假申请"), field="first_day")
    leave = LeaveRequest(
        user_id=worker.id,
        first_day=first_day,
        last_day=last_day,
        reason=reason,
        state=LeaveState.REQUESTED.value,
    )
    session.add(leave)
    session.flush()
    audit.record(
        session,
        worker,
        "leave.request",
        "leave_request",
        leave.id,
        after={"first_day": first_day.isoformat(), "last_day": last_day.isoformat()},
    )
    return leave


def visible_leave(session: Session, actor: User, scope: Scope, leave_id: int) -> LeaveRequest:
    """The request if ``actor`` may see it: their own, or a worker's in their scope."""
    leave = session.get(LeaveRequest, leave_id)
    if leave is None or leave.tenant_id != current_tenant(session).id:
        raise NotFound(_("没有这条请假记录"))
    if leave.user_id != actor.id and not (
        actor.role in READER_ROLES and worker_in_scope(session, scope, leave.user_id)
    ):
        raise NotFound(_("没有这条请假记录"))
    return leave


def decide(
    session: Session,
    actor: User,
    scope: Scope,
    leave: LeaveRequest,
    *,
    approve: bool,
    note: str = "",
) -> LeaveRequest:
    """Approve (准假) or refuse (不准假) a request waiting for a decision."""
    if actor.role not in DECIDER_ROLES or not worker_in_scope(session, scope, leave.user_id):
        raise Forbidden(_("您不能审批这条请假"))
    if leave.state != LeaveState.REQUESTED:
        raise Conflict(_("这条请假已处理"))
    note = checked_text(note, "note", max_length=MAX_REASON)
    if not approve and not note:
        raise DomainError(_("不准假请说明理由"), field="note")
    leave.state = (LeaveState.APPROVED if approve else LeaveState.REFUSED).value
    leave.decided_by_id, leave.decided_by_name = actor.id, actor.name
    leave.decided_at, leave.decision_note = utcnow(), note
    session.flush()
    audit.record(
        session,
        actor,
        "leave.approve" if approve else "leave.refuse",
        "leave_request",
        leave.id,
        after={"state": leave.state},
    )
    return leave


def report_back(session: Session, worker: User, leave: LeaveRequest) -> LeaveRequest:
    """销假: the worker is back today. Back before the last day, the days after today no
    longer count as leave."""
    if leave.user_id != worker.id:
        raise Forbidden(_("只能为自己销假"))
    if leave.state != LeaveState.APPROVED:
        raise Conflict(_("只有已批准的请假可以销假"))
    today = current_tenant(session).clock.today()
    if today < leave.first_day:
        raise Conflict(_("假期还没有开始，请撤回申请"))
    before = leave.last_day
    leave.last_day = min(leave.last_day, today)
    leave.state, leave.ended_at = LeaveState.ENDED.value, utcnow()
    session.flush()
    audit.record(
        session,
        worker,
        "leave.end",
        "leave_request",
        leave.id,
        before={"last_day": before.isoformat()},
        after={"last_day": leave.last_day.isoformat()},
    )
    return leave


def cancel(session: Session, worker: User, leave: LeaveRequest) -> LeaveRequest:
    """The worker withdraws a request not decided yet, or approved leave not begun."""
    if leave.user_id != worker.id:
        raise Forbidden(_("只能撤回自己的请假"))
    today = current_tenant(session).clock.today()
    if leave.state not in (LeaveState.REQUESTED, LeaveState.APPROVED) or (
        leave.state == LeaveState.APPROVED and leave.first_day <= today
    ):
        raise Conflict(_("这条请假不能撤回"))
    leave.state = LeaveState.CANCELLED.value
    session.flush()
    audit.record(
        session, worker, "leave.cancel", "leave_request", leave.id, after={"state": leave.state}
    )
    return leave


def list_leave(
    session: Session, actor: User, scope: Scope, *, state: str | None = None
) -> Select[Any]:
    """SELECT of the requests ``actor`` sees, newest first: a grid worker their own, the
    station and above their workers'; only those in ``state`` (a LeaveState value) if given."""
    query = select(LeaveRequest).order_by(LeaveRequest.first_day.desc(), LeaveRequest.id.desc())
    if state is not None:
        query = query.where(LeaveRequest.state == LeaveState(state).value)
    if actor.role == Role.GRID_WORKER or actor.role not in READER_ROLES:
        return query.where(LeaveRequest.user_id == actor.id)
    if scope.everything:
        return query
    in_scope = (
        select(Assignment.user_id)
        .join(Node, Node.id == Assignment.node_id)
        .where(scope.node_filter())
    )
    return query.where(LeaveRequest.user_id.in_(in_scope))


def names_of(session: Session, leaves: Iterable[LeaveRequest]) -> dict[int, str]:
    """The names of the workers who asked for ``leaves``, by user id."""
    ids = {leave.user_id for leave in leaves}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
