"""The county's assessment scheme (考核方案): the four categories 德、能、勤、绩 and their weights
(summing to 100), the lines in each, the pay bands and the floating share of salary.

A line is a core rule (``core.*``, ``assessment.rules``), a module's scoring rule (``<module>.*``,
counted only where and while the module is admitted) or a manual line (``manual.*``: someone
scores it — the supervisor, the resident representatives, the community). Within a category the
points of the lines that apply to a worker fill the category's weight: a worker whose township
does not have a module's line is scored on the others, and the sheet says so.

The scheme is versioned like the rule table: a change is a new version in force from a month
on (over what earlier versions said for those months), so a month is always scored with the
scheme of that month (``version_for``); a month already locked cannot be given another.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import Role, User
from gridgov.core.assessment.models import LOCK, AssessmentPeriod, AssessmentScheme
from gridgov.core.audit import service as audit
from gridgov.core.audit.service import Actor
from gridgov.core.errors import Conflict, DomainError, Forbidden
from gridgov.core.i18n import SOURCE_LOCALE, _, force_locale
from gridgov.core.plugins.hookspecs import ASSESSMENT_CATEGORIES

CATEGORIES = ASSESSMENT_CATEGORIES
CATEGORY_LABELS = {
    "integrity": _("德"),
    "ability": _("能"),
    "diligence": _("勤"),
    "results": _("绩"),
}
SOURCES = ("default", "portal", "api", "manifest")
# Who may enter a manual line's scores (the roles of DOMAIN.md "Who uses the platform").
SCORER_ROLES = (Role.SUPERVISOR, Role.STATION_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN)
PAYOUT_PERIODS = ("month", "quarter")
MONTH = re.compile(r"^(20|21)\d{2}-(0[1-9]|1[0-2])$")  # 2000-01 … 2199-12
LINE_CODE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
MAX_LINES = 60


@dataclass(frozen=True)
class Line:
    """One line of the scheme: up to ``points`` points in ``category``."""

    code: str
    category: str
    points: float
    label: str = ""  # a manual line's name; rules bring their own
    scored_by: tuple[str, ...] = ()  # a manual line: the roles that enter its scores
    params: Mapping[str, float] = field(default_factory=dict)  # a rule's settings

    @property
    def source(self) -> str:
        """``core``, ``manual`` or the module's name: the part before the dot."""
        return self.code.split(".", 1)[0]

    def as_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = {"code": self.code, "category": self.category}
        values["points"] = self.points
        if self.label:
            values["label"] = self.label
        if self.scored_by:
            values["scored_by"] = list(self.scored_by)
        if self.params:
            values["params"] = dict(self.params)
        return values


@dataclass(frozen=True)
class Band:
    """A pay band: a total of at least ``minimum`` pays ``pay_percent`` % of the floating
    share (档次: ≥ 90 → 100 %, 80–90 → 90 %, 70–80 → 80 %, < 70 → withheld)."""

    minimum: float
    pay_percent: float

    def label(self, above: Band | None) -> str:
        if above is None:
            return f"≥{self.minimum:g}"
        if self.minimum <= 0:
            return f"<{above.minimum:g}"
        return f"{self.minimum:g}–{above.minimum:g}"


DEFAULT_BANDS = (Band(90, 100), Band(80, 90), Band(70, 80), Band(0, 0))


@dataclass(frozen=True)
class Scheme:
    weights: Mapping[str, float]
    lines: tuple[Line, ...]
    bands: tuple[Band, ...] = DEFAULT_BANDS  # highest first, the last from 0
    floating_share: float = 20.0  # % of the monthly salary paid by band
    monthly_salary: float | None = None  # yuan; None: the sheets give the band, no amount
    objection_days: int = 5  # days the supervisor has to answer an objection (复核)
    payout_period: str = "month"  # the finance export's period: month or quarter
    payout_days: int = 15  # days after the period the county promises to pay

    def band_of(self, total: float) -> tuple[str, float]:
        """The band label and pay percentage of a total (rounded to two decimals first)."""
        total = round(total, 2)
        above = None
        for band in self.bands:
            if total >= band.minimum:
                return band.label(above), band.pay_percent
            above = band
        last = self.bands[-1]
        return last.label(self.bands[-2] if len(self.bands) > 1 else None), last.pay_percent

    def floating_amount(self, pay_percent: float) -> float | None:
        """Yuan of the floating share paid at ``pay_percent``, or None without a salary."""
        if self.monthly_salary is None:
            return None
        return round(self.monthly_salary * self.floating_share / 100 * pay_percent / 100, 2)

    def line(self, code: str) -> Line | None:
        return next((line for line in self.lines if line.code == code), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "weights": {c: self.weights[c] for c in CATEGORIES},
            "lines": [line.as_dict() for line in self.lines],
            "bands": [{"minimum": b.minimum, "pay_percent": b.pay_percent} for b in self.bands],
            "floating_share": self.floating_share,
            "monthly_salary": self.monthly_salary,
            "objection_days": self.objection_days,
            "payout_period": self.payout_period,
            "payout_days": self.payout_days,
        }


@dataclass(frozen=True)
class RuleInfo:
    """What the scheme needs to know of a rule (core or module) to accept a line for it."""

    code: str
    label: str
    label_en: str
    category: str  # where the default scheme puts it
    max_points: float  # its points in the default scheme


# The default manual lines: 德 from the supervisor and the resident representatives, part of 能
# from the community's overall score (seeds: 督导员评分、居民代表评分、社区综合评价).
DEFAULT_MANUAL_LINES = (
    Line("manual.supervisor", "integrity", 10, _("督导员评分"), (Role.SUPERVISOR.value,)),
    Line("manual.representatives", "integrity", 5, _("居民代表评分"), (Role.STATION_STAFF.value,)),
    Line("manual.community", "ability", 10, _("社区综合评价"), (Role.STATION_STAFF.value,)),
)
DEFAULT_WEIGHTS = {"integrity": 15.0, "ability": 15.0, "diligence": 35.0, "results": 35.0}


def default_scheme(rules: Iterable[RuleInfo]) -> Scheme:
    """The scheme of a county that set none: the core's rules and every installed module's at
    their own points, the default manual lines, the seeds' bands and a 20 % floating share."""
    lines = [Line(r.code, r.category, r.max_points) for r in rules]
    with force_locale(SOURCE_LOCALE):  # stored: the county's language, whoever runs it
        manual = [
            Line(m.code, m.category, m.points, str(m.label), m.scored_by)
            for m in DEFAULT_MANUAL_LINES
        ]
    return Scheme(weights=dict(DEFAULT_WEIGHTS), lines=(*manual, *lines))


# --- reading and checking a definition -------------------------------------------------------


class SchemeRefused(DomainError):
    """A scheme was refused; ``problems`` maps a field (``lines.3.points``) to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        first = next(iter(problems))
        super().__init__(problems[first], field=first.split(".", 1)[0])
        self.problems = problems

    def field_errors(self) -> dict[str, Any]:
        return {name: [message] for name, message in self.problems.items()}


def parse_scheme(values: Mapping[str, Any], rules: Mapping[str, RuleInfo]) -> Scheme:
    """A checked ``Scheme`` from its dictionary form (the API's, the manifest's, the portal's),
    or SchemeRefused naming every problem. ``rules``: the rules a line may name."""
    problems: dict[str, str] = {}
    if not isinstance(values, Mapping):
        raise SchemeRefused({"scheme": str(_("考核方案应为一组设置"))})
    weights = _weights(values.get("weights", DEFAULT_WEIGHTS), problems)
    lines = _lines(values.get("lines"), rules, problems)
    for category in CATEGORIES:
        empty = lines is not None and not any(line.category == category for line in lines)
        if weights.get(category, 0) > 0 and empty:
            problems.setdefault(
                "lines", str(_("“%(c)s”有分值但没有考核项", c=CATEGORY_LABELS[category]))
            )
    bands = _bands(values.get("bands"), problems)
    settings = {
        "floating_share": _number(values, "floating_share", 20.0, 0, 100, problems),
        "monthly_salary": _number(values, "monthly_salary", None, 0, 1_000_000, problems),
        "objection_days": _number(values, "objection_days", 5, 1, 60, problems, whole=True),
        "payout_days": _number(values, "payout_days", 15, 0, 366, problems, whole=True),
    }
    payout_period = values.get("payout_period", "month")
    if payout_period not in PAYOUT_PERIODS:
        problems["payout_period"] = str(_("兑现周期应为 month（按月）或 quarter（按季）"))
    unknown = set(values) - {"weights", "lines", "bands", "payout_period", *settings}
    if unknown:
        problems["scheme"] = str(_("未知的设置：%(names)s", names="、".join(sorted(unknown))))
    if problems:
        raise SchemeRefused(problems)
    assert lines is not None
    return Scheme(
        weights=weights,
        lines=tuple(lines),
        bands=bands,
        floating_share=float(settings["floating_share"]),
        monthly_salary=settings["monthly_salary"],
        objection_days=int(settings["objection_days"]),
        payout_period=payout_period,
        payout_days=int(settings["payout_days"]),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _weights(values: Any, problems: dict[str, str]) -> dict[str, float]:
    if not isinstance(values, Mapping) or set(values) != set(CATEGORIES):
        problems["weights"] = str(
            _("应给出德、能、勤、绩四类的分值（integrity, ability, diligence, results）")
        )
        return {}
    weights: dict[str, float] = {}
    for category in CATEGORIES:
        value = values[category]
        if not _is_number(value) or value < 0:
            problems[f"weights.{category}"] = str(_("分值应为不小于 0 的数"))
        else:
            weights[category] = round(float(value), 2)
    if len(weights) == len(CATEGORIES) and abs(sum(weights.values()) - 100) > 0.001:
        problems["weights"] = str(
            _("四类分值合计应为 100，现为 %(total)s", total=f"{sum(weights.values()):g}")
        )
    return weights


def _lines(
    values: Any, rules: Mapping[str, RuleInfo], problems: dict[str, str]
) -> list[Line] | None:
    if not isinstance(values, Sequence) or isinstance(values, str) or not values:
        problems["lines"] = str(_("方案至少要有一个考核项"))
        return None
    if len(values) > MAX_LINES:
        problems["lines"] = str(_("考核项最多 %(n)d 个", n=MAX_LINES))
        return None
    lines, seen = [], set()
    for index, value in enumerate(values):
        at = f"lines.{index}"
        if not isinstance(value, Mapping):
            problems[at] = str(_("考核项应为一组设置"))
            continue
        code = str(value.get("code") or "").strip()
        category = value.get("category")
        points = value.get("points")
        label = str(value.get("label") or "").strip()
        scored_by = value.get("scored_by") or ()
        params = value.get("params") or {}
        if not LINE_CODE.match(code):
            problems[f"{at}.code"] = str(_("考核项代码应形如 core.patrols 或 manual.supervisor"))
            continue
        if code in seen:
            problems[f"{at}.code"] = str(_("考核项 %(code)s 重复", code=code))
            continue
        seen.add(code)
        manual = code.startswith("manual.")
        if not manual and code not in rules:
            problems[f"{at}.code"] = str(_("没有这条考核规则：%(code)s", code=code))
        if category not in CATEGORIES:
            problems[f"{at}.category"] = str(_("类别应为 integrity、ability、diligence 或 results"))
        if not _is_number(points) or not 0 < points <= 100:
            problems[f"{at}.points"] = str(_("分值应大于 0、不超过 100"))
        if manual and not label:
            problems[f"{at}.label"] = str(_("人工评分项要有名称"))
        if len(label) > 100:
            problems[f"{at}.label"] = str(_("名称最多 100 字"))
        roles = [scored_by] if isinstance(scored_by, str) else list(scored_by)
        if manual and not roles:
            problems[f"{at}.scored_by"] = str(_("人工评分项要说明由谁评分"))
        if any(role not in {r.value for r in SCORER_ROLES} for role in roles):
            problems[f"{at}.scored_by"] = str(
                _("评分人应为 supervisor、station_staff、township_staff 或 county_admin")
            )
        if not isinstance(params, Mapping) or not all(_is_number(v) for v in params.values()):
            problems[f"{at}.params"] = str(_("规则参数应为数值"))
            params = {}
        if f"{at}.code" in problems or any(k.startswith(f"{at}.") for k in problems):
            continue
        lines.append(
            Line(
                code,
                category,
                round(float(points), 2),
                label,
                tuple(roles),
                {str(k): float(v) for k, v in params.items()},
            )
        )
    return lines


def _bands(values: Any, problems: dict[str, str]) -> tuple[Band, ...]:
    if values is None:
        return DEFAULT_BANDS
    if not isinstance(values, Sequence) or isinstance(values, str) or not values:
        problems["bands"] = str(_("档次应为一组“最低分、兑现比例”"))
        return DEFAULT_BANDS
    bands = []
    for index, value in enumerate(values):
        minimum = value.get("minimum") if isinstance(value, Mapping) else None
        percent = value.get("pay_percent") if isinstance(value, Mapping) else None
        if not _is_number(minimum) or not 0 <= minimum <= 100:
            problems[f"bands.{index}.minimum"] = str(_("最低分应在 0 到 100 之间"))
        elif not _is_number(percent) or not 0 <= percent <= 100:
            problems[f"bands.{index}.pay_percent"] = str(_("兑现比例应在 0 到 100 之间"))
        else:
            bands.append(Band(round(float(minimum), 2), round(float(percent), 2)))
    bands.sort(key=lambda b: b.minimum, reverse=True)
    if bands and bands[-1].minimum != 0:
        problems["bands"] = str(_("最低一档应从 0 分起"))
    if len({b.minimum for b in bands}) != len(bands):
        problems["bands"] = str(_("两个档次的最低分相同"))
    if any(high.pay_percent < low.pay_percent for high, low in itertools.pairwise(bands)):
        problems["bands"] = str(_("分数高的档次兑现比例不能更低"))
    return tuple(bands)


def _number(
    values: Mapping[str, Any],
    name: str,
    default: float | None,
    low: float,
    high: float,
    problems: dict[str, str],
    *,
    whole: bool = False,
) -> Any:
    value = values.get(name, default)
    if value is None:
        return None
    if not _is_number(value) or not low <= value <= high or (whole and value != int(value)):
        problems[name] = str(
            _(
                "应为 %(low)s 到 %(high)s 之间的%(kind)s",
                low=f"{low:g}",
                high=f"{high:g}",
                kind=_("整数") if whole else _("数"),
            )
        )
        return default
    return int(value) if whole else round(float(value), 2)


# --- versions --------------------------------------------------------------------------------


def scheme_of(version: AssessmentScheme, rules: Mapping[str, RuleInfo]) -> Scheme:
    """The stored version as a ``Scheme`` (checked again: a module since uninstalled leaves a
    line no rule answers, which the run then shows as not applicable)."""
    known = {**rules}
    for line in version.definition.get("lines", ()):
        code = line.get("code", "")
        if code and not code.startswith("manual.") and code not in known:
            known[code] = RuleInfo(code, code, code, line.get("category", "results"), 1)
    return parse_scheme(version.definition, known)


def versions(session: Session) -> list[AssessmentScheme]:
    """The county's scheme versions, newest first."""
    return list(session.scalars(select(AssessmentScheme).order_by(AssessmentScheme.number.desc())))


def version_for(session: Session, month: str) -> AssessmentScheme | None:
    """The version in force in ``month`` (YYYY-MM): of those starting on or before it, the one
    made last (a new version holds from its first month on, over what an earlier one said for
    those months); the default scheme a run stored only where the county set none."""
    return session.scalar(
        select(AssessmentScheme)
        .where(AssessmentScheme.first_month <= month)
        .order_by(
            case((AssessmentScheme.source == "default", 1), else_=0),
            AssessmentScheme.number.desc(),
        )
        .limit(1)
    )


def check_month(month: str, field_name: str = "month") -> str:
    """``month`` if it reads YYYY-MM, else a DomainError on ``field_name``."""
    if not isinstance(month, str) or not MONTH.match(month):
        raise DomainError(_("月份应写作 YYYY-MM，例如 2026-11"), field=field_name)
    return month


def set_scheme(
    session: Session,
    actor: Actor,
    scheme: Scheme,
    *,
    first_month: str,
    source: str,
    note: str = "",
    actor_name: str = "",
) -> AssessmentScheme:
    """Store ``scheme`` as a new version in force from ``first_month``. County administrators
    only (a manifest applied by an operator or the system passes ``actor`` None or an operator,
    with ``actor_name``). Refused for a month the county has already locked: its sheets are
    final. Setting the scheme already in force for that month changes nothing."""
    if isinstance(actor, User) and actor.role != Role.COUNTY_ADMIN:
        raise Forbidden(_("只有县级管理员可以修改考核方案"))
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    check_month(first_month, "first_month")
    locked = session.scalar(
        select(func.max(AssessmentPeriod.period)).where(
            AssessmentPeriod.kind == LOCK, AssessmentPeriod.period >= first_month
        )
    )
    # The default a run stores never takes over a month the county's versions reach, and a
    # locked month keeps the version its sheets name: only the county's own change is refused.
    if locked is not None and source != "default":
        raise Conflict(
            _("%(month)s 的考核已锁定，方案只能从之后的月份起生效", month=locked),
            field="first_month",
        )
    current = version_for(session, first_month)
    definition = scheme.as_dict()
    if current is not None and current.definition == definition:
        return current
    number = (session.scalar(select(func.max(AssessmentScheme.number))) or 0) + 1
    version = AssessmentScheme(
        number=number,
        first_month=first_month,
        definition=definition,
        source=source,
        note=(note or "").strip(),
        created_by_id=actor.id if isinstance(actor, User) else None,
        created_by_name=(f"{actor.name} ({actor.username})" if actor else actor_name or "system"),
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor,
        "assessment.scheme",
        "assessment_scheme",
        version.id,
        before={"version": current.number if current else None},
        after={"version": number, "first_month": first_month, "source": source},
    )
    return version
