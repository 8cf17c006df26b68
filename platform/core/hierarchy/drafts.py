"""Boundaries drawn on the map before they count: a county admin saves a draft of a node's
四至界限 (as often as they like), then publishes it, which is a boundary change like any other
(``update_node``: a new version of the node, audited), or discards it. Until then the map,
``locate`` and every report keep using the published boundary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.geo import validate_boundary
from gridgov.core.hierarchy.models import BoundaryDraft, Node
from gridgov.core.i18n import _


def draft_of(session: Session, node: Node) -> BoundaryDraft | None:
    return session.scalar(select(BoundaryDraft).where(BoundaryDraft.node_id == node.id))


def save_draft(session: Session, actor: Any, node: Node, boundary: Any) -> BoundaryDraft:
    """Keep ``boundary`` (checked like any boundary) as the node's draft, replacing an
    earlier one; DomainError on ``boundary`` when it is not a valid polygon."""
    hierarchy.ensure_active(node)
    checked = validate_boundary(boundary)
    if checked is None:
        raise DomainError(_("请先画出边界"), field="boundary")
    draft = draft_of(session, node)
    if draft is None:
        draft = BoundaryDraft(node_id=node.id, boundary=checked)
        session.add(draft)
    draft.boundary = checked
    draft.drafted_by_id = getattr(actor, "id", None)
    draft.drafted_by_name = getattr(actor, "name", "") or ""
    draft.drafted_at = utcnow()
    session.flush()
    audit.record(session, actor, "node.boundary_draft", "node", node.id)
    return draft


def publish_draft(session: Session, actor: Any, node: Node) -> Node:
    """Make the draft the node's boundary (a new version of the node) and drop the draft."""
    draft = draft_of(session, node)
    if draft is None:
        raise NotFound(_("这个节点没有待发布的边界草稿"))
    hierarchy.update_node(session, actor, node, boundary=draft.boundary)
    session.delete(draft)
    session.flush()
    return node


def discard_draft(session: Session, actor: Any, node: Node) -> None:
    draft = draft_of(session, node)
    if draft is None:
        raise NotFound(_("这个节点没有待发布的边界草稿"))
    session.delete(draft)
    session.flush()
    audit.record(session, actor, "node.boundary_draft_discard", "node", node.id)
