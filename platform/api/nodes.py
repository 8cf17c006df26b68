"""The hierarchy API: the tree as the caller may see it, node details and history, and the
re-gridding operations (create, rename, move, split, merge, retire), each keeping history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask.views import MethodView

from gridgov.api import access
from gridgov.api.access import current_caller
from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.api.schemas import (
    AsOfArgsSchema,
    BoundaryFileSchema,
    BoundaryImportArgsSchema,
    BoundaryReportSchema,
    LocateArgsSchema,
    LocatedSchema,
    NodeCreateSchema,
    NodeDetailSchema,
    NodeListArgsSchema,
    NodeMergeSchema,
    NodeMoveSchema,
    NodeSchema,
    NodeSplitSchema,
    NodeUpdateSchema,
    NodeVersionSchema,
    NodeWithCountsSchema,
)
from gridgov.core.accounts import access as account_access
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import User
from gridgov.core.db import db_session
from gridgov.core.errors import NotFound
from gridgov.core.hierarchy import boundaries
from gridgov.core.hierarchy import locate as locating
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.service import NodeCounts, Part
from gridgov.core.i18n import _
from gridgov.core.jobs import enqueue
from gridgov.core.maps import jobs as map_jobs
from gridgov.web import current_tenant

blp = ApiBlueprint(
    "nodes",
    __name__,
    url_prefix="/t/<slug>/api/v1/nodes",
    description="网格层级：节点树、节点详情与历史、建立与调整网格（拆分、合并、移动、撤销）",
)


@dataclass(frozen=True)
class NodeView:
    """A node with what the API shows beside it; other attributes are the node's own."""

    node: Node
    counts: NodeCounts | None = None
    ancestors: list[Node] | None = None
    responsible_worker: User | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.node, name)


def with_counts(nodes: list[Node]) -> list[NodeView]:
    counts = hierarchy.counts_below(db_session(), nodes, current_tenant().grid_level)
    return [NodeView(node, counts=counts[node.id]) for node in nodes]


def detail(node: Node) -> NodeView:
    session = db_session()
    return NodeView(
        node,
        counts=hierarchy.counts_below(session, [node], current_tenant().grid_level)[node.id],
        ancestors=hierarchy.ancestors(session, node),
        responsible_worker=accounts.responsible_worker(session, node),
    )


@blp.route("")
class Nodes(MethodView):
    @blp.requires("hierarchy:read")
    @blp.response(200, NodeWithCountsSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[NodeView]:
        """The tops of the caller's part of the tree

        County-wide roles get the county's top nodes; everyone else the nodes they are
        assigned to. Each with its counts (children, grids, staff).
        """
        roots = access.visible_roots(db_session(), current_caller())
        return with_counts(page_of(roots, pagination_parameters))

    @blp.requires("hierarchy:write")
    @blp.arguments(NodeCreateSchema)
    @blp.response(201, NodeDetailSchema)
    def post(self, data: dict[str, Any]) -> NodeView:
        """Create a node

        Under ``parent_id`` (one level below it), or at the top level when it is null.
        """
        session, caller = db_session(), current_caller()
        parent = None
        if data["parent_id"] is not None:
            parent = access.visible_node(session, caller, data["parent_id"])
        access.check_may_place_under(caller, parent)
        node = hierarchy.create_node(
            session,
            current_tenant(),
            caller.user,
            parent=parent,
            code=data["code"],
            name=data["name"],
            boundary=data["boundary"],
        )
        session.commit()
        return detail(node)


@blp.route("/locate")
class Locate(MethodView):
    @blp.requires("hierarchy:read")
    @blp.arguments(LocateArgsSchema, location="query")
    @blp.response(200, LocatedSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The basic grid whose boundary holds a point (a report's place), with its path

        Any grid of the county is answered, by code and name only, so that a report can be
        sent where it belongs; ``in_scope`` says whether the caller works there. 404 with a
        message when no grid's boundary holds the point."""
        session = db_session()
        grid = locating.locate(session, args["lat"], args["lng"])
        return {
            "grid": grid,
            "path": [*hierarchy.ancestors(session, grid), grid],
            "in_scope": current_caller().scope.contains(grid),
        }


BOUNDARY_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "GeoJSON（.geojson/.json）、KML（.kml/.kmz）或打包成 zip"
                        " 的 shapefile（.shp/.shx/.dbf，可带 .prj、.cpg），WGS 84 经纬度；"
                        "整个请求最大 GRIDGOV_MAX_REQUEST_MB，超过时 413",
                    }
                },
            }
        }
    },
}


@blp.route("/boundaries")
class Boundaries(MethodView):
    @blp.requires("hierarchy:write")
    @blp.arguments(BoundaryImportArgsSchema, location="query")
    @blp.arguments(BoundaryFileSchema, location="files")
    @blp.doc(requestBody=BOUNDARY_BODY)
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.response(200, BoundaryReportSchema)
    def post(self, args: dict[str, Any], upload: dict[str, Any]) -> Any:
        """Import grid boundaries from GeoJSON, KML/KMZ or a zipped shapefile

        Each feature names its node by code. ``dry_run`` (the default) only reports: unmatched
        features, invalid polygons, overlapping siblings and the part of a parent its children
        leave uncovered. With ``dry_run=false`` each valid, matched boundary is stored as a new
        version of its node; the rest is reported, not stored."""
        session, caller = db_session(), current_caller()
        file = upload["file"]
        report = boundaries.import_boundaries(
            session,
            caller.user,
            file.filename or "",
            file.stream.read(),
            may_change=lambda node: account_access.may_change(caller.user, caller.scope, node),
            code_field=args["code_field"],
            dry_run=args["dry_run"],
        )
        session.commit()
        if not args["dry_run"]:
            enqueue(map_jobs.merge_county_outlines, current_tenant().id)
        return report


@blp.route("/<int:node_id>")
class NodeById(MethodView):
    @blp.requires("hierarchy:read")
    @blp.response(200, NodeDetailSchema)
    def get(self, node_id: int) -> NodeView:
        """A node with its breadcrumb, counts and responsible grid worker"""
        return detail(access.visible_node(db_session(), current_caller(), node_id))

    @blp.requires("hierarchy:write")
    @blp.arguments(NodeUpdateSchema)
    @blp.response(200, NodeDetailSchema)
    def patch(self, data: dict[str, Any], node_id: int) -> NodeView:
        """Rename a node, change its code or boundary

        A new name or code opens a new version in the node's history.
        """
        session, caller = db_session(), current_caller()
        node = access.changeable_node(session, caller, node_id)
        hierarchy.update_node(
            session,
            caller.user,
            node,
            name=data.get("name"),
            code=data.get("code"),
            boundary=data.get("boundary", ...),
        )
        session.commit()
        if "boundary" in data:
            enqueue(map_jobs.merge_county_outlines, current_tenant().id)
        return detail(node)


@blp.route("/<int:node_id>/children")
class NodeChildren(MethodView):
    @blp.requires("hierarchy:read")
    @blp.arguments(NodeListArgsSchema, location="query")
    @blp.response(200, NodeWithCountsSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], node_id: int, pagination_parameters: Any) -> Any:
        """The direct children of a node, with their counts"""
        session = db_session()
        node = access.visible_node(session, current_caller(), node_id)
        nodes = hierarchy.children(session, node, include_retired=args["include_retired"])
        return with_counts(page_of(nodes, pagination_parameters))


@blp.route("/<int:node_id>/subtree")
class NodeSubtree(MethodView):
    @blp.requires("hierarchy:read")
    @blp.arguments(NodeListArgsSchema, location="query")
    @blp.response(200, NodeSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], node_id: int, pagination_parameters: Any) -> Any:
        """A node and everything under it, top first (one indexed query, paged)"""
        node = access.visible_node(db_session(), current_caller(), node_id)
        query = hierarchy.subtree_query(node, include_retired=args["include_retired"])
        return page_of(query, pagination_parameters)


@blp.route("/<int:node_id>/history")
class NodeHistory(MethodView):
    @blp.requires("hierarchy:read")
    @blp.response(200, NodeVersionSchema(many=True))
    @blp.paginate()
    def get(self, node_id: int, pagination_parameters: Any) -> Any:
        """What the node was called and where it hung, oldest first"""
        session = db_session()
        node = access.visible_node(session, current_caller(), node_id)
        return page_of(hierarchy.history(session, node), pagination_parameters)


@blp.route("/<int:node_id>/successors")
class NodeSuccessors(MethodView):
    @blp.requires("hierarchy:read")
    @blp.response(200, NodeSchema(many=True))
    @blp.paginate()
    def get(self, node_id: int, pagination_parameters: Any) -> Any:
        """The active nodes now covering this node's area

        The node itself while it is active; after a split or merge, the nodes it became.
        Records filed under an old grid resolve through this.
        """
        session, caller = db_session(), current_caller()
        node = access.visible_node(session, caller, node_id)
        found = [n for n in hierarchy.successors(session, node) if caller.scope.contains(n)]
        return page_of(found, pagination_parameters)


@blp.route("/<int:node_id>/as-of")
class NodeAsOf(MethodView):
    @blp.requires("hierarchy:read")
    @blp.arguments(AsOfArgsSchema, location="query")
    @blp.response(200, NodeVersionSchema)
    def get(self, args: dict[str, Any], node_id: int) -> Any:
        """What the node was called and where it hung at a moment"""
        session = db_session()
        node = access.visible_node(session, current_caller(), node_id)
        at: dt.datetime = args["at"]
        if at.tzinfo is None:  # people give local times: the county's wall clock
            at = at.replace(tzinfo=current_tenant().clock.zone)
        version = hierarchy.version_at(session, node, at)
        if version is None:
            raise NotFound(_("节点在该时间尚未建立"))
        return version


@blp.route("/<int:node_id>/move")
class NodeMove(MethodView):
    @blp.requires("hierarchy:write")
    @blp.arguments(NodeMoveSchema)
    @blp.response(200, NodeDetailSchema)
    def post(self, data: dict[str, Any], node_id: int) -> NodeView:
        """Hang a node (with everything under it) under another parent"""
        session, caller = db_session(), current_caller()
        node = access.changeable_node(session, caller, node_id)
        parent = access.visible_node(session, caller, data["parent_id"])
        access.check_may_place_under(caller, parent)
        hierarchy.move_node(session, caller.user, node, parent)
        session.commit()
        return detail(node)


@blp.route("/<int:node_id>/split")
class NodeSplit(MethodView):
    @blp.requires("hierarchy:write")
    @blp.arguments(NodeSplitSchema)
    @blp.response(201, NodeSchema(many=True))
    def post(self, data: dict[str, Any], node_id: int) -> list[Node]:
        """Split a node into new sibling nodes

        Each part names the codes of the children it takes over; every child must go to one
        part. The old node is retired and stays, with the parts as its successors.
        """
        session, caller = db_session(), current_caller()
        node = access.changeable_node(session, caller, node_id)
        parts = [Part(**part) for part in data["parts"]]
        made = hierarchy.split_node(session, current_tenant(), caller.user, node, parts)
        session.commit()
        return made


@blp.route("/merge")
class NodeMerge(MethodView):
    @blp.requires("hierarchy:write")
    @blp.arguments(NodeMergeSchema)
    @blp.response(201, NodeDetailSchema)
    def post(self, data: dict[str, Any]) -> NodeView:
        """Merge sibling nodes into one new node

        The new node takes over all their children; the merged nodes are retired and stay,
        with the new node as their successor.
        """
        session, caller = db_session(), current_caller()
        nodes = [
            access.changeable_node(session, caller, node_id)
            for node_id in dict.fromkeys(data["node_ids"])
        ]
        merged = hierarchy.merge_nodes(
            session,
            current_tenant(),
            caller.user,
            nodes,
            code=data["code"],
            name=data["name"],
            boundary=data["boundary"],
        )
        session.commit()
        return detail(merged)


@blp.route("/<int:node_id>/retire")
class NodeRetire(MethodView):
    @blp.requires("hierarchy:write")
    @blp.response(200, NodeDetailSchema)
    def post(self, node_id: int) -> NodeView:
        """Retire a node with no active children

        It stays, with its history, for the records filed under it; its staff are detached.
        """
        session, caller = db_session(), current_caller()
        node = access.changeable_node(session, caller, node_id)
        hierarchy.retire_node(session, caller.user, node)
        session.commit()
        return detail(node)
