"""How the audit log reads to the people who review it: what was done, to what, and which
fields changed from what to what, in words rather than the codes the log stores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import g

from gridgov.core import runtime
from gridgov.core.accounts.service import role_label
from gridgov.core.admission.service import STATE_LABELS as ADMISSION_STATES
from gridgov.core.audit.service import mask_personal
from gridgov.core.i18n import Localized, _, current_locale
from gridgov.core.registry.tags import tag_catalogue
from gridgov.core.tasks import reading

# What was done; a module's own actions (``fire_safety.…``) are named by the module
# (``ModuleInfo.audit_words``).
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
    "node.boundary_draft": _("保存边界草稿"),
    "node.boundary_draft_discard": _("放弃边界草稿"),
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
    "site.place": _("标注单位场所位置"),
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
    "node.boundary": _("修改节点边界"),
    "person.search_exact": _("按身份证号或电话查找人员"),
    "assessment.scheme": _("修改考核方案"),
    "assessment.run": _("计算考核"),
    "assessment.score": _("人工评分"),
    "assessment.adjust": _("调整考核分"),
    "assessment.correct": _("锁定后更正考核分"),
    "assessment.object": _("提出复核"),
    "assessment.answer": _("答复复核"),
    "assessment.escalate": _("复核逾期上报"),
    "assessment.lock": _("锁定月度考核"),
    "assessment.paid": _("登记兑现"),
    "assessment.meeting": _("登记晨会"),
    "assessment.spot_check": _("登记抽查"),
    "leave.request": _("请假"),
    "leave.approve": _("准假"),
    "leave.refuse": _("不准假"),
    "leave.end": _("销假"),
    "leave.cancel": _("撤回请假"),
    "worker_log.comment": _("点评工作日志"),
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
    "import": _("导入"),
    "calendar_day": _("工作日历"),
    "task_rule_version": _("规则表"),
    "assessment_scheme": _("考核方案"),
    "assessment_run": _("考核计算"),
    "assessment_sheet": _("考核表"),
    "assessment_manual_score": _("人工评分"),
    "assessment_objection": _("复核"),
    "assessment_period": _("兑现期"),
    "assessment_meeting": _("晨会"),
    "assessment_spot_check": _("抽查"),
    "leave_request": _("请假"),
    "worker_log": _("工作日志"),
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
    "latitude": _("纬度"),
    "longitude": _("经度"),
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
    "task_id": _("事件"),
    "supervision_id": _("督办"),
    "due_at": _("期限"),
    "is_listed": _("挂牌督办"),
    "file_id": _("文件"),
    "file": _("文件"),
    "form": _("表单"),
    "submission_id": _("表单"),
    "dwelling_id": _("房屋"),
    "starts_on": _("开始日期"),
    "ends_on": _("结束日期"),
    "version": _("版本"),
    "rules": _("规则数"),
    "user": _("账号"),
    "user_id": _("账号"),
    "one_time": _("仅限一次（首次登录须修改）"),
    "left": _("剩余恢复码"),
    "scope": _("权限范围"),
    "from": _("合并自"),
    "into": _("拆分为"),
    "field": _("查找字段"),
    "search_hash": _("查找值哈希"),
    "results": _("结果条数"),
    "people": _("找到的人员"),
    "merged": _("被合并的记录"),
    "visit_id": _("走访记录"),
    "mapping": _("列对应"),
    "sha256": _("清单校验值"),
    "prune": _("删除清单以外的记录"),
    "created": _("新建"),
    "changed": _("修改"),
    "kept": _("保留"),
    "taken_away": _("已移除"),
    "not_taken_away": _("未移除"),
    "lines": _("条目数"),
    "first_month": _("起始月份"),
    "scheme": _("考核方案"),
    "month": _("月份"),
    "sheets": _("考核表数"),
    "line": _("考核项"),
    "points": _("分数"),
    "scorer": _("评分人"),
    "answer": _("答复"),
    "upheld": _("改分"),
    "period": _("兑现期"),
    "payout": _("兑现"),
    "amount": _("金额"),
    "total": _("合计"),
    "paid_on": _("兑现日期"),
    "day": _("日期"),
    "expected": _("应到"),
    "present": _("实到"),
    "knows": _("知道网格员"),
    "visited": _("入户走访过"),
    "comment_id": _("点评"),
    "first_day": _("开始日期"),
    "last_day": _("结束日期"),
}

NOTHING = "—"  # a field with no value


@dataclass(frozen=True)
class FieldChange:
    label: Any
    before: str | None  # None: the field is new in this event
    after: str | None  # None: the field is gone


def action_label(action: str) -> Any:
    """What was done: a core action in words; a task's step by its rule's label; a module's
    action in the module's words."""
    if action in ACTIONS:
        return ACTIONS[action]
    kind, _dot, step = action.partition(".")
    if kind == "task":
        for task_type in reading.registry():
            if task_type.rules(step):
                return task_type.action_label(step)
    return module_words().get(action, action)


def object_label(object_type: str) -> Any:
    return OBJECTS.get(object_type) or module_words().get(object_type, object_type)


def action_choices() -> list[tuple[str, str]]:
    """The actions to filter the log by, in words, related ones together (by code)."""
    codes = {*ACTIONS, *(code for code in module_words() if "." in code and "=" not in code)}
    codes |= {f"task.{step}" for task_type in reading.registry() for step in task_type.actions}
    return [("", str(_("全部"))), *((code, str(action_label(code))) for code in sorted(codes))]


def object_choices() -> list[tuple[str, str]]:
    """The kinds of object to filter the log by, in words."""
    modules = tuple(f"{name}_" for name in runtime.current().plugins.installed)
    kinds = {*OBJECTS, *(code for code in module_words() if code.startswith(modules))}
    named = sorted(((kind, str(object_label(kind))) for kind in kinds), key=lambda c: c[1])
    return [("", str(_("全部"))), *named]


def field_label(name: str, module: str | None = None) -> Any:
    """A field of a change: the event's module's word for it first (modules name their own
    fields), then the core's."""
    own = module_words(module).get(name) if module else None
    return own or FIELDS.get(name) or module_words().get(name, name)


def module_words(module: str | None = None) -> dict[str, Localized]:
    """The installed modules' words for their audit codes (only ``module``'s, if given), and
    each module's title for its name (a value such as an admission's module). Installed, not
    only admitted: the log keeps what a module wrote after the county suspended it. Gathered
    once per request: a page of the log asks for them for every field of every event."""
    gathered = g.setdefault("audit_module_words", {})
    if module not in gathered:
        gathered[module] = _gather_module_words(module)
    return gathered[module]


def _gather_module_words(module: str | None) -> dict[str, Localized]:
    words: dict[str, Localized] = {}
    for name, installed in runtime.current().plugins.installed.items():
        if module is not None and name != module:
            continue
        info = installed.info
        words[name] = Localized(info.title, info.title_en or info.title)
        words.update({code: Localized(*pair) for code, pair in info.audit_words.items()})
    return words


def module_of(code: str) -> str | None:
    """The installed module whose object (``fire_safety_hazard``) or action
    (``civil_affairs.visit.record``) ``code`` is."""
    for name in runtime.current().plugins.installed:
        if code == name or code.startswith((f"{name}_", f"{name}.")):
            return name
    return None


def value_label(field: str, value: str, module: str | None = None) -> str:
    """A coded value in words where the log's reader knows the code's meaning: a value the
    event's module named (``"risk_level=high"``), a state (of an admission or a task), a role,
    a tag, a module, a form; any other value as it is."""
    named = module_words(module).get(f"{field}={value}") if module else None
    if named is not None:
        return str(named)
    if field == "state":
        if value in ADMISSION_STATES:
            return str(ADMISSION_STATES[value])
        for task_type in reading.registry():
            if any(state.name == value for state in task_type.states):
                return str(task_type.state(value).label)
    elif field in ("role", "assignee_role"):
        return role_label(value)
    elif field == "tag":
        tags = tag_catalogue(
            extra=[t for m in runtime.current().plugins.installed.values() for t in m.tags]
        )
        if value in tags:
            return tags[value].label_en if current_locale() == "en" else tags[value].label
    elif field in ("module", "modules"):
        return str(module_words().get(value, value))
    elif field == "form":
        for installed in runtime.current().plugins.installed.values():
            for form in installed.forms:
                if form.code == value:
                    return form.title_en if current_locale() == "en" else form.title
    return value


def changes(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    object_type: str = "",
    action: str = "",
) -> list[FieldChange]:
    """The fields an event (``action`` on an ``object_type``) changed, unchanged ones left
    out, in words, an empty value as a dash; a module's event reads in that module's words."""
    module = module_of(object_type) or module_of(action)
    # Masked again as read: an event stored in an older, weaker form shows today's.
    before, after = mask_personal(dict(before or {})) or {}, mask_personal(dict(after or {})) or {}
    rows = []
    for key in dict.fromkeys([*before, *after]):
        if key in before and key in after and before[key] == after[key]:
            continue
        rows.append(
            FieldChange(
                field_label(key, module),
                _shown(key, before[key], module) if key in before else None,
                _shown(key, after[key], module) if key in after else None,
            )
        )
    return rows


def _shown(field: str, value: Any, module: str | None) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return NOTHING
    if value is True:
        return str(_("是"))
    if value is False:
        return str(_("否"))
    if isinstance(value, list | tuple):
        return "、".join(_shown(field, item, module) for item in value)
    if isinstance(value, str):
        return value_label(field, value, module)
    return str(value)
