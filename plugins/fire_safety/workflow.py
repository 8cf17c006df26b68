"""The module's task types, run by the core's task engine.

``fire_safety.hazard`` — a hazard (火灾隐患) from finding to elimination: it is rectified
(整改), re-checked (复查) and closed when the re-check passes. A major hazard (重大) goes up
to the county level by level the moment it is found; the county then puts it under listed
supervision (挂牌督办) and may publish it (向社会公告).

``fire_safety.report`` — a resident's report of a hazard or a fire-safety violation
(举报投诉) through the public page: received (受理), investigated (查处), the reward decided
(奖励), the reporter answered (反馈) — who can then rate the answer with the tracking code.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_

from gridgov.sdk.caller import Role
from gridgov.sdk.i18n import Localized
from gridgov.sdk.tasks import REPORTER_ROLES, Effect, Reach, State, TaskType, TransitionRule

NAME = "fire_safety"
HAZARD = f"{NAME}.hazard"
REPORT = f"{NAME}.report"

GENERAL_CATEGORY = "一般火灾隐患"
MAJOR_CATEGORY = "重大火灾隐患"
CATEGORY_OF_GRADE = {"general": GENERAL_CATEGORY, "major": MAJOR_CATEGORY}
GRADE_OF_CATEGORY = {category: grade for grade, category in CATEGORY_OF_GRADE.items()}

# Who files, rectifies, follows up and reads hazards: everyone working in the grids and the brigade
# (volunteers report through the general task form; the audit role files nothing, 三员分立).
FINDERS = frozenset(
    {
        Role.GRID_WORKER,
        Role.SUPERVISOR,
        Role.STATION_STAFF,
        Role.TOWNSHIP_STAFF,
        Role.COUNTY_ADMIN,
        Role.DEPARTMENT_OFFICER,
    }
)
# Who re-checks a general hazard on the spot; a major one only the brigade and the county.
CHECKERS = frozenset(
    {
        Role.GRID_WORKER,
        Role.STATION_STAFF,
        Role.TOWNSHIP_STAFF,
        Role.COUNTY_ADMIN,
        Role.DEPARTMENT_OFFICER,
    }
)
MAJOR_CHECKERS = frozenset({Role.COUNTY_ADMIN, Role.DEPARTMENT_OFFICER})
# 挂牌督办 and 向社会公告 are the county government's.
COUNTY = frozenset({Role.COUNTY_ADMIN})
# Who handles residents' reports: the brigade and the staff of the levels they came in at.
INVESTIGATORS = frozenset(
    {Role.DEPARTMENT_OFFICER, Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.STATION_STAFF}
)
# 奖励 is decided by the brigade or the county.
REWARDERS = frozenset({Role.DEPARTMENT_OFFICER, Role.COUNTY_ADMIN})
RATERS = frozenset({Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.GRID_WORKER, Role.SUPERVISOR})


def is_major(task: Any) -> bool:
    return task.category == MAJOR_CATEGORY


def is_general(task: Any) -> bool:
    return not is_major(task)


# The guards above as SQL conditions on the task table (the waiting lists).
def major(task_table: Any) -> Any:
    return task_table.category == MAJOR_CATEGORY


def general(task_table: Any) -> Any:
    return task_table.category != MAJOR_CATEGORY


def unlisted_major(task_table: Any) -> Any:
    return and_(task_table.category == MAJOR_CATEGORY, task_table.is_supervised.is_(False))


def is_below_county(task: Any) -> bool:
    """Whether the task waits below the county's top level (paths look like ``/1/5/``)."""
    return task.current_path.count("/") > 2


def goes_up(task: Any) -> bool:
    return is_major(task) and is_below_county(task)


def may_be_listed(task: Any) -> bool:
    return is_major(task) and not task.is_supervised


HAZARD_TYPE = TaskType(
    name=HAZARD,
    label=Localized("火灾隐患", "Fire hazard"),
    categories=(GENERAL_CATEGORY, MAJOR_CATEGORY),
    readers=FINDERS,
    initial="rectifying",
    states=(
        # The rectification deadline is the hazard's own (a date), followed by the ledger.
        State("rectifying", Localized("整改中", "Being rectified")),
        State("rechecking", Localized("待复查", "Awaiting re-check"), sla_hours=16),
        State("closed", Localized("已消除", "Eliminated"), is_open=False),
    ),
    transitions=(
        # 对不能解决的重大消防安全问题及时报上一级网格: taken by the module itself, level by level,
        # as soon as a major hazard is filed (see gridgov_task_transition).
        TransitionRule(
            "report_up",
            Localized("重大隐患逐级上报", "Report a major hazard up"),
            ("rectifying",),
            "rectifying",
            REPORTER_ROLES,  # whoever filed it (an information volunteer too, via the task form)
            Reach.FILER,
            effect=Effect.ESCALATE,
            guard=goes_up,
            waits=False,  # the module takes it itself the moment a major hazard is filed
        ),
        TransitionRule(
            "list",
            Localized("挂牌督办", "List for supervision"),
            ("rectifying",),
            "rectifying",
            COUNTY,
            Reach.OWNER,
            needs_comment=True,
            guard=may_be_listed,
            waits_when=unlisted_major,
        ),
        TransitionRule(
            "rectify",
            Localized("整改完毕，申请复查", "Rectified: ask for the re-check"),
            ("rectifying",),
            "rechecking",
            FINDERS,
            Reach.FILER,
            needs_comment=True,
        ),
        TransitionRule(
            "pass",
            Localized("复查合格", "Re-check passed"),
            ("rechecking",),
            "closed",
            CHECKERS,
            Reach.FILER,
            needs_comment=True,
            guard=is_general,
            waits_when=general,
        ),
        TransitionRule(
            "pass",
            Localized("复查合格", "Re-check passed"),
            ("rechecking",),
            "closed",
            MAJOR_CHECKERS,
            Reach.FILER,
            needs_comment=True,
            guard=is_major,
            waits_when=major,
        ),
        TransitionRule(
            "fail",
            Localized("复查不合格，继续整改", "Re-check failed: rectify again"),
            ("rechecking",),
            "rectifying",
            CHECKERS,
            Reach.FILER,
            needs_comment=True,
            guard=is_general,
            waits_when=general,
        ),
        TransitionRule(
            "fail",
            Localized("复查不合格，继续整改", "Re-check failed: rectify again"),
            ("rechecking",),
            "rectifying",
            MAJOR_CHECKERS,
            Reach.FILER,
            needs_comment=True,
            guard=is_major,
            waits_when=major,
        ),
    ),
)

REPORT_TYPE = TaskType(
    name=REPORT,
    label=Localized("消防举报投诉", "Fire-safety report"),
    categories=("火灾隐患举报", "消防违法行为投诉"),
    initial="received",
    public=True,
    readers=FINDERS,
    states=(
        State("received", Localized("已受理", "Received"), sla_hours=8),
        State("investigating", Localized("查处中", "Being investigated"), sla_hours=40),
        State("deciding", Localized("待定奖励", "Reward to decide"), sla_hours=16),
        State("answering", Localized("待反馈", "To answer"), sla_hours=8),
        State("closed", Localized("已反馈", "Answered"), is_open=False),
        State("evaluated", Localized("已评价", "Rated"), is_open=False),
    ),
    transitions=(
        TransitionRule(
            "investigate",
            Localized("查处", "Investigate"),
            ("received",),
            "investigating",
            INVESTIGATORS,
            Reach.OWNER,
        ),
        TransitionRule(
            "confirm",
            Localized("查实（举报属实）", "Confirmed"),
            ("investigating",),
            "deciding",
            INVESTIGATORS,
            Reach.OWNER,
            needs_comment=True,
        ),
        TransitionRule(
            "dismiss",
            Localized("举报不属实", "Not confirmed"),
            ("investigating",),
            "answering",
            INVESTIGATORS,
            Reach.OWNER,
            needs_comment=True,
        ),
        TransitionRule(
            "reward",
            Localized("决定奖励", "Grant a reward"),
            ("deciding",),
            "answering",
            REWARDERS,
            Reach.OWNER,
            needs_comment=True,
        ),
        TransitionRule(
            "no_reward",
            Localized("不予奖励", "No reward"),
            ("deciding",),
            "answering",
            REWARDERS,
            Reach.OWNER,
            needs_comment=True,
        ),
        TransitionRule(
            "answer",
            Localized("反馈举报人", "Answer the reporter"),
            ("answering",),
            "closed",
            INVESTIGATORS,
            Reach.OWNER,
            needs_comment=True,
            answers_resident=True,  # the reporter reads it with the tracking code
        ),
        TransitionRule(
            "evaluate",
            Localized("评价", "Rate"),
            ("closed",),
            "evaluated",
            RATERS,
            Reach.FILER,
            effect=Effect.RATE,
        ),
    ),
)

TASK_TYPES = (HAZARD_TYPE, REPORT_TYPE)
