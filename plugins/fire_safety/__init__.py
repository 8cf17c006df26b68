"""消防安全 (fire safety): the county fire brigade's module, built on the hooks and ``gridgov.sdk``
only, like a third-party module would be.

Grid workers patrol sites with a checklist per kind of site; every item found wanting becomes
a graded hazard (排查定级) with a photo and a rectification deadline, followed in the ledger
(整改台帐) until its re-check (复查) passes; a major hazard goes up to the county by itself,
which lists it for supervision (挂牌督办) and may publish it (向社会公告). Residents report
hazards on the public page (举报投诉: 受理、查处、奖励、反馈). Sites' "four abilities" are
checked and re-visited once passed (回头看); building fire leaders (消防带头人) are a tag on
people, about 1 % of residents per community. The module scores grid workers' patrols and
hazards, and gives the county dashboard its figures.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from gridgov.core.plugins.hookspecs import (
    AdmissionRequirement,
    MapLayer,
    ModuleInfo,
    PeriodicJob,
    RequirementKind,
    hookimpl,
)
from gridgov.sdk.caller import Scope, User
from gridgov.sdk.county import Period, Tenant, clock_of
from gridgov.sdk.registry import TagDefinition
from gridgov.sdk.tasks import Task
from gridgov_plugins.fire_safety import checklists, demo, figures, hazards, inspections, map_layer
from gridgov_plugins.fire_safety.api import api
from gridgov_plugins.fire_safety.checklists import FORMS
from gridgov_plugins.fire_safety.models import AbilityCheck, Hazard, Patrol
from gridgov_plugins.fire_safety.pages import PAGES
from gridgov_plugins.fire_safety.workflow import NAME, TASK_TYPES

__all__ = ["AbilityCheck", "Hazard", "Patrol"]  # the tables load with the module


@hookimpl
def gridgov_module_info() -> ModuleInfo:
    return ModuleInfo(
        name=NAME,
        title="消防安全",
        department="县消防救援大队",
        version="1.0",
        icon="🧯",
        title_en="Fire safety",
        audit_words=AUDIT_WORDS,
    )


# What the module writes to the county's audit log, in words for those who review it.
AUDIT_WORDS = {
    "fire_safety.patrol": ("消防巡查", "Fire patrol"),
    "fire_safety.ability_check": ("四个能力建设检查", "Four-abilities check"),
    "fire_safety.hazard.record": ("登记火灾隐患", "Fire hazard recorded"),
    "fire_safety.hazard.publish": ("公开隐患", "Hazard made public"),
    "fire_safety_patrol": ("消防巡查", "Fire patrol"),
    "fire_safety_ability_check": ("四个能力建设检查", "Four-abilities check"),
    "fire_safety_hazard": ("火灾隐患", "Fire hazard"),
    "submission_id": ("检查单", "Checklist"),
    "place": ("地点", "Place"),
    "findings": ("发现隐患", "Hazards found"),
    "passed": ("合格", "Passed"),
    "is_revisit": ("复查", "Re-check"),
    "grade": ("隐患等级", "Grade"),
    "item": ("隐患", "Hazard"),
    "deadline": ("整改期限", "Deadline"),
    "published_at": ("公开时间", "Made public at"),
    **{f"grade={c.value}": (c.label, c.label_en) for c in checklists.GRADES},
    **{f"item={code}": (i.hazard.zh, i.hazard.en) for code, i in checklists.ITEMS.items()},
}


@hookimpl
def gridgov_migrations() -> str:
    return str(Path(__file__).parent / "migrations")


@hookimpl
def gridgov_admission_requirements() -> list[AdmissionRequirement]:
    return [
        AdmissionRequirement(
            "hazard_catalogue", "火灾隐患排查目录", "Catalogue of hazards to look for"
        ),
        AdmissionRequirement(
            "authority_letter",
            "消防巡查授权书",
            "Letter authorising grid workers to patrol",
            RequirementKind.FILE,
        ),
    ]


@hookimpl
def gridgov_forms():
    return list(FORMS)


@hookimpl
def gridgov_task_types():
    return list(TASK_TYPES)


@hookimpl
def gridgov_task_transition(
    session: Session, tenant: Tenant, task: Task, action: str, actor: User | None, comment: str
) -> None:
    hazards.on_transition(session, tenant, task, action, actor, comment)


@hookimpl
def gridgov_tags() -> list[TagDefinition]:
    return [figures.LEADER]


@hookimpl
def gridgov_scoring_rules():
    return list(figures.SCORING_RULES)


@hookimpl
def gridgov_api_blueprints():
    return [api]


@hookimpl
def gridgov_portal_pages():
    return [PAGES]


@hookimpl
def gridgov_map_layers() -> list[MapLayer]:
    return [map_layer.HAZARDS]


@hookimpl
def gridgov_periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob(
            f"{NAME}.inspections",
            "处理其他途径提交的检查单",
            "Process checklists filed elsewhere",
            every=timedelta(minutes=5),
            run=inspections.process_pending,
        )
    ]


@hookimpl
def gridgov_demo_data(session: Session, tenant: Tenant) -> list[str]:
    return demo.load(session, tenant)


@hookimpl
def gridgov_dashboard_figures(session: Session, scope: Scope):
    return figures.dashboard_figures(session, scope, clock_of(session).today())


@hookimpl
def gridgov_period_figures(session: Session, tenant: Tenant, scope: Scope, period: Period):
    return figures.period_figures(session, scope, period, tenant.clock.today())
