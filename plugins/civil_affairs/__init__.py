"""民政特殊人群关爱 (civil affairs: special-population care): the civil affairs bureau's (民政局)
department module, built on the hooks and ``gridgov.sdk`` only, as a third-party module would be.

The register is the core's special-population tags (空巢老人、留守老人、留守儿童、残疾人、困难群众、
低保对象、大病患者) with their visit schedules; the module keeps what a tag cannot (disability
category and level, allowance status and review date, illness), the care visits (condition,
needs, follow-up; each also a household visit in the registry), assistance given (物资、资金、
服务), and errands run on residents' behalf (居民事务代办) as a task type of the core's engine
that the resident confirms on the public tracking page. It lists who is due and overdue for a
visit per grid worker and per level, tells the community station once about each overdue
person (a periodic job), scores grid workers' visits on time and errands done, and gives the
dashboard and period reports their figures.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from gridgov.core.plugins.hookspecs import (
    AdmissionRequirement,
    ModuleInfo,
    PeriodicJob,
    ScoringRule,
    hookimpl,
)
from gridgov.sdk.caller import Scope, User
from gridgov.sdk.county import Period, Tenant
from gridgov.sdk.tasks import Task
from gridgov_plugins.civil_affairs import service
from gridgov_plugins.civil_affairs.api import api
from gridgov_plugins.civil_affairs.demo import add_demo_records
from gridgov_plugins.civil_affairs.models import (
    Assistance,
    CareRecord,
    CareVisit,
    Errand,
    OverdueAlert,
)
from gridgov_plugins.civil_affairs.pages import PAGES
from gridgov_plugins.civil_affairs.workflow import ERRAND_TYPE, MODULE

__all__ = ["Assistance", "CareRecord", "CareVisit", "Errand", "OverdueAlert"]  # tables load


@hookimpl
def gridgov_module_info() -> ModuleInfo:
    return ModuleInfo(
        name=MODULE,
        title="民政特殊人群关爱",
        department="民政局",
        version="1.0",
        icon="🤝",
        title_en="Civil affairs: special-population care",
        audit_words=AUDIT_WORDS,
    )


# What the module writes to the county's audit log, in words for those who review it.
AUDIT_WORDS = {
    "civil_affairs.record.save": ("完善关爱档案", "Care record kept"),
    "civil_affairs.visit.record": ("登记关爱走访", "Care visit recorded"),
    "civil_affairs.assistance.record": ("登记救助帮扶", "Assistance recorded"),
    "civil_affairs.errand.request": ("登记居民事务代办", "Errand requested"),
    "disability_category": ("残疾类别", "Disability category"),
    "disability_level": ("残疾等级", "Disability grade"),
    "allowance_status": ("低保状态", "Allowance status"),
    "allowance_review_on": ("低保复核日期", "Allowance review date"),
    "illness": ("所患疾病", "Illness"),
    "visit_id": ("走访记录", "Visit"),
    "condition": ("状况", "Condition"),
    "is_on_time": ("按期", "On time"),
    "assistance_id": ("救助记录", "Assistance"),
    "amount": ("金额（元）", "Amount (yuan)"),
    "household_id": ("户", "Household"),
    "errand_id": ("代办事项", "Errand"),
    "kind": ("类别", "Kind"),
    **{
        f"{field}={value}": (label.zh, label.en)
        for field, labels in (
            ("disability_category", service.DISABILITY_LABELS),
            ("disability_level", service.LEVEL_LABELS),
            ("allowance_status", service.ALLOWANCE_LABELS),
            ("condition", service.CONDITION_LABELS),
            ("kind", {**service.ASSISTANCE_LABELS, **service.ERRAND_LABELS}),
        )
        for value, label in labels.items()
    },
}


@hookimpl
def gridgov_migrations() -> str:
    return str(Path(__file__).parent / "migrations")


@hookimpl
def gridgov_admission_requirements() -> list[AdmissionRequirement]:
    return [
        AdmissionRequirement(
            "care_register",
            "特殊人群名册及走访周期（空巢老人、留守儿童、残疾人、低保对象等）",
            "Register of special populations and visit schedules",
        )
    ]


@hookimpl
def gridgov_task_types():
    return [ERRAND_TYPE]


@hookimpl
def gridgov_task_transition(session: Session, task: Task, action: str, actor: User | None):
    service.react(session, task, action, actor)


@hookimpl
def gridgov_scoring_rules() -> list[ScoringRule]:
    return [
        ScoringRule(
            f"{MODULE}.visits",
            "特殊人群按期走访",
            "Care visits on time",
            max_points=5,
            compute=service.visit_points,
            category="diligence",
        ),
        ScoringRule(
            f"{MODULE}.errands",
            "居民事务代办",
            "Errands run for residents",
            max_points=5,
            compute=service.errand_points,
        ),
    ]


@hookimpl
def gridgov_periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob(
            f"{MODULE}.overdue_alerts",
            "逾期未走访提醒社区工作站",
            "Tell stations about overdue care visits",
            every=timedelta(hours=6),
            run=service.run_alerts,
        )
    ]


@hookimpl
def gridgov_api_blueprints():
    return [api]


@hookimpl
def gridgov_portal_pages():
    return [PAGES]


@hookimpl
def gridgov_dashboard_figures(session: Session, scope: Scope):
    return service.dashboard_figures(session, scope)


@hookimpl
def gridgov_period_figures(session: Session, scope: Scope, period: Period):
    return service.period_figures(session, scope, period)


@hookimpl
def gridgov_demo_data(session: Session, tenant: Tenant) -> list[str]:
    return add_demo_records(session, tenant)
