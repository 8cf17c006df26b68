"""Follow-up visits (随访) of targets, filled in on the phone with the module's declared form.

Filing one stores the form (the core keeps it with its version), keeps whether it was on
time — by the day it fell due under the target's schedule — and records the household visit
in the registry (``visits.record_visit``), so that the schedule resets for every member and
the grid worker's list of due visits and the module's agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gridgov.sdk import audit, forms, registry, visits
from gridgov.sdk.caller import Scope, User, path_filter
from gridgov.sdk.county import clock_of, current_tenant
from gridgov.sdk.errors import DomainError
from gridgov.sdk.forms import Choice, Field, FieldType, FormDefinition, ShowIf
from gridgov.sdk.i18n import Localized
from gridgov_plugins.family_planning import access, targets
from gridgov_plugins.family_planning.access import MODULE
from gridgov_plugins.family_planning.models import FollowUp, Target

FORM_CODE = f"{MODULE}.follow_up"
CONDITIONS = (
    Choice("good", "情况正常", "All well"),
    Choice("attention", "需要关注", "Needs attention"),
    Choice("hardship", "生活困难", "In hardship"),
)
FORM = FormDefinition(
    code=FORM_CODE,
    title="计生随访",
    title_en="Family-planning follow-up",
    fields=(
        Field("visited_on", FieldType.DATE, "随访日期", "Visited on", required=True),
        Field("met_in_person", FieldType.BOOLEAN, "见到本人", "Met in person"),
        Field(
            "condition",
            FieldType.CHOICE,
            "家庭情况",
            "Family's condition",
            required=True,
            choices=CONDITIONS,
        ),
        Field(
            "health",
            FieldType.TEXTAREA,
            "母婴及身体健康情况",
            "Health of mother, child and family",
            max=1000,
        ),
        Field(
            "needs",
            FieldType.TEXTAREA,
            "困难和需求",
            "Difficulties and needs",
            max=1000,
            show_if=ShowIf("condition", "hardship"),
        ),
        Field(
            "services",
            FieldType.MULTI_CHOICE,
            "提供的服务",
            "Services given",
            choices=(
                Choice("policy", "政策宣传", "Explained the policies"),
                Choice("health_check", "孕检、体检提醒", "Health check reminder"),
                Choice("vaccination", "疫苗接种提醒", "Vaccination reminder"),
                Choice("assistance", "扶助申请指导", "Helped with an assistance claim"),
                Choice("comfort", "心理慰藉", "Emotional support"),
            ),
        ),
        Field(
            "notes",
            FieldType.TEXTAREA,
            "随访情况",
            "What was seen and learnt",
            required=True,
            max=2000,
        ),
    ),
)


def on_time_due(session: Session, target: Target) -> dt.date:
    """The day the target's next follow-up falls due: its schedule's interval after the last
    follow-up (or after it was found)."""
    last = session.scalar(
        select(func.max(FollowUp.visited_on)).where(FollowUp.target_id == target.id)
    )
    days = targets.interval_days(target.kind, current_tenant(session).settings or {}) or 0
    return (last or target.found_on) + dt.timedelta(days=days)


def file_follow_up(
    session: Session, actor: User, scope: Scope, target: Target, form: FormDefinition, data: Any
) -> FollowUp:
    """File a follow-up of ``target`` with ``form`` (opened with ``county.open_form`` at the
    target's grid) and record the household visit; the visit date is not in the future."""
    node = registry.get_node(session, target.node_id)
    access.check_may_keep(session, actor, scope, node)
    submission = forms.submit_form(session, actor, form, module=MODULE, node=node, data=data)
    values = submission.data
    visited_on = values["visited_on"]
    if isinstance(visited_on, str):
        visited_on = dt.date.fromisoformat(visited_on)
    today = clock_of(session).today()
    if visited_on > today:
        raise DomainError(
            Localized("随访日期不能在将来", "The visit cannot be in the future"), field="visited_on"
        )
    due_on = on_time_due(session, target)
    visit = None
    if target.household_id is not None:
        household = visits.visible_household(session, actor, scope, target.household_id)
        visit = visits.record_visit(
            session,
            actor,
            household,
            notes=f"计生随访：{values['notes']}",
            visited_at=_moment(session, visited_on),
        )
    follow_up = FollowUp(
        target_id=target.id,
        submission_id=submission.id,
        visit_id=visit.id if visit is not None else None,
        visited_on=visited_on,
        due_on=due_on,
        is_on_time=visited_on <= due_on,
        visited_by_id=actor.id,
    )
    session.add(follow_up)
    session.flush()
    audit.record(
        session,
        actor,
        "family_planning.follow_up.file",
        "family_planning_follow_up",
        follow_up.id,
        after={"target_id": target.id, "visited_on": visited_on.isoformat()},
    )
    return follow_up


def _moment(session: Session, day: dt.date) -> dt.datetime:
    """Noon of the county day ``day`` (never after now): when the registry's visit happened."""
    clock = clock_of(session)
    return min(clock.at(day, dt.time(12)), clock.now())


def follow_ups_of(session: Session, target: Target) -> list[FollowUp]:
    """The target's follow-ups, newest first."""
    query = select(FollowUp).where(FollowUp.target_id == target.id)
    return list(session.scalars(query.order_by(FollowUp.visited_on.desc(), FollowUp.id.desc())))


def follow_ups(scope: Scope) -> Select[Any]:
    """A SELECT of (follow-up, target) filed in ``scope``, newest first."""
    return (
        select(FollowUp, Target)
        .join(Target, Target.id == FollowUp.target_id)
        .where(path_filter(Target.filed_path, scope))
        .order_by(FollowUp.visited_on.desc(), FollowUp.id.desc())
    )


def submission_of(session: Session, follow_up: FollowUp) -> dict[str, Any]:
    """What the follow-up's form said."""
    return dict(forms.get_submission(session, follow_up.submission_id).data)
