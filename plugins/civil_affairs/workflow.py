"""居民事务代办 (errands run on a resident's behalf) as a task type of the core's engine.

A resident who cannot go to the offices themselves (an elderly person living alone, a person
with a disability) asks their grid worker to run an errand: the request is filed under their
grid, the grid worker (or the station) accepts and runs it, records what was done — the
answer the resident reads on the public tracking page with the task's code — and the resident
confirms it there (the core's rating step, 评价), or the worker records the confirmation heard
at a return visit. A confirmed or done errand counts as a service to residents (服务居民人次).
"""

from __future__ import annotations

from gridgov.sdk.caller import Role
from gridgov.sdk.i18n import Localized
from gridgov.sdk.tasks import Effect, Reach, State, TaskType, TransitionRule

MODULE = "civil_affairs"
ERRAND = f"{MODULE}.errand"
CATEGORY = "特殊人群服务"

# Who runs errands: the grid worker of the grid and the staff above it.
RUNNERS = frozenset({Role.GRID_WORKER, Role.STATION_STAFF, Role.TOWNSHIP_STAFF})
# Who reads the module's records: the staff on the path and the county; the civil affairs
# bureau's officers through the core's rule for the department a module was admitted for.
# Not the audit administrator, the volunteers, the supervisors or another department.
READERS = frozenset({Role.GRID_WORKER, Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})

DONE_STATES = ("done", "confirmed")

ERRAND_TYPE = TaskType(
    name=ERRAND,
    label=Localized("居民事务代办", "Errand for a resident"),
    categories=(CATEGORY,),
    readers=READERS,
    initial="requested",
    states=(
        State("requested", Localized("待受理", "Requested"), sla_hours=8),
        State("accepted", Localized("代办中", "Being run"), sla_hours=40),
        State("done", Localized("已办结待确认", "Done, to confirm"), is_open=False),
        State("confirmed", Localized("居民已确认", "Confirmed by the resident"), is_open=False),
        State("cancelled", Localized("已撤销", "Cancelled"), is_open=False),
    ),
    transitions=(
        TransitionRule(
            "accept",
            Localized("受理代办", "Accept"),
            ("requested",),
            "accepted",
            RUNNERS,
            Reach.OWNER,
        ),
        TransitionRule(
            "done",
            Localized("办结并答复居民", "Done: answer the resident"),
            ("accepted",),
            "done",
            RUNNERS,
            Reach.OWNER,
            needs_comment=True,
            answers_resident=True,
        ),
        TransitionRule(
            "cancel",
            Localized("撤销", "Cancel"),
            ("requested", "accepted"),
            "cancelled",
            RUNNERS,
            Reach.OWNER,
            needs_comment=True,
        ),
        # The resident's confirmation: theirs on the tracking page (evaluate_as_resident), or
        # heard by the worker at a return visit and recorded here.
        TransitionRule(
            "confirm",
            Localized("居民确认", "The resident confirms"),
            ("done",),
            "confirmed",
            RUNNERS,
            Reach.OWNER,
            effect=Effect.RATE,
        ),
        # 不满意: where the county asks for it, the errand goes back to be run again.
        TransitionRule(
            "reopen",
            Localized("重新代办", "Run it again"),
            ("done", "confirmed"),
            "accepted",
            RUNNERS,
            Reach.OWNER,
            needs_comment=True,
            taken_on_unsatisfied=True,
        ),
    ),
)
