"""The dispute grid of a justice office as a task type of the core's engine.

新集司法所's dispute grid (seed 003) has a 网格单元 with its 信息员, a 网格组 with a 组长,
a 片格 with a 片长, and the 司法所 above. It is laid onto the county's hierarchy and roles
rather than kept as a second hierarchy, so that scope, deadlines, cards and supervision work
unchanged:

- 网格单元 = a grid: its information volunteer (信息员) or grid worker reports; the grid worker
  may settle a small dispute on the spot;
- 网格组 = the community: its station staff, the group leader (组长), confirm and mediate, or
  pass it up to the area with their reasons;
- 片格 = the township: its staff, the area leader (片长), analyse and mediate, or hand it to
- 司法所 = the department that runs the module (the one the county admitted it for): its
  officers mediate and may send it back to the area.
"""

from __future__ import annotations

from gridgov.sdk.caller import Role
from gridgov.sdk.i18n import Localized
from gridgov.sdk.tasks import Effect, Reach, State, TaskType, TransitionRule

CASE = "disputes.case"
CATEGORY = "矛盾纠纷"

UNIT = frozenset({Role.GRID_WORKER})
GROUP = frozenset({Role.STATION_STAFF})
AREA = frozenset({Role.TOWNSHIP_STAFF})
OFFICE = frozenset({Role.DEPARTMENT_OFFICER})
VISITORS = frozenset(
    {Role.GRID_WORKER, Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.DEPARTMENT_OFFICER}
)
# Who reads a case: the staff on its path and the county; the justice office through the
# core's rule for the department a module was admitted for. Not the audit administrator, the
# volunteers (they report what they see) or another department's officers.
READERS = frozenset({Role.GRID_WORKER, Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})

CLOSE = Localized("登记调解结果并办结", "Record the outcome and close")

CASE_TYPE = TaskType(
    name=CASE,
    label=Localized("矛盾纠纷", "Dispute"),
    categories=(CATEGORY,),
    readers=READERS,
    initial="reported",
    states=(
        State("reported", Localized("待组长确认", "To confirm"), sla_hours=8),
        State("confirmed", Localized("网格组调处", "Group mediating"), sla_hours=40),
        State("analysing", Localized("片长研判", "Area analysing"), sla_hours=16),
        State("mediating", Localized("司法所调解", "Justice office mediating"), sla_hours=80),
        State("closed", Localized("已办结", "Closed"), is_open=False),
        State("dismissed", Localized("核实不属实", "Not a dispute"), is_open=False),
        State("visited", Localized("已回访", "Followed up"), is_open=False),
    ),
    transitions=(
        TransitionRule(
            "confirm",
            Localized("组长确认", "Confirm"),
            ("reported",),
            "confirmed",
            GROUP,
            Reach.OWNER,
            effect=Effect.TAKE_OVER,
        ),
        TransitionRule(
            "dismiss",
            Localized("核实不属实", "Dismiss"),
            ("reported",),
            "dismissed",
            GROUP,
            Reach.OWNER,
            needs_comment=True,
        ),
        TransitionRule(
            "escalate",
            Localized("报片长研判", "Escalate to the area"),
            ("confirmed",),
            "analysing",
            GROUP,
            Reach.OWNER,
            effect=Effect.ESCALATE,
            needs_comment=True,
        ),
        TransitionRule(
            "dispatch",
            Localized("交司法所调解", "Refer to the justice office"),
            ("analysing",),
            "mediating",
            AREA,
            Reach.OWNER,
            effect=Effect.DISPATCH,
            needs_comment=True,
        ),
        TransitionRule(
            "return",
            Localized("退回片长", "Return to the area"),
            ("mediating",),
            "analysing",
            OFFICE,
            Reach.ASSIGNEE,
            effect=Effect.BACK_TO_DISPATCHER,
            needs_comment=True,
        ),
        TransitionRule("close", CLOSE, ("reported",), "closed", UNIT, Reach.FILER),
        TransitionRule("close", CLOSE, ("confirmed",), "closed", GROUP, Reach.OWNER),
        TransitionRule("close", CLOSE, ("analysing",), "closed", AREA, Reach.OWNER),
        TransitionRule("close", CLOSE, ("mediating",), "closed", OFFICE, Reach.ASSIGNEE),
        TransitionRule(
            "revisit",
            Localized("回访", "Follow up"),
            ("closed",),
            "visited",
            VISITORS,
            Reach.FILER,
            needs_comment=True,
        ),
    ),
)

# The level of the dispute grid a case closes at, from the state it was closed in.
LEVEL_OF_STATE = {
    "reported": "unit",
    "confirmed": "group",
    "analysing": "area",
    "mediating": "office",
}
