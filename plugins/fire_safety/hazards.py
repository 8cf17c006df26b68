"""Fire hazards (火灾隐患): recording one, what the module does when its task moves, who sees
which, the rectification ledger (整改台帐) and publishing a major hazard (向社会公告).

A hazard is filed as a task of type ``fire_safety.hazard`` through ``gridgov.sdk.tasks``, so
it appears in the grid's task lists, gets cards and can be supervised; the row here keeps its
grade, place, checklist item and rectification deadline. The row is made when the task is
reported (``on_transition``), whichever way it was filed: by this module, or by the core's
task form or API with a hazard category (then with the county's default deadline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from gridgov.sdk import audit, county, files, registry, tasks
from gridgov.sdk.caller import Role, Scope, User, path_filter, scope_of
from gridgov.sdk.county import Tenant, current_tenant, subtree
from gridgov.sdk.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.sdk.i18n import Localized
from gridgov.sdk.registry import Node
from gridgov.sdk.storage import utcnow
from gridgov.sdk.tasks import Source, Task, Track
from gridgov_plugins.fire_safety.checklists import ITEMS, OTHER, SITE_TYPES
from gridgov_plugins.fire_safety.models import Grade, Hazard
from gridgov_plugins.fire_safety.workflow import (
    CATEGORY_OF_GRADE,
    FINDERS,
    GRADE_OF_CATEGORY,
    HAZARD,
    HAZARD_TYPE,
    NAME,
    REPORT,
    goes_up,
)

# Days to rectify when the finder gives no deadline; a county sets its own in its settings
# (``fire_safety: {deadline_days: {general: 7, major: 30}}``).
DEFAULT_DEADLINE_DAYS = {Grade.GENERAL.value: 7, Grade.MAJOR.value: 30}
MAX_DEADLINE_DAYS = 366
MAX_DAYS_BACK = 90  # how long after an inspection its findings may still be filed
LATE_SUPERVISION = dt.timedelta(days=7)  # supervised until then when listed past its deadline
REPORT_UP_COMMENT = "重大火灾隐患，自动逐级上报至县级"
AUTO_LISTING_NOTE = "重大火灾隐患，按县里规定自动挂牌督办，限期整改"
# Photos a hazard may carry: uploaded for a task or for a checklist's photo field.
PHOTOS = frozenset({"task_attachment", "form"})


def settings_of(tenant: Tenant) -> dict[str, Any]:
    """The county's settings of this module (``settings["fire_safety"]``)."""
    return tenant.settings.get(NAME) or {}


def default_deadline(tenant: Tenant, grade: str, found_on: dt.date) -> dt.date:
    """The day a hazard of ``grade`` found on ``found_on`` must be rectified by."""
    days = {**DEFAULT_DEADLINE_DAYS, **(settings_of(tenant).get("deadline_days") or {})}
    return found_on + dt.timedelta(days=int(days[grade]))


def hazard_label(hazard: Hazard) -> Localized:
    """What the hazard is, in both languages (its checklist item's name)."""
    return ITEMS.get(hazard.item, ITEMS[OTHER]).hazard


def site_type_label(code: str) -> Localized | None:
    found = SITE_TYPES.get(code)
    return found.label if found else None


def grade_label(grade: str) -> Localized:
    if grade == Grade.MAJOR:
        return Localized("重大隐患", "Major")
    return Localized("一般隐患", "General")


# --- access ----------------------------------------------------------------------------------


def may_read(session: Session, user: User) -> bool:
    """Staff read the module's records in their scope; a department officer only when their
    department runs the module (the core's rule for modules' records); volunteers and the
    audit administrator never."""
    return tasks.may_read_type(session, user, HAZARD_TYPE)


def check_may_read(session: Session, user: User) -> None:
    """Forbidden unless ``user`` may read the module's records."""
    if not may_read(session, user):
        raise Forbidden(
            Localized("您的角色不能查看消防安全记录", "Your role cannot see fire records")
        )


def check_may_record(session: Session, user: User, scope: Scope, node: Node) -> None:
    """Hazards are filed by staff and the brigade (not another department's officer), under a
    node of their scope."""
    if not scope.contains(node):
        raise NotFound(Localized("没有这个网格", "No such grid"), field="node_id")
    if user.role not in FINDERS or not may_read(session, user):
        raise Forbidden(Localized("您的角色不能登记火灾隐患", "Your role cannot file hazards"))


def get_hazard(session: Session, hazard_id: int) -> Hazard:
    """The current county's hazard with this id, or NotFound."""
    hazard = session.scalar(select(Hazard).where(Hazard.id == hazard_id))
    if hazard is None:
        raise NotFound(Localized("没有这条隐患", "No such hazard"))
    return hazard


def visible_hazard(session: Session, user: User, scope: Scope, hazard_id: int) -> Hazard:
    """The hazard if ``user`` may see it (found in their scope), else NotFound."""
    check_may_read(session, user)
    hazard = get_hazard(session, hazard_id)
    if not scope.contains_path(hazard.filed_path):
        raise NotFound(Localized("没有这条隐患", "No such hazard"))
    return hazard


def hazard_of_task(session: Session, task: Task) -> Hazard | None:
    """The hazard a task of type ``fire_safety.hazard`` follows, or None."""
    return session.scalar(select(Hazard).where(Hazard.task_id == task.id))


def task_of(session: Session, hazard: Hazard) -> Task:
    return tasks.get_task(session, hazard.task_id)


# --- recording -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HazardInput:
    """What a finder says about a hazard; None: the default (today, the county's deadline)."""

    place: str
    item: str
    grade: str
    description: str = ""
    found_on: dt.date | None = None
    deadline: dt.date | None = None
    site_id: int | None = None
    site_type: str = ""
    photo_ids: Sequence[int] = field(default_factory=tuple)
    report_task_id: int | None = None


def record_hazard(
    session: Session, actor: User, scope: Scope, node: Node, data: HazardInput
) -> Hazard:
    """File a hazard found in the grid ``node`` by ``actor``: its task goes through the task
    engine (a major one straight up to the county); returns the hazard."""
    check_may_record(session, actor, scope, node)
    site = None
    if data.site_id is not None:
        try:
            site = registry.visible_site(session, actor, scope, data.site_id)
        except (NotFound, Forbidden):
            raise DomainError(_NO_SITE, field="site_id") from None
        if site.node_id != node.id:
            raise DomainError(
                Localized("这个单位场所不在所选网格内", "The site is not in the chosen grid"),
                field="site_id",
            )
    if data.report_task_id is not None:
        report = tasks.visible_task(session, actor, scope, data.report_task_id)
        if report.task_type != REPORT:
            raise DomainError(
                Localized("关联的不是消防举报", "Not a fire-safety report"), field="report_task_id"
            )
    for photo_id in data.photo_ids:
        try:
            stored = files.get_file(session, photo_id)
        except NotFound:
            stored = None
        # Only the finder's own uploads: naming another's would let them read it here.
        if (
            stored is None
            or stored.created_by_id != actor.id
            or stored.purpose not in PHOTOS
            or not stored.content_type.startswith("image/")
        ):
            raise DomainError(
                Localized("照片不存在或不是您上传的", "No such photo of yours"), field="photo_ids"
            )
    return file_hazard(session, actor, node, data, site_id=site.id if site else None)


_NO_SITE = Localized("没有这个单位场所", "No such site")


def file_hazard(
    session: Session,
    actor: User | None,
    node: Node,
    data: HazardInput,
    *,
    site_id: int | None = None,
    patrol_id: int | None = None,
) -> Hazard:
    """File a hazard whose finder, site and photos have been checked (a checklist's findings
    are filed as the checklist's author). The module must be open for work at ``node``."""
    tenant = current_tenant(session)
    today = tenant.clock.today()
    found_on = data.found_on or today
    place = (data.place or "").strip()
    if not place or len(place) > 200:
        raise DomainError(
            Localized(
                "请填写场所或楼栋名称（最长 200 字）", "Name the site (at most 200 characters)"
            ),
            field="place",
        )
    if data.item not in ITEMS:
        raise DomainError(Localized("没有这个检查项目", "No such checklist item"), field="item")
    if data.grade not in CATEGORY_OF_GRADE:
        raise DomainError(
            Localized("请选择一般或重大隐患", "Choose general or major"), field="grade"
        )
    if data.site_type and data.site_type not in SITE_TYPES:
        raise DomainError(Localized("没有这种场所类型", "No such kind of site"), field="site_type")
    if not today - dt.timedelta(days=MAX_DAYS_BACK) <= found_on <= today:
        raise DomainError(
            Localized("检查日期须在最近 90 天内", "The inspection must be within the last 90 days"),
            field="found_on",
        )
    deadline = data.deadline or default_deadline(tenant, data.grade, found_on)
    if not found_on <= deadline <= found_on + dt.timedelta(days=MAX_DEADLINE_DAYS):
        raise DomainError(
            Localized(
                "整改期限须在检查日期之后一年以内", "Rectify within a year after the inspection"
            ),
            field="deadline",
        )
    label = ITEMS[data.item].hazard.zh
    task, created = tasks.report(
        session,
        actor,
        None,  # the finder's own scope: a checklist's findings are filed as its author
        node,
        tasks.Report(
            task_type=HAZARD,
            category=CATEGORY_OF_GRADE[data.grade],
            title=f"{label}：{place}"[:200],
            description=(data.description or "").strip(),
            track=Track.COORDINATE.value,
            source=(
                Source.DEPARTMENT.value
                if actor is not None and actor.role == Role.DEPARTMENT_OFFICER
                else Source.PATROL.value
            ),
            location_text=place[:300],
            priority=1 if data.grade == Grade.MAJOR else 2,
            deadline=tenant.clock.end_of_day(deadline),
            # Typed in after the inspection day: a deadline already past makes it red at once.
            late_entry=found_on < today,
            links=[("site", site_id)] if site_id is not None and actor is not None else (),
            file_ids=data.photo_ids,
        ),
    )
    hazard = hazard_of_task(session, task)
    assert hazard is not None, "on_transition makes the hazard when its task is reported"
    if not created:
        return hazard
    hazard.place = place
    hazard.item = data.item
    hazard.description = (data.description or "").strip()
    hazard.site_id = site_id
    hazard.site_type = data.site_type
    hazard.found_on = found_on
    hazard.deadline = deadline
    hazard.patrol_id = patrol_id
    hazard.report_task_id = data.report_task_id
    session.flush()  # the finder's photos came onto the task with the report (file_ids)
    audit.record(
        session,
        actor,
        "fire_safety.hazard.record",
        "fire_safety_hazard",
        hazard.id,
        after={
            "task_id": task.id,
            "grade": hazard.grade,
            "item": hazard.item,
            "place": hazard.place,
            "deadline": hazard.deadline.isoformat(),
        },
    )
    return hazard


# --- what the module does when a task moves --------------------------------------------------


def on_transition(
    session: Session, tenant: Tenant, task: Task, action: str, actor: User | None, comment: str
) -> None:
    """Keep the hazard in step with its task: make it when the task is reported (and send a
    major one up to the county), list it for supervision, note the day its re-check passed."""
    if task.task_type != HAZARD:
        return
    if action == "report":
        hazard = _new_hazard(session, tenant, task, actor)
        if goes_up(task) and actor is not None:
            _report_up(session, actor, task)
        if hazard.is_major and settings_of(tenant).get("auto_list_major", True):
            _list_by_rule(session, task, hazard)
        return
    hazard = hazard_of_task(session, task)
    if hazard is None:
        return
    if action == "pass":
        hazard.rectified_on = tenant.clock.today()
    elif action == "list" and actor is not None:
        _list(session, actor, task, hazard, comment)


def _new_hazard(session: Session, tenant: Tenant, task: Task, actor: User | None) -> Hazard:
    found_on = tenant.clock.day_of(task.reported_at)
    grade = GRADE_OF_CATEGORY.get(task.category, Grade.GENERAL.value)
    deadline = (
        tenant.clock.day_of(task.deadline)
        if task.deadline is not None and tenant.clock.day_of(task.deadline) >= found_on
        else default_deadline(tenant, grade, found_on)
    )
    hazard = Hazard(
        task_id=task.id,
        node_id=task.node_id,
        filed_path=task.filed_path,
        place=(task.location_text or task.title)[:200],
        item=OTHER,
        grade=grade,
        description=task.description,
        found_on=found_on,
        deadline=deadline,
        found_by_id=actor.id if actor is not None else None,
    )
    session.add(hazard)
    session.flush()
    return hazard


def _report_up(session: Session, actor: User, task: Task) -> None:
    """Take a major hazard up to the county, one level at a time, so that every level hears
    of it on the way (每一级都收到通知)."""
    scope = scope_of(session, actor)
    while goes_up(task):
        task = tasks.transition(
            session, actor, scope, task, "report_up", tasks.Move(comment=REPORT_UP_COMMENT)
        )


def _list_by_rule(session: Session, task: Task, hazard: Hazard) -> None:
    """重大隐患挂牌督办: by the county's standing rule (``auto_list_major``, on unless the county
    turns it off to decide each one in a meeting) a major hazard is listed under the county's
    supervision the moment it is filed, until its deadline, with no one's name on the order."""
    top = registry.get_node(session, int(task.filed_path.strip("/").split("/")[0]))
    tasks.supervise_by_rule(
        session,
        task,
        node=top,
        note=AUTO_LISTING_NOTE,
        due_at=_supervised_until(session, hazard),
        is_listed=True,
    )


def _supervised_until(session: Session, hazard: Hazard) -> dt.datetime:
    """The end of the hazard's deadline day, or of a week from today once it has passed (a
    deadline "by the 5th" includes the 5th)."""
    clock = current_tenant(session).clock
    today = clock.today()
    return clock.end_of_day(
        hazard.deadline if hazard.deadline >= today else today + LATE_SUPERVISION
    )


def _list(session: Session, actor: User, task: Task, hazard: Hazard, note: str) -> None:
    """挂牌督办: the county supervises the major hazard until it is eliminated, by its deadline
    (or a week from now, when the deadline has already passed)."""
    top = registry.get_node(session, int(task.filed_path.strip("/").split("/")[0]))
    tasks.supervise(
        session,
        actor,
        scope_of(session, actor),
        task,
        node=top,
        note=note,
        due_at=_supervised_until(session, hazard),
        is_listed=True,
    )


def is_listed(session: Session, hazard: Hazard) -> bool:
    """Whether the county ever put the hazard under listed supervision (挂牌督办)."""
    return tasks.is_listed(session, task_of(session, hazard))


def publish_hazard(session: Session, actor: User, scope: Scope, hazard: Hazard) -> Hazard:
    """向社会公告: the county publishes a listed major hazard (the announcements page and API
    show it from then on)."""
    if actor.role != Role.COUNTY_ADMIN:
        raise Forbidden(
            Localized("只有县级管理员可以向社会公告", "Only county administrators publish")
        )
    node = registry.get_node(session, hazard.node_id)
    county.check_open_for_work(session, NAME, node)
    if not hazard.is_major:
        raise DomainError(
            Localized("只公告重大火灾隐患", "Only major hazards are published"), field="hazard"
        )
    if not is_listed(session, hazard):
        raise DomainError(
            Localized("请先挂牌督办，再向社会公告", "List it for supervision before publishing"),
            field="hazard",
        )
    if hazard.published_at is not None:
        raise Conflict(Localized("已经公告过", "Already published"), field="hazard")
    hazard.published_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "fire_safety.hazard.publish",
        "fire_safety_hazard",
        hazard.id,
        after={"published_at": hazard.published_at.isoformat()},
    )
    return hazard


# --- the ledger ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFilter:
    node: Node | None = None  # found at or below this node
    grade: str | None = None
    state: str | None = None  # a state of the hazard task type
    site_id: int | None = None
    overdue: bool = False  # still open after its deadline
    published: bool = False


def ledger(scope: Scope, filters: LedgerFilter, today: dt.date) -> Select[Any]:
    """整改台帐: SELECT of (hazard, task) found in ``scope``; open ones first, the nearest
    deadline first."""
    query = (
        select(Hazard, Task)
        .join(Task, Task.id == Hazard.task_id)
        .where(path_filter(Hazard.filed_path, scope))
    )
    if filters.node is not None:
        query = query.where(subtree(Hazard.filed_path, filters.node.path))
    if filters.grade is not None:
        query = query.where(Hazard.grade == filters.grade)
    if filters.state is not None:
        query = query.where(Task.state == filters.state)
    if filters.site_id is not None:
        query = query.where(Hazard.site_id == filters.site_id)
    if filters.overdue:
        query = query.where(and_(Task.is_open.is_(True), Hazard.deadline < today))
    if filters.published:
        query = query.where(Hazard.published_at.is_not(None))
    return query.order_by(Task.is_open.desc(), Hazard.deadline, Hazard.id)


def is_overdue(hazard: Hazard, task: Task, today: dt.date) -> bool:
    return task.is_open and hazard.deadline < today


def is_on_time(hazard: Hazard) -> bool:
    return hazard.rectified_on is not None and hazard.rectified_on <= hazard.deadline
