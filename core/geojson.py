"""Validation of GeoJSON geometries received by the API and by importers.

The input is untrusted (phone apps, spreadsheets converted by hand, GIS
exports), so every error names the offending member with a path such as
``coordinates[3][1]`` that can be shown to the user next to the message.

Coordinates are converted to WGS84 with :mod:`core.geo` and the result is a
GEOS geometry with SRID 4326, ready to be assigned to a geometry field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from typing import Any

from django.contrib.gis.geos import (
    GEOSGeometry,
    LinearRing,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)
from django.utils.translation import gettext as _

from core.geo import WGS84_SRID, InputCRS, json_type_name, parse_crs, to_wgs84

__all__ = ["GEOMETRY_TYPES", "GeoJSONError", "parse_geometry"]

GEOMETRY_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}
)
_SUPPORTED_TYPES = GEOMETRY_TYPES - {"GeometryCollection"}

Position = tuple[float, float]

# What GEOSisValidReason returns for a valid geometry (unchanged across GEOS releases).
_GEOS_VALID = "Valid Geometry"


class GeoJSONError(ValueError):
    """A GeoJSON geometry was refused.

    Attributes:
        path: where the problem is, e.g. ``"coordinates[3][1]"``; ``""`` for the object itself.
        message: what is wrong, without the path.
    """

    def __init__(self, message: str, path: str = "") -> None:
        self.message = message
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class _Budget:
    """Counts positions so an oversized geometry is refused before it is fully walked."""

    def __init__(self, max_points: int) -> None:
        self.max_points = max_points
        self.count = 0

    def take(self, n: int) -> None:
        self.count += n
        if self.count > self.max_points:
            raise GeoJSONError(
                _("too many positions (more than %(max_points)s)") % {"max_points": self.max_points}, "coordinates"
            )


def _array(value: object, path: str, what: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise GeoJSONError(
            _("expected an array of %(what)s, got %(json_type)s") % {"what": what, "json_type": json_type_name(value)},
            path,
        )
    return value


def _number(value: object, path: str) -> float:
    # bool is an int subclass in Python, but true/false in JSON is never a coordinate.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GeoJSONError(_("expected a number, got %(json_type)s") % {"json_type": json_type_name(value)}, path)
    number = float(value)
    if not math.isfinite(number):
        raise GeoJSONError(_("coordinate must be finite, got %(number)s") % {"number": number}, path)
    return number


def _check_lon_lat(lon: float, lat: float, path: str, after: str = "") -> None:
    if not -180.0 <= lon <= 180.0:
        where = path if after else f"{path}[0]"
        raise GeoJSONError(
            _("longitude %(lon)s out of range [-180, 180]%(after)s") % {"lon": lon, "after": after}, where
        )
    if not -90.0 <= lat <= 90.0:
        where = path if after else f"{path}[1]"
        raise GeoJSONError(_("latitude %(lat)s out of range [-90, 90]%(after)s") % {"lat": lat, "after": after}, where)


def _position(value: object, path: str) -> Position:
    pos = _array(value, path, "numbers (a position)")
    if len(pos) not in (2, 3):
        raise GeoJSONError(
            _("a position has 2 or 3 numbers (lon, lat[, altitude]), got %(pos)s") % {"pos": len(pos)}, path
        )
    lon = _number(pos[0], f"{path}[0]")
    lat = _number(pos[1], f"{path}[1]")
    if len(pos) == 3:
        _number(pos[2], f"{path}[2]")  # validated, then dropped: storage is 2D
    _check_lon_lat(lon, lat, path)
    return lon, lat


def _convert(positions: list[Position], path: str, crs: InputCRS) -> list[Position]:
    """Convert validated raw positions (of the list at ``path``) to WGS84 and re-check ranges."""
    converted = to_wgs84(positions, crs)
    if crs is not InputCRS.WGS84:
        for i, (lon, lat) in enumerate(converted):
            _check_lon_lat(lon, lat, f"{path}[{i}]", after=f" after conversion from {crs.value}")
    return converted


def _positions(value: object, path: str, budget: _Budget, crs: InputCRS) -> list[Position]:
    items = _array(value, path, "positions")
    budget.take(len(items))
    raw = [_position(item, f"{path}[{i}]") for i, item in enumerate(items)]
    return _convert(raw, path, crs)


def _line(value: object, path: str, budget: _Budget, crs: InputCRS) -> list[Position]:
    items = _array(value, path, "positions")
    if len(items) < 2:
        raise GeoJSONError(_("a LineString needs at least 2 positions, got %(items)s") % {"items": len(items)}, path)
    coords = _positions(items, path, budget, crs)
    # Self-crossing is fine (a patrol track doubles back); only a line of zero length is meaningless.
    if all(c == coords[0] for c in coords):
        raise GeoJSONError(_("all positions of the LineString are identical (zero length)"), path)
    return coords


def _ring(value: object, path: str, budget: _Budget, crs: InputCRS) -> list[Position]:
    items = _array(value, path, "positions (a linear ring)")
    if len(items) < 4:
        raise GeoJSONError(_("a polygon ring needs at least 4 positions, got %(items)s") % {"items": len(items)}, path)
    coords = _positions(items, path, budget, crs)
    # Refused rather than closed silently: an unclosed ring usually means a truncated or
    # mis-ordered export, and guessing would hide that.
    if coords[0] != coords[-1]:
        raise GeoJSONError(_("polygon ring is not closed (first and last positions differ)"), path)
    return coords


def _polygon(value: object, path: str, budget: _Budget, crs: InputCRS) -> Polygon:
    rings = _array(value, path, "linear rings")
    if not rings:
        raise GeoJSONError(_("a Polygon needs at least one ring"), path)
    shell, *holes = (_ring(r, f"{path}[{i}]", budget, crs) for i, r in enumerate(rings))
    return Polygon(LinearRing(shell), *(LinearRing(h) for h in holes), srid=WGS84_SRID)


def _non_empty(value: object, path: str, what: str) -> list[Any] | tuple[Any, ...]:
    items = _array(value, path, what)
    if not items:
        raise GeoJSONError(_("empty geometry: expected at least one of %(what)s") % {"what": what}, path)
    return items


def _build(gtype: str, coordinates: object, budget: _Budget, crs: InputCRS) -> GEOSGeometry:
    path = "coordinates"
    if gtype == "Point":
        budget.take(1)
        (lonlat,) = _convert([_position(coordinates, path)], path, crs)
        return Point(*lonlat, srid=WGS84_SRID)
    if gtype == "MultiPoint":
        points = _positions(_non_empty(coordinates, path, "positions"), path, budget, crs)
        return MultiPoint(*(Point(*p) for p in points), srid=WGS84_SRID)
    if gtype == "LineString":
        return LineString(_line(coordinates, path, budget, crs), srid=WGS84_SRID)
    if gtype == "MultiLineString":
        parts = _non_empty(coordinates, path, "LineStrings")
        lines = [LineString(_line(p, f"{path}[{i}]", budget, crs)) for i, p in enumerate(parts)]
        return MultiLineString(*lines, srid=WGS84_SRID)
    if gtype == "Polygon":
        return _polygon(coordinates, path, budget, crs)
    if gtype == "MultiPolygon":
        parts = _non_empty(coordinates, path, "Polygons")
        polygons = [_polygon(p, f"{path}[{i}]", budget, crs) for i, p in enumerate(parts)]
        return MultiPolygon(*polygons, srid=WGS84_SRID)
    raise AssertionError(f"unhandled geometry type {gtype}")  # pragma: no cover - guarded by caller


def _promote(geom: GEOSGeometry) -> GEOSGeometry:
    if isinstance(geom, Point):
        return MultiPoint(geom, srid=WGS84_SRID)
    if isinstance(geom, LineString):
        return MultiLineString(geom, srid=WGS84_SRID)
    if isinstance(geom, Polygon):
        return MultiPolygon(geom, srid=WGS84_SRID)
    raise AssertionError(f"cannot promote {geom.geom_type}")  # pragma: no cover


def _invalid_reason(geom: GEOSGeometry) -> str | None:
    # GEOSisValidReason rather than .valid: the latter also logs a GEOS_NOTICE warning for every
    # refused input, which is user error, not something for the server log.
    reason = geom.valid_reason
    return None if reason == _GEOS_VALID else reason


def _check_polygon_validity(geom: GEOSGeometry) -> None:
    if isinstance(geom, MultiPolygon):
        # Point at the faulty part first; only then report problems between parts (overlaps).
        for i, part in enumerate(geom):
            if reason := _invalid_reason(part):
                raise GeoJSONError(_("invalid polygon: %(reason)s") % {"reason": reason}, f"coordinates[{i}]")
    if reason := _invalid_reason(geom):
        raise GeoJSONError(_("invalid polygon: %(reason)s") % {"reason": reason}, "coordinates")


def _load(obj: object) -> dict[str, Any]:
    if isinstance(obj, bytes | bytearray):
        try:
            obj = obj.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GeoJSONError(_("geometry is not valid UTF-8: %(reason)s") % {"reason": exc.reason}) from None
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as exc:
            raise GeoJSONError(
                _("invalid JSON: %(msg)s at line %(lineno)s column %(colno)s")
                % {"msg": exc.msg, "lineno": exc.lineno, "colno": exc.colno}
            ) from None
    if not isinstance(obj, dict):
        raise GeoJSONError(
            _("a GeoJSON geometry must be an object, got %(json_type)s") % {"json_type": json_type_name(obj)}
        )
    return obj


def parse_geometry(
    obj: object,
    *,
    allowed: Collection[str],
    crs: InputCRS | str = InputCRS.WGS84,
    max_points: int = 100_000,
    promote_to_multi: bool = False,
    check_valid: bool = True,
) -> GEOSGeometry:
    """Validate a GeoJSON geometry and return it as a GEOS geometry in EPSG:4326.

    Args:
        obj: a dict, or a JSON string of one, with "type" and "coordinates".
        allowed: geometry types accepted here, e.g. ``{"LineString", "MultiLineString"}``.
        crs: coordinate system of the input positions (converted to WGS84).
        max_points: maximum number of positions in the whole geometry.
        promote_to_multi: accept X as MultiX when ``allowed`` has MultiX but not X.
        check_valid: refuse invalid (Multi)Polygons, e.g. self-intersecting rings.
            LineStrings are never checked for simplicity: tracks may cross themselves.

    Raises:
        GeoJSONError: with ``.path`` and ``.message`` describing the first problem found.
    """
    try:
        input_crs = parse_crs(crs)
    except ValueError as exc:
        raise GeoJSONError(str(exc), "crs") from None

    data = _load(obj)

    if "type" not in data:
        raise GeoJSONError(_('missing "type"'), "type")
    gtype = data["type"]
    if not isinstance(gtype, str):
        raise GeoJSONError(_("expected a string, got %(json_type)s") % {"json_type": json_type_name(gtype)}, "type")
    if gtype in ("Feature", "FeatureCollection"):
        raise GeoJSONError(
            _("expected a geometry, got a %(gtype)s; send its geometry instead") % {"gtype": gtype}, "type"
        )
    if gtype == "GeometryCollection":
        raise GeoJSONError(_("GeometryCollection is not supported"), "type")
    if gtype not in _SUPPORTED_TYPES:
        # GeoJSON type names are case-sensitive; say so when that is the only mistake.
        hint = next((f" (did you mean {t!r}?)" for t in _SUPPORTED_TYPES if t.lower() == gtype.lower()), "")
        raise GeoJSONError(_("unknown geometry type %(gtype)s%(hint)s") % {"gtype": repr(gtype), "hint": hint}, "type")

    promote = False
    if gtype not in allowed:
        multi = f"Multi{gtype}"
        if promote_to_multi and multi in allowed:
            promote = True
        else:
            expected = ", ".join(sorted(allowed)) or "none"
            raise GeoJSONError(
                _("geometry type %(gtype)s is not allowed here; expected: %(expected)s")
                % {"gtype": repr(gtype), "expected": expected},
                "type",
            )

    if "coordinates" not in data:
        raise GeoJSONError(_('missing "coordinates"'), "coordinates")
    geom = _build(gtype, data["coordinates"], _Budget(max_points), input_crs)

    if check_valid and isinstance(geom, Polygon | MultiPolygon):
        _check_polygon_validity(geom)
    if promote:
        geom = _promote(geom)
    return geom
