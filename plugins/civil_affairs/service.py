"""Use cases of the civil-affairs module: the care register (people with the core's
special-population tags and the details the module keeps on them), care visits, assistance,
errands run on residents' behalf, who is due and overdue for a visit per grid worker and per
level, the station's alert about an overdue visit, and the figures and assessment points.

The register is the core's tags (``empty_nest_elderly``, ``disabled`` …) with their visit
schedules: a care visit also records the household visit in the registry, so the grid
worker's due list and the module's are one. An errand rides on a core task
(``workflow.ERRAND_TYPE``); ``react`` is the module's ``gridgov_task_transition``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from gridgov.core.plugins.hookspecs import DashboardFigure, ScoringContext, ScoringResult
from gridgov.sdk import audit, county, inputs, notifications, registry, tasks, visits
from gridgov.sdk.caller import Role, Scope, User, path_filter, responsible_worker
from gridgov.sdk.county import Period, clock_of, current_tenant_id
from gridgov.sdk.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.sdk.i18n import Localized
from gridgov.sdk.registry import Node, Person
from gridgov.sdk.storage import utcnow
from gridgov.sdk.tasks import Source, Task, Track
from gridgov_plugins.civil_affairs.models import (
    AllowanceStatus,
    Assistance,
    AssistanceKind,
    CareRecord,
    CareVisit,
    Condition,
    DisabilityCategory,
    DisabilityLevel,
    Errand,
    ErrandKind,
    OverdueAlert,
)
from gridgov_plugins.civil_affairs.workflow import (
    CATEGORY,
    DONE_STATES,
    ERRAND,
    ERRAND_TYPE,
    MODULE,
    RUNNERS,
)

# The core's tags of the special populations the module cares for (tags.py): the module
# declares no tag of its own.
TAG_LABELS = {
    "empty_nest_elderly": Localized("空巢老人", "Empty-nest elderly"),
    "left_behind_elderly": Localized("留守老人", "Left-behind elderly"),
    "left_behind_child": Localized("留守儿童", "Left-behind child"),
    "disabled": Localized("残疾人", "Person with a disability"),
    "hardship": Localized("困难群众", "Person in hardship"),
    "subsistence_allowance": Localized("低保对象", "Subsistence allowance"),
    "serious_illness": Localized("大病患者", "Serious illness"),
}
CARE_TAGS = tuple(TAG_LABELS)

DISABILITY_LABELS = {
    DisabilityCategory.VISION: Localized("视力残疾", "Vision"),
    DisabilityCategory.HEARING: Localized("听力残疾", "Hearing"),
    DisabilityCategory.SPEECH: Localized("言语残疾", "Speech"),
    DisabilityCategory.PHYSICAL: Localized("肢体残疾", "Physical"),
    DisabilityCategory.INTELLECTUAL: Localized("智力残疾", "Intellectual"),
    DisabilityCategory.MENTAL: Localized("精神残疾", "Mental"),
    DisabilityCategory.MULTIPLE: Localized("多重残疾", "Multiple"),
}
LEVEL_LABELS = {
    DisabilityLevel.ONE: Localized("一级", "Grade 1"),
    DisabilityLevel.TWO: Localized("二级", "Grade 2"),
    DisabilityLevel.THREE: Localized("三级", "Grade 3"),
    DisabilityLevel.FOUR: Localized("四级", "Grade 4"),
}
ALLOWANCE_LABELS = {
    AllowanceStatus.APPLYING: Localized("申请中", "Applying"),
    AllowanceStatus.RECEIVING: Localized("享受中", "Receiving"),
    AllowanceStatus.SUSPENDED: Localized("暂停发放", "Suspended"),
    AllowanceStatus.ENDED: Localized("已退出", "Ended"),
}
CONDITION_LABELS = {
    Condition.GOOD: Localized("良好", "Good"),
    Condition.FAIR: Localized("一般", "Fair"),
    Condition.POOR: Localized("较差", "Poor"),
    Condition.URGENT: Localized("急需帮助", "Needs help now"),
}
ASSISTANCE_LABELS = {
    AssistanceKind.GOODS: Localized("物资", "Goods"),
    AssistanceKind.MONEY: Localized("资金", "Money"),
    AssistanceKind.SERVICE: Localized("服务", "Service"),
}
ERRAND_LABELS = {
    ErrandKind.ALLOWANCE: Localized("低保、救助申请", "Allowance or relief application"),
    ErrandKind.PENSION: Localized("养老金资格认证", "Pension certification"),
    ErrandKind.MEDICAL: Localized("医保报销、慢病证", "Medical reimbursement"),
    ErrandKind.DISABILITY_CARD: Localized("残疾人证办理", "Disability card"),
    ErrandKind.CERTIFICATE: Localized("开具证明", "Certificate"),
    ErrandKind.OTHER: Localized("其他事务", "Other"),
}
RATING_LABELS = {
    "satisfied": Localized("满意", "Satisfied"),
    "basic": Localized("基本满意", "Fairly satisfied"),
    "unsatisfied": Localized("不满意", "Unsatisfied"),
}

# Who keeps the module's records (details, visits, assistance): the staff working with
# residents and the civil affairs bureau's officers (when the county admitted it for them).
KEEPERS = RUNNERS | {Role.COUNTY_ADMIN, Role.DEPARTMENT_OFFICER}
MAX_TEXT = 2000
DUE_HORIZON_DAYS = 7  # "due": falls due within a week; "overdue": the day it fell due passed
ALERT_KIND = f"{MODULE}.visit_overdue"


# --- access ----------------------------------------------------------------------------------


def may_read(session: Session, user: User) -> bool:
    """Staff read the module's records in their scope; a department officer only when their
    department runs the module; volunteers, supervisors and the audit administrator never."""
    return tasks.may_read_type(session, user, ERRAND_TYPE)


def check_may_read(session: Session, user: User) -> None:
    if not may_read(session, user):
        raise Forbidden(
            Localized("您的角色不能查看民政关爱记录", "Your role cannot see care records")
        )


def may_keep(session: Session, user: User) -> bool:
    """Whether ``user`` records details, visits and assistance (the portal asks this too)."""
    return user.role in KEEPERS and may_read(session, user)


def _check_may_keep(session: Session, user: User, person: Person) -> Node:
    if not may_keep(session, user):
        raise Forbidden(
            Localized("您的角色不能登记民政关爱记录", "Your role cannot keep care records")
        )
    node = registry.get_node(session, person.node_id)
    county.check_open_for_work(session, MODULE, node)
    return node


def care_filter() -> Any:
    """A WHERE clause on Person: has one of the module's tags."""
    return or_(*(Person.tags.any(tag=code) for code in CARE_TAGS))


def live_scope(session: Session, scope: Scope) -> Scope:
    """``scope`` narrowed to where the module is live: a pilot's townships (试点先行), else
    ``scope`` itself. The register and the due lists show no one the module does not serve."""
    pilot = county.pilot_paths(session, MODULE)
    if pilot is None:
        return scope
    if scope.everything:
        return Scope(paths=pilot)
    inside = {p for p in scope.paths if any(p.startswith(q) for q in pilot)}
    inside |= {q for q in pilot if any(q.startswith(p) for p in scope.paths)}
    return Scope(paths=tuple(sorted(inside)))


def visible_person(session: Session, user: User, scope: Scope, person_id: int) -> Person:
    """The person in care if ``user`` sees them, else NotFound (Forbidden for roles that see
    none of the module)."""
    check_may_read(session, user)
    try:
        person = registry.visible_person(session, user, scope, person_id)
    except Forbidden:
        raise NotFound(Localized("没有这个人员", "No such person")) from None
    if person.tenant_id != current_tenant_id(session) or not is_in_care(session, person):
        raise NotFound(Localized("没有这个人员", "No such person"))
    return person


def is_in_care(session: Session, person: Person) -> bool:
    return (
        session.scalar(select(Person.id).where(Person.id == person.id, care_filter())) is not None
    )


def care_tags(person: Person) -> list[str]:
    """The module's tags the person carries, in the register's order."""
    held = {tag.tag for tag in person.tags}
    return [code for code in CARE_TAGS if code in held]


def care_people(
    session: Session, user: User, scope: Scope, *, tag: str | None = None, text: str | None = None
) -> Select[Any]:
    """SELECT of the people in care ``user`` sees (with ``tag`` only; by name prefix)."""
    check_may_read(session, user)
    if tag is not None and tag not in CARE_TAGS:
        raise DomainError(Localized("请从列表中选择", "Choose from the list"), field="tag")
    if registry.names_personal_data(text):  # it would end up in access logs
        raise DomainError(
            Localized("请按姓名查询，不要在地址中使用身份证号或电话", "Search by name"),
            field="name",
        )
    query = registry.people_query(live_scope(session, scope), text=text or None, tag=tag)
    return query.where(care_filter()) if tag is None else query


def age_of(session: Session, person: Person) -> int | None:
    """Age in years on the county's today: what the pages show instead of the birth date."""
    if person.birth_date is None:
        return None
    today = clock_of(session).today()
    born = person.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def masked_phone(person: Person) -> str | None:
    return registry.masked_phone(person.tenant_id, person.phone_cipher)


# --- the care record (档案信息) ----------------------------------------------------------------


def record_of(session: Session, person: Person) -> CareRecord | None:
    return session.scalar(select(CareRecord).where(CareRecord.person_id == person.id))


@dataclass(frozen=True)
class RecordInput:
    disability_category: str | None = None
    disability_level: str | None = None
    allowance_status: str | None = None
    allowance_review_on: dt.date | None = None
    illness: str = ""
    note: str = ""


def _snap_record(record: CareRecord) -> dict[str, Any]:
    return {
        "disability_category": record.disability_category,
        "disability_level": record.disability_level,
        "allowance_status": record.allowance_status,
        "allowance_review_on": record.allowance_review_on.isoformat()
        if record.allowance_review_on
        else None,
        "illness": record.illness,
    }


def save_record(
    session: Session, actor: User, scope: Scope, person: Person, data: RecordInput
) -> CareRecord:
    """Keep the details of a person in care (完善档案信息): disability category and level,
    allowance status and its review date, illness; audited."""
    _check_may_keep(session, actor, person)
    category = inputs.optional_choice(
        data.disability_category, DisabilityCategory, "disability_category"
    )
    level = inputs.optional_choice(data.disability_level, DisabilityLevel, "disability_level")
    if (category is None) != (level is None):
        raise DomainError(
            Localized("残疾类别和等级须同时填写", "Give both the category and the grade"),
            field="disability_level" if category else "disability_category",
        )
    allowance = inputs.optional_choice(data.allowance_status, AllowanceStatus, "allowance_status")
    if data.allowance_review_on is not None and allowance is None:
        raise DomainError(
            Localized("填写复核日期时请选择低保状态", "Choose the allowance status"),
            field="allowance_status",
        )
    record = record_of(session, person)
    before = _snap_record(record) if record is not None else None
    if record is None:
        record = CareRecord(person_id=person.id)
        session.add(record)
    record.disability_category = category
    record.disability_level = level
    record.allowance_status = allowance
    record.allowance_review_on = data.allowance_review_on
    record.illness = inputs.text(data.illness, "illness", limit=200, required=False)
    record.note = inputs.text(data.note, "note", limit=MAX_TEXT, required=False)
    record.updated_by_id = actor.id
    record.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "civil_affairs.record.save",
        "person",
        person.id,
        before=before,
        after=_snap_record(record),
    )
    return record


def allowance_reviews_due(
    session: Session, user: User, scope: Scope, *, today: dt.date, within_days: int = 30
) -> Select[Any]:
    """SELECT of (CareRecord, Person): allowances being received or applied for whose review
    (低保复核) falls within ``within_days`` of ``today`` or has passed, soonest first."""
    check_may_read(session, user)
    return (
        select(CareRecord, Person)
        .join(Person, Person.id == CareRecord.person_id)
        .where(
            _in_scope_people(live_scope(session, scope)),
            CareRecord.allowance_status.in_(
                [AllowanceStatus.RECEIVING.value, AllowanceStatus.APPLYING.value]
            ),
            CareRecord.allowance_review_on <= today + dt.timedelta(days=within_days),
        )
        .order_by(CareRecord.allowance_review_on, Person.name)
    )


# --- care visits (定期走访) --------------------------------------------------------------------


@dataclass(frozen=True)
class VisitInput:
    visited_on: dt.date | None
    condition: str
    needs: str = ""
    follow_up: str = ""
    needs_follow_up: bool = False


def _overdue_on(session: Session, person: Person, day: dt.date) -> bool:
    """Whether the person's visit was overdue on ``day`` (fell due before it, or never made)."""
    due = visits.due_visits(
        session,
        Scope(everything=True),
        today=day - dt.timedelta(days=1),
        tags=CARE_TAGS,
        grid_id=person.node_id,
    )
    return any(entry.person.id == person.id for entry in due)


def record_care_visit(
    session: Session, actor: User, scope: Scope, person: Person, data: VisitInput
) -> CareVisit:
    """Record a visit to a person in care (condition, needs, follow-up) and the household
    visit in the registry, which resets the schedule of every member of the household."""
    node = _check_may_keep(session, actor, person)
    visited_on = inputs.past_date(session, data.visited_on, "visited_on")
    condition = inputs.choice(data.condition, Condition, "condition")
    needs = inputs.text(data.needs, "needs", limit=MAX_TEXT, required=False)
    follow_up = inputs.text(data.follow_up, "follow_up", limit=MAX_TEXT, required=False)
    if data.needs_follow_up and not follow_up:
        raise DomainError(
            Localized("需要跟进时请写明跟进措施", "Say how it will be followed up"),
            field="follow_up",
        )
    if person.household_id is None:
        raise DomainError(
            Localized("该人员未登记所在户，请先在人口库中登记", "Register the household first"),
            field="person_id",
        )
    household = visits.visible_household(session, actor, scope, person.household_id)
    is_on_time = not _overdue_on(session, person, visited_on)
    clock = clock_of(session)
    moment = min(clock.at(visited_on, dt.time(12, 0)), utcnow())
    # The registry's visit log is read more widely than the module (supervisors, every
    # department's officers): it learns whom the visitor saw, not their condition or needs.
    notes = f"民政关爱走访：见到{person.name}（情况见民政走访记录）"
    household_visit = visits.record_visit(
        session, actor, household, notes=notes[:2000], visited_at=moment
    )
    visit = CareVisit(
        person_id=person.id,
        household_visit_id=household_visit.id,
        node_id=node.id,
        filed_path=node.path,
        visited_on=visited_on,
        visited_by_id=actor.id,
        condition=condition,
        needs=needs,
        follow_up=follow_up,
        needs_follow_up=bool(data.needs_follow_up),
        is_on_time=is_on_time,
    )
    session.add(visit)
    session.flush()
    audit.record(
        session,
        actor,
        "civil_affairs.visit.record",
        "person",
        person.id,
        after={"visit_id": visit.id, "condition": condition, "is_on_time": is_on_time},
    )
    return visit


def visits_of(session: Session, person: Person) -> list[CareVisit]:
    """The person's care visits, newest first."""
    return list(
        session.scalars(
            select(CareVisit)
            .where(CareVisit.person_id == person.id)
            .order_by(CareVisit.visited_on.desc(), CareVisit.id.desc())
        )
    )


# --- who is due (应走访) and overdue (逾期未走访) -----------------------------------------------


@dataclass(frozen=True)
class DueEntry:
    person: Person
    tag: str  # the tag whose schedule falls due first
    due_on: dt.date | None  # None: never visited
    last_visit: dt.datetime | None
    is_overdue: bool


def due_list(
    session: Session,
    user: User,
    scope: Scope,
    *,
    today: dt.date,
    horizon_days: int = DUE_HORIZON_DAYS,
    grid_id: int | None = None,
) -> list[DueEntry]:
    """The people in care in ``scope`` whose visit falls due within ``horizon_days`` of the
    county day ``today`` or is overdue, one entry each (their earliest schedule), the most
    overdue first."""
    check_may_read(session, user)
    return _due(session, scope, today, horizon_days, grid_id)


def _due(
    session: Session, scope: Scope, today: dt.date, horizon_days: int, grid_id: int | None = None
) -> list[DueEntry]:
    found = visits.due_visits(
        session,
        live_scope(session, scope),
        today=today + dt.timedelta(days=horizon_days),
        tags=CARE_TAGS,
        grid_id=grid_id,
    )
    first: dict[int, DueEntry] = {}
    for entry in found:  # most overdue first: the first entry of a person is their earliest
        if entry.person.id not in first:
            overdue = entry.due_on is None or entry.due_on < today
            first[entry.person.id] = DueEntry(
                entry.person, entry.tag.code, entry.due_on, entry.last_visit, overdue
            )
    return list(first.values())


@dataclass(frozen=True)
class DueCount:
    node: registry.NodeView
    due: int
    overdue: int
    worker: str | None = None  # the grid's responsible worker (grid rows only)


def _paths(session: Session, entries: Sequence[DueEntry]) -> dict[int, str]:
    ids = {entry.person.node_id for entry in entries}
    return {node_id: registry.get_node(session, node_id).path for node_id in ids}


def counts_by_level(
    session: Session,
    user: User,
    scope: Scope,
    node: Node,
    *,
    today: dt.date,
    entries: Sequence[DueEntry] | None = None,
) -> list[DueCount]:
    """Due and overdue visits under each child of ``node`` (grid → community → township →
    county); for a grid, the grid itself with its worker. ``entries``: the ``due_list`` the
    caller already has for the same user, scope and day."""
    if entries is None:
        entries = due_list(session, user, scope, today=today)
    paths = _paths(session, entries)
    rows = registry.children(session, node) or [registry.NodeView.of(node)]
    grid_level = county.current_tenant(session).grid_level
    counted: list[DueCount] = []
    for row in rows:
        seen = scope.everything or any(
            row.path.startswith(p) or p.startswith(row.path) for p in scope.paths
        )
        if not seen:
            continue
        inside = [e for e in entries if paths[e.person.node_id].startswith(row.path)]
        worker = None
        if row.level == grid_level:
            found = responsible_worker(session, registry.get_node(session, row.id))
            worker = found.name if found else None
        counted.append(DueCount(row, len(inside), sum(1 for e in inside if e.is_overdue), worker))
    return counted


@dataclass(frozen=True)
class WorkerCount:
    worker: User | None
    grid: registry.NodeView
    due: int
    overdue: int


def counts_by_worker(
    session: Session,
    user: User,
    scope: Scope,
    *,
    today: dt.date,
    entries: Sequence[DueEntry] | None = None,
) -> list[WorkerCount]:
    """Due and overdue visits per grid and its responsible worker, the most overdue first
    (``entries`` as for ``counts_by_level``)."""
    if entries is None:
        entries = due_list(session, user, scope, today=today)
    by_grid: dict[int, list[DueEntry]] = defaultdict(list)
    for entry in entries:
        by_grid[entry.person.node_id].append(entry)
    rows = []
    for grid_id, inside in by_grid.items():
        grid = registry.get_node(session, grid_id)
        rows.append(
            WorkerCount(
                responsible_worker(session, grid),
                registry.NodeView.of(grid),
                len(inside),
                sum(1 for e in inside if e.is_overdue),
            )
        )
    return sorted(rows, key=lambda r: (-r.overdue, -r.due, r.grid.code))


def alert_overdue(session: Session, tenant_id: int) -> int:
    """Tell each community station once about every person in care of its grids whose visit
    is overdue (the periodic job); returns how many alerts went out. A person is alerted again
    only for a new overdue spell (after a visit, when the next one falls overdue)."""
    today = clock_of(session).today()
    sent = 0
    for entry in _due(session, Scope(everything=True), today, 0):
        if not entry.is_overdue:
            continue
        key = entry.due_on.isoformat() if entry.due_on else "never"
        already = session.scalar(
            select(OverdueAlert.id).where(
                OverdueAlert.person_id == entry.person.id, OverdueAlert.due_key == key
            )
        )
        if already is not None:
            continue
        grid = registry.get_node(session, entry.person.node_id)
        try:
            county.check_open_for_work(session, MODULE, grid)
        except (Conflict, NotFound):
            continue
        station = registry.get_node(session, grid.parent_id) if grid.parent_id else grid
        label = TAG_LABELS[entry.tag].zh
        since = f"应于 {entry.due_on.isoformat()} 前走访" if entry.due_on else "从未走访"
        message = f"{grid.name}{label}{entry.person.name}逾期未走访（{since}），请督促网格员走访"
        notifications.notify_level(
            session, None, station, ALERT_KIND, message, role=Role.STATION_STAFF.value
        )
        session.add(OverdueAlert(person_id=entry.person.id, due_key=key, node_id=station.id))
        session.flush()
        sent += 1
    return sent


def run_alerts(session: Session, tenant_id: int) -> None:
    """The periodic job's entry point (``gridgov_periodic_jobs``)."""
    alert_overdue(session, tenant_id)


# --- assistance (物资、资金、服务) --------------------------------------------------------------


@dataclass(frozen=True)
class AssistanceInput:
    kind: str
    what: str
    given_on: dt.date | None
    given_by: str
    amount: Decimal | str | None = None
    quantity: int | None = None
    to_household: bool = False


def _amount(value: Decimal | str | None) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(
            Localized("请填写金额（元）", "Give the amount"), field="amount"
        ) from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("10000000000"):
        raise DomainError(Localized("金额须大于 0", "A positive amount"), field="amount")
    return amount.quantize(Decimal("0.01"))


def record_assistance(
    session: Session, actor: User, scope: Scope, person: Person, data: AssistanceInput
) -> Assistance:
    """Record goods, money or a service given to a person in care, or to their household
    (``to_household``); money needs its amount; audited."""
    node = _check_may_keep(session, actor, person)
    kind = inputs.choice(data.kind, AssistanceKind, "kind")
    amount = _amount(data.amount)
    if kind == AssistanceKind.MONEY and amount is None:
        raise DomainError(Localized("资金救助请填写金额", "Give the amount"), field="amount")
    if data.quantity is not None and not 0 < data.quantity <= 100000:
        raise DomainError(Localized("数量须为正整数", "A positive number"), field="quantity")
    if data.to_household and person.household_id is None:
        raise DomainError(
            Localized("该人员未登记所在户", "The person has no household"), field="to_household"
        )
    given = Assistance(
        person_id=person.id,
        household_id=person.household_id if data.to_household else None,
        node_id=node.id,
        filed_path=node.path,
        kind=kind,
        what=inputs.text(data.what, "what", limit=200),
        amount=amount,
        quantity=data.quantity,
        given_on=inputs.past_date(session, data.given_on, "given_on"),
        given_by=inputs.text(data.given_by, "given_by", limit=100),
        recorded_by_id=actor.id,
    )
    session.add(given)
    session.flush()
    audit.record(
        session,
        actor,
        "civil_affairs.assistance.record",
        "person",
        person.id,
        after={
            "assistance_id": given.id,
            "kind": kind,
            "amount": str(amount) if amount is not None else None,
            "household_id": given.household_id,
        },
    )
    return given


def assistance_of(session: Session, person: Person) -> list[Assistance]:
    """What the person, or their household, was given; newest first."""
    mine = Assistance.person_id == person.id
    if person.household_id is not None:
        mine = or_(mine, Assistance.household_id == person.household_id)
    return list(
        session.scalars(
            select(Assistance).where(mine).order_by(Assistance.given_on.desc(), Assistance.id)
        )
    )


def visible_assistance(session: Session, user: User, scope: Scope) -> Select[Any]:
    """SELECT of (Assistance, Person) given in ``scope``, newest first."""
    check_may_read(session, user)
    return (
        select(Assistance, Person)
        .join(Person, Person.id == Assistance.person_id)
        .where(path_filter(Assistance.filed_path, scope))
        .order_by(Assistance.given_on.desc(), Assistance.id.desc())
    )


# --- errands (居民事务代办) ---------------------------------------------------------------------


def errand_of(session: Session, task: Task) -> Errand | None:
    return session.scalar(select(Errand).where(Errand.task_id == task.id))


def task_of(session: Session, errand: Errand) -> Task:
    return tasks.get_task(session, errand.task_id)


def react(session: Session, task: Task, action: str, actor: User | None) -> None:
    """The module's rules on every step of an errand's task (``gridgov_task_transition``)."""
    if task.task_type != ERRAND:
        return
    errand = errand_of(session, task)
    if action == "report":
        if errand is None:
            session.add(Errand(task_id=task.id))
            session.flush()
        return
    if errand is not None and action == "done":
        errand.done_by_id = actor.id if actor is not None else None
        errand.done_at = utcnow()


@dataclass(frozen=True)
class ErrandInput:
    kind: str
    title: str
    description: str = ""
    idempotency_key: str | None = None


def may_request_errand(session: Session, user: User) -> bool:
    return user.role in RUNNERS and may_read(session, user)


def request_errand(
    session: Session, actor: User, scope: Scope, person: Person, data: ErrandInput
) -> Errand:
    """File an errand a resident in care asked for, under their grid; it waits to be
    accepted. The task's code is what the resident tracks and confirms it with."""
    if not may_request_errand(session, actor):
        raise Forbidden(Localized("您的角色不能受理代办", "Your role does not run errands"))
    kind = inputs.choice(data.kind, ErrandKind, "kind")
    node = registry.get_node(session, person.node_id)
    county.check_open_for_work(session, MODULE, node)
    task, created = tasks.report(
        session,
        actor,
        scope,
        node,
        tasks.Report(
            task_type=ERRAND,
            category=CATEGORY,
            title=inputs.text(data.title, "title", limit=200),
            description=inputs.text(
                data.description, "description", limit=MAX_TEXT, required=False
            ),
            track=Track.COORDINATE.value,
            source=Source.PATROL.value,
            links=(("person", person.id),),
            idempotency_key=data.idempotency_key,
        ),
    )
    errand = errand_of(session, task)
    assert errand is not None, "the module's reaction files an errand with every report"
    if created:
        errand.kind = kind
        errand.person_id = person.id
        session.flush()
        audit.record(
            session,
            actor,
            "civil_affairs.errand.request",
            "person",
            person.id,
            after={"errand_id": errand.id, "task_id": task.id, "kind": kind},
        )
    return errand


def visible_errand(session: Session, user: User, scope: Scope, errand_id: int) -> Errand:
    """The errand if ``user`` sees its task, else NotFound."""
    check_may_read(session, user)
    errand = session.get(Errand, errand_id)
    if errand is None or errand.tenant_id != current_tenant_id(session):
        raise NotFound(Localized("没有这项代办", "No such errand"))
    tasks.visible_task(session, user, scope, errand.task_id)
    return errand


def visible_errands(
    session: Session, user: User, scope: Scope, *, is_open: bool | None = None
) -> Select[Any]:
    """SELECT of (Errand, Task) the user sees, open and oldest first."""
    check_may_read(session, user)
    query = (
        select(Errand, Task)
        .join(Task, Task.id == Errand.task_id)
        .where(tasks.visible_filter(session, user, scope))
    )
    if is_open is not None:
        query = query.where(Task.is_open.is_(is_open))
    return query.order_by(Task.is_open.desc(), Task.due_at, Errand.id.desc())


def errands_of(session: Session, person: Person) -> list[tuple[Errand, Task]]:
    return list(
        session.execute(
            select(Errand, Task)
            .join(Task, Task.id == Errand.task_id)
            .where(Errand.person_id == person.id)
            .order_by(Errand.id.desc())
        ).all()
    )


ERRAND_STEPS = ("accept", "done", "cancel", "confirm", "reopen")


def take_errand_step(
    session: Session,
    actor: User,
    scope: Scope,
    errand: Errand,
    action: str,
    comment: str = "",
    rating: str | None = None,
) -> Task:
    """Accept, finish (the answer the resident reads), cancel, or record the resident's
    confirmation (with their rating) of an errand."""
    if action not in ERRAND_STEPS:
        raise DomainError(Localized("未知的操作", "Unknown step"), field="action")
    if action == "confirm" and rating not in RATING_LABELS:
        raise DomainError(
            Localized("请选择居民的评价", "Choose the resident's rating"), field="rating"
        )
    return tasks.transition(
        session,
        actor,
        scope,
        task_of(session, errand),
        action,
        tasks.Move(comment=comment, rating=rating if action == "confirm" else None),
    )


# --- figures and assessment ------------------------------------------------------------------


def _in_scope_people(scope: Scope) -> Any:
    """A WHERE clause on Person: filed under a grid of ``scope``."""
    return Person.node_id.in_(select(Node.id).where(path_filter(Node.path, scope)))


def _between(column: Any, period: Period | None) -> Any:
    if period is None:
        return true()
    return and_(column >= period.starts_at, column < period.ends_at)


def _on_days(column: Any, period: Period | None) -> Any:
    if period is None:
        return true()
    return and_(column >= period.first, column <= period.last)


@dataclass(frozen=True)
class Figures:
    records: int  # 完善档案信息 (details kept)
    visits: int  # 走访人次
    visits_on_time: int
    assistance: int  # 救助帮扶人次
    money: Decimal  # 救助资金 (元)
    errands_done: int  # 代办居民事务
    errands_open: int

    @property
    def on_time_rate(self) -> float:
        return self.visits_on_time / self.visits if self.visits else 0.0

    @property
    def served(self) -> int:
        """服务居民人次: every visit, assistance and errand done counts once."""
        return self.visits + self.assistance + self.errands_done


def figures(session: Session, scope: Scope, period: Period | None = None) -> Figures:
    """The module's figures in ``scope`` (in ``period``, if given; errands by the day they
    were done)."""
    records = session.scalar(
        select(func.count(CareRecord.id))
        .join(Person, Person.id == CareRecord.person_id)
        .where(_in_scope_people(scope), _between(CareRecord.updated_at, period))
    )
    visit_row = session.execute(
        select(
            func.count(CareVisit.id), func.count(CareVisit.id).filter(CareVisit.is_on_time)
        ).where(path_filter(CareVisit.filed_path, scope), _on_days(CareVisit.visited_on, period))
    ).one()
    given_row = session.execute(
        select(func.count(Assistance.id), func.sum(Assistance.amount)).where(
            path_filter(Assistance.filed_path, scope), _on_days(Assistance.given_on, period)
        )
    ).one()
    errands = select(func.count(Errand.id)).join(Task, Task.id == Errand.task_id)
    done = session.scalar(
        errands.where(
            path_filter(Task.filed_path, scope),
            Task.state.in_(DONE_STATES),
            _between(Errand.done_at, period),
        )
    )
    still_open = session.scalar(
        errands.where(path_filter(Task.filed_path, scope), Task.is_open.is_(True))
    )
    return Figures(
        int(records or 0),
        int(visit_row[0] or 0),
        int(visit_row[1] or 0),
        int(given_row[0] or 0),
        Decimal(given_row[1] or 0),
        int(done or 0),
        int(still_open or 0),
    )


def period_figures(session: Session, scope: Scope, period: Period) -> list[DashboardFigure]:
    """The figures of a period report, in the seeds' words ("完善空巢老人、困难群众、留守儿童、大病
    伤残人员的档案信息50余条", "服务居民29349人次")."""
    found = figures(session, scope, period)
    return [
        DashboardFigure(
            f"{MODULE}.records",
            "完善空巢老人、困难群众、留守儿童、大病伤残人员的档案信息",
            "Care records completed",
            found.records,
            "条",
        ),
        DashboardFigure(f"{MODULE}.visits", "走访特殊人群", "Care visits", found.visits, "人次"),
        DashboardFigure(
            f"{MODULE}.on_time_rate",
            "按期走访率",
            "Visits on time",
            round(found.on_time_rate * 100, 1),
            "%",
        ),
        DashboardFigure(
            f"{MODULE}.assistance", "发放救助帮扶", "Assistance given", found.assistance, "人次"
        ),
        DashboardFigure(
            f"{MODULE}.money", "发放救助资金", "Relief money", float(found.money), "元"
        ),
        DashboardFigure(
            f"{MODULE}.errands_done", "代办居民事务", "Errands run", found.errands_done, "件"
        ),
        DashboardFigure(
            f"{MODULE}.served", "服务居民", "Services to residents", found.served, "人次"
        ),
    ]


def dashboard_figures(session: Session, scope: Scope) -> list[DashboardFigure]:
    """The figures as the county dashboard shows every module's: the register and the visits
    due now, beside the totals."""
    found = figures(session, scope)
    in_care = session.scalar(
        select(func.count()).select_from(
            registry.people_query(live_scope(session, scope)).where(care_filter()).subquery()
        )
    )
    due = _due(session, scope, clock_of(session).today(), DUE_HORIZON_DAYS)
    return [
        DashboardFigure(f"{MODULE}.in_care", "特殊人群", "People in care", int(in_care or 0), "人"),
        DashboardFigure(
            f"{MODULE}.overdue",
            "逾期未走访",
            "Visits overdue",
            sum(1 for e in due if e.is_overdue),
            "人",
        ),
        DashboardFigure(
            f"{MODULE}.due",
            "近7日应走访",
            "Visits due within a week",
            sum(1 for e in due if not e.is_overdue),
            "人",
        ),
        DashboardFigure(f"{MODULE}.visits", "走访特殊人群", "Care visits", found.visits, "人次"),
        DashboardFigure(
            f"{MODULE}.errands_open", "在办代办事务", "Errands open", found.errands_open, "件"
        ),
        DashboardFigure(
            f"{MODULE}.served", "服务居民", "Services to residents", found.served, "人次"
        ),
    ]


VISIT_POINTS = 0.5
ERRAND_POINTS = 1.0


def visit_points(context: ScoringContext) -> ScoringResult:
    """Half a point per care visit the worker made on schedule in the period."""
    rows = list(
        context.session.scalars(
            select(CareVisit.household_visit_id)
            .where(
                CareVisit.visited_by_id == context.user_id,
                CareVisit.is_on_time.is_(True),
                CareVisit.visited_on >= context.period_start,
                CareVisit.visited_on <= context.period_end,
            )
            .order_by(CareVisit.household_visit_id)
        )
    )
    return ScoringResult(
        len(rows) * VISIT_POINTS,
        f"按期走访特殊人群 {len(rows)} 人次",
        f"{len(rows)} care visits on time",
        {"visit": rows},
    )


def errand_points(context: ScoringContext) -> ScoringResult:
    """A point per errand the worker finished in the period (and not cancelled since)."""
    start, end = context.period.starts_at, context.period.ends_at
    rows = list(
        context.session.scalars(
            select(Errand.task_id)
            .join(Task, Task.id == Errand.task_id)
            .where(
                Errand.done_by_id == context.user_id,
                Errand.done_at >= start,
                Errand.done_at < end,
                Task.state.in_(DONE_STATES),
            )
            .order_by(Errand.task_id)
        )
    )
    return ScoringResult(
        len(rows) * ERRAND_POINTS,
        f"代办居民事务 {len(rows)} 件",
        f"{len(rows)} errands run",
        {"task": rows},
    )
