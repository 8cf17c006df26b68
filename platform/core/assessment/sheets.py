"""Reading the sheets and entering the human scores: a grid worker sees only their own sheet,
a supervisor, station or township only their workers', the county all; a manual line is scored
by the roles the scheme names for it, for workers in their scope."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, case, false, func, select
from sqlalchemy.orm import Session, selectinload

from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import Scope
from gridgov.core.assessment import scheme as schemes
from gridgov.core.assessment.inputs import checked_text, worker_in_scope
from gridgov.core.assessment.models import (
    AssessmentLine,
    AssessmentSheet,
    ManualScore,
    Objection,
    ObjectionState,
)
from gridgov.core.assessment.rules import CORE_RULES_BY_CODE
from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import Conflict, DomainError, Forbidden, NotFound
from gridgov.core.hierarchy.models import Assignment, Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.i18n import SOURCE_LOCALE, _, current_locale, force_locale
from gridgov.core.registry.models import Household, Visit
from gridgov.core.tasks.models import Task

# Roles that read other workers' sheets, within their scope (the county admin: all of it).
READER_ROLES = frozenset(
    {Role.SUPERVISOR, Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN}
)


def list_sheets(
    session: Session, actor: User, scope: Scope, month: str, *, node: Node | None = None
) -> Select[Any]:
    """SELECT of the month's sheets ``actor`` may read, by grid then name: a grid worker
    their own; the readers those of the workers in their scope (within ``node`` if given)."""
    schemes.check_month(month)
    query = (
        select(AssessmentSheet)
        .where(AssessmentSheet.month == month)
        .order_by(AssessmentSheet.node_path, AssessmentSheet.user_name, AssessmentSheet.id)
    )
    if actor.role not in READER_ROLES:
        return query.where(AssessmentSheet.user_id == actor.id)
    query = query.where(scope.path_filter(AssessmentSheet.node_path))
    if node is not None:
        query = query.where(subtree(AssessmentSheet.node_path, node.path))
    return query


def get_sheet(session: Session, actor: User, scope: Scope, sheet_id: int) -> AssessmentSheet:
    """The sheet with its lines if ``actor`` may read it, else NotFound (another's sheet is
    not told apart from none)."""
    sheet = session.scalar(
        select(AssessmentSheet)
        .options(selectinload(AssessmentSheet.lines))
        .where(AssessmentSheet.id == sheet_id)
    )
    if sheet is None or not may_read(actor, scope, sheet):
        raise NotFound(_("没有这张考核表"))
    return sheet


def may_read(actor: User, scope: Scope, sheet: AssessmentSheet) -> bool:
    """A worker reads their own sheet; the readers those of workers in their scope."""
    if sheet.user_id == actor.id:
        return True
    if actor.role not in READER_ROLES:
        return False
    return scope.everything or (bool(sheet.node_path) and scope.contains_path(sheet.node_path))


def describe(line: AssessmentLine) -> str:
    """The line's figures in words, in the reader's language (core rules); a module's own
    words; a manual line's number of scorers."""
    rule = CORE_RULES_BY_CODE.get(line.code)
    figures = line.figures or {}
    if rule is not None and figures:
        return rule.describe(figures)
    if line.source == "manual" and line.figures.get("scorers"):
        return str(_("%(n)d 人评分的平均分", n=line.figures["scorers"]))
    if line.detail_en and current_locale().startswith("en"):
        return line.detail_en  # a module's own English words
    return line.detail


def line_label(line: AssessmentLine | schemes.Line) -> str:
    """The line's name in the reader's language: a core rule's and a default manual line's
    from the catalogue, a module's in the language the module gives; a county's own manual
    line as the county named it."""
    from gridgov.core.assessment.run import catalogue

    rule = CORE_RULES_BY_CODE.get(line.code)
    if rule is not None:
        return str(rule.info.label)
    if line.source == "manual":
        default = DEFAULT_MANUAL_LABELS.get(line.code)
        with force_locale(SOURCE_LOCALE):
            is_default = default is not None and str(default) == line.label
        return str(default) if is_default else line.label
    info = catalogue().get(line.code)
    if info is None:  # a module since uninstalled
        return line.label or line.code
    return info.label_en if current_locale().startswith("en") else str(info.label)


DEFAULT_MANUAL_LABELS = {m.code: m.label for m in schemes.DEFAULT_MANUAL_LINES}


# --- manual scores ---------------------------------------------------------------------------


def record_score(
    session: Session,
    actor: User,
    scope: Scope,
    worker: User,
    month: str,
    line_code: str,
    points: float,
    *,
    scorer: str = "",
    note: str = "",
) -> ManualScore:
    """Enter a score on a manual line of the month's scheme for ``worker``: the actor's own
    (a supervisor's), or on behalf of a named ``scorer`` (a resident representative's score
    the station types in). Entering again for the same scorer replaces it. Refused once the
    month is locked."""
    from gridgov.core.assessment.run import catalogue, is_locked, scheme_version

    schemes.check_month(month)
    if worker.role != Role.GRID_WORKER or not worker_in_scope(session, scope, worker.id):
        raise NotFound(_("没有这个网格员"), field="user_id")
    if is_locked(session, month):
        raise Conflict(_("%(month)s 的考核已锁定", month=month), field="month")
    scheme = schemes.scheme_of(scheme_version(session, month), catalogue())
    line = scheme.line(line_code)
    if line is None or line.source != "manual":
        raise DomainError(_("本月方案没有这个人工评分项"), field="line")
    if actor.role not in line.scored_by:
        raise Forbidden(_("这一项不由您评分"))
    if (
        isinstance(points, bool)
        or not isinstance(points, int | float)
        or not (0 <= points <= line.points)
    ):
        raise DomainError(_("分数应在 0 到 %(max)s 之间", max=f"{line.points:g}"), field="points")
    scorer = checked_text(scorer, "scorer", max_length=100, one_line=True)
    note = checked_text(note, "note", max_length=1000)
    who = scorer or actor.username
    score = session.scalar(
        select(ManualScore).where(
            ManualScore.month == month,
            ManualScore.user_id == worker.id,
            ManualScore.line == line_code,
            ManualScore.scorer == who,
        )
    )
    before = None if score is None else {"points": score.points}
    if score is None:
        score = ManualScore(month=month, user_id=worker.id, line=line_code, scorer=who)
        session.add(score)
    score.points, score.note = round(float(points), 2), note
    score.entered_by_id, score.entered_by_name = actor.id, actor.name
    score.entered_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "assessment.score",
        "assessment_manual_score",
        score.id,
        before=before,
        after={
            "month": month,
            "user_id": worker.id,
            "line": line_code,
            "scorer": who,
            "points": score.points,
        },
    )
    return score


# --- what the portal's pages read ------------------------------------------------------------

# Lines scored by people who have no account (resident representatives): the one entering the
# score types each scorer's name, and several names on a line are averaged.
NAMED_SCORER_LINES = frozenset({"manual.representatives"})


def previous_month(today: dt.date) -> str:
    """The month before ``today``'s (YYYY-MM): the last whole month a county can score."""
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def scheme_in_force(session: Session, month: str) -> schemes.Scheme:
    """The scheme ``month`` is scored with: the county's version in force then, else the
    default (read only: unlike a run, reading stores no default version)."""
    from gridgov.core.assessment.run import catalogue

    rules = catalogue()
    version = schemes.version_for(session, schemes.check_month(month))
    if version is None:
        return schemes.default_scheme(rules.values())
    return schemes.scheme_of(version, rules)


def lines_scored_by(scheme: schemes.Scheme, actor: User) -> list[schemes.Line]:
    """The scheme's manual lines whose scores ``actor``'s role enters."""
    return [
        line for line in scheme.lines if line.source == "manual" and actor.role in line.scored_by
    ]


def workers_in_scope(scope: Scope) -> Select[Any]:
    """SELECT of (grid worker, path of their first grid) in ``scope``, by grid then name."""
    path = func.min(Node.path).label("path")
    return (
        select(User, path)
        .join(Assignment, Assignment.user_id == User.id)
        .join(Node, Node.id == Assignment.node_id)
        .where(User.role == Role.GRID_WORKER.value, User.is_active.is_(True), scope.node_filter())
        .group_by(User.id)
        .order_by(path, User.name, User.id)
    )


def scores_of(
    session: Session, month: str, worker_ids: Iterable[int], codes: Iterable[str]
) -> dict[tuple[int, str], list[ManualScore]]:
    """The month's manual scores of these workers on these lines, by (worker, line)."""
    found: dict[tuple[int, str], list[ManualScore]] = defaultdict(list)
    ids, codes = list(worker_ids), list(codes)
    if not ids or not codes:
        return found
    for score in session.scalars(
        select(ManualScore)
        .where(
            ManualScore.month == month,
            ManualScore.user_id.in_(ids),
            ManualScore.line.in_(codes),
        )
        .order_by(ManualScore.id)
    ):
        found[(score.user_id, score.line)].append(score)
    return found


def evidence_dwellings(session: Session, evidence: Mapping[str, Any]) -> dict[str, dict[int, int]]:
    """For the households and visits of a line's evidence, the dwelling each belongs to (the
    page that shows a household and its visits), by kind and id."""
    found: dict[str, dict[int, int]] = {}
    households = [int(i) for i in evidence.get("household", ())]
    if households:
        found["household"] = dict(
            session.execute(
                select(Household.id, Household.dwelling_id).where(Household.id.in_(households))
            ).all()
        )
    visits = [int(i) for i in evidence.get("visit", ())]
    if visits:
        found["visit"] = dict(
            session.execute(
                select(Visit.id, Household.dwelling_id)
                .join(Household, Household.id == Visit.household_id)
                .where(Visit.id.in_(visits))
            ).all()
        )
    return found


def task_titles(session: Session, evidence: Mapping[str, Any]) -> dict[int, str]:
    """The titles of the tasks a line counted, by id (the text of their links)."""
    ids = [int(i) for i in evidence.get("task", ())]
    if not ids:
        return {}
    return dict(session.execute(select(Task.id, Task.title).where(Task.id.in_(ids))).all())


def grid_names(session: Session, found: Iterable[AssessmentSheet]) -> dict[int, str]:
    """The names of the grids of these sheets' workers, by node id (a list shows them)."""
    ids = {sheet.node_id for sheet in found if sheet.node_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Node.id, Node.name).where(Node.id.in_(ids))).all())


def objections_in_scope(
    session: Session, actor: User, scope: Scope, *, month: str | None = None
) -> Select[Any]:
    """SELECT of (objection, its sheet) for the workers whose sheets ``actor`` reads (a
    reviewer's 复核 list): those waiting first (escalated, then open), soonest due first, then
    the answered ones, latest first."""
    query = select(Objection, AssessmentSheet).join(
        AssessmentSheet,
        (AssessmentSheet.month == Objection.month) & (AssessmentSheet.user_id == Objection.user_id),
    )
    if month is not None:
        query = query.where(Objection.month == schemes.check_month(month))
    if actor.role not in READER_ROLES:
        query = query.where(false())
    else:
        query = query.where(scope.path_filter(AssessmentSheet.node_path))
    waiting = case(
        (Objection.state == ObjectionState.ESCALATED.value, 0),
        (Objection.state == ObjectionState.OPEN.value, 1),
        else_=2,
    )
    return query.where(Objection.user_id != actor.id).order_by(
        waiting,
        case((Objection.state == ObjectionState.ANSWERED.value, Objection.answered_at)).desc(),
        Objection.due_at,
        Objection.id,
    )


def objections_waiting(session: Session, actor: User, scope: Scope) -> int:
    """How many objections in ``actor``'s scope wait for an answer (open or escalated)."""
    waiting = objections_in_scope(session, actor, scope).where(
        Objection.state != ObjectionState.ANSWERED.value
    )
    return session.scalar(select(func.count()).select_from(waiting.order_by(None).subquery())) or 0
