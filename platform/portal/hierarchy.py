"""The hierarchy browser and the node page: the tree with counts (children opened on demand, so
a 10,000-grid county never renders at once), who works where, the node's history, and the
re-gridding forms for those allowed to change this part of the tree."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from gridgov.core.accounts import service as accounts
from gridgov.core.db import db_session
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node, NodeChange, NodeLineage
from gridgov.core.i18n import _
from gridgov.portal.forms import (
    MergeForm,
    MoveForm,
    NodeForm,
    RenameForm,
    RetireForm,
    SplitForm,
    split_codes,
)
from gridgov.portal.shell import (
    ADMIN_ROLES,
    bp,
    is_htmx,
    level_name,
    may_add_child,
    may_change,
    me,
    roles_required,
    run_change,
    scope_roots,
    user_scope,
    visible_node,
)
from gridgov.web import current_tenant

CHANGE_LABELS = {
    NodeChange.CREATE: _("设立"),
    NodeChange.RENAME: _("更名"),
    NodeChange.MOVE: _("调整上级"),
    NodeChange.BOUNDARY: _("调整边界"),
    NodeChange.SPLIT: _("拆分后撤销"),
    NodeChange.MERGE: _("合并后撤销"),
    NodeChange.RETIRE: _("撤销"),
}

# A datalist of possible new parents stays usable on a phone up to about this many entries.
MAX_PARENT_SUGGESTIONS = 500


# --- the tree --------------------------------------------------------------------------------


@bp.get("/hierarchy")
@login_required
def tree() -> Any:
    """The top of what the user sees, each with its children listed and counted."""
    form = NodeForm(prefix="root", formdata=None) if me().role in ADMIN_ROLES else None
    return _tree_page(form)


@bp.get("/hierarchy/nodes/<int:node_id>/children")
@login_required
def tree_children(node_id: int) -> Any:
    """One node's children with their counts: the fragment htmx puts under an opened node."""
    node = visible_node(node_id)
    if not is_htmx():
        return redirect(url_for("portal.node", node_id=node.id))
    session = db_session()
    kids = hierarchy.children(session, node)
    counts = hierarchy.counts_below(session, kids, current_tenant().grid_level)
    return render_template("hierarchy/_children.html", nodes=kids, counts=counts)


@bp.post("/hierarchy/roots")
@roles_required(ADMIN_ROLES)
def add_root() -> Any:
    form = NodeForm(prefix="root")
    created = _create_node(form, parent=None)
    if created is not None:
        return redirect(url_for("portal.node", node_id=created.id))
    return _tree_page(form), 422


def _create_node(form: NodeForm, parent: Node | None) -> Node | None:
    """Create the node the form describes under ``parent``; None (errors on the form) if not."""
    created: list[Node] = []
    if form.validate_on_submit() and run_change(
        form,
        lambda: created.append(
            hierarchy.create_node(
                db_session(),
                current_tenant(),
                me(),
                parent=parent,
                code=form.code.data,
                name=form.name.data,
            )
        ),
        aliases={"parent_id": ""},
    ):
        flash(_("已新建 %(name)s。", name=created[0].name), "success")
        return created[0]
    return None


def _tree_page(root_form: NodeForm | None) -> str:
    session = db_session()
    roots = scope_roots()
    kids = {root.id: hierarchy.children(session, root) for root in roots}
    everyone = roots + [child for group in kids.values() for child in group]
    counts = hierarchy.counts_below(session, everyone, current_tenant().grid_level)
    return render_template(
        "hierarchy/tree.html", roots=roots, kids=kids, counts=counts, root_form=root_form
    )


# --- the node page ---------------------------------------------------------------------------


@bp.get("/nodes/<int:node_id>")
@login_required
def node(node_id: int) -> Any:
    return _node_page(visible_node(node_id))


@bp.post("/nodes/<int:node_id>/children")
@login_required
def add_child(node_id: int) -> Any:
    parent = visible_node(node_id)
    if not may_add_child(parent):
        abort(403)
    form = NodeForm(prefix="add")
    if _create_node(form, parent=parent) is not None:
        return redirect(url_for("portal.node", node_id=parent.id))
    return _node_page(parent, add=form), 422


@bp.post("/nodes/<int:node_id>/rename")
@login_required
def rename(node_id: int) -> Any:
    node = _changeable(node_id)
    form = RenameForm(prefix="rename")
    if form.validate_on_submit() and run_change(
        form,
        lambda: hierarchy.update_node(
            db_session(), me(), node, name=form.name.data, code=form.code.data
        ),
        aliases={"node": ""},
    ):
        flash(_("已保存。"), "success")
        return redirect(url_for("portal.node", node_id=node.id))
    return _node_page(node, rename=form), 422


@bp.post("/nodes/<int:node_id>/move")
@login_required
def move(node_id: int) -> Any:
    node = _changeable(node_id)
    form = MoveForm(prefix="move")
    if form.validate_on_submit():
        target = hierarchy.get_node_by_code(db_session(), form.parent_code.data.strip())
        if target is None or not _may_move_under(target):
            form.parent_code.errors.append(
                str(_("没有编码为 %(code)s 的节点", code=form.parent_code.data.strip()))
            )
        elif run_change(
            form,
            lambda: hierarchy.move_node(db_session(), me(), node, target),
            aliases={"parent_id": "parent_code", "node": ""},
        ):
            flash(_("已调整上级。"), "success")
            return redirect(url_for("portal.node", node_id=node.id))
    return _node_page(node, move=form), 422


@bp.post("/nodes/<int:node_id>/retire")
@login_required
def retire(node_id: int) -> Any:
    node = _changeable(node_id)
    form = RetireForm(prefix="retire")
    if form.validate_on_submit() and run_change(
        form,
        lambda: hierarchy.retire_node(db_session(), me(), node),
        aliases={"node": ""},
    ):
        flash(_("已撤销 %(name)s。", name=node.name), "success")
        return redirect(url_for("portal.node", node_id=node.id))
    return _node_page(node, retire=form), 422


@bp.post("/nodes/<int:node_id>/split")
@login_required
def split(node_id: int) -> Any:
    node = _changeable(node_id)
    form = SplitForm(prefix="split")
    parts: list[hierarchy.Part] = []
    if form.validate_on_submit():
        for entry in form.parts:
            row = entry.form
            if row.is_blank():
                continue
            if not row.code.data:
                row.code.errors.append(str(_("请填写编码")))
            if not row.name.data:
                row.name.errors.append(str(_("请填写名称")))
            parts.append(
                hierarchy.Part(
                    code=row.code.data or "",
                    name=row.name.data or "",
                    children=split_codes(row.children.data),
                )
            )
        made: list[Node] = []
        if not any(entry.form.errors for entry in form.parts) and run_change(
            form,
            lambda: made.extend(
                hierarchy.split_node(db_session(), current_tenant(), me(), node, parts)
            ),
            aliases={"parts": "", "code": "", "name": "", "node": "", "parent_id": ""},
        ):
            flash(
                _("已拆分为：%(names)s", names="、".join(n.name for n in made)),
                "success",
            )
            return redirect(url_for("portal.node", node_id=made[0].id))
    return _node_page(node, split=form), 422


@bp.post("/nodes/<int:node_id>/merge")
@login_required
def merge(node_id: int) -> Any:
    node = _changeable(node_id)
    form = MergeForm(prefix="merge")
    choices = _merge_choices(node)
    form.node_ids.choices = choices
    merged: list[Node] = []
    if form.validate_on_submit():
        session = db_session()
        allowed = {choice.value for choice in choices}
        chosen = [i for i in form.node_ids.data or [] if i in allowed]
        if not chosen:
            form.node_ids.errors.append(str(_("请至少选择一个同级节点")))
        elif run_change(
            form,
            lambda: merged.append(
                hierarchy.merge_nodes(
                    session,
                    current_tenant(),
                    me(),
                    [node, *(hierarchy.get_node(session, i) for i in chosen)],
                    code=form.code.data,
                    name=form.name.data,
                )
            ),
            aliases={"node": "", "parent_id": ""},
        ):
            flash(_("已合并为 %(name)s。", name=merged[0].name), "success")
            return redirect(url_for("portal.node", node_id=merged[0].id))
    return _node_page(node, merge=form), 422


def _changeable(node_id: int) -> Node:
    node = visible_node(node_id)
    if not may_change(node):
        abort(403)
    return node


def _may_move_under(target: Node) -> bool:
    return user_scope().contains(target) and may_add_child(target)


def _merge_choices(node: Node) -> list[SelectChoice]:
    if node.parent_id is None:
        siblings = hierarchy.roots(db_session())
    else:
        siblings = hierarchy.children(
            db_session(), hierarchy.get_node(db_session(), node.parent_id)
        )
    return [
        SelectChoice(s.id, f"{s.name}（{s.code}）")
        for s in siblings
        if s.id != node.id and may_change(s)
    ]


def _parent_suggestions(node: Node) -> list[Node]:
    if node.level == 0:
        return []
    query = (
        select(Node)
        .where(
            Node.level == node.level - 1,
            Node.retired_at.is_(None),
            user_scope().node_filter(),
        )
        .order_by(Node.code)
        .limit(MAX_PARENT_SUGGESTIONS)
    )
    return [n for n in db_session().scalars(query) if n.id != node.parent_id]


def _node_page(node: Node, **submitted: FlaskForm) -> str:
    """The node page; a form in ``submitted`` is shown as typed, with its errors."""
    session = db_session()
    tenant = current_tenant()
    scope = user_scope()
    kids = hierarchy.children(session, node)
    counts = hierarchy.counts_below(session, [node, *kids], tenant.grid_level)
    staff = accounts.staff_of(session, node)
    responsible = accounts.responsible_worker(session, node)
    versions = hierarchy.history(session, node)
    named = {n.id: n for n in hierarchy.ancestors(session, node)}
    parent_ids = {v.parent_id for v in versions if v.parent_id and v.parent_id not in named}
    if parent_ids:
        named.update(
            {n.id: n for n in session.scalars(select(Node).where(Node.id.in_(parent_ids)))}
        )
    predecessor_ids = session.scalars(
        select(NodeLineage.predecessor_id).where(NodeLineage.successor_id == node.id)
    ).all()
    predecessors = (
        list(session.scalars(select(Node).where(Node.id.in_(predecessor_ids)).order_by(Node.code)))
        if predecessor_ids
        else []
    )
    forms: dict[str, Any] = {}
    if may_add_child(node):
        forms["add"] = submitted.get("add") or NodeForm(prefix="add", formdata=None)
    if may_change(node):
        forms["rename"] = submitted.get("rename") or RenameForm(
            prefix="rename", formdata=None, obj=node
        )
        forms["move"] = submitted.get("move") or MoveForm(prefix="move", formdata=None)
        forms["retire"] = submitted.get("retire") or RetireForm(prefix="retire", formdata=None)
        forms["split"] = submitted.get("split") or SplitForm(prefix="split", formdata=None)
        merge_form = submitted.get("merge") or MergeForm(prefix="merge", formdata=None)
        merge_form.node_ids.choices = _merge_choices(node)
        if merge_form.node_ids.choices:
            forms["merge"] = merge_form
    return render_template(
        "hierarchy/node.html",
        node=node,
        level=level_name(node),
        trail=[(a, scope.contains(a)) for a in hierarchy.ancestors(session, node)],
        kids=kids,
        counts=counts,
        responsible=responsible,
        others=[u for u in staff if responsible is None or u.id != responsible.id],
        versions=versions,
        named=named,
        change_labels=CHANGE_LABELS,
        successors=hierarchy.successors(session, node) if node.is_retired else [],
        predecessors=predecessors,
        forms=forms,
        parent_suggestions=_parent_suggestions(node) if "move" in forms else [],
        is_grid=node.level == tenant.grid_level,
        open_form=next(iter(submitted), None),
    )
