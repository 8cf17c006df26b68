"""Importing the grid's boundaries (四至界限) from the files counties have: GeoJSON, KML (or
KMZ) and a zipped ESRI shapefile, in WGS 84 longitude/latitude.

Each feature names its node by code, in a property (``code``, ``编码``, ``网格编码`` … or the
one the caller names). A dry run reports what the import would do, and what is wrong: features
whose code names no node (or one the importer may not change), polygons that are invalid,
siblings that overlap, and the part of a parent no child covers (a gap). A real run stores
each valid, matched boundary as a new version of its node; the rest is reported, not stored.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import shapefile  # pyshp
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.core.audit.service import Actor
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.geo import validate_boundary
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _

# The properties a county's file may name the node's code in, tried in this order.
CODE_FIELDS = ("code", "CODE", "Code", "编码", "网格编码", "node_code", "GRID_CODE", "WGBM")
FORMATS = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".kml": "kml",
    ".kmz": "kmz",
    ".zip": "shapefile",
}
MAX_FEATURES = 20_000
MAX_UNZIPPED = 200 * 1024 * 1024  # a zip that unpacks to more is refused (a zip bomb)
# Digitising is never exact: neighbours may overlap, or leave a sliver between them, by a
# little. What is reported is an overlap above this share of the smaller polygon, and a gap
# above this share of the parent.
TOLERANCE = 0.005


@dataclass(frozen=True)
class Problem:
    feature: int  # its position in the file, from 1
    code: str | None
    reason: str


@dataclass(frozen=True)
class Overlap:
    codes: tuple[str, str]
    share: float  # of the smaller polygon's area


@dataclass(frozen=True)
class Gap:
    code: str  # the parent's
    share: float  # of the parent's area that none of its children covers


@dataclass
class BoundaryReport:
    format: str
    features: int = 0
    matched: list[str] = field(default_factory=list)  # codes of the nodes the file draws
    changed: list[str] = field(default_factory=list)  # of those, the ones it changes
    unmatched: list[Problem] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    without_boundary: list[str] = field(default_factory=list)  # siblings the file leaves bare
    stored: bool = False


@dataclass(frozen=True)
class _Feature:
    number: int
    properties: dict[str, Any]
    geometry: dict[str, Any] | None  # GeoJSON geometry


def import_boundaries(
    session: Session,
    actor: Actor,
    filename: str,
    data: bytes,
    *,
    may_change: Callable[[Node], bool],
    code_field: str | None = None,
    dry_run: bool = True,
) -> BoundaryReport:
    """Check (and unless ``dry_run``, store) the boundaries of the file ``filename`` holding
    ``data``. ``may_change(node)`` says whether the importer may change that node's boundary;
    a node they may not is reported as unmatched, as one that does not exist."""
    kind = FORMATS.get(PurePosixPath(filename.lower()).suffix)
    if kind is None:
        raise DomainError(
            _("不支持的文件格式：请上传 GeoJSON、KML/KMZ 或打包成 zip 的 shapefile"), field="file"
        )
    features = list(_read(kind, data))
    if len(features) > MAX_FEATURES:
        raise DomainError(_("要素太多：一次最多 %(n)d 个", n=MAX_FEATURES), field="file")
    report = BoundaryReport(format=kind, features=len(features))
    drawn: dict[int, tuple[Node, dict[str, Any]]] = {}  # by node id
    first: dict[int, int] = {}  # the feature that drew each node
    for feature in features:
        code = _code_of(feature, code_field)
        if code is None:
            report.unmatched.append(Problem(feature.number, None, str(_("没有编码属性"))))
            continue
        node = hierarchy.get_node_by_code(session, code)
        if node is None or node.is_retired or not may_change(node):
            reason = _("没有这个编码的节点，或不在你的管辖范围内")
            report.unmatched.append(Problem(feature.number, code, str(reason)))
            continue
        try:
            boundary = validate_boundary(feature.geometry)
        except DomainError as refused:
            report.invalid.append(Problem(feature.number, code, str(refused.message)))
            continue
        if boundary is None:
            report.invalid.append(Problem(feature.number, code, str(_("没有几何图形"))))
            continue
        if node.id in drawn:
            reason = _("与第 %(n)d 个要素是同一节点", n=first[node.id])
            report.invalid.append(Problem(feature.number, code, str(reason)))
            continue
        drawn[node.id], first[node.id] = (node, boundary), feature.number
        report.matched.append(code)
        if boundary != node.boundary:
            report.changed.append(code)
    _check_siblings(session, drawn, report)
    if not dry_run:
        for node, boundary in drawn.values():
            if boundary != node.boundary:
                hierarchy.update_node(session, actor, node, boundary=boundary)
        report.stored = True
    return report


def _code_of(feature: _Feature, code_field: str | None) -> str | None:
    names = (code_field,) if code_field else CODE_FIELDS
    for name in names:
        value = feature.properties.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return None


# --- reading the formats ---------------------------------------------------------------------


def _read(kind: str, data: bytes) -> Iterator[_Feature]:
    if kind == "geojson":
        return _read_geojson(data)
    if kind == "kml":
        return _read_kml(data)
    if kind == "kmz":
        return _read_kml(_kml_of_kmz(data))
    return _read_shapefile(data)


def _read_geojson(data: bytes) -> Iterator[_Feature]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise DomainError(_("不是有效的 GeoJSON：%(e)s", e=str(error)), field="file") from None
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise DomainError(_("GeoJSON 须为 FeatureCollection 或 Feature"), field="file")
    for number, item in enumerate(document.get("features") or [], start=1):
        item = item if isinstance(item, dict) else {}
        properties = item.get("properties") if isinstance(item.get("properties"), dict) else {}
        geometry = item.get("geometry") if isinstance(item.get("geometry"), dict) else None
        yield _Feature(number, properties, geometry)


def _read_kml(data: bytes) -> Iterator[_Feature]:
    # A KML file never needs a DTD; one with entities could expand without end (XML bombs) or
    # reach for files, so it is refused before any parser sees it.
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise DomainError(_("KML 文件不能包含 DOCTYPE 或实体定义"), field="file")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fastkml warns that lxml (pretty printing) is absent
        from fastkml import kml

        try:
            document = kml.KML.from_string(data)
        except Exception as error:  # fastkml raises several kinds for a malformed file
            raise DomainError(_("不是有效的 KML：%(e)s", e=str(error)), field="file") from None
    for number, placemark in enumerate(_placemarks(document), start=1):
        properties: dict[str, Any] = {"name": placemark.name}
        extended = placemark.extended_data
        for element in extended.elements if extended is not None else []:
            if getattr(element, "name", None):
                properties[element.name] = element.value
            for simple in getattr(element, "data", None) or []:
                properties[simple.name] = simple.value
        geometry = placemark.geometry
        yield _Feature(
            number, properties, shapely.geometry.mapping(shape(geometry)) if geometry else None
        )


def _placemarks(container: Any) -> Iterator[Any]:
    for feature in getattr(container, "features", None) or []:
        if type(feature).__name__ == "Placemark":
            yield feature
        else:  # a Document or a Folder
            yield from _placemarks(feature)


def _kml_of_kmz(data: bytes) -> bytes:
    archive = _open_zip(data)
    names = [n for n in archive.namelist() if n.lower().endswith(".kml")]
    if not names:
        raise DomainError(_("KMZ 中没有 .kml 文件"), field="file")
    preferred = [n for n in names if PurePosixPath(n).name.lower() == "doc.kml"]
    return archive.read((preferred or names)[0])


def _read_shapefile(data: bytes) -> Iterator[_Feature]:
    archive = _open_zip(data)
    by_suffix: dict[str, str] = {}
    for name in archive.namelist():
        suffix = PurePosixPath(name).suffix.lower()
        if suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg") and suffix not in by_suffix:
            by_suffix[suffix] = name
    if not {".shp", ".dbf"} <= set(by_suffix):
        raise DomainError(_("zip 中须有同一图层的 .shp 和 .dbf 文件"), field="file")
    if ".prj" in by_suffix:
        projection = archive.read(by_suffix[".prj"]).decode("latin-1").upper()
        if projection.startswith("PROJCS"):
            raise DomainError(
                _("图层是投影坐标系：请在 GIS 软件中转换为 WGS 84 经纬度（EPSG:4326）后再导入"),
                field="file",
            )
    encoding = "utf-8"
    if ".cpg" in by_suffix:
        encoding = archive.read(by_suffix[".cpg"]).decode("latin-1").strip() or "utf-8"
    streams = {
        key: io.BytesIO(archive.read(by_suffix[suffix]))
        for key, suffix in (("shp", ".shp"), ("dbf", ".dbf"), ("shx", ".shx"))
        if suffix in by_suffix
    }
    try:
        reader = shapefile.Reader(**streams, encoding=encoding, encodingErrors="replace")
        records = list(reader.iterShapeRecords())
    except (shapefile.ShapefileException, ValueError, LookupError, OSError) as error:
        raise DomainError(_("无法读取 shapefile：%(e)s", e=str(error)), field="file") from None
    for number, record in enumerate(records, start=1):
        geometry = record.shape.__geo_interface__ if record.shape.points else None
        yield _Feature(number, record.record.as_dict(), geometry)


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DomainError(_("不是有效的 zip 文件"), field="file") from None
    if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
        raise DomainError(_("zip 解压后太大"), field="file")
    return archive


# --- checking neighbours -----------------------------------------------------------------------


def _check_siblings(
    session: Session, drawn: dict[int, tuple[Node, dict[str, Any]]], report: BoundaryReport
) -> None:
    """Overlaps between children of one parent, the parent's area they leave uncovered, and
    the children the parent has that have no boundary even after the import."""
    parent_ids = {node.parent_id for node, _boundary in drawn.values() if node.parent_id}
    for parent_id in sorted(parent_ids):
        children = session.scalars(
            select(Node)
            .where(Node.parent_id == parent_id, Node.retired_at.is_(None))
            .order_by(Node.code)
        ).all()
        shapes: list[tuple[str, shapely.Geometry]] = []
        for child in children:
            boundary = drawn[child.id][1] if child.id in drawn else child.boundary
            if boundary is None:
                report.without_boundary.append(child.code)
            else:
                shapes.append((child.code, shape(boundary)))
        _overlaps(shapes, report)
        parent = session.get(Node, parent_id)
        # The parent's outline as the import leaves it: the file may draw it too.
        outline_of = (
            drawn[parent_id][1] if parent_id in drawn else getattr(parent, "boundary", None)
        )
        if parent is not None and outline_of is not None and shapes:
            outline = shape(outline_of)
            covered = shapely.union_all([geometry for _code, geometry in shapes])
            share = outline.difference(covered).area / outline.area if outline.area else 0.0
            if share > TOLERANCE:
                report.gaps.append(Gap(parent.code, round(share, 4)))


def _overlaps(shapes: list[tuple[str, shapely.Geometry]], report: BoundaryReport) -> None:
    tree = STRtree([geometry for _code, geometry in shapes])
    for i, (code, geometry) in enumerate(shapes):
        for j in tree.query(geometry, predicate="intersects"):
            if j <= i:
                continue
            other_code, other = shapes[j]
            smaller = min(geometry.area, other.area)
            share = geometry.intersection(other).area / smaller if smaller else 0.0
            if share > TOLERANCE:
                report.overlaps.append(Overlap((code, other_code), round(share, 4)))
