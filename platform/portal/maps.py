"""The electronic map (电子地图): a node's children drawn with their boundaries, coloured by a
figure the user picks, and the open tasks they may read as points or clusters.

The page works without script and without tiles: the same figures stand in a table under the
map, each child a link one level down. ``static/js/map.js`` draws the outlines and the tasks
from the two JSON answers below; the tiles come from the county's own server when it set one
(``settings["map"]["tile_url"]``), which is then the one other origin the page may load
images from.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import abort, jsonify, make_response, render_template, request
from flask_login import login_required

from gridgov.core.db import db_session
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy import maps
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.tasks import reading
from gridgov.portal.shell import (
    CONTENT_SECURITY_POLICY,
    bp,
    level_name,
    me,
    scope_roots,
    user_scope,
    visible_node,
)
from gridgov.web import current_tenant

DEFAULT_ZOOM = 12


def may_see_map() -> bool:
    from gridgov.portal.shell import Rights

    return Rights.of(me()).work


@bp.get("/map")
@login_required
def map_page() -> Any:
    if not may_see_map():
        abort(403)
    node = _node_asked()
    figure = _figure_asked()
    session = db_session()
    areas = maps.areas(session, node, figure, DEFAULT_ZOOM)
    scope = user_scope()
    tiles = maps.tile_source(current_tenant().settings or {})
    html = render_template(
        "maps/map.html",
        node=node,
        level=level_name(node),
        trail=[(a, scope.contains(a)) for a in hierarchy.ancestors(session, node)],
        areas=areas,
        figure=figure,
        figures=maps.FIGURES.values(),
        tiles=tiles,
        view=_view(current_tenant().settings or {}),
        drawn=sum(1 for a in areas if a.geometry is not None),
    )
    response = make_response(html)
    if tiles is not None:
        response.headers["Content-Security-Policy"] = _policy_with_tiles(tiles.url)
    return response


@bp.get("/map/areas.json")
@login_required
def map_areas() -> Any:
    """The outlines of the node's children with the figure: a GeoJSON FeatureCollection."""
    if not may_see_map():
        abort(403)
    node = _node_asked()
    try:
        figure = maps.figure_named(request.args.get("figure", "open_tasks"))
    except DomainError as refused:
        return jsonify(message=str(refused.message), errors={"figure": [str(refused.message)]}), 422
    zoom = request.args.get("zoom", DEFAULT_ZOOM, type=int)
    collection = maps.feature_collection(maps.areas(db_session(), node, figure, zoom))
    collection["figure"] = {"name": figure.name, "label": str(figure.label)}
    return jsonify(collection)


@bp.get("/map/tasks.json")
@login_required
def map_tasks() -> Any:
    """The open tasks the user reads under the node, in the view: points or clusters."""
    if not may_see_map():
        abort(403)
    node = _node_asked()
    zoom = request.args.get("zoom", DEFAULT_ZOOM, type=int)
    bbox = None
    if request.args.get("bbox"):
        try:
            west, south, east, north = (float(v) for v in request.args["bbox"].split(","))
        except ValueError:
            message = "bbox: west,south,east,north"
            return jsonify(message=message, errors={"bbox": [message]}), 422
        bbox = (west, south, east, north)
    session = db_session()
    visible = reading.visible_filter(session, me(), user_scope())
    return jsonify(maps.task_points(session, visible, node, zoom, bbox))


def _node_asked() -> Any:
    node_id = request.args.get("node", type=int)
    if node_id is not None:
        return visible_node(node_id)
    roots = scope_roots()
    if not roots:
        abort(404)
    return roots[0]


def _figure_asked() -> maps.Figure:
    return maps.FIGURES.get(request.args.get("figure", ""), maps.FIGURES["open_tasks"])


def _view(settings: dict[str, Any]) -> dict[str, Any] | None:
    """Where the map opens before the outlines are in (the county's ``center``, ``zoom``)."""
    value = settings.get(maps.MAP_SETTING) or {}
    if not isinstance(value, dict) or not value.get("center") or maps.setting_problems(value):
        return None
    return {"center": value["center"], "zoom": value.get("zoom") or DEFAULT_ZOOM}


def _policy_with_tiles(url: str) -> str:
    """The portal's policy with the county's tile server added to where images may come from
    (a path on our own server needs nothing added)."""
    parts = urlsplit(url.replace("{s}", "a"))
    if not parts.scheme:
        return CONTENT_SECURITY_POLICY
    origin = f"{parts.scheme}://{parts.netloc}"
    if "{s}" in url:  # Leaflet's subdomains a, b, c
        origin = f"{parts.scheme}://*.{parts.netloc.split('.', 1)[-1]}"
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")
