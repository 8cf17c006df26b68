"""Stage limits from the SLA, and the sweep's yellow and red cards, with a frozen clock."""

from __future__ import annotations

import datetime as dt
import random
import re

import time_machine
from sqlalchemy import select

from gridgov.core.accounts.models import Role, User
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.tasks import cards, reading, rules
from gridgov.core.tasks.models import Notification, Task, TaskCard
from gridgov.core.tasks.notifications import NOTIFIED_STAFF
from gridgov.core.tenancy.county_time import DEFAULT_TIME_ZONE, zone_named

COUNTY_ZONE = zone_named(DEFAULT_TIME_ZONE)  # the test counties' zone

MONDAY_9 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=COUNTY_ZONE)


def at(hours: float) -> dt.datetime:
    return MONDAY_9 + dt.timedelta(hours=hours)


def test_the_report_stage_is_due_after_its_working_hours(report):
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
    # 上报 → 受理 within 4 working hours; yellow at 80 % of them.
    assert task.due_at == at(4)
    assert task.yellow_at == at(3.2)


def test_a_countys_limit_for_the_level_replaces_the_default(session, county, report):
    rules.replace_rules(
        session,
        county.admin,
        county.tenant,
        reading.registry(),
        [rules.RuleSpec(level=county.tenant.grid_level, state="reported", hours=2)],
        source="api",
    )
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
    assert task.due_at == at(2)


def test_the_sweep_gives_yellow_then_red_and_keeps_both_cards(session, county, report):
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
        fresh = report(title="另一件")
    assert cards.sweep_cards(session, at(1)) == cards.SweepResult(yellow=0, red=0)
    assert cards.sweep_cards(session, at(3.5)) == cards.SweepResult(yellow=2, red=0)
    assert cards.sweep_cards(session, at(3.6)) == cards.SweepResult(yellow=0, red=0)
    assert cards.sweep_cards(session, at(4.5)) == cards.SweepResult(yellow=0, red=2)
    session.expire_all()
    assert (task.card, fresh.card) == ("red", "red")
    assert [card.color for card in reading.cards(session, task)] == ["yellow", "red"]


def test_a_card_notifies_the_owner_and_the_level_above(session, county, report):
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
    cards.sweep_cards(session, at(5))
    notified = session.scalars(
        select(Notification.user_id).where(
            Notification.task_id == task.id, Notification.kind == "card.red"
        )
    ).all()
    # The task waits on grid 0: its worker, and the community station above.
    assert set(notified) == {county.workers[0].id, county.station_staff.id}


def _told(session, user) -> list[tuple[int | None, str, str]]:
    return session.execute(
        select(Notification.task_id, Notification.kind, Notification.message)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id)
    ).all()


def test_many_cards_at_once_are_told_once_with_how_many_and_the_first(session, county, report):
    worker = county.workers[0]
    with time_machine.travel(MONDAY_9, tick=False):
        tasks = [report(title=f"第{i}件") for i in range(cards.TOLD_ONE_BY_ONE + 2)]
    assert cards.sweep_cards(session, at(3.5)).yellow == len(tasks)
    first = min(tasks, key=lambda t: t.id)
    assert _told(session, worker) == [
        (
            None,
            "card.yellow",
            f"黄牌：{len(tasks)} 件事件即将超过办理时限，最早上报的是 {first.code}",
        )
    ]
    # The station above hears the same, once; the next colour is told again.
    assert len(_told(session, county.station_staff)) == 1
    cards.sweep_cards(session, at(4.5))
    assert _told(session, worker)[1:] == [
        (None, "card.red", f"红牌：{len(tasks)} 件事件已超过办理时限，最早上报的是 {first.code}")
    ]


def test_a_few_cards_at_once_are_told_one_by_one(session, county, report):
    with time_machine.travel(MONDAY_9, tick=False):
        tasks = [report(title=f"第{i}件") for i in range(cards.TOLD_ONE_BY_ONE)]
    cards.sweep_cards(session, at(3.5))
    assert _told(session, county.workers[0]) == [
        (t.id, "card.yellow", f"黄牌：事件 {t.code} 即将超过办理时限") for t in tasks
    ]


def test_a_new_stage_starts_a_new_clock_without_a_card(session, county, report, act):
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
    cards.sweep_cards(session, at(5))
    with time_machine.travel(at(5), tick=False):
        task = act(county.station_staff, task, "accept")
    assert task.card == "none"
    assert task.due_at == at(5 + 8 + 16)  # 8 working hours from Monday 14:00: Tuesday 14:00


def test_a_closed_task_has_no_clock_and_gets_no_card(session, county, report, act):
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
        task = act(county.workers[0], task, "resolve", comment="现场处理")
    assert task.due_at is None
    assert cards.sweep_cards(session, at(100)) == cards.SweepResult(yellow=0, red=0)


def escalating(session, county) -> None:
    rules.replace_rules(
        session,
        county.admin,
        county.tenant,
        reading.registry(),
        [rules.RuleSpec(escalate=True)],
        source="api",
    )


def test_a_red_task_stays_at_its_level_unless_the_county_asks_for_escalation(
    session, county, report
):
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
    assert cards.sweep_cards(session, at(5)).escalated == 0
    session.expire_all()
    assert (task.current_node_id, task.card) == (county.grids[0].id, "red")


def test_a_county_escalating_red_tasks_sends_them_to_the_level_above(session, county, report):
    escalating(session, county)
    with time_machine.travel(MONDAY_9, tick=False):
        task = report()
    with time_machine.travel(at(5), tick=False):
        assert cards.sweep_cards(session, at(5)) == cards.SweepResult(0, 1, escalated=1)
    session.expire_all()
    assert task.current_node_id == county.communities[0].id
    assert (task.state, task.card) == ("reported", "none")  # a new clock at the station
    assert [card.color for card in reading.cards(session, task)] == ["red"]  # the card stays
    step = reading.history(session, task)[-1]
    assert (step.action, step.actor_id, step.actor_name) == ("escalate", None, "系统")
    escalated = session.scalars(
        select(Notification.user_id).where(
            Notification.task_id == task.id, Notification.kind == "escalated"
        )
    ).all()
    assert county.station_staff.id in escalated


def test_a_dispatched_red_task_is_not_escalated(session, county, report, act):
    escalating(session, county)
    with time_machine.travel(MONDAY_9, tick=False):
        task = report(track="coordinate")
        task = act(county.station_staff, task, "accept")
        task = act(county.station_staff, task, "dispatch", target_node=county.grids[1])
    with time_machine.travel(at(300), tick=False):
        result = cards.sweep_cards(session, at(300))
    assert (result.red, result.escalated) == (1, 0)
    session.expire_all()
    assert (task.state, task.card) == ("dispatched", "red")


def _by_hand(session, now):
    """What a row-by-row sweep gives at ``now``, task by task from the rules as they read:
    (cards, notifications) as sets of plain tuples, a notification being (user, task, kind,
    what its message names): a person told of more than TOLD_ONE_BY_ONE tasks of one colour
    hears once, of no task, with the count and the first task's code."""
    given, told = set(), set()
    admins = session.scalars(
        select(User.id).where(User.role == Role.COUNTY_ADMIN.value, User.is_active.is_(True))
    ).all()
    for task in session.scalars(select(Task).order_by(Task.id)):
        if not task.is_open or task.red_at is None:
            continue
        if task.red_at <= now and task.card in ("none", "yellow"):
            color = "red"
        elif task.yellow_at <= now < task.red_at and task.card == "none":
            color = "yellow"
        else:
            continue
        given.add((task.id, color, task.state, task.current_node_id, task.due_at))
        waiting_on = session.get(Node, task.current_node_id)
        above = session.get(Node, waiting_on.parent_id) if waiting_on.parent_id else None
        for assignment in session.scalars(
            select(Assignment).where(
                Assignment.node_id.in_([waiting_on.id, *([above.id] if above else [])])
            )
        ):
            user = session.get(User, assignment.user_id)
            if user.is_active and user.role in NOTIFIED_STAFF:
                told.add((user.id, task.id, f"card.{color}"))
        if above is None or above.parent_id is None:  # the county waits, or is just above
            told.update((admin, task.id, f"card.{color}") for admin in admins)
    codes = {task_id: code for task_id, code in session.execute(select(Task.id, Task.code))}
    heard: dict[tuple[int, str], list[int]] = {}
    for user_id, task_id, kind in told:
        heard.setdefault((user_id, kind), []).append(task_id)
    notes = set()
    for (user_id, kind), task_ids in heard.items():
        if len(task_ids) <= cards.TOLD_ONE_BY_ONE:
            notes.update((user_id, t, kind, codes[t]) for t in task_ids)
        else:
            notes.add((user_id, None, kind, f"{len(task_ids)} 件事件 {codes[min(task_ids)]}"))
    return given, notes


def _named(message: str) -> str:
    """What a card's message names: the task's code, or how many tasks and the first's code."""
    if match := re.search(r"(\d+) 件事件.*最早上报的是 (\S+)", message):
        return f"{match[1]} 件事件 {match[2]}"
    return re.search(r"事件 (\S+) ", message)[1]


def test_the_set_based_sweep_gives_what_a_row_by_row_sweep_would_on_a_random_county(
    session, county, report
):
    chance = random.Random(20)
    now = at(100)
    with time_machine.travel(MONDAY_9, tick=False):
        filed = [
            report(
                by=county.workers[i % len(county.grids)], node=county.grids[i % 8], title=f"第{i}件"
            )
            for i in range(60)
        ]
    county.workers[3].is_active = False  # a worker who left is not told
    nodes = [*county.grids, *county.communities, *county.townships, county.top]
    for task in filed:
        waiting_on = chance.choice(nodes)
        yellow = now + dt.timedelta(hours=chance.uniform(-10, 10))
        task.current_node_id, task.current_path = waiting_on.id, waiting_on.path
        task.yellow_at, task.red_at = yellow, yellow + dt.timedelta(hours=chance.uniform(0, 8))
        task.due_at = task.red_at
        task.card = chance.choice(["none", "none", "yellow", "red"])
        if chance.random() < 0.15:
            task.is_open, task.state = False, "closed"
        if chance.random() < 0.1:
            task.yellow_at = task.red_at = task.due_at = None  # a stage with no clock
    session.flush()
    cards_before = set(session.scalars(select(TaskCard.id)))
    notes_before = set(session.scalars(select(Notification.id)))
    given, told = _by_hand(session, now)
    assert len({t[1] for t in given}) == 2 and len(given) >= 10  # the draw has both colours

    result = cards.sweep_cards(session, now)

    session.expire_all()
    new_cards = session.scalars(select(TaskCard).where(TaskCard.id.not_in(cards_before))).all()
    assert {(c.task_id, c.color, c.state, c.node_id, c.due_at) for c in new_cards} == given
    assert all(c.at == now for c in new_cards) and len(new_cards) == len(given)
    notes = session.scalars(select(Notification).where(Notification.id.not_in(notes_before))).all()
    assert {(n.user_id, n.task_id, n.kind, _named(n.message)) for n in notes} == told
    assert len(notes) == len(told)
    assert any(n.task_id is None for n in notes) and any(n.task_id for n in notes)
    assert (result.yellow, result.red) == (
        sum(1 for g in given if g[1] == "yellow"),
        sum(1 for g in given if g[1] == "red"),
    )
    for task_id, color, *_ in given:
        carded = session.get(Task, task_id)
        assert (carded.card, carded.card_at) == (color, now)
