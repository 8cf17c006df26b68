"""What the county's electronic map (电子地图) draws: a node's children as outlines coloured by a
figure, and layers of things with a position (open tasks, key sites, the modules' records) as
points or clusters.

Outlines are the children's own boundaries (四至界限) or, where a township or community has
none (counties often draw only their grids), the union of its grids'. They are simplified for
the zoom they are drawn at (a pixel's worth of degrees) and kept per process, keyed like the
locate index by the county's newest node version. Merged unions are also stored
(``NodeOutline``) with that stamp: the unions of 10,000 grids cost a second or two (reading and
parsing the grids' boundaries more than merging them), and the boundaries change a few times a
year, so a process that starts reads them instead, and a publish or an import merges the
county's at once, as a job. Figures are counted afresh on every request, one grouped query each, by
grid: a subtree is then summed in Python from the grids' paths, which needs no pattern match
on a path column.

A layer's things come as single points while few are in view (``MAX_POINTS``), else as
clusters: the view cut into cells of about 60 pixels and one count (with its count per kind)
per cell, grouped by the database. A browser then draws a few hundred markers whatever the
county's size, and nothing but counts leaves the server for a zoomed-out view.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import Integer, and_, case, cast, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope
from gridgov.core.db import current_tenant_id
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy.locate import boundaries_stamp
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.i18n import _
from gridgov.core.maps.models import NodeOutline
from gridgov.core.plugins.hookspecs import MapKind, MapLayer
from gridgov.core.registry import access as registry_access
from gridgov.core.registry.models import Person, Site, SiteKind
from gridgov.core.tasks import reading
from gridgov.core.tasks.models import Card, Task
from gridgov.core.tenancy.service import current_tenant

log = logging.getLogger(__name__)

MIN_ZOOM, MAX_ZOOM = 3, 19
MAX_POINTS = 500  # single task markers at most; more in view are clustered
CLUSTER_PIXELS = 60
MAX_LITERAL_IDS = 900  # grid ids written into a query; beyond, the county's rows are grouped


@dataclass(frozen=True)
class Figure:
    """A figure an outline is coloured by: a count, or a rate in per cent (``rate``: the SELECT
    gives a numerator and a denominator per grid, summed before dividing)."""

    name: str
    label: Any
    count: Callable[[Any], Any]  # a grouped SELECT (grid id, value[, out of]) given a grid filter
    rate: bool = False
    higher_is_better: bool = False  # the map's darkest shade goes to the lowest values


def _open_tasks(grid_filter: Any) -> Any:
    return (
        select(Task.node_id, func.count())
        .where(Task.is_open, grid_filter(Task.node_id))
        .group_by(Task.node_id)
    )


def _red_cards(grid_filter: Any) -> Any:
    return (
        select(Task.node_id, func.count())
        .where(Task.is_open, Task.card == Card.RED.value, grid_filter(Task.node_id))
        .group_by(Task.node_id)
    )


def _people(grid_filter: Any) -> Any:
    return (
        select(Person.node_id, func.count())
        .where(Person.merged_into_id.is_(None), grid_filter(Person.node_id))
        .group_by(Person.node_id)
    )


def _complete_records(grid_filter: Any) -> Any:
    """People with an ID number, a phone and a dwelling (the registry's completeness), out
    of all: ``gridgov.core.registry.quality``'s first figure, per grid."""
    complete = (
        Person.id_number_hash.is_not(None)
        & Person.phone_hash.is_not(None)
        & Person.dwelling_id.is_not(None)
    )
    return (
        select(Person.node_id, func.sum(case((complete, 1), else_=0)), func.count())
        .where(Person.merged_into_id.is_(None), grid_filter(Person.node_id))
        .group_by(Person.node_id)
    )


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        Figure("open_tasks", _("在办事项"), _open_tasks),
        Figure("red_cards", _("红牌"), _red_cards),
        Figure("people", _("实有人口"), _people),
        Figure(
            "data_quality",
            _("信息完整率（%）"),
            _complete_records,
            rate=True,
            higher_is_better=True,
        ),
    )
}


def layer_figure(layer: MapLayer, label: Any) -> Figure | None:
    """The figure a module's layer colours areas by (its ``per_grid`` counts), if it has one."""
    if layer.per_grid is None:
        return None
    return Figure(layer.code, label, layer.per_grid)


@dataclass(frozen=True)
class Area:
    """One outline on the map: a child of the node shown (or the node itself, for a grid)."""

    node: Node
    geometry: dict[str, Any] | None  # GeoJSON, simplified for the zoom; None: no boundary yet
    value: float | None  # a count, or a rate in per cent (None: nobody to count it over)

    def feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "id": self.node.id,
            "geometry": self.geometry,
            "properties": {
                "id": self.node.id,
                "code": self.node.code,
                "name": self.node.name,
                "level": self.node.level,
                "value": self.value,
            },
        }


def figure_named(name: str, offered: Sequence[Figure] = ()) -> Figure:
    """The core's figure of this name, or one of ``offered`` (the modules' for the user)."""
    figure = FIGURES.get(name) or next((f for f in offered if f.name == name), None)
    if figure is None:
        raise DomainError(_("没有这个指标：%(name)s", name=name), field="figure")
    return figure


def areas(session: Session, node: Node, figure: Figure, zoom: int) -> list[Area]:
    """The outlines under ``node`` at ``zoom``: its current children's (a grid's own, for a
    basic grid), each with ``figure`` summed over the grids below it."""
    zoom = _clamp_zoom(zoom)
    grid_level = current_tenant(session).grid_level
    kids = list(
        session.scalars(
            select(Node)
            .where(Node.parent_id == node.id, Node.retired_at.is_(None))
            .order_by(Node.code)
        )
    )
    shown = kids or [node]
    depth = shown[0].level
    grids = _grids_under(session, node, grid_level)  # (id, path) of every current grid below
    owner = {grid_id: _ancestor_at(path, depth) for grid_id, path in grids}
    outlines = _outlines(session, node, shown, grid_level, zoom)
    sums = {n.id: [0, 0] for n in shown}  # value (numerator), out of (a rate's denominator)
    for grid_id, value, *out_of in session.execute(figure.count(_grid_filter(owner))):
        shown_id = owner.get(grid_id)
        if shown_id in sums:
            sums[shown_id][0] += int(value or 0)
            sums[shown_id][1] += int(out_of[0] or 0) if out_of else 0
    return [Area(n, outlines.get(n.id), _value(figure, *sums[n.id])) for n in shown]


def _value(figure: Figure, value: int, out_of: int) -> float | None:
    if not figure.rate:
        return value
    return round(100 * value / out_of, 1) if out_of else None


def feature_collection(items: Sequence[Area]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [a.feature() for a in items]}


# --- layers: open tasks, key sites and the modules' -------------------------------------------

TASK_KINDS = (
    MapKind(Card.RED.value, _("红牌"), "", "#c81e1e"),
    MapKind(Card.YELLOW.value, _("黄牌"), "", "#e6aa00"),
    MapKind(Card.NONE.value, _("未挂牌"), "", "#3182bd"),
)
SITE_KINDS = tuple(
    MapKind(kind.value, label, "", colour)
    for kind, label, colour in (
        (SiteKind.SCHOOL, _("学校"), "#8e44ad"),
        (SiteKind.HOSPITAL, _("医院"), "#c0392b"),
        (SiteKind.MARKET, _("市场"), "#d35400"),
        (SiteKind.ENTERPRISE, _("企业"), "#2c3e50"),
        (SiteKind.SHOP, _("商铺"), "#16a085"),
        (SiteKind.INDIVIDUAL_BUSINESS, _("个体工商户"), "#27ae60"),
        (SiteKind.OTHER, _("其他"), "#7f8c8d"),
    )
)


def _task_rows(session: Session, user: User, scope: Scope) -> Any:
    """The open tasks ``user`` reads, each once (a task is shown where it was filed)."""
    return select(
        Task.id.label("id"),
        Task.node_id.label("node_id"),
        Task.latitude.label("latitude"),
        Task.longitude.label("longitude"),
        (Task.code + " " + Task.title).label("title"),
        Task.card.label("kind"),
    ).where(Task.is_open, reading.visible_filter(session, user, scope))


def _key_site_rows(session: Session, user: User, scope: Scope) -> Any:
    """The key sites (重点单位场所) of ``scope``, for the roles that read the registry."""
    if user.role not in registry_access.READER_ROLES:
        return None
    query = select(
        Site.id.label("id"),
        Site.node_id.label("node_id"),
        Site.latitude.label("latitude"),
        Site.longitude.label("longitude"),
        Site.name.label("title"),
        Site.kind.label("kind"),
    ).where(Site.is_key.is_(True))
    if not scope.everything:
        query = query.join(Node, Node.id == Site.node_id).where(scope.node_filter())
    return query


TASKS_LAYER = MapLayer("tasks", _("在办事项"), "", _task_rows, TASK_KINDS)
KEY_SITES_LAYER = MapLayer("key_sites", _("重点单位场所"), "", _key_site_rows, SITE_KINDS)
CORE_LAYERS = (TASKS_LAYER, KEY_SITES_LAYER)


def layer_points(
    session: Session,
    rows: Any,
    node: Node,
    zoom: int,
    bbox: tuple[float, float, float, float] | None,
    kinds: Sequence[str],
) -> dict[str, Any]:
    """What ``rows`` (a layer's SELECT of id, node_id, latitude, longitude, title, kind) holds
    under ``node`` with a position, inside ``bbox`` (west, south, east, north) when given and
    of ``kinds`` (the layer's kinds in their order; those the user unticked left out): single
    points when at most ``MAX_POINTS``, else clusters per cell of the view. A GeoJSON
    FeatureCollection; a cluster's properties say its ``count`` and how many of each kind."""
    zoom = _clamp_zoom(zoom)
    found = rows.subquery()
    where = [
        found.c.latitude.is_not(None),
        found.c.longitude.is_not(None),
        found.c.kind.in_(list(kinds)),
    ]
    if node.parent_id is not None:  # the whole county needs no grid condition
        grid_level = current_tenant(session).grid_level
        grids = select(Node.id).where(Node.level == grid_level, subtree(Node.path, node.path))
        where.append(found.c.node_id.in_(grids if node.level < grid_level else [node.id]))
    if bbox is not None:
        west, south, east, north = bbox
        where += [found.c.longitude.between(west, east), found.c.latitude.between(south, north)]
    condition = and_(*where)
    total = session.scalar(select(func.count()).select_from(found).where(condition)) or 0
    if total <= MAX_POINTS:
        points = session.execute(
            select(found.c.id, found.c.title, found.c.kind, found.c.latitude, found.c.longitude)
            .where(condition)
            .order_by(found.c.id)
        )
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [float(lng), float(lat)]},
                    "properties": {"id": i, "title": title, "kind": kind},
                }
                for i, title, kind, lat, lng in points
            ],
        }
    cell = CLUSTER_PIXELS * 360.0 / (256 * 2**zoom)
    # One cell per integer of coordinate / cell size (CAST truncates on SQLite and rounds on
    # PostgreSQL: either way each position falls in exactly one cell).
    column = cast(found.c.longitude / cell, Integer).label("x")
    row = cast(found.c.latitude / cell, Integer).label("y")
    clusters = session.execute(
        select(
            column,
            row,
            func.count(),
            func.avg(found.c.latitude),
            func.avg(found.c.longitude),
            *(func.sum(case((found.c.kind == kind, 1), else_=0)) for kind in kinds),
        )
        .where(condition)
        .group_by(column, row)
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(lng), 6), round(float(lat), 6)],
                },
                "properties": {
                    "count": count,
                    "kinds": {k: int(n) for k, n in zip(kinds, per_kind, strict=True) if n},
                },
            }
            for _x, _y, count, lat, lng, *per_kind in clusters
        ],
    }


# --- outlines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outlines:
    stamp: tuple[Any, ...]
    whole: dict[int, Any]  # node id → its outline (shapely), None: nothing to draw
    by_key: dict[tuple[int, int], dict[str, Any] | None]  # (node id, zoom) → GeoJSON


_cache: dict[int, _Outlines] = {}  # by tenant id
_lock = threading.Lock()


def _outlines(
    session: Session, node: Node, shown: Sequence[Node], grid_level: int, zoom: int
) -> dict[int, dict[str, Any] | None]:
    tenant_id = current_tenant_id(session)
    stamp = boundaries_stamp(session)
    with _lock:
        cached = _cache.get(tenant_id) if tenant_id is not None else None
        if cached is None or cached.stamp != stamp:
            cached = _Outlines(stamp, {}, {})
            if tenant_id is not None:
                _cache[tenant_id] = cached
        missing = [n for n in shown if n.id not in cached.whole]
    if missing:
        computed = _whole_outlines(session, node, missing, grid_level, _stamp_text(stamp))
        with _lock:
            cached.whole.update(computed)
    tolerance = 360.0 / (256 * 2**zoom)  # about one pixel
    result: dict[int, dict[str, Any] | None] = {}
    for n in shown:
        key = (n.id, zoom)
        if key not in cached.by_key:
            geometry = cached.whole.get(n.id)
            cached.by_key[key] = (
                None
                if geometry is None
                else _rounded(
                    mapping(geometry.simplify(tolerance, preserve_topology=True)),
                    6 if zoom >= 14 else 5,
                )
            )
        result[n.id] = cached.by_key[key]
    return result


def _whole_outlines(
    session: Session, node: Node, shown: Sequence[Node], grid_level: int, stamp: str
) -> dict[int, Any]:
    """Each node's own boundary, or the union of its grids' where it has none: as stored for
    these boundaries (``stamp``) by any process, else merged now and stored for the others."""
    result: dict[int, Any] = {}
    without = [n for n in shown if n.boundary is None and n.level < grid_level]
    stored = _stored_outlines(session, [n.id for n in without], stamp)
    to_merge = [n for n in without if n.id not in stored]
    grid_shapes: dict[int, list[Any]] = {n.id: [] for n in to_merge}
    if to_merge:
        depth = to_merge[0].level
        rows = session.execute(
            select(Node.path, Node.boundary).where(
                Node.level == grid_level,
                Node.retired_at.is_(None),
                subtree(Node.path, node.path),
            )
        )
        for path, boundary in rows:
            owner = _ancestor_at(path, depth)
            if boundary is not None and owner in grid_shapes:
                grid_shapes[owner].append(shape(boundary))
    merged = {n.id: _union(grid_shapes[n.id]) if grid_shapes[n.id] else None for n in to_merge}
    if merged:
        _store_outlines(session, merged, stamp)
    for n in shown:
        if n.boundary is not None:
            result[n.id] = shape(n.boundary)
        elif n.id in stored:
            result[n.id] = stored[n.id]
        else:
            result[n.id] = merged.get(n.id)
    return result


def merge_county_outlines(session: Session) -> None:
    """Merge (and store) the outlines of the county's top node's children now: the map most
    opened, whose unions of thousands of grids take seconds."""
    top = session.scalars(select(Node).where(Node.parent_id.is_(None))).first()
    if top is None:
        return
    kids = session.scalars(
        select(Node).where(Node.parent_id == top.id, Node.retired_at.is_(None))
    ).all()
    if kids:
        _outlines(session, top, kids, current_tenant(session).grid_level, MIN_ZOOM)


def _stamp_text(stamp: tuple[Any, ...]) -> str:
    return "|".join(str(part) for part in stamp)[:100]


def _stored_outlines(session: Session, node_ids: list[int], stamp: str) -> dict[int, Any]:
    """The outlines stored for these boundaries, by node id (None: nothing to draw)."""
    if not node_ids:
        return {}
    rows = session.execute(
        select(NodeOutline.node_id, NodeOutline.outline).where(
            NodeOutline.node_id.in_(node_ids), NodeOutline.stamp == stamp
        )
    )
    return {node_id: shape(outline) if outline else None for node_id, outline in rows}


def _store_outlines(session: Session, merged: dict[int, Any], stamp: str) -> None:
    """Keep what was merged, replacing what was kept of older boundaries. Another process may
    be storing the same outlines at this moment: whichever stores first wins, the other's
    rows are dropped (they are the same)."""
    tenant_id = current_tenant_id(session)
    try:
        with session.begin_nested():
            session.execute(delete(NodeOutline).where(NodeOutline.node_id.in_(list(merged))))
            session.execute(
                insert(NodeOutline),
                [
                    {
                        "tenant_id": tenant_id,
                        "node_id": node_id,
                        "stamp": stamp,
                        "outline": None if outline is None else mapping(outline),
                    }
                    for node_id, outline in merged.items()
                ],
            )
    except IntegrityError:
        log.info("outlines of county %s stored by another process meanwhile", tenant_id)


def _union(shapes: list[Any]) -> Any:
    """The union of a community's or township's grids. Grids that tile without overlapping
    (a valid coverage, as a county's grids should) are merged by their shared edges, about 20
    times faster than a general union; overlapping ones take the general union."""
    if shapely.coverage_is_valid(shapes):
        return shapely.coverage_union_all(shapes)
    return shapely.union_all(shapes)


def _rounded(geometry: dict[str, Any], digits: int) -> dict[str, Any]:
    """Coordinates rounded (5 decimals: about a metre), as lists for JSON."""

    def walk(value: Any) -> Any:
        if isinstance(value, (tuple, list)):
            if value and isinstance(value[0], float):
                return [round(c, digits) for c in value]
            return [walk(v) for v in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


# --- helpers ----------------------------------------------------------------------------------


def _clamp_zoom(zoom: int) -> int:
    return max(MIN_ZOOM, min(MAX_ZOOM, int(zoom)))


def _grids_under(session: Session, node: Node, grid_level: int) -> list[tuple[int, str]]:
    if node.level == grid_level:
        return [(node.id, node.path)]
    rows = session.execute(
        select(Node.id, Node.path).where(
            Node.level == grid_level, Node.retired_at.is_(None), subtree(Node.path, node.path)
        )
    )
    return [(grid_id, path) for grid_id, path in rows]


def _ancestor_at(path: str, level: int) -> int | None:
    """The id at ``level`` of a materialized path ``/1/5/23/`` (level 0 is the first id)."""
    ids = path.strip("/").split("/")
    return int(ids[level]) if len(ids) > level else None


def _grid_filter(grids: dict[int, Any]) -> Callable[[Any], Any]:
    """A condition on a grid-id column: the ids themselves while few, else none (the county's
    rows are grouped and those outside ``grids`` dropped in Python)."""
    if len(grids) <= MAX_LITERAL_IDS:
        ids = sorted(grids)
        return lambda column: column.in_(ids)
    return lambda column: column.is_not(None)


# --- the county's tiles -----------------------------------------------------------------------

MAP_SETTING = "map"  # settings["map"] = {"tile_url": "http://tiles.intranet/{z}/{x}/{y}.png", …}
TILE_URL_RE = re.compile(r"^(https?://[^\s\"'<>]+|/[^\s\"'<>]*)$")


@dataclass(frozen=True)
class TileSource:
    url: str  # a Leaflet URL template with {z}, {x} and {y}
    attribution: str
    max_zoom: int


def tile_source(settings: dict[str, Any]) -> TileSource | None:
    """The county's tile server (an intranet URL in its settings), or None: the map is drawn
    on a plain background. Settings are checked when the manifest is applied
    (``setting_problems``); what does not pass here is ignored rather than drawn broken."""
    value = settings.get(MAP_SETTING) or {}
    if not isinstance(value, dict) or setting_problems(value):
        return None
    url = value.get("tile_url")
    if not url:
        return None
    return TileSource(url, str(value.get("attribution") or ""), int(value.get("max_zoom") or 18))


def setting_problems(value: Any) -> list[tuple[tuple[str, ...], Any]]:
    """What is wrong with a county's ``settings["map"]``: (field path, message) pairs."""
    if not isinstance(value, dict):
        return [((), _("map 应是映射，如 {tile_url: http://…/{z}/{x}/{y}.png}"))]
    problems: list[tuple[tuple[str, ...], Any]] = []
    unknown = sorted(set(value) - {"tile_url", "attribution", "max_zoom", "center", "zoom"})
    for key in unknown:
        problems.append(((key,), _("未知的地图设置：%(key)s", key=key)))
    url = value.get("tile_url")
    if url is not None and (
        not isinstance(url, str)
        or not TILE_URL_RE.match(url)
        or not all(part in url for part in ("{z}", "{x}", "{y}"))
    ):
        problems.append(
            (
                ("tile_url",),
                _(
                    "瓦片地址应是 http(s) 地址并含 {z}、{x}、{y}，如 http://tiles.example/{z}/{x}/{y}.png"
                ),
            )
        )
    if "attribution" in value and not isinstance(value["attribution"], str):
        problems.append((("attribution",), _("版权说明应是文字")))
    for key in ("max_zoom", "zoom"):
        zoom = value.get(key)
        if zoom is not None and (
            not isinstance(zoom, int) or isinstance(zoom, bool) or not 1 <= zoom <= 22
        ):
            problems.append(((key,), _("缩放级别应是 1 到 22 的整数")))
    center = value.get("center")
    if center is not None and not (
        isinstance(center, list)
        and len(center) == 2
        and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in center)
        and -180 <= center[0] <= 180
        and -90 <= center[1] <= 90
    ):
        problems.append((("center",), _("地图中心应是 [经度, 纬度]，如 [111.627, 40.812]")))
    return problems


# --- an outline as a picture ------------------------------------------------------------------


@dataclass(frozen=True)
class Outline:
    """A boundary as an SVG path (for a page that draws one grid without a map: the resident's
    notice board): ``view_box`` and ``d`` in a 1000-wide frame, north up."""

    view_box: str
    d: str


def outline_svg(boundary: dict[str, Any] | None, width: int = 1000) -> Outline | None:
    """The boundary projected flat (longitude scaled by the cosine of the latitude, which is
    true to shape at a grid's size), or None without one."""
    if not boundary:
        return None
    geometry = shape(boundary)
    min_x, min_y, max_x, max_y = geometry.bounds
    scale_x = math.cos(math.radians((min_y + max_y) / 2))
    span = max((max_x - min_x) * scale_x, max_y - min_y) or 1.0
    factor = width / span

    def point(x: float, y: float) -> str:
        return f"{(x - min_x) * scale_x * factor:.1f},{(max_y - y) * factor:.1f}"

    parts = []
    polygons = getattr(geometry, "geoms", [geometry])
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            coordinates = list(ring.coords)[:-1]
            parts.append("M" + " L".join(point(x, y) for x, y in coordinates) + " Z")
    height = (max_y - min_y) * factor
    box_width = (max_x - min_x) * scale_x * factor
    pad = width * 0.02
    return Outline(
        f"{-pad:.1f} {-pad:.1f} {box_width + 2 * pad:.1f} {height + 2 * pad:.1f}", " ".join(parts)
    )
