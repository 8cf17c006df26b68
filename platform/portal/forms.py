"""The portal's forms (Flask-WTF: every POST form carries a CSRF token). They check shape only;
the rules of the domain are the services' job, and their errors come back onto these fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from gridgov.core.accounts.models import ADMINISTRATOR_ROLES, Role
from gridgov.core.accounts.service import ROLE_LABELS
from gridgov.core.errors import DomainError
from gridgov.core.i18n import _
from gridgov.core.text import MAX_INT, MIN_INT, bad_character


def _no_control_characters(_form: Form, field: Field) -> None:
    problem = bad_character(field.data) if isinstance(field.data, str) else None
    if problem is not None:
        raise ValidationError(problem)


class PortalForm(FlaskForm):
    """The base of the portal's forms (and the modules'): besides what each field declares,
    a text holds no control characters (NUL, backspace …) and a whole number fits the
    database's integers, so such input comes back as the form with the field marked instead
    of failing in the database or in every later export."""

    class Meta:
        def bind_field(self, form: Form, unbound_field: Any, options: dict[str, Any]) -> Field:
            field = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
            if isinstance(field, StringField):
                field.validators = [*field.validators, _no_control_characters]
            elif isinstance(field, IntegerField):
                field.validators = [
                    *field.validators,
                    NumberRange(min=MIN_INT, max=MAX_INT, message=str(INT_RANGE)),
                ]
            return field


INT_RANGE = _("须为 %(min)d 到 %(max)d 之间的整数", min=MIN_INT, max=MAX_INT)

# Codes in a text box may be separated by spaces, commas or the Chinese enumeration comma.
_CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


def split_codes(text: str | None) -> list[str]:
    """The node codes typed in a box, in order, without blanks or repeats."""
    seen: dict[str, None] = {}
    for code in _CODE_SEPARATORS.split(text or ""):
        if code:
            seen.setdefault(code, None)
    return list(seen)


def role_choices(*, with_any: bool = False) -> list[SelectChoice]:
    """Every role, for filters (``with_any``: and "all roles" first)."""
    choices = [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]
    return [SelectChoice("", _("全部角色")), *choices] if with_any else choices


def grantable_role_choices() -> list[SelectChoice]:
    """The roles an account can be given in the portal: administrator roles (三员) are given
    on the server only."""
    return [
        SelectChoice(role.value, ROLE_LABELS[role])
        for role in Role
        if role not in ADMINISTRATOR_ROLES
    ]


def show_domain_error(
    form: Form, error: DomainError, aliases: Mapping[str, str] | None = None
) -> None:
    """Put a service's error next to the field it names, else at the top of the form."""
    name = (aliases or {}).get(error.field or "", error.field)
    field = form._fields.get(name) if name else None
    if field is not None:
        # Before validate() errors is an immutable tuple; afterwards a list.
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


class LoginForm(PortalForm):
    username = StringField(_("用户名"), validators=[DataRequired(_("请填写用户名"))])
    password = PasswordField(_("密码"), validators=[DataRequired(_("请填写密码"))])
    next = HiddenField()


class CodeForm(PortalForm):
    """A second-factor code: 6 digits from the authenticator app, or a recovery code."""

    code = StringField(_("验证码"), validators=[DataRequired(_("请填写验证码")), Length(max=20)])


class NodeForm(PortalForm):
    """A new node (child or top level): its code and name."""

    code = StringField(_("编码"), validators=[DataRequired(_("请填写编码")), Length(max=64)])
    name = StringField(_("名称"), validators=[DataRequired(_("请填写名称")), Length(max=200)])


class RenameForm(PortalForm):
    code = StringField(_("编码"), validators=[DataRequired(_("请填写编码")), Length(max=64)])
    name = StringField(_("名称"), validators=[DataRequired(_("请填写名称")), Length(max=200)])


class MoveForm(PortalForm):
    parent_code = StringField(_("新上级的编码"), validators=[DataRequired(_("请填写新上级的编码"))])


class RetireForm(PortalForm):
    confirm = BooleanField(
        _("我确认撤销该节点（记录仍保留）"), validators=[DataRequired(_("请勾选确认"))]
    )


class PartForm(Form):
    """One node a split produces. Blank rows are ignored."""

    code = StringField(_("编码"), validators=[Optional(), Length(max=64)])
    name = StringField(_("名称"), validators=[Optional(), Length(max=200)])
    children = StringField(_("接收的下级（编码）"))

    def is_blank(self) -> bool:
        return not (self.code.data or self.name.data or self.children.data)


class SplitForm(PortalForm):
    parts = FieldList(FormField(PartForm), min_entries=3, max_entries=10)


class MergeForm(PortalForm):
    node_ids = SelectMultipleField(
        _("与哪些同级节点合并"),
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=False,  # the service checks they are siblings; choices are for display
    )
    code = StringField(_("合并后的编码"), validators=[DataRequired(_("请填写编码"))])
    name = StringField(_("合并后的名称"), validators=[DataRequired(_("请填写名称"))])


class UserFilterForm(PortalForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField(_("姓名或用户名"))
    role = SelectField(_("角色"), choices=lambda: role_choices(with_any=True), default="")
    node = StringField(_("所在节点编码（含下级）"))
    status = SelectField(
        _("状态"),
        choices=[
            SelectChoice("", _("全部")),
            SelectChoice("active", _("启用")),
            SelectChoice("inactive", _("已停用")),
        ],
        default="",
    )


class UserCreateForm(PortalForm):
    username = StringField(
        _("用户名"), validators=[DataRequired(_("请填写用户名")), Length(max=64)]
    )
    name = StringField(_("姓名"), validators=[DataRequired(_("请填写姓名")), Length(max=100)])
    role = SelectField(_("角色"), choices=grantable_role_choices)
    phone = StringField(_("工作电话"), validators=[Optional(), Length(max=32)])
    nodes = TextAreaField(_("负责的节点（编码，可填多个）"))
    password = PasswordField(_("初始密码（可稍后设置）"))


class UserEditForm(PortalForm):
    name = StringField(_("姓名"), validators=[DataRequired(_("请填写姓名")), Length(max=100)])
    role = SelectField(_("角色"), choices=grantable_role_choices)
    phone = StringField(_("工作电话"), validators=[Optional(), Length(max=32)])


class AssignForm(PortalForm):
    nodes = TextAreaField(_("负责的节点（编码，可填多个）"))


class PasswordForm(PortalForm):
    password = PasswordField(_("新密码"), validators=[DataRequired(_("请填写新密码"))])
    confirm = PasswordField(
        _("再输入一次"), validators=[EqualTo("password", _("两次输入的密码不一致"))]
    )


class OwnPasswordForm(PasswordForm):
    """The account holder's own change: the current password first."""

    current = PasswordField(_("当前密码"), validators=[DataRequired(_("请填写当前密码"))])


class AuditFilterForm(PortalForm):
    class Meta:
        csrf = False

    # Their choices are the log's actions and objects in words (audit_labels), set by the view.
    action = SelectField(_("操作"), choices=[], default="", validate_choice=False)
    object_type = SelectField(_("对象类型"), choices=[], default="", validate_choice=False)
    object_id = StringField(_("对象编号"))


class DepartmentForm(PortalForm):
    """A department: created with a code; the code then stays (other records name it)."""

    code = StringField(_("部门编码"), validators=[DataRequired(_("请填写编码")), Length(max=64)])
    name = StringField(_("部门名称"), validators=[DataRequired(_("请填写名称")), Length(max=200)])
    node = StringField(
        _("服务范围（节点编码）"), validators=[DataRequired(_("请填写服务范围的节点编码"))]
    )
    phone = StringField(_("值班电话"), validators=[Optional(), Length(max=32)])


class DepartmentEditForm(PortalForm):
    name = StringField(_("部门名称"), validators=[DataRequired(_("请填写名称")), Length(max=200)])
    node = StringField(
        _("服务范围（节点编码）"), validators=[DataRequired(_("请填写服务范围的节点编码"))]
    )
    phone = StringField(_("值班电话"), validators=[Optional(), Length(max=32)])
    is_active = BooleanField(_("在用"))


class OfficersForm(PortalForm):
    usernames = TextAreaField(_("部门人员（用户名，可填多个）"))
