"""Inspections: hazard patrols with a checklist (消防巡查) and "four abilities" checks of sites
(四个能力), both filled in as the module's declared forms.

The core stores every submission (versioned, with its photos); this module reads what a
checklist found and files each finding as a hazard, and keeps each four-abilities check with
its result and, for a site whose previous check passed, as its re-visit (回头看). A form
submitted through the module's pages or API is processed at once; one submitted through the
core's generic form page or API is processed by the periodic job ``fire_safety.inspections``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gridgov.sdk import audit, caller, forms, registry
from gridgov.sdk.caller import Scope, User, path_filter
from gridgov.sdk.county import clock_of, current_tenant
from gridgov.sdk.errors import DomainError, Forbidden, NotFound
from gridgov.sdk.forms import FormDefinition, FormSubmission
from gridgov.sdk.i18n import Localized
from gridgov.sdk.registry import Node, Site
from gridgov_plugins.fire_safety import hazards
from gridgov_plugins.fire_safety.checklists import (
    ABILITY_FORM,
    PATROL_FORMS,
    failed_abilities,
    findings,
    site_type_of,
)
from gridgov_plugins.fire_safety.models import AbilityCheck, Patrol
from gridgov_plugins.fire_safety.workflow import NAME

# A site that passed is visited again after this many days (回头看); a county sets its own
# (``fire_safety: {revisit_days: 90}``).
DEFAULT_REVISIT_DAYS = 180
MODULE_FORMS = (*PATROL_FORMS, ABILITY_FORM)

log = logging.getLogger(__name__)


def checked_site(
    session: Session, user: User, scope: Scope, node: Node, site_id: int | None
) -> Site | None:
    """The registry site an inspection is of: one the user sees, in the inspected grid."""
    if site_id is None:
        return None
    try:
        site = registry.visible_site(session, user, scope, site_id)
    except (NotFound, Forbidden):
        raise DomainError(Localized("没有这个单位场所", "No such site"), field="site_id") from None
    if site.node_id != node.id:
        raise DomainError(
            Localized("这个单位场所不在所选网格内", "The site is not in the chosen grid"),
            field="site_id",
        )
    return site


def submit(
    session: Session,
    actor: User,
    scope: Scope,
    node: Node,
    form: FormDefinition,
    data: Any,
    *,
    site_id: int | None = None,
) -> Patrol | AbilityCheck:
    """Submit one of the module's forms at ``node`` (the caller opened it there with
    ``gridgov.sdk.county.open_form``) and process it at once: a checklist's findings become hazards,
    a four-abilities check is kept with its result."""
    hazards.check_may_record(session, actor, scope, node)
    site = checked_site(session, actor, scope, node, site_id)
    submission = forms.submit_form(session, actor, form, module=NAME, node=node, data=data)
    check_dates(submission.data, clock_of(session).today())
    if form.code == ABILITY_FORM:
        return process_ability_check(session, submission, site=site)
    return process_patrol(session, submission, site=site)


def check_dates(data: dict[str, Any], today: dt.date) -> None:
    """FormInvalid unless the day of the inspection is recent and not in the future, and a
    deadline given falls after it, within a year."""
    day_field = "checked_on" if "checked_on" in data else "inspected_on"
    day = dt.date.fromisoformat(data[day_field])
    errors: dict[str, list[str]] = {}
    if not today - dt.timedelta(days=hazards.MAX_DAYS_BACK) <= day <= today:
        errors[day_field] = [str(Localized("须是最近 90 天内的日期", "Within the last 90 days"))]
    deadline = data.get("deadline")
    if deadline and not _deadline_fits(day, dt.date.fromisoformat(deadline)):
        errors["deadline"] = [
            str(Localized("须在检查日期之后一年以内", "Within a year after the inspection"))
        ]
    if errors:
        raise forms.FormInvalid(errors)


def _deadline_fits(day: dt.date, deadline: dt.date) -> bool:
    return day <= deadline <= day + dt.timedelta(days=hazards.MAX_DEADLINE_DAYS)


# --- patrols ---------------------------------------------------------------------------------


def process_patrol(
    session: Session, submission: FormSubmission, *, site: Site | None = None
) -> Patrol:
    """Keep a stored checklist as a patrol and file each of its findings as a hazard, as its
    author (once: a processed submission answers its patrol)."""
    found = session.scalar(select(Patrol).where(Patrol.submission_id == submission.id))
    if found is not None:
        return found
    site_type = site_type_of(submission.form_code)
    assert site_type is not None, f"{submission.form_code} is not a patrol checklist"
    data = submission.data
    author = _author(session, submission)
    node = submission.node
    patrol = Patrol(
        submission_id=submission.id,
        site_type=site_type.code,
        node_id=node.id,
        filed_path=node.path,
        site_id=site.id if site else None,
        place=data["place"],
        inspected_on=dt.date.fromisoformat(data["inspected_on"]),
        inspector_id=author.id if author else None,
    )
    session.add(patrol)
    session.flush()
    # A checklist filed elsewhere was not date-checked: its findings are filed as of a day
    # the ledger accepts, with the county's deadline when the one given does not fit.
    today = clock_of(session).today()
    found_on = min(
        max(patrol.inspected_on, today - dt.timedelta(days=hazards.MAX_DAYS_BACK)), today
    )
    deadline = dt.date.fromisoformat(data["deadline"]) if data.get("deadline") else None
    if deadline is not None and not _deadline_fits(found_on, deadline):
        deadline = None
    for finding in findings(site_type, data):
        hazards.file_hazard(
            session,
            author,
            node,
            hazards.HazardInput(
                place=patrol.place,
                item=finding.item,
                grade=finding.grade,
                description=finding.description,
                found_on=found_on,
                deadline=deadline,
                site_type=site_type.code,
                photo_ids=(finding.photo_id,) if finding.photo_id else (),
            ),
            site_id=patrol.site_id,
            patrol_id=patrol.id,
        )
        patrol.findings += 1
    session.flush()
    audit.record(
        session,
        author,
        "fire_safety.patrol",
        "fire_safety_patrol",
        patrol.id,
        after={"submission_id": submission.id, "place": patrol.place, "findings": patrol.findings},
    )
    return patrol


def _author(session: Session, submission: FormSubmission) -> User | None:
    if submission.submitted_by_id is None:
        return None
    return caller.get_user(session, submission.submitted_by_id)


def visible_patrol(session: Session, user: User, scope: Scope, patrol_id: int) -> Patrol:
    """The patrol if ``user`` may see it (its grid in their scope), else NotFound."""
    hazards.check_may_read(session, user)
    patrol = session.scalar(select(Patrol).where(Patrol.id == patrol_id))
    if patrol is None or not scope.contains_path(patrol.filed_path):
        raise NotFound(Localized("没有这次巡查", "No such patrol"))
    return patrol


def patrols(scope: Scope, *, site_id: int | None = None) -> Select[Any]:
    """SELECT of the patrols in ``scope``, the latest first."""
    query = select(Patrol).where(path_filter(Patrol.filed_path, scope))
    if site_id is not None:
        query = query.where(Patrol.site_id == site_id)
    return query.order_by(Patrol.inspected_on.desc(), Patrol.id.desc())


def hazards_of_patrol(session: Session, patrol: Patrol) -> list[Any]:
    """The (hazard, task) pairs a patrol found, in order."""
    return list(
        session.execute(
            hazards.ledger(
                Scope(everything=True), hazards.LedgerFilter(), clock_of(session).today()
            )
            .where(hazards.Hazard.patrol_id == patrol.id)
            .order_by(None)
            .order_by(hazards.Hazard.id)
        ).all()
    )


# --- four abilities --------------------------------------------------------------------------


def process_ability_check(
    session: Session, submission: FormSubmission, *, site: Site | None = None
) -> AbilityCheck:
    """Keep a stored four-abilities check with its result; it is the site's re-visit (回头看)
    when the site's previous check passed (once per submission)."""
    found = session.scalar(select(AbilityCheck).where(AbilityCheck.submission_id == submission.id))
    if found is not None:
        return found
    data = submission.data
    node = submission.node
    author = _author(session, submission)
    place = data["place"]
    previous = session.scalar(
        _same_site(site.id if site else None, node.id, place).order_by(
            AbilityCheck.checked_on.desc(), AbilityCheck.id.desc()
        )
    )
    failed = failed_abilities(data)
    check = AbilityCheck(
        submission_id=submission.id,
        node_id=node.id,
        filed_path=node.path,
        site_id=site.id if site else None,
        place=place,
        checked_on=dt.date.fromisoformat(data["checked_on"]),
        passed=not failed,
        failed=failed,
        previous_id=previous.id if previous else None,
        is_revisit=previous is not None and previous.passed,
        notes=data.get("notes", ""),
        checked_by_id=author.id if author else None,
    )
    session.add(check)
    session.flush()
    audit.record(
        session,
        author,
        "fire_safety.ability_check",
        "fire_safety_ability_check",
        check.id,
        after={"place": place, "passed": check.passed, "is_revisit": check.is_revisit},
    )
    return check


def _same_site(site_id: int | None, node_id: int, place: str) -> Select[Any]:
    """The checks of one site: the registry's site, or a place of that name in the grid."""
    if site_id is not None:
        return select(AbilityCheck).where(AbilityCheck.site_id == site_id)
    return select(AbilityCheck).where(
        AbilityCheck.site_id.is_(None), AbilityCheck.node_id == node_id, AbilityCheck.place == place
    )


def visible_ability_check(
    session: Session, user: User, scope: Scope, check_id: int
) -> AbilityCheck:
    """The check if ``user`` may see it, else NotFound."""
    hazards.check_may_read(session, user)
    check = session.scalar(select(AbilityCheck).where(AbilityCheck.id == check_id))
    if check is None or not scope.contains_path(check.filed_path):
        raise NotFound(Localized("没有这次检查", "No such check"))
    return check


@dataclass(frozen=True)
class SiteStatus:
    """Where a site stands in its four-abilities checks: its latest check and, once passed,
    the day its re-visit falls due."""

    latest: AbilityCheck
    checks: int
    revisit_due_on: dt.date | None

    def is_revisit_due(self, today: dt.date) -> bool:
        return self.revisit_due_on is not None and self.revisit_due_on <= today


def revisit_days(session: Session) -> int:
    """Days after a passed check that the site's re-visit (回头看) falls due in this county."""
    return int(
        hazards.settings_of(current_tenant(session)).get("revisit_days") or DEFAULT_REVISIT_DAYS
    )


def site_statuses(
    session: Session, scope: Scope, *, site_id: int | None = None
) -> list[SiteStatus]:
    """Each checked site in ``scope`` with its latest check: failed ones first (they need
    guidance and a new check), then passed ones by the day their re-visit falls due."""
    days = dt.timedelta(days=revisit_days(session))
    query = select(AbilityCheck).where(path_filter(AbilityCheck.filed_path, scope))
    if site_id is not None:
        query = query.where(AbilityCheck.site_id == site_id)
    latest: dict[tuple[Any, ...], AbilityCheck] = {}
    counts: dict[tuple[Any, ...], int] = {}
    for check in session.scalars(query.order_by(AbilityCheck.checked_on, AbilityCheck.id)):
        key = (check.site_id,) if check.site_id else (None, check.node_id, check.place)
        latest[key] = check
        counts[key] = counts.get(key, 0) + 1
    statuses = [
        SiteStatus(
            latest=check,
            checks=counts[key],
            revisit_due_on=check.checked_on + days if check.passed else None,
        )
        for key, check in latest.items()
    ]
    return sorted(
        statuses,
        key=lambda s: (s.latest.passed, s.revisit_due_on or dt.date.min, s.latest.place),
    )


# --- submissions filed elsewhere -------------------------------------------------------------


def unprocessed(session: Session) -> Select[Any]:
    """SELECT of the module's form submissions not processed yet (filed through the core's
    generic form page or API), oldest first."""
    return forms.unprocessed_submissions(
        MODULE_FORMS, (Patrol.submission_id, AbilityCheck.submission_id)
    )


def process_pending(session: Session, _tenant_id: int) -> None:
    """The periodic job: process every checklist and check submitted elsewhere since the last
    run (idempotent: a processed submission is never processed twice)."""
    for submission in session.scalars(unprocessed(session)).all():
        try:
            with session.begin_nested():
                if submission.form_code == ABILITY_FORM:
                    process_ability_check(session, submission)
                else:
                    process_patrol(session, submission)
        except DomainError as refused:
            # e.g. its grid was retired since: tried again next time, and said in the log.
            log.warning("fire_safety: submission %s not processed: %s", submission.id, refused)
    session.commit()


def count_patrols(session: Session, user_id: int, start: dt.date, end: dt.date) -> int:
    """How many patrols ``user_id`` made from ``start`` to ``end`` (both included)."""
    return (
        session.scalar(
            select(func.count(Patrol.id)).where(
                Patrol.inspector_id == user_id,
                Patrol.inspected_on >= start,
                Patrol.inspected_on <= end,
            )
        )
        or 0
    )


def sites_to_patrol(session: Session, user_id: int) -> int:
    """How many registry sites lie in the grids ``user_id`` is assigned to."""
    return registry.count_sites(session, caller.assigned_node_ids(user_id))
