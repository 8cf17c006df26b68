"""Forms of the assessment pages (考核): the month picked, a run, a leave request and its
decision, the scheme's settings. Shape only: the assessment services judge the content, and
their errors come back onto these fields."""

from __future__ import annotations

from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

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
