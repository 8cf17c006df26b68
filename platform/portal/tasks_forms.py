"""Forms of the task pages: a report in under a minute, a step of the workflow, a patrol, the
daily log, a supervision. Shape only; the task service judges the content."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from gridgov.core.i18n import _
from gridgov.portal.forms import PortalForm

TRACK_CHOICES = [
    SelectChoice("general", _("一般性（现场处置）")),
    SelectChoice("coordinate", _("需要协调")),
    SelectChoice("emergency", _("突发（立即上报）")),
]
RATING_CHOICES = [
    SelectChoice("satisfied", _("满意")),
    SelectChoice("basic", _("基本满意")),
    SelectChoice("unsatisfied", _("不满意")),
]


class ReportForm(PortalForm):
    """What a grid worker types on the spot: category, title, where, a photo."""

    node = SelectField(_("网格"), coerce=int)
    category = SelectField(_("类别"))
    track = SelectField(_("处置类型"), choices=TRACK_CHOICES, default="general")
    title = StringField(_("事件标题"), validators=[DataRequired(_("请填写标题")), Length(max=200)])
    description = TextAreaField(_("情况描述"), validators=[Length(max=4000)])
    location_text = StringField(_("地点"), validators=[Length(max=300)])
    latitude = FloatField(validators=[Optional()])
    longitude = FloatField(validators=[Optional()])
    photo = FileField(_("现场照片"))
    # An offline draft's key: the same draft sent twice makes one task.
    idempotency_key = HiddenField()


class DispatchFields:
    """The dispatch picker: "node:<id>" or "department:<id>" (choices from
    service.dispatch_targets) and the role that takes it at a node."""

    target = SelectField(_("交办给"), validate_choice=False)
    target_role = SelectField(_("承办角色"), validate_choice=False)


class ActionForm(DispatchFields, PortalForm):
    """One step of the workflow, with what some steps need."""

    action = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(_("办理意见"), validators=[Length(max=4000)])
    # Empty: no rating (a revisit may carry one, the rating step needs one).
    rating = SelectField(
        _("评价"), choices=[SelectChoice("", _("（未评价）")), *RATING_CHOICES], default=""
    )
    photo = FileField(_("照片"))
    # Where to go once the step is taken: a module's page (e.g. a hazard's) that offers the
    # steps itself; only a page of the same county's portal (safe_next), else the task page.
    next = HiddenField()


class PatrolForm(PortalForm):
    place = StringField(_("巡查地点"), validators=[DataRequired(_("请填写地点")), Length(max=300)])
    note = TextAreaField(_("巡查情况"), validators=[Length(max=4000)])


class LogForm(PortalForm):
    text = TextAreaField(_("今日工作"), validators=[DataRequired(_("请填写日志"))])


class SupervisionForm(PortalForm):
    note = TextAreaField(_("督办意见"), validators=[DataRequired(_("请填写督办意见"))])
    due_at = DateTimeLocalField(
        _("督办期限"), format="%Y-%m-%dT%H:%M", validators=[DataRequired(_("请填写期限"))]
    )


class NoticeBoardForm(PortalForm):
    shows_phone = BooleanField(_("在网格公示牌上显示我的电话"))
    photo = FileField(_("公示照片"))


class ExportForm(PortalForm):
    """Ask for the red- or yellow-card list of the dashboard's node as .xlsx."""

    node = HiddenField(validators=[DataRequired()])
    card = HiddenField(validators=[DataRequired()])


class BulkForm(DispatchFields, PortalForm):
    """Triage at a level: accept or dispatch the ticked tasks at once."""

    action = SelectField(
        _("批量办理"),
        choices=[SelectChoice("accept", _("受理")), SelectChoice("dispatch", _("交办"))],
    )
    comment = TextAreaField(_("办理意见"), validators=[Length(max=4000)])
