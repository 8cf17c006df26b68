"""Use cases of the hierarchy: build it, re-grid it (rename, move, split, merge, retire) with
history, and read it (subtrees, children with counts, what a node was at a date).

Every change writes a ``NodeVersion`` and an audit event. Retired nodes are never deleted, so a
record filed under a grid that was later split or merged still points at a real node, and
``successors`` tells where that area lives now.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, func, literal, or_, select, update
from sqlalchemy.orm import Session

from gridgov.core.audit import service as audit
from gridgov.core.audit.service import Actor
from gridgov.core.db import current_tenant_id, utcnow
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.hierarchy.geo import validate_boundary
from gridgov.core.hierarchy.models import Assignment, Node, NodeChange, NodeLineage, NodeVersion
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.i18n import _
from gridgov.core.tenancy.models import Tenant
from gridgov.core.text import check_text

# --- reading ---------------------------------------------------------------------------------


def get_node(session: Session, node_id: int) -> Node:
    """The node with this id in the current tenant, or NotFound."""
    node = session.get(Node, node_id)
    # session.get may answer from the identity map, which the tenant filter does not cover.
    if node is None or node.tenant_id != current_tenant_id(session):
        raise NotFound(_("没有这个节点"))
    return node


def get_node_by_code(session: Session, code: str) -> Node | None:
    """The node with this code in the current tenant, or None."""
    return session.scalar(select(Node).where(Node.code == code))


def roots(session: Session, *, include_retired: bool = False) -> list[Node]:
    """The top-level nodes of the current tenant, by code."""
    query = select(Node).where(Node.parent_id.is_(None))
    if not include_retired:
        query = query.where(Node.retired_at.is_(None))
    return list(session.scalars(query.order_by(Node.code)))


def children(session: Session, node: Node, *, include_retired: bool = False) -> list[Node]:
    """The direct children of ``node``, by code."""
    query = select(Node).where(Node.parent_id == node.id)
    if not include_retired:
        query = query.where(Node.retired_at.is_(None))
    return list(session.scalars(query.order_by(Node.code)))


def subtree_query(node: Node, *, include_retired: bool = False) -> Any:
    """SELECT of ``node`` and everything under it: one indexed prefix query on the path."""
    query = select(Node).where(subtree(Node.path, node.path))
    if not include_retired:
        query = query.where(Node.retired_at.is_(None))
    return query.order_by(Node.path)


def ancestors(session: Session, node: Node) -> list[Node]:
    """The nodes above ``node``, top first (the breadcrumb)."""
    ids = [int(part) for part in node.path.strip("/").split("/")[:-1]]
    if not ids:
        return []
    by_id = {n.id: n for n in session.scalars(select(Node).where(Node.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


@dataclass(frozen=True)
class NodeCounts:
    """Derived figures of a node: what lies under it and who works there."""

    children: int
    grids: int
    staff: int


def counts_below(session: Session, nodes: Sequence[Node], grid_level: int) -> dict[int, NodeCounts]:
    """Counts for each of ``nodes`` (siblings or any set), in three queries in all."""
    if not nodes:
        return {}
    ids = [n.id for n in nodes]
    child_counts = dict(
        session.execute(
            select(Node.parent_id, func.count())
            .where(Node.parent_id.in_(ids), Node.retired_at.is_(None))
            .group_by(Node.parent_id)
        ).all()
    )
    # Attribute every active grid and staff assignment below to the node on its path: one row
    # per grid and per assignment under the nodes, never one per person or record.
    prefixes = [n.path for n in nodes]
    in_any = _under_any(prefixes)
    grid_paths = session.scalars(
        select(Node.path).where(in_any, Node.level == grid_level, Node.retired_at.is_(None))
    ).all()
    staff_rows = session.execute(
        select(Node.path, Assignment.user_id)
        .join(Assignment, Assignment.node_id == Node.id)
        .where(in_any, Node.retired_at.is_(None))
    ).all()
    by_prefix = {n.path: n.id for n in nodes}
    grids: Counter[int] = Counter()
    staff: dict[int, set[int]] = {n.id: set() for n in nodes}
    for path in grid_paths:
        for owner in _owners(path, by_prefix):
            grids[owner] += 1
    for path, user_id in staff_rows:
        for owner in _owners(path, by_prefix):
            staff[owner].add(user_id)  # a supervisor of three grids is one person
    return {
        n.id: NodeCounts(
            children=child_counts.get(n.id, 0), grids=grids[n.id], staff=len(staff[n.id])
        )
        for n in nodes
    }


def _under_any(prefixes: Sequence[str]) -> Any:
    return or_(*(subtree(Node.path, p) for p in prefixes))


def _owners(path: str, by_prefix: dict[str, int]) -> list[int]:
    parts = path.strip("/").split("/")
    found = []
    for i in range(1, len(parts) + 1):
        owner = by_prefix.get("/" + "/".join(parts[:i]) + "/")
        if owner is not None:
            found.append(owner)
    return found


def version_at(session: Session, node: Node, when: dt.datetime) -> NodeVersion | None:
    """What ``node`` was called and where it hung at ``when``; None before it existed."""
    return session.scalar(
        select(NodeVersion)
        .where(
            NodeVersion.node_id == node.id,
            NodeVersion.valid_from <= when,
            (NodeVersion.valid_to.is_(None)) | (NodeVersion.valid_to > when),
        )
        .order_by(NodeVersion.valid_from.desc(), NodeVersion.id.desc())
        .limit(1)
    )


def history(session: Session, node: Node) -> list[NodeVersion]:
    """All versions of ``node``, oldest first."""
    return list(
        session.scalars(
            select(NodeVersion)
            .where(NodeVersion.node_id == node.id)
            .order_by(NodeVersion.valid_from, NodeVersion.id)
        )
    )


def successors(session: Session, node: Node) -> list[Node]:
    """The active nodes that now cover ``node``'s area: itself if active, else followed through
    splits and merges (a record filed under an old grid resolves to these)."""
    found: list[Node] = []
    seen: set[int] = set()
    frontier = [node]
    while frontier:
        current = frontier.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        if not current.is_retired:
            found.append(current)
            continue
        next_ids = session.scalars(
            select(NodeLineage.successor_id).where(NodeLineage.predecessor_id == current.id)
        ).all()
        frontier.extend(session.scalars(select(Node).where(Node.id.in_(next_ids))))
    return sorted(found, key=lambda n: n.code)


# --- building --------------------------------------------------------------------------------


def create_node(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    *,
    parent: Node | None,
    code: str,
    name: str,
    boundary: dict[str, Any] | None = None,
) -> Node:
    """Create a node under ``parent`` (None: a top-level node) and return it."""
    level = 0 if parent is None else parent.level + 1
    if parent is not None and parent.is_retired:
        raise DomainError(_("上级节点已撤销"), field="parent_id")
    if level > tenant.grid_level:
        raise DomainError(
            _(
                "%(name)s 是最低一级（%(level)s），不能再往下建节点",
                name=parent.name if parent else "",
                level=tenant.level_names[-1],
            ),
            field="parent_id",
        )
    code, name = clean_code(code), clean_name(name)
    _ensure_code_free(session, code)
    node = Node(
        code=code,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        boundary=validate_boundary(boundary),
    )
    session.add(node)
    session.flush()  # the path is made of ids
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    _open_version(session, node, NodeChange.CREATE)
    audit.record(session, actor, "node.create", "node", node.id, after=_snapshot(node))
    return node


def update_node(
    session: Session,
    actor: Actor,
    node: Node,
    *,
    name: str | None = None,
    code: str | None = None,
    boundary: Any = ...,
) -> Node:
    """Rename a node, change its code, or set its boundary (``None`` clears it)."""
    ensure_active(node)
    before = _snapshot(node)
    changes: list[NodeChange] = []
    if name is not None and clean_name(name) != node.name:
        node.name = clean_name(name)
        changes.append(NodeChange.RENAME)
    if code is not None and clean_code(code) != node.code:
        _ensure_code_free(session, clean_code(code))
        node.code = clean_code(code)
        changes.append(NodeChange.RENAME)
    if boundary is not ...:
        new_boundary = validate_boundary(boundary)
        if new_boundary != node.boundary:
            node.boundary = new_boundary
            changes.append(NodeChange.BOUNDARY)
    if not changes:
        return node
    # One new version for the edit: named for a rename, else for the new boundary.
    _close_version(session, node)
    _open_version(session, node, changes[0])
    audit.record(
        session, actor, "node.update", "node", node.id, before=before, after=_snapshot(node)
    )
    return node


def move_node(session: Session, actor: Actor, node: Node, new_parent: Node) -> Node:
    """Hang ``node`` (and its subtree) under ``new_parent``, one level above it."""
    ensure_active(node)
    if new_parent.is_retired:
        raise DomainError(_("目标上级节点已撤销"), field="parent_id")
    if new_parent.path.startswith(node.path):
        raise DomainError(_("不能把节点移到它自己或它的下级之下：节点树会成环"), field="parent_id")
    if new_parent.level != node.level - 1:
        raise DomainError(_("新的上级必须比本节点高一级"), field="parent_id")
    if new_parent.id == node.parent_id:
        return node
    before = _snapshot(node)
    old_prefix = node.path
    new_prefix = f"{new_parent.path}{node.id}/"
    session.flush()
    session.execute(
        update(Node)
        .where(subtree(Node.path, old_prefix))
        .values(path=literal(new_prefix, String) + func.substr(Node.path, len(old_prefix) + 1))
        .execution_options(synchronize_session=False)
    )
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, Node) and loaded.path.startswith(old_prefix):
            session.expire(loaded, ["path"])
    node.parent_id = new_parent.id
    _close_version(session, node)
    _open_version(session, node, NodeChange.MOVE)
    audit.record(session, actor, "node.move", "node", node.id, before=before, after=_snapshot(node))
    return node


@dataclass
class Part:
    """One of the nodes a split produces; ``children`` are codes of children it takes over."""

    code: str
    name: str
    boundary: dict[str, Any] | None = None
    children: Sequence[str] = ()


def split_node(
    session: Session, tenant: Tenant, actor: Actor, node: Node, parts: Sequence[Part]
) -> list[Node]:
    """Split ``node`` into ``parts`` (new siblings); the old node is retired, its children are
    handed to the part that names them, and each part records the old node as predecessor."""
    ensure_active(node)
    if len(parts) < 2:
        raise DomainError(_("拆分至少要得到两个节点"), field="parts")
    current_children = {c.code: c for c in children(session, node)}
    claimed = [code for part in parts for code in part.children]
    unknown = sorted(set(claimed) - set(current_children))
    if unknown:
        raise DomainError(
            _("这些下级节点不属于 %(name)s：%(codes)s", name=node.name, codes="、".join(unknown)),
            field="parts",
        )
    if len(claimed) != len(set(claimed)):
        raise DomainError(_("同一个下级节点不能分给两个新节点"), field="parts")
    left_over = sorted(set(current_children) - set(claimed))
    if left_over:
        raise DomainError(
            _("还有下级节点没有分配：%(codes)s", codes="、".join(left_over)), field="parts"
        )
    parent = session.get(Node, node.parent_id) if node.parent_id else None
    made: list[Node] = []
    for part in parts:
        new = create_node(
            session,
            tenant,
            actor,
            parent=parent,
            code=part.code,
            name=part.name,
            boundary=part.boundary,
        )
        for code in part.children:
            move_node(session, actor, current_children[code], new)
        session.add(NodeLineage(predecessor_id=node.id, successor_id=new.id, change="split"))
        made.append(new)
    _retire(session, actor, node, NodeChange.SPLIT)
    audit.record(
        session, actor, "node.split", "node", node.id, after={"into": [n.code for n in made]}
    )
    return made


def merge_nodes(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    nodes: Sequence[Node],
    *,
    code: str,
    name: str,
    boundary: dict[str, Any] | None = None,
) -> Node:
    """Merge sibling ``nodes`` into one new node that takes over all their children."""
    if len(nodes) < 2:
        raise DomainError(_("合并至少需要两个节点"), field="node_ids")
    for node in nodes:
        ensure_active(node)
    if len({n.parent_id for n in nodes}) != 1 or len({n.level for n in nodes}) != 1:
        raise DomainError(_("只能合并同一上级下的同级节点"), field="node_ids")
    parent = session.get(Node, nodes[0].parent_id) if nodes[0].parent_id else None
    merged = create_node(
        session, tenant, actor, parent=parent, code=code, name=name, boundary=boundary
    )
    for node in nodes:
        for child in children(session, node):
            move_node(session, actor, child, merged)
        session.add(NodeLineage(predecessor_id=node.id, successor_id=merged.id, change="merge"))
        _retire(session, actor, node, NodeChange.MERGE)
    audit.record(
        session, actor, "node.merge", "node", merged.id, after={"from": [n.code for n in nodes]}
    )
    return merged


def retire_node(session: Session, actor: Actor, node: Node) -> Node:
    """Retire a node that has no active children; it stays for the records filed under it."""
    ensure_active(node)
    if children(session, node):
        raise DomainError(_("该节点下还有下级节点，请先移走或撤销它们"), field="node")
    _retire(session, actor, node, NodeChange.RETIRE)
    return node


# --- internals -------------------------------------------------------------------------------


def _retire(session: Session, actor: Actor, node: Node, change: NodeChange) -> None:
    before = _snapshot(node)
    now = utcnow()
    node.retired_at = now
    # Staff leave a retired node; their assignment history is in the audit log.
    for assignment in session.scalars(select(Assignment).where(Assignment.node_id == node.id)):
        audit.record(
            session,
            actor,
            "assignment.end",
            "user",
            assignment.user_id,
            before={"node": node.code, "is_responsible": assignment.is_responsible},
        )
        session.delete(assignment)
    _close_version(session, node, now)
    _open_version(session, node, change, retired=True, at=now)
    audit.record(
        session,
        actor,
        f"node.{change.value}",
        "node",
        node.id,
        before=before,
        after=_snapshot(node),
    )


def _open_version(
    session: Session,
    node: Node,
    change: NodeChange,
    *,
    retired: bool = False,
    at: dt.datetime | None = None,
) -> None:
    session.add(
        NodeVersion(
            tenant_id=node.tenant_id,
            node_id=node.id,
            code=node.code,
            name=node.name,
            parent_id=node.parent_id,
            level=node.level,
            change=change.value,
            boundary=node.boundary,
            valid_from=at or utcnow(),
            is_retired=retired,
        )
    )


def _close_version(session: Session, node: Node, at: dt.datetime | None = None) -> None:
    session.flush()
    session.execute(
        update(NodeVersion)
        .where(NodeVersion.node_id == node.id, NodeVersion.valid_to.is_(None))
        .values(valid_to=at or utcnow())
        .execution_options(synchronize_session=False)
    )


def ensure_active(node: Node) -> None:
    """DomainError when ``node`` was retired: a retired node is not changed any more."""
    if node.is_retired:
        raise DomainError(_("节点 %(name)s 已撤销，不能再修改", name=node.name), field="node")


def _ensure_code_free(session: Session, code: str) -> None:
    # The unique constraint is per tenant, so this message can never reveal another county's node.
    if session.scalar(select(Node.id).where(Node.code == code)) is not None:
        raise Conflict(_("编码 %(code)s 已被使用", code=code), field="code")


def clean_code(code: str) -> str:
    """A code as the county's registers keep it (nodes, departments …); DomainError on "code"."""
    code = check_text((code or "").strip(), field="code", one_line=True)
    if not code:
        raise DomainError(_("编码不能为空"), field="code")
    if len(code) > 64 or any(c.isspace() or c == "/" for c in code):
        raise DomainError(_("编码最长 64 个字符，不能含空格或斜杠"), field="code")
    return code


def clean_name(name: str) -> str:
    """A name of something the county sets up; DomainError on "name"."""
    name = check_text((name or "").strip(), field="name", one_line=True)
    if not name:
        raise DomainError(_("名称不能为空"), field="name")
    if len(name) > 200:
        raise DomainError(_("名称最长 200 个字符"), field="name")
    return name


def _snapshot(node: Node) -> dict[str, Any]:
    return {
        "code": node.code,
        "name": node.name,
        "level": node.level,
        "parent_id": node.parent_id,
        "retired": node.is_retired,
        "has_boundary": node.boundary is not None,
    }
