"""How the audit log reads to the people who review it: what was done, to what, and which
fields changed from what to what, in words rather than the codes the log stores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gridgov.core.audit.service import mask_personal
from gridgov.core.i18n import _
from gridgov.core.tasks import reading

# What was done; a module's own actions (``fire_safety.…``) keep their code.
ACTIONS: dict[str, Any] = {
    "user.login": _("登录"),
    "user.login_failed": _("登录失败"),
    "user.logout": _("退出登录"),
    "user.create": _("新建账号"),
    "user.update": _("修改账号"),
    "user.set_password": _("设置密码"),
    "user.locked": _("账号因连续登录失败被锁定"),
    "user.unlock": _("解锁账号"),
    "user.second_factor_enrol": _("启用两步验证"),
    "user.second_factor_reset": _("重置两步验证"),
    "user.recovery_code_used": _("用恢复码登录"),
    "token.revoke": _("吊销接口令牌"),
    "token.create": _("签发接口令牌"),
    "assignment.create": _("分配节点"),
    "assignment.end": _("取消节点分配"),
    "tenant.create": _("新建租户"),
    "tenant.update": _("修改租户"),
    "manifest.apply": _("应用县清单"),
    "node.create": _("新建节点"),
    "node.update": _("修改节点"),
    "node.rename": _("节点改名"),
    "node.move": _("节点移动"),
    "node.split": _("节点拆分"),
    "node.merge": _("节点合并"),
    "node.retire": _("节点撤销"),
    "department.create": _("新建职能部门"),
    "department.update": _("修改职能部门"),
    "department.add_officer": _("部门增加人员"),
    "department.remove_officer": _("部门移除人员"),
    "person.create": _("登记人员"),
    "person.update": _("修改人员信息"),
    "person.merge": _("合并重复人员"),
    "person.tag": _("添加标签"),
    "person.untag": _("移除标签"),
    "person.unmask": _("查看明文"),
    "person.export": _("导出人员名单"),
    "household.create": _("登记户"),
    "household.visit": _("走访"),
    "dwelling.create": _("登记房屋"),
    "dwelling.move": _("房屋移网格"),
    "compound.create": _("登记小区"),
    "building.create": _("登记楼栋"),
    "rental.create": _("登记出租"),
    "site.create": _("登记单位场所"),
    "registry.import.start": _("开始导入"),
    "registry.import": _("导入"),
    "form.submit": _("提交表单"),
    "task.report": _("上报事件"),
    "task.attach": _("事件添加附件"),
    "task.export": _("导出事件清单"),
    "task.supervise": _("督办"),
    "task.rules": _("修改规则表"),
    "calendar.set": _("设置工作日历"),
    "calendar.remove": _("删除工作日历的一天"),
    "admission.apply": _("申请准入"),
    "admission.approve": _("准入通过"),
    "admission.reject": _("准入驳回"),
    "admission.widen": _("扩大试点"),
    "admission.suspend": _("暂停模块"),
    "admission.resume": _("恢复模块"),
    "admission.withdraw": _("撤出模块"),
    "audit.purge": _("清理超过保存期限的审计记录"),
}

# What it was done to.
OBJECTS: dict[str, Any] = {
    "user": _("账号"),
    "tenant": _("租户"),
    "node": _("节点"),
    "department": _("职能部门"),
    "person": _("人员"),
    "household": _("户"),
    "dwelling": _("房屋"),
    "compound": _("小区"),
    "building": _("楼栋"),
    "rental": _("出租"),
    "site": _("单位场所"),
    "task": _("事件"),
    "task_export": _("事件导出"),
    "import_run": _("导入"),
    "admission": _("准入"),
    "form_submission": _("表单"),
    "audit_log": _("审计日志"),
}

# The fields of a change; one not listed keeps its name.
FIELDS: dict[str, Any] = {
    "name": _("名称"),
    "code": _("编码"),
    "username": _("用户名"),
    "role": _("角色"),
    "phone": _("电话"),
    "is_active": _("启用"),
    "locale": _("语言"),
    "node": _("节点"),
    "node_id": _("节点"),
    "parent_id": _("上级节点"),
    "level": _("层级"),
    "level_names": _("层级名称"),
    "has_boundary": _("有边界"),
    "retired": _("已撤销"),
    "slug": _("标识"),
    "modules": _("模块"),
    "module": _("模块"),
    "settings": _("设置"),
    "time_zone": _("时区"),
    "state": _("状态"),
    "category": _("类别"),
    "track": _("处置类型"),
    "current_node_id": _("当前办理节点"),
    "assignee_role": _("承办角色"),
    "department_id": _("职能部门"),
    "rating": _("评价"),
    "is_responsible": _("负责"),
    "address": _("地址"),
    "id_number": _("身份证号"),
    "kind": _("类型"),
    "tag": _("标签"),
    "reason": _("原因"),
    "note": _("说明"),
    "count": _("数量"),
    "card": _("红黄牌"),
    "is_key": _("重点"),
    "is_workday": _("工作日"),
    "source": _("来源"),
    "unmasked": _("明文字段"),
    "pilot_node_ids": _("试点节点"),
    "meeting_date": _("会议日期"),
    "channel": _("登录途径"),
    "token_id": _("令牌编号"),
    "token_hash": _("令牌哈希（前16位）"),
    "events": _("记录条数"),
    "through_seq": _("清理至第几条"),
    "anchor_hash": _("链的新起点哈希"),
    "older_than": _("早于"),
    "retention_days": _("保存天数"),
}

NOTHING = "—"  # a field with no value


@dataclass(frozen=True)
class FieldChange:
    label: Any
    before: str | None  # None: the field is new in this event
    after: str | None  # None: the field is gone


def action_label(action: str) -> Any:
    """What was done: a core action in words; a task's step by its rule's label."""
    if action in ACTIONS:
        return ACTIONS[action]
    kind, _dot, step = action.partition(".")
    if kind == "task":
        for task_type in reading.registry():
            if task_type.rules(step):
                return task_type.action_label(step)
    return action


def object_label(object_type: str) -> Any:
    return OBJECTS.get(object_type, object_type)


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[FieldChange]:
    """The fields the event changed (unchanged ones left out), in words, an empty value as
    a dash."""
    # Masked again as read: an event stored in an older, weaker form shows today's.
    before, after = mask_personal(dict(before or {})) or {}, mask_personal(dict(after or {})) or {}
    rows = []
    for key in dict.fromkeys([*before, *after]):
        if key in before and key in after and before[key] == after[key]:
            continue
        rows.append(
            FieldChange(
                FIELDS.get(key, key),
                _shown(before[key]) if key in before else None,
                _shown(after[key]) if key in after else None,
            )
        )
    return rows


def _shown(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return NOTHING
    if value is True:
        return str(_("是"))
    if value is False:
        return str(_("否"))
    if isinstance(value, list | tuple):
        return "、".join(_shown(item) for item in value)
    return str(value)
