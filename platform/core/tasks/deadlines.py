"""When a task's stage is due: its limit and its yellow and red thresholds under the county's
rules in force, in working hours on the county's calendar, capped by the task's own deadline."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gridgov.core.hierarchy.models import Node
from gridgov.core.tasks import rules
from gridgov.core.tasks.calendar import WorkCalendar, work_calendar
from gridgov.core.tasks.models import Card, Task
from gridgov.core.tasks.workflow import TaskType
from gridgov.core.tenancy.models import Tenant


def start_stage(
    session: Session,
    tenant: Tenant,
    task_type: TaskType,
    task: Task,
    node: Node,
    now: dt.datetime,
    calendar: WorkCalendar | None = None,
) -> None:
    """Start the clock of the task's new stage under the county's rules in force now: the
    limit, the yellow and red thresholds (in working hours on the county's calendar), and the
    task's own deadline, which the stage's due time never passes: a deadline before the
    stage's limit is the stage's due time and its red threshold (yellow at the same share of
    the time left), and a deadline on a stage without a limit gives it a clock of its own."""
    task.stage_started_at = now
    task.card = Card.NONE.value
    task.card_at = None
    if not task.is_open:
        task.yellow_at = task.due_at = task.red_at = None
        return
    rule = rules.rule_table(session).resolve(task_type, task.category, node.level, task.state)
    task.rule_version_id = rule.version_id
    due = yellow = red = None
    if rule.hours is not None:
        calendar = calendar or work_calendar(session, tenant)
        due = calendar.add_working_hours(now, rule.hours)
        yellow = calendar.add_working_hours(now, rule.hours * rule.yellow_percent / 100)
        red = calendar.add_working_hours(now, rule.hours * rule.red_percent / 100)
    if task.deadline is not None:
        deadline = task.deadline
        share = now + max(deadline - now, dt.timedelta(0)) * min(rule.yellow_percent, 100) / 100
        due = deadline if due is None else min(due, deadline)
        red = deadline if red is None else min(red, deadline)
        yellow = share if yellow is None else min(yellow, share)
    if yellow is not None and red is not None:
        # Never yellow after red (a county's yellow share from one rule and red from another
        # may cross): the sweep reads its candidates of both colours by yellow_at.
        yellow = min(yellow, red)
    task.due_at, task.yellow_at, task.red_at = due, yellow, red
