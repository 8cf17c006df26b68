"""矛盾纠纷调解 (dispute mediation): the justice office's (司法所) department module.

Information volunteers and grid workers report disputes; the group leader (组长, community
station) confirms, the area leader (片长, township) analyses and the justice office mediates —
the module's task type on the core's engine (``workflow.py``). The module keeps the parties,
mediation sessions, agreement, outcome and follow-up visits (``models.py``), lists disputes
that could become group petitions (群体性上访), adds assessment lines and dashboard figures,
and brings its own pages and API. It imports only the hookspecs and ``gridgov.sdk``, as a
third-party module would.
"""

from __future__ import annotations

from pathlib import Path

from gridgov.core.plugins.hookspecs import (
    AdmissionRequirement,
    ModuleInfo,
    ScoringRule,
    hookimpl,
)
from gridgov_plugins.disputes import (
    models,  # noqa: F401 - registers the module's tables
    service,
)
from gridgov_plugins.disputes.api import api
from gridgov_plugins.disputes.demo import add_demo_cases
from gridgov_plugins.disputes.pages import PAGES
from gridgov_plugins.disputes.workflow import CASE_TYPE


@hookimpl
def gridgov_module_info():
    return ModuleInfo(
        name=service.MODULE,
        title="矛盾纠纷调解",
        department="司法所",
        version="1.0",
        icon="⚖️",
        title_en="Dispute mediation",
        audit_words=AUDIT_WORDS,
    )


# What the module writes to the county's audit log, in words for those who review it.
AUDIT_WORDS = {
    "disputes.case.report": ("上报矛盾纠纷", "Dispute reported"),
    "disputes.case.risk": ("调整风险等级", "Risk level changed"),
    "disputes.case.outcome": ("登记调解结果", "Outcome recorded"),
    "disputes.party.add": ("登记当事人", "Party added"),
    "disputes.session.record": ("登记调解", "Mediation session recorded"),
    "disputes.agreement.record": ("登记调解协议", "Agreement recorded"),
    "disputes.follow_up.record": ("登记回访", "Follow-up recorded"),
    "disputes_case": ("矛盾纠纷", "Dispute"),
    "risk_level": ("风险等级", "Risk level"),
    "petition_risk": ("可能引发群体性上访", "Could become a group petition"),
    "people_involved": ("涉及人数", "People involved"),
    "found_by": ("发现来源", "Found by"),
    "outcome": ("调解结果", "Outcome"),
    "referral": ("引导去向", "Referred to"),
    "closed_level": ("化解层级", "Resolved at"),
    "party_id": ("当事人", "Party"),
    "person_id": ("人口库人员", "Registry person"),
    "session_id": ("调解记录", "Mediation session"),
    "held_on": ("调解日期", "Held on"),
    "agreement_id": ("调解协议", "Agreement"),
    "follow_up_id": ("回访记录", "Follow-up"),
    "is_kept": ("协议履行", "Agreement kept"),
    **{
        f"{field}={value}": (label.zh, label.en)
        for field, labels in (
            ("kind", service.KIND_LABELS),
            ("risk_level", service.RISK_LABELS),
            ("found_by", service.FOUND_BY_LABELS),
            ("outcome", service.OUTCOME_LABELS),
            ("referral", service.REFERRAL_LABELS),
            ("closed_level", service.LEVEL_LABELS),
            ("role", service.PARTY_ROLE_LABELS),
        )
        for value, label in labels.items()
    },
}


@hookimpl
def gridgov_migrations():
    return str(Path(__file__).parent / "migrations")


@hookimpl
def gridgov_admission_requirements():
    return [
        AdmissionRequirement(
            "dispute_grid", "矛盾纠纷排查网格（片格、网格组、网格单元及负责人）", "Dispute grid"
        )
    ]


@hookimpl
def gridgov_task_types():
    return [CASE_TYPE]


@hookimpl
def gridgov_task_transition(session, task, action, from_state, actor):
    service.react(session, task, action, from_state, actor)


@hookimpl
def gridgov_scoring_rules():
    return [
        ScoringRule(
            "disputes.reported",
            "上报矛盾纠纷",
            "Disputes reported",
            max_points=5,
            compute=service.reported_points,
        ),
        ScoringRule(
            "disputes.in_grid",
            "矛盾纠纷化解在网格",
            "Disputes resolved within the grid",
            max_points=5,
            compute=service.in_grid_points,
        ),
        ScoringRule(
            "disputes.follow_ups",
            "矛盾纠纷回访",
            "Dispute follow-up visits",
            max_points=3,
            compute=service.follow_up_points,
            category="diligence",
        ),
    ]


@hookimpl
def gridgov_dashboard_figures(session, scope):
    return service.dashboard_figures(session, scope)


@hookimpl
def gridgov_period_figures(session, scope, period):
    return service.period_figures(session, scope, period)


@hookimpl
def gridgov_api_blueprints():
    return [api]


@hookimpl
def gridgov_portal_pages():
    return [PAGES]


@hookimpl
def gridgov_demo_data(session, tenant):
    return add_demo_cases(session, tenant)
