"""Validation of places on the map: node boundaries (四至界限) given as GeoJSON, and the point
a report or a patrol was made at."""

from __future__ import annotations

import json
import math
from typing import Any

import shapely.geometry
from shapely.validation import explain_validity

from gridgov.core.errors import DomainError
from gridgov.core.i18n import _

ALLOWED_TYPES = ("Polygon", "MultiPolygon")


def validate_boundary(value: Any) -> dict[str, Any] | None:
    """Return the boundary as a GeoJSON geometry dict, or raise DomainError(field="boundary").

    Accepts a Polygon/MultiPolygon geometry, or a Feature wrapping one (what GIS tools export).
    Coordinates are WGS 84 longitude/latitude.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DomainError(_("边界必须是 GeoJSON 对象"), field="boundary")
    if value.get("type") == "Feature":
        value = value.get("geometry")
        if not isinstance(value, dict):
            raise DomainError(_("GeoJSON Feature 缺少 geometry"), field="boundary")
    if value.get("type") not in ALLOWED_TYPES:
        raise DomainError(
            _("边界必须是 Polygon 或 MultiPolygon，收到的是 %(kind)s", kind=value.get("type")),
            field="boundary",
        )
    try:
        geometry = shapely.geometry.shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise DomainError(
            _("边界坐标无法解析：%(reason)s", reason=str(exc)), field="boundary"
        ) from exc
    if geometry.is_empty:
        raise DomainError(_("边界为空"), field="boundary")
    min_x, min_y, max_x, max_y = geometry.bounds
    if not all(map(math.isfinite, geometry.bounds)) or (
        min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90
    ):
        raise DomainError(_("边界坐标超出经纬度范围（WGS 84 经度, 纬度）"), field="boundary")
    if not geometry.is_valid:
        raise DomainError(
            _("边界多边形无效：%(reason)s", reason=explain_validity(geometry)), field="boundary"
        )
    # mapping() gives tuples; a JSON round trip gives lists, so stored and given values compare
    # equal (manifests are applied idempotently by comparing them).
    return json.loads(json.dumps(shapely.geometry.mapping(geometry)))


def check_coordinates(
    latitude: float | None, longitude: float | None, *, field: str = "latitude"
) -> None:
    """Refuse a point that is not on the earth (WGS 84: latitude −90…90, longitude −180…180,
    both finite) or has only one of its two coordinates; DomainError on ``field``."""
    if (latitude is None) != (longitude is None):
        raise DomainError(_("经度和纬度须同时填写"), field=field)
    if latitude is None or longitude is None:
        return
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise DomainError(_("纬度须在 -90 到 90 之间"), field="latitude")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise DomainError(_("经度须在 -180 到 180 之间"), field="longitude")
