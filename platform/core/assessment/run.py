"""The monthly run: score every grid worker of a county for one month with the scheme in force
that month, and write one sheet per worker explaining every line.

The core's rules score all workers at once (``assessment.rules``); a module's rules are asked
per worker, and only for workers whose grids lie where the module was admitted during the month
(a pilot: its townships only). A month the county locked is never scored again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.accounts.models import Role, User
from gridgov.core.admission.models import Admission, AdmissionEvent, AdmissionPilotNode
from gridgov.core.assessment import scheme as schemes
from gridgov.core.assessment.models import (
    EXCUSING_STATES,
    LOCK,
    Adjustment,
    AssessmentLine,
    AssessmentPeriod,
    AssessmentRun,
    AssessmentScheme,
    AssessmentSheet,
    LeaveRequest,
    LineStatus,
    ManualScore,
    SheetState,
)
from gridgov.core.assessment.rules import CORE_RULES, INDICATORS, LineResult, Month, Worker
from gridgov.core.assessment.scheme import CATEGORIES, Line, RuleInfo, Scheme
from gridgov.core.audit import service as audit
from gridgov.core.db import current_tenant_id, utcnow
from gridgov.core.errors import Conflict, Forbidden
from gridgov.core.files import runs
from gridgov.core.files.models import RunStatus
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.i18n import SOURCE_LOCALE, _, force_locale
from gridgov.core.jobs import job, report_progress
from gridgov.core.plugins.hookspecs import ScoringContext, ScoringRule
from gridgov.core.tasks.calendar import work_calendar
from gridgov.core.tenancy.county_time import Period
from gridgov.core.tenancy.service import current_tenant

# Who may start a run: the county's administrator, and the township that scores its workers.
RUNNER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})


def module_rules() -> list[ScoringRule]:
    """Every installed module's scoring rules (whether a county admitted them is checked per
    worker and month when scoring)."""
    return runtime.current().plugins.scoring_rules()


def catalogue() -> dict[str, RuleInfo]:
    """Every rule a scheme line may name: the core's, then the installed modules'."""
    found = {rule.info.code: rule.info for rule in CORE_RULES}
    for rule in module_rules():
        found[rule.code] = RuleInfo(
            rule.code, rule.label, rule.label_en, rule.category, rule.max_points
        )
    return found


def month_period(session: Session, month: str) -> Period:
    """The county days of ``month`` (YYYY-MM)."""
    year, number = (int(part) for part in schemes.check_month(month).split("-"))
    return Period.month(year, number, current_tenant(session).clock.zone)


def scheme_version(session: Session, month: str) -> AssessmentScheme:
    """The scheme version in force in ``month``; where the county set none, the default scheme,
    stored as a version of its own (in force from that month, wherever the county's versions
    do not reach), so every sheet names the version it was scored with."""
    version = schemes.version_for(session, month)
    if version is not None:
        return version
    return schemes.set_scheme(
        session,
        None,
        schemes.default_scheme(catalogue().values()),
        first_month=month,
        source="default",
        actor_name="system",
        note="默认考核方案",
    )


def is_locked(session: Session, month: str) -> bool:
    """Whether the county confirmed and locked ``month`` (its sheets are final)."""
    return (
        session.scalar(
            select(AssessmentPeriod.id).where(
                AssessmentPeriod.kind == LOCK, AssessmentPeriod.period == month
            )
        )
        is not None
    )


# --- starting a run --------------------------------------------------------------------------


def new_run(session: Session, actor: User | None, month: str) -> AssessmentRun:
    """Record (and audit) a run of ``month``, not started yet. Refused for a locked month (its
    sheets are final) and for a month not begun yet."""
    if actor is not None and actor.role not in RUNNER_ROLES:
        raise Forbidden(_("只有县级管理员和乡镇工作人员可以计算考核"))
    period = month_period(session, month)
    if period.first > current_tenant(session).clock.today():
        raise Conflict(_("%(month)s 还没有开始，不能计算考核", month=month), field="month")
    if is_locked(session, month):
        raise Conflict(
            _("%(month)s 的考核已锁定，不能重新计算；更正请做调整", month=month), field="month"
        )
    version = scheme_version(session, month)
    run = AssessmentRun(
        month=month, scheme_id=version.id, created_by_id=actor.id if actor else None
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor,
        "assessment.run",
        "assessment_run",
        run.id,
        after={"month": month, "scheme": version.number},
    )
    return run


def start_run(session: Session, actor: User | None, month: str) -> AssessmentRun:
    """Record a run of ``month`` and queue its job (inline: it has run when this returns)."""
    return runs.launch(session, new_run(session, actor, month), run_assessment)


@job
def run_assessment(session: Session, run_id: int) -> dict[str, Any]:
    """The background job scoring one run's month (see ``score_month``)."""
    return carry_out(session, run_id, report_progress)


def carry_out(
    session: Session, run_id: int, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Score the run's month; the run ends done with the number of sheets, or failed."""
    run = session.get(AssessmentRun, run_id)
    if run is None:
        return {"status": "missing"}
    run.status = RunStatus.RUNNING.value
    session.flush()

    def work() -> dict[str, Any]:
        run.sheets = score_month(session, run.month, run=run, progress=progress)
        run.status, run.finished_at = RunStatus.DONE.value, utcnow()
        return {"status": run.status, "sheets": run.sheets}

    return runs.guarded(session, run, work)


# --- scoring ---------------------------------------------------------------------------------


def grid_workers(session: Session) -> dict[int, Worker]:
    """The county's active grid workers with their grids, by id."""
    users = session.execute(
        select(User.id, User.name)
        .where(User.role == Role.GRID_WORKER.value, User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    grids: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for user_id, node_id, path in session.execute(
        select(Assignment.user_id, Node.id, Node.path)
        .join(Node, Node.id == Assignment.node_id)
        .order_by(Assignment.id)
    ):
        grids[user_id].append((node_id, path))
    workers = {}
    for user_id, name in users:
        mine = grids.get(user_id, [])
        workers[user_id] = Worker(
            id=user_id,
            name=name,
            paths=tuple(path for _node, path in mine),
            first_node_id=mine[0][0] if mine else None,
            first_path=mine[0][1] if mine else "",
        )
    return workers


def leave_days(session: Session, period: Period) -> dict[int, frozenset[dt.date]]:
    """The days of ``period`` each worker was on approved leave (请假, until 销假)."""
    days: dict[int, set[dt.date]] = defaultdict(set)
    for user_id, first, last in session.execute(
        select(LeaveRequest.user_id, LeaveRequest.first_day, LeaveRequest.last_day).where(
            LeaveRequest.state.in_([s.value for s in EXCUSING_STATES]),
            LeaveRequest.first_day <= period.last,
            LeaveRequest.last_day >= period.first,
        )
    ):
        day = max(first, period.first)
        while day <= min(last, period.last):
            days[user_id].add(day)
            day += dt.timedelta(days=1)
    return {user_id: frozenset(found) for user_id, found in days.items()}


@dataclass(frozen=True)
class Reach:
    """Where a module was admitted at some moment of the month: nowhere, the whole county,
    or the pilot townships' paths."""

    live: bool
    paths: tuple[str, ...] | None  # None: county-wide

    def covers(self, worker: Worker) -> bool:
        if not self.live:
            return False
        if self.paths is None:
            return True
        return any(path.startswith(pilot) for path in worker.paths for pilot in self.paths)


LIVE_ACTIONS = frozenset({"approve", "resume"})
STOP_ACTIONS = frozenset({"suspend", "withdraw"})


def module_reach(session: Session, module: str, period: Period) -> Reach:
    """Whether ``module`` was live in the county at some moment of ``period`` (from the
    admissions' histories: approved or resumed, until suspended or withdrawn), and where: a
    pilot's current townships (pilots only ever widen, so these cover the month's)."""
    start, end = period.starts_at, period.ends_at
    reached: list[Admission] = []
    for admission in session.scalars(select(Admission).where(Admission.module == module)):
        events = session.scalars(
            select(AdmissionEvent)
            .where(AdmissionEvent.admission_id == admission.id)
            .order_by(AdmissionEvent.at, AdmissionEvent.id)
        )
        live_since = None
        for event in events:
            at = _aware(event.at)
            if event.action in LIVE_ACTIONS and live_since is None:
                live_since = at
            elif event.action in STOP_ACTIONS and live_since is not None:
                if live_since < end and at > start:
                    reached.append(admission)
                live_since = None
        if live_since is not None and live_since < end:
            reached.append(admission)
    if not reached:
        return Reach(False, ())
    if any(not a.pilot_nodes for a in reached):
        return Reach(True, None)
    paths = session.scalars(
        select(Node.path)
        .join(AdmissionPilotNode, AdmissionPilotNode.node_id == Node.id)
        .where(AdmissionPilotNode.admission_id.in_([a.id for a in reached]))
    )
    return Reach(True, tuple(paths))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def manual_scores(session: Session, month: str) -> dict[tuple[int, str], list[ManualScore]]:
    found: dict[tuple[int, str], list[ManualScore]] = defaultdict(list)
    for score in session.scalars(select(ManualScore).where(ManualScore.month == month)):
        found[(score.user_id, score.line)].append(score)
    return found


@dataclass
class Scored:
    """One line of one worker as the run scored it."""

    line: Line
    status: LineStatus
    result: LineResult
    label: str
    detail: str = ""
    detail_en: str = ""
    adjustment: Adjustment | None = None

    @property
    def points(self) -> float | None:
        """What the line counts: the latest adjustment's points, else the rule's."""
        if self.adjustment is not None:
            return self.adjustment.points
        return self.result.points if self.status == LineStatus.SCORED else None

    @property
    def effective_status(self) -> LineStatus:
        return LineStatus.SCORED if self.adjustment is not None else self.status


def total_of(scheme: Scheme, lines: Iterable[tuple[Line, float | None, LineStatus]]) -> float:
    """The total out of 100: in each category the points of the lines that apply (a pending
    manual line counts as 0 until scored) fill the category's weight; a category with no line
    that applies leaves the others to fill the 100."""
    earned: dict[str, float] = defaultdict(float)
    possible: dict[str, float] = defaultdict(float)
    for line, points, status in lines:
        if status == LineStatus.NOT_APPLICABLE:
            continue
        earned[line.category] += points or 0.0
        possible[line.category] += line.points
    counted = [c for c in CATEGORIES if possible[c] > 0 and scheme.weights[c] > 0]
    weight = sum(scheme.weights[c] for c in counted)
    if not weight:
        return 0.0
    total = sum(scheme.weights[c] * earned[c] / possible[c] for c in counted)
    return round(total * 100 / weight, 2)


def score_month(
    session: Session,
    month: str,
    *,
    run: AssessmentRun | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Score every grid worker of the county for ``month`` and (re)write their draft sheets;
    the number of sheets written. Refused (Conflict) once the month is locked."""
    if is_locked(session, month):
        raise Conflict(_("%(month)s 的考核已锁定，不能重新计算；更正请做调整", month=month))
    tenant = current_tenant(session)
    version = (
        session.get(AssessmentScheme, run.scheme_id) if run else scheme_version(session, month)
    )
    assert version is not None
    scheme = schemes.scheme_of(version, catalogue())
    period = month_period(session, month)
    workers = grid_workers(session)
    context = Month(
        session=session,
        period=period,
        calendar=work_calendar(session, tenant),
        types=runtime.current().plugins.task_types(),
        workers=workers,
        leave_days=leave_days(session, period),
    )
    with force_locale(SOURCE_LOCALE):  # labels and details are stored in the county's language
        scored = _score_lines(session, month, scheme, context, progress)
    # Indicators come from the core rules whether the scheme scores them or not.
    indicator_rules = {code for code, _figure in INDICATORS.values()}
    figures: dict[str, dict[int, LineResult]] = {}
    for rule in CORE_RULES:
        if rule.info.code in indicator_rules:
            line = scheme.line(rule.info.code) or Line(rule.info.code, rule.info.category, 1)
            figures[rule.info.code] = scored.indicator_results.get(rule.info.code) or rule.compute(
                context, line
            )
    if progress is not None:
        progress(len(scheme.lines), len(scheme.lines) + 1)
    _write_sheets(session, tenant.id, month, version, scheme, workers, scored, figures, run)
    if progress is not None:
        progress(1, 1)
    return len(workers)


@dataclass
class _Lines:
    by_worker: dict[int, list[Scored]]
    indicator_results: dict[str, dict[int, LineResult]]


def _score_lines(
    session: Session,
    month: str,
    scheme: Scheme,
    context: Month,
    progress: Callable[[int, int], None] | None = None,
) -> _Lines:
    workers = context.workers
    by_worker: dict[int, list[Scored]] = {w: [] for w in workers}
    computed: dict[str, dict[int, LineResult]] = {}
    core = {rule.info.code: rule for rule in CORE_RULES}
    modules = {rule.code: rule for rule in module_rules()}
    manual = manual_scores(session, month)
    reaches: dict[str, Any] = {}
    steps = len(scheme.lines) + 1  # every line, then writing the sheets
    for step, line in enumerate(scheme.lines):
        if progress is not None:
            progress(step, steps)
        if line.code in core:
            rule = core[line.code]
            results = computed[line.code] = rule.compute(context, line)
            label = str(rule.info.label)  # translated once, not once per worker
            for worker_id in workers:
                result = results[worker_id]
                status = (
                    LineStatus.SCORED if result.points is not None else LineStatus.NOT_APPLICABLE
                )
                by_worker[worker_id].append(
                    Scored(line, status, result, label, rule.describe(result.figures))
                )
        elif line.source == "manual":
            for worker_id in workers:
                given = manual.get((worker_id, line.code), [])
                if not given:
                    by_worker[worker_id].append(
                        Scored(line, LineStatus.PENDING, LineResult(None), line.label)
                    )
                    continue
                average = sum(min(s.points, line.points) for s in given) / len(given)
                result = LineResult(
                    round(average, 2),
                    {"scorers": len(given)},
                    {"manual_score": sorted(s.id for s in given)},
                )
                by_worker[worker_id].append(Scored(line, LineStatus.SCORED, result, line.label))
        else:
            rule = modules.get(line.code)
            if line.source not in reaches:
                reaches[line.source] = module_reach(session, line.source, context.period)
            reach = reaches[line.source]
            for worker in workers.values():
                if rule is None or not reach.covers(worker):
                    by_worker[worker.id].append(
                        Scored(
                            line,
                            LineStatus.NOT_APPLICABLE,
                            LineResult(None),
                            rule.label if rule else line.code,
                        )
                    )
                    continue
                found = rule.result(
                    ScoringContext(session, current_tenant_id(session), worker.id, context.period)
                )
                # The scheme's points for the line: the rule's share of its own maximum.
                points = round(line.points * found.points / rule.max_points, 2)
                result = LineResult(
                    points,
                    {"rule_points": found.points, "rule_max": rule.max_points},
                    found.evidence,
                )
                by_worker[worker.id].append(
                    Scored(
                        line, LineStatus.SCORED, result, rule.label, found.detail, found.detail_en
                    )
                )
    for (worker_id, code), adjustment in latest_adjustments(session, month).items():
        for scored in by_worker.get(worker_id, ()):
            if scored.line.code == code and scored.status != LineStatus.NOT_APPLICABLE:
                scored.adjustment = adjustment
    return _Lines(by_worker, computed)


def latest_adjustments(session: Session, month: str) -> dict[tuple[int, str], Adjustment]:
    """The adjustment in force on each (worker, line) of ``month``: the latest one."""
    found: dict[tuple[int, str], Adjustment] = {}
    for adjustment in session.scalars(
        select(Adjustment).where(Adjustment.month == month).order_by(Adjustment.id)
    ):
        found[(adjustment.user_id, adjustment.line)] = adjustment
    return found


def _write_sheets(
    session: Session,
    tenant_id: int,
    month: str,
    version: AssessmentScheme,
    scheme: Scheme,
    workers: Mapping[int, Worker],
    scored: _Lines,
    figures: Mapping[str, Mapping[int, LineResult]],
    run: AssessmentRun | None,
) -> None:
    # The draft sheets of the month are replaced whole; bulk statements, not ORM objects:
    # a county of 10,000 workers writes ~150,000 lines.
    drafts = select(AssessmentSheet.id).where(
        AssessmentSheet.tenant_id == tenant_id, AssessmentSheet.month == month
    )
    session.execute(
        delete(AssessmentLine).where(
            AssessmentLine.tenant_id == tenant_id, AssessmentLine.sheet_id.in_(drafts)
        )
    )
    session.execute(
        delete(AssessmentSheet).where(
            AssessmentSheet.tenant_id == tenant_id, AssessmentSheet.month == month
        )
    )
    now = utcnow()
    rows = []
    for worker in workers.values():
        lines = scored.by_worker[worker.id]
        total = total_of(scheme, ((s.line, s.points, s.effective_status) for s in lines))
        band, percent = scheme.band_of(total)
        indicators = {
            name: figures[code][worker.id].figures.get(key)
            for name, (code, key) in INDICATORS.items()
        }
        rows.append(
            {
                "tenant_id": tenant_id,
                "month": month,
                "user_id": worker.id,
                "user_name": worker.name,
                "node_id": worker.first_node_id,
                "node_path": worker.first_path,
                "scheme_id": version.id,
                "run_id": run.id if run else None,
                "state": SheetState.DRAFT.value,
                "total": total,
                "band": band,
                "pay_percent": percent,
                "floating_amount": scheme.floating_amount(percent),
                "indicators": indicators,
                "pending_lines": sum(s.effective_status == LineStatus.PENDING for s in lines),
                "computed_at": now,
            }
        )
    ids: dict[int, int] = {}
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        result = session.execute(
            insert(AssessmentSheet).returning(AssessmentSheet.id, AssessmentSheet.user_id),
            chunk,
        )
        ids.update((user_id, sheet_id) for sheet_id, user_id in result)
    lines_rows = []
    for worker in workers.values():
        for ordinal, s in enumerate(scored.by_worker[worker.id]):
            lines_rows.append(
                {
                    "tenant_id": tenant_id,
                    "sheet_id": ids[worker.id],
                    "ordinal": ordinal,
                    "code": s.line.code,
                    "category": s.line.category,
                    "source": s.line.source,
                    "label": s.label,
                    "status": s.effective_status.value,
                    "points": s.points,
                    "computed_points": s.result.points,
                    "adjustment_id": s.adjustment.id if s.adjustment else None,
                    "max_points": s.line.points,
                    "detail": s.detail,
                    "detail_en": s.detail_en,
                    "figures": s.result.figures,
                    "evidence": s.result.evidence,
                }
            )
    # render_nulls: a line's None points go in as NULL instead of leaving the column out, so
    # every row has the same columns and goes in one multi-row statement per batch (else the
    # ORM starts a new statement wherever scored and unscored lines alternate: ~20,000 round
    # trips for 10,000 sheets).
    lines = insert(AssessmentLine).execution_options(render_nulls=True)
    for start in range(0, len(lines_rows), 5000):
        session.execute(lines, lines_rows[start : start + 5000])
    session.flush()
