"""Forms of the assessment pages (考核): the month picked, a run, a leave request and its
decision, the scheme's settings; an objection, an adjustment and an answer on a sheet, the
lock, a payout paid, a comment on a log, a morning meeting and a spot check. Shape only: the
assessment services judge the content, and their errors come back onto these fields."""

from __future__ import annotations

from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from gridgov.core.i18n import _
from gridgov.portal.forms import PortalForm


class MonthForm(PortalForm):
    """The month a page shows (a GET filter: it changes nothing)."""

    class Meta:
        csrf = False

    month = StringField(_("月份"), render_kw={"type": "month"})


class SheetFilterForm(MonthForm):
    node = SelectField(_("范围"), validate_choice=False)


class RunForm(PortalForm):
    month = StringField(
        _("考核月份"),
        validators=[DataRequired(_("请选择月份"))],
        render_kw={"type": "month"},
    )


class LeaveForm(PortalForm):
    first_day = DateField(_("开始日期"), validators=[DataRequired(_("请选择开始日期"))])
    last_day = DateField(_("结束日期"), validators=[DataRequired(_("请选择结束日期"))])
    reason = TextAreaField(_("请假事由"), validators=[Length(max=500)])


class DecisionForm(PortalForm):
    """准假 or 不准假 (the button pressed), with a note (needed to refuse)."""

    note = TextAreaField(_("审批意见"), validators=[Length(max=500)])
    decision = HiddenField()


class ScoresForm(PortalForm):
    """The CSRF token and the month; the cells are read from ``s-<worker>-<line>`` (points)
    and ``n-<worker>-<line>`` (the representative's name)."""

    month = HiddenField()


PAYOUT_CHOICES = [SelectChoice("month", _("按月")), SelectChoice("quarter", _("按季"))]


class SchemeForm(PortalForm):
    """A new version of the scheme: its first month, why, and the settings; the weights are
    ``w_<category>``, the lines and bands rows are read from ``l-<i>-…`` and ``b-<i>-…``."""

    first_month = StringField(
        _("从哪个月起生效"),
        validators=[DataRequired(_("请选择月份"))],
        render_kw={"type": "month"},
    )
    note = TextAreaField(_("修改说明"), validators=[Length(max=500)])
    w_integrity = StringField(_("德"), render_kw={"inputmode": "decimal"})
    w_ability = StringField(_("能"), render_kw={"inputmode": "decimal"})
    w_diligence = StringField(_("勤"), render_kw={"inputmode": "decimal"})
    w_results = StringField(_("绩"), render_kw={"inputmode": "decimal"})
    floating_share = StringField(_("浮动工资比例（%）"), render_kw={"inputmode": "decimal"})
    monthly_salary = StringField(_("月工资（元，可不填）"), render_kw={"inputmode": "decimal"})
    objection_days = StringField(_("复核答复期限（天）"), render_kw={"inputmode": "numeric"})
    payout_period = SelectField(_("兑现周期"), choices=PAYOUT_CHOICES, validate_choice=False)
    payout_days = StringField(_("周期结束后几天内兑现"), render_kw={"inputmode": "numeric"})


# --- review: objections, adjustments, the lock, payouts ----------------------------------------


class ObjectionForm(PortalForm):
    """复核: what the worker says about one line of their sheet."""

    text = TextAreaField(
        _("复核理由"), validators=[DataRequired(_("请写明复核理由")), Length(max=2000)]
    )


class AdjustForm(PortalForm):
    """A reviewer sets a line's points, with the reason (the service checks the range)."""

    points = StringField(
        _("调整后分数"),
        validators=[DataRequired(_("请填写分数"))],
        render_kw={"inputmode": "decimal"},
    )
    reason = TextAreaField(
        _("调整理由"), validators=[DataRequired(_("请填写理由")), Length(max=2000)]
    )


class AnswerForm(PortalForm):
    """The answer to an objection; points given change the line, none leave it as it is."""

    answer = TextAreaField(_("答复"), validators=[DataRequired(_("请填写答复")), Length(max=2000)])
    points = StringField(_("改为分数（不改可不填）"), render_kw={"inputmode": "decimal"})


class LockForm(PortalForm):
    month = HiddenField()


class PaidForm(PortalForm):
    paid_on = DateField(_("兑现日期"), validators=[DataRequired(_("请选择兑现日期"))])


class RankingForm(MonthForm):
    level = SelectField(_("分组"), validate_choice=False)


# --- records: log comments, meetings, spot checks --------------------------------------------


class CommentForm(PortalForm):
    text = TextAreaField(_("点评"), validators=[DataRequired(_("请填写点评")), Length(max=1000)])


class MeetingForm(PortalForm):
    """晨会: the day and a note; who attended is read from the ``present`` boxes ticked."""

    node = HiddenField()
    day = DateField(_("晨会日期"), validators=[DataRequired(_("请选择日期"))])
    note = TextAreaField(_("备注"), validators=[Length(max=1000)])


YES_NO = [SelectChoice("yes", _("是")), SelectChoice("no", _("否"))]
SATISFACTION_CHOICES = [
    SelectChoice("satisfied", _("满意")),
    SelectChoice("basic", _("基本满意")),
    SelectChoice("unsatisfied", _("不满意")),
]


class SpotCheckForm(PortalForm):
    """抽查: one resident asked about their grid worker."""

    user_id = SelectField(
        _("网格员"), validators=[DataRequired(_("请选择网格员"))], validate_choice=False
    )
    knows_worker = RadioField(
        _("知道自己的网格员吗"), choices=YES_NO, validators=[InputRequired(_("请选择"))]
    )
    was_visited = RadioField(
        _("网格员上门走访过吗"), choices=YES_NO, validators=[InputRequired(_("请选择"))]
    )
    satisfaction = RadioField(
        _("对网格员的工作满意吗"),
        choices=SATISFACTION_CHOICES,
        validators=[InputRequired(_("请选择"))],
    )
    resident = StringField(_("居民姓名（可不填）"), validators=[Length(max=100)])
    note = TextAreaField(_("备注"), validators=[Length(max=1000)])
