"""The portal's forms (Flask-WTF: every POST form carries a CSRF token). They check shape only;
the rules of the domain are the services' job, and their errors come back onto these fields."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from gridgov.core.accounts.models import ADMINISTRATOR_ROLES, Role
from gridgov.core.accounts.service import ROLE_LABELS
from gridgov.core.errors import DomainError
from gridgov.core.i18n import _

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


class LoginForm(FlaskForm):
    username = StringField(_("用户名"), validators=[DataRequired(_("请填写用户名"))])
    password = PasswordField(_("密码"), validators=[DataRequired(_("请填写密码"))])
    next = HiddenField()


class CodeForm(FlaskForm):
    """A second-factor code: 6 digits from the authenticator app, or a recovery code."""

    code = StringField(_("验证码"), validators=[DataRequired(_("请填写验证码")), Length(max=20)])


class NodeForm(FlaskForm):
    """A new node (child or top level): its code and name."""

    code = StringField(_("编码"), validators=[DataRequired(_("请填写编码")), Length(max=64)])
    name = StringField(_("名称"), validators=[DataRequired(_("请填写名称")), Length(max=200)])


class RenameForm(FlaskForm):
    code = StringField(_("编码"), validators=[DataRequired(_("请填写编码")), Length(max=64)])
    name = StringField(_("名称"), validators=[DataRequired(_("请填写名称")), Length(max=200)])


class MoveForm(FlaskForm):
    parent_code = StringField(_("新上级的编码"), validators=[DataRequired(_("请填写新上级的编码"))])


class RetireForm(FlaskForm):
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


class SplitForm(FlaskForm):
    parts = FieldList(FormField(PartForm), min_entries=3, max_entries=10)


class MergeForm(FlaskForm):
    node_ids = SelectMultipleField(
        _("与哪些同级节点合并"),
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=False,  # the service checks they are siblings; choices are for display
    )
    code = StringField(_("合并后的编码"), validators=[DataRequired(_("请填写编码"))])
    name = StringField(_("合并后的名称"), validators=[DataRequired(_("请填写名称"))])


class UserFilterForm(FlaskForm):
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


class UserCreateForm(FlaskForm):
    username = StringField(
        _("用户名"), validators=[DataRequired(_("请填写用户名")), Length(max=64)]
    )
    name = StringField(_("姓名"), validators=[DataRequired(_("请填写姓名")), Length(max=100)])
    role = SelectField(_("角色"), choices=grantable_role_choices)
    phone = StringField(_("工作电话"), validators=[Optional(), Length(max=32)])
    nodes = TextAreaField(_("负责的节点（编码，可填多个）"))
    password = PasswordField(_("初始密码（可稍后设置）"))


class UserEditForm(FlaskForm):
    name = StringField(_("姓名"), validators=[DataRequired(_("请填写姓名")), Length(max=100)])
    role = SelectField(_("角色"), choices=grantable_role_choices)
    phone = StringField(_("工作电话"), validators=[Optional(), Length(max=32)])


class AssignForm(FlaskForm):
    nodes = TextAreaField(_("负责的节点（编码，可填多个）"))


class PasswordForm(FlaskForm):
    password = PasswordField(_("新密码"), validators=[DataRequired(_("请填写新密码"))])
    confirm = PasswordField(
        _("再输入一次"), validators=[EqualTo("password", _("两次输入的密码不一致"))]
    )


class OwnPasswordForm(PasswordForm):
    """The account holder's own change: the current password first."""

    current = PasswordField(_("当前密码"), validators=[DataRequired(_("请填写当前密码"))])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = StringField(_("操作（前缀，如 node. 或 user.create）"))
    object_type = SelectField(
        _("对象类型"),
        choices=[
            SelectChoice("", _("全部")),
            SelectChoice("node", _("节点")),
            SelectChoice("user", _("用户")),
            SelectChoice("tenant", _("租户")),
        ],
        default="",
    )
    object_id = StringField(_("对象编号"))


class DepartmentForm(FlaskForm):
    """A department: created with a code; the code then stays (other records name it)."""

    code = StringField(_("部门编码"), validators=[DataRequired(_("请填写编码")), Length(max=64)])
    name = StringField(_("部门名称"), validators=[DataRequired(_("请填写名称")), Length(max=200)])
    node = StringField(
        _("服务范围（节点编码）"), validators=[DataRequired(_("请填写服务范围的节点编码"))]
    )
    phone = StringField(_("值班电话"), validators=[Optional(), Length(max=32)])


class DepartmentEditForm(FlaskForm):
    name = StringField(_("部门名称"), validators=[DataRequired(_("请填写名称")), Length(max=200)])
    node = StringField(
        _("服务范围（节点编码）"), validators=[DataRequired(_("请填写服务范围的节点编码"))]
    )
    phone = StringField(_("值班电话"), validators=[Optional(), Length(max=32)])
    is_active = BooleanField(_("在用"))


class OfficersForm(FlaskForm):
    usernames = TextAreaField(_("部门人员（用户名，可填多个）"))
