"""The electronic map (电子地图): a node's children drawn with their boundaries, coloured by a
figure the user picks, and layers of things with a position the user switches on and filters
by kind: the open tasks they may read, the key sites, and the layers of the department modules
their county admitted (fire hazards …), as points or clusters.

The page works without script and without tiles: the same figures stand in a table under the
map, each child a link one level down. ``static/js/map.js`` draws the outlines and the layers
from the JSON answers below; the tiles come from the county's own server when it set one
(``settings["map"]["tile_url"]``), which is then the one other origin the page may load
images from.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import login_required

from gridgov.core.admission import activation
from gridgov.core.assessment import records
from gridgov.core.assessment.sheets import workers_in_scope
from gridgov.core.db import db_session
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.hierarchy import drafts
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.i18n import _, current_locale
from gridgov.core.jobs import enqueue
from gridgov.core.maps import jobs as map_jobs
from gridgov.core.maps import service as maps
from gridgov.core.plugins.hookspecs import MapKind, MapLayer
from gridgov.core.tasks import worker_day
from gridgov.portal.shell import (
    CONTENT_SECURITY_POLICY,
    Rights,
    bp,
    level_name,
    may_change,
    me,
    scope_roots,
    user_scope,
    visible_node,
)
from gridgov.web import current_tenant

DEFAULT_ZOOM = 12
MAX_WORKER_CHOICES = 300  # workers offered in the patrol-route picker
# The page of one record of each core layer (a module's layer names its own view).
CORE_LINKS = {"tasks": ("portal.task", "task_id"), "key_sites": ("portal.site", "site_id")}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Offered:
    """A layer as this user is offered it: its words, its kinds and the SELECT of its rows."""

    layer: MapLayer
    label: str
    kinds: list[dict[str, str]]  # code, label, colour: the legend and the filter
    rows: Any
    link: Callable[[int], str] | None


def may_see_map() -> bool:
    return Rights.of(me()).work


@bp.get("/map")
@login_required
def map_page() -> Any:
    if not may_see_map():
        abort(403)
    node = _node_asked()
    layers = _offered_layers()
    figures = _figures(layers)
    figure = next(
        (f for f in figures if f.name == request.args.get("figure")), maps.FIGURES["open_tasks"]
    )
    session = db_session()
    areas = maps.areas(session, node, figure, DEFAULT_ZOOM)
    session.commit()  # the outlines merged for this view, kept for the other processes
    scope = user_scope()
    tiles = maps.tile_source(current_tenant().settings or {})
    shown = set(request.args.getlist("layers")) or {"tasks"}
    html = render_template(
        "maps/map.html",
        node=node,
        level=level_name(node),
        trail=[(a, scope.contains(a)) for a in hierarchy.ancestors(session, node)],
        areas=areas,
        figure=figure,
        figures=figures,
        layers=layers,
        shown_layers=shown,
        tiles=tiles,
        view=_view(current_tenant().settings or {}),
        drawn=sum(1 for a in areas if a.geometry is not None),
        workers=_workers_to_follow(node),
        worker_id=request.args.get("worker", type=int),
        day=request.args.get("day") or current_tenant().clock.today().isoformat(),
    )
    return _with_tiles_allowed(make_response(html), tiles)


@bp.get("/map/areas.json")
@login_required
def map_areas() -> Any:
    """The outlines of the node's children with the figure: a GeoJSON FeatureCollection."""
    if not may_see_map():
        abort(403)
    node = _node_asked()
    try:
        figure = maps.figure_named(
            request.args.get("figure", "open_tasks"), _figures(_offered_layers())
        )
    except DomainError as refused:
        return _refused("figure", str(refused.message))
    zoom = request.args.get("zoom", DEFAULT_ZOOM, type=int)
    session = db_session()
    try:
        collection = maps.feature_collection(maps.areas(session, node, figure, zoom))
        session.commit()  # the outlines merged for this view, kept for the other processes
    except Exception:  # a module's figure query; the core's own errors are bugs all the same
        if figure.name in maps.FIGURES:
            raise
        log.exception("map figure %s failed", figure.name)
        return _refused("figure", str(_("该指标暂时无法计算，请稍后再试")), 503)
    collection["figure"] = {
        "name": figure.name,
        "label": str(figure.label),
        "rate": figure.rate,
        "higher_is_better": figure.higher_is_better,
    }
    return jsonify(collection)


@bp.get("/map/points.json")
@login_required
def map_points() -> Any:
    """One layer's things under the node, in the view, of the kinds asked for (all when none
    is named): points (each with the link to its page) or clusters."""
    if not may_see_map():
        abort(403)
    node = _node_asked()
    code = request.args.get("layer", "tasks")
    offered = next((o for o in _offered_layers() if o.layer.code == code), None)
    if offered is None:
        return _refused("layer", str(_("没有这个图层：%(name)s", name=code)))
    known = [k["code"] for k in offered.kinds]
    asked = [k for k in request.args.get("kinds", "").split(",") if k]
    if any(k not in known for k in asked):
        return _refused(
            "kinds", str(_("图层 %(name)s 没有这类：%(kinds)s", name=code, kinds=",".join(asked)))
        )
    kinds = [k for k in known if k in asked] if asked else known
    bbox = None
    if request.args.get("bbox"):
        try:
            west, south, east, north = (float(v) for v in request.args["bbox"].split(","))
        except ValueError:
            return _refused("bbox", str(_("bbox 应是 西经,南纬,东经,北纬 四个数，用逗号分开")))
        bbox = (west, south, east, north)
    zoom = request.args.get("zoom", DEFAULT_ZOOM, type=int)
    session = db_session()
    try:
        with session.begin_nested():  # a module's query failing leaves the request usable
            collection = maps.layer_points(session, offered.rows, node, zoom, bbox, kinds)
    except Exception:
        if offered.layer in maps.CORE_LAYERS:
            raise
        log.exception("map layer %s failed", code)
        return _refused("layer", str(_("该图层暂时无法显示，请稍后再试")), 503)
    if offered.link is not None:
        for feature in collection["features"]:
            if "id" in feature["properties"]:
                feature["properties"]["href"] = offered.link(feature["properties"]["id"])
    return jsonify(collection)


def _refused(field: str, message: str, status: int = 422) -> Any:
    return jsonify(message=message, errors={field: [message]}), status


def _offered_layers() -> list[Offered]:
    """The core's layers and those of the modules the user's scope reaches, each as far as
    the user's role may read it (a layer whose rows are None is not offered)."""
    session, user, scope = db_session(), me(), user_scope()
    english = current_locale().startswith("en")
    found: list[tuple[MapLayer, Callable[[int], str] | None]] = []
    for layer in maps.CORE_LAYERS:
        endpoint, argument = CORE_LINKS[layer.code]
        found.append((layer, _linker(endpoint, argument)))
    for module in activation.readable_modules(scope):
        for layer in module.map_layers:
            endpoint = f"module_pages_{module.name}.{layer.endpoint}" if layer.endpoint else ""
            found.append((layer, _linker(endpoint, layer.id_argument) if endpoint else None))
    offered = []
    for layer, link in found:
        rows = layer.points(session, user, scope)
        if rows is not None:
            offered.append(
                Offered(
                    layer,
                    _words(layer.label, layer.label_en, english),
                    [_kind(k, english) for k in layer.kinds],
                    rows,
                    link,
                )
            )
    return offered


def _figures(layers: list[Offered]) -> list[maps.Figure]:
    """The core's figures, then those of the modules' layers the user is offered."""
    extra = [maps.layer_figure(o.layer, o.label) for o in layers if o.layer not in maps.CORE_LAYERS]
    return [*maps.FIGURES.values(), *(f for f in extra if f is not None)]


def _linker(endpoint: str, argument: str) -> Callable[[int], str]:
    return lambda record_id: url_for(endpoint, **{argument: record_id})


def _kind(kind: MapKind, english: bool) -> dict[str, str]:
    return {
        "code": kind.code,
        "label": _words(kind.label, kind.label_en, english),
        "colour": kind.colour,
    }


def _words(label: Any, label_en: str, english: bool) -> str:
    """A module's words (Chinese, English) or a core's (translated by itself)."""
    return label_en if english and label_en else str(label)


@bp.get("/map/patrols.json")
@login_required
def map_patrols() -> Any:
    """A grid worker's patrol check-ins (一日双巡) of one county day, in order, with the route
    between them: for the supervisor, the station and the levels above whose scope covers the
    worker (the same readers as the worker's days)."""
    if not Rights.of(me()).worker_days:
        abort(403)
    session = db_session()
    clock = current_tenant().clock
    try:
        worker = records.grid_worker(session, user_scope(), request.args.get("worker", 0, int))
    except NotFound:
        abort(404)
    try:
        day = (
            dt.date.fromisoformat(request.args.get("day", ""))
            if request.args.get("day")
            else clock.today()
        )
    except ValueError:
        message = str(_("日期格式应为 YYYY-MM-DD"))
        return jsonify(message=message, errors={"day": [message]}), 422
    patrols = [p for p in worker_day.patrols_of(session, worker, day) if p.latitude is not None]
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.longitude, p.latitude]},
            "properties": {
                "order": n,
                "time": clock.naive_local(p.at).strftime("%H:%M"),
                "place": p.place,
            },
        }
        for n, p in enumerate(patrols, start=1)
    ]
    if len(patrols) > 1:
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[p.longitude, p.latitude] for p in patrols],
                },
                "properties": {"route": True},
            }
        )
    return jsonify(
        type="FeatureCollection", features=features, worker=worker.name, day=day.isoformat()
    )


def _workers_to_follow(node: Any) -> list[Any]:
    """The grid workers under ``node`` whose patrols the user may follow on the map: none
    without the right, and none above a few hundred (a county's 10,000 workers are not one
    list: the user goes down to a township or community first)."""
    if not Rights.of(me()).worker_days:
        return []
    query = (
        workers_in_scope(user_scope())
        .where(subtree(Node.path, node.path))
        .limit(MAX_WORKER_CHOICES + 1)
    )
    workers = [user for user, _path in db_session().execute(query)]
    return workers if len(workers) <= MAX_WORKER_CHOICES else []


def _node_asked() -> Any:
    node_id = request.args.get("node", type=int)
    if node_id is not None:
        return visible_node(node_id)
    roots = scope_roots()
    if not roots:
        abort(404)
    return roots[0]


def _view(settings: dict[str, Any]) -> dict[str, Any] | None:
    """Where the map opens before the outlines are in (the county's ``center``, ``zoom``)."""
    value = settings.get(maps.MAP_SETTING) or {}
    if not isinstance(value, dict) or not value.get("center") or maps.setting_problems(value):
        return None
    return {"center": value["center"], "zoom": value.get("zoom") or DEFAULT_ZOOM}


def _with_tiles_allowed(response: Any, tiles: maps.TileSource | None) -> Any:
    """A map page's answer, allowed to load the county's tiles when it has a tile server."""
    if tiles is not None:
        response.headers["Content-Security-Policy"] = _policy_with_tiles(tiles.url)
    return response


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


# --- drawing a boundary ---------------------------------------------------------------------


@bp.route("/map/edit/<int:node_id>", methods=["GET", "POST"])
@login_required
def map_edit(node_id: int) -> Any:
    """Draw a node's boundary on the map: save it as a draft (again and again), publish it (a
    new version of the node, what everyone then sees) or discard it. Without script the
    textarea holds the GeoJSON, and it is what is sent either way."""
    node = visible_node(node_id)
    if not may_change(node):
        abort(403)
    session = db_session()
    problem = None
    typed = None
    if request.method == "POST":
        action = request.form.get("action", "save")
        try:
            if action == "publish":
                drafts.publish_draft(session, me(), node)
                session.commit()
                enqueue(map_jobs.merge_county_outlines, current_tenant().id)
                flash(_("边界已发布：地图和定位从现在起用新边界。"), "success")
                return redirect(url_for("portal.map_page", node=node.parent_id or node.id))
            if action == "discard":
                drafts.discard_draft(session, me(), node)
                session.commit()
                flash(_("草稿已放弃。"), "success")
                return redirect(url_for("portal.map_edit", node_id=node.id))
            typed = request.form.get("boundary", "")
            drafts.save_draft(session, me(), node, _parsed(typed))
            session.commit()
            flash(_("草稿已保存，发布前地图仍显示原边界。"), "success")
            return redirect(url_for("portal.map_edit", node_id=node.id))
        except DomainError as refused:
            session.rollback()
            problem = str(refused.message)
    draft = drafts.draft_of(session, node)
    shown = (
        typed
        if typed is not None
        else json.dumps((draft.boundary if draft else node.boundary) or None, ensure_ascii=False)
    )
    neighbours = [
        {"type": "Feature", "properties": {"name": n.name}, "geometry": n.boundary}
        for n in (hierarchy.children(session, node.parent) if node.parent else [])
        if n.id != node.id and n.boundary is not None
    ]
    tiles = maps.tile_source(current_tenant().settings or {})
    html = render_template(
        "maps/edit.html",
        node=node,
        draft=draft,
        boundary_text="" if shown == "null" else shown,
        published=json.dumps(node.boundary, ensure_ascii=False) if node.boundary else "",
        neighbours=json.dumps(
            {"type": "FeatureCollection", "features": neighbours}, ensure_ascii=False
        ),
        problem=problem,
        tiles=tiles,
        view=_view(current_tenant().settings or {}),
    )
    return _with_tiles_allowed(make_response(html, 422 if problem else 200), tiles)


def _parsed(typed: str) -> Any:
    if not typed.strip():
        raise DomainError(_("请先画出边界"), field="boundary")
    try:
        return json.loads(typed)
    except ValueError as exc:
        raise DomainError(
            _("边界不是有效的 GeoJSON：%(reason)s", reason=str(exc)), field="boundary"
        ) from exc
