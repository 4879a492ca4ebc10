"""Pass 1, reading: open the layer, map the attributes, check each geometry and transform it to EPSG:4326.
Nothing touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.contrib.gis.gdal import AxisOrder, CoordTransform, DataSource, GDALException, SpatialReference
from django.contrib.gis.gdal.feature import Feature
from django.contrib.gis.gdal.geometries import OGRGeometry
from django.contrib.gis.gdal.layer import Layer
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.utils.translation import gettext as _

from core.geo import WGS84_SRID, out_of_china
from places.choices import LakeKind, PlaceKind
from places.gis_import.records import (
    GEOMETRY_NAMES,
    KIND_SPECS,
    FeatureError,
    ImportRefused,
    KindSpec,
    PlaceRecord,
    Progress,
    ReadOutcome,
)

# What GEOSisValidReason returns for a valid geometry (the same string in every GEOS release).
_GEOS_VALID = "Valid Geometry"

# Lake kinds as they appear in Chinese registers besides the stored values.
_LAKE_KIND_ALIASES = {
    "lake": LakeKind.LAKE.value,
    "湖泊": LakeKind.LAKE.value,
    "湖": LakeKind.LAKE.value,
    "reservoir": LakeKind.RESERVOIR.value,
    "水库": LakeKind.RESERVOIR.value,
}


def parse_mapping(pairs: Iterable[str], kind: str) -> dict[str, str]:
    """Parse ``--map target=source`` options into ``{target: source field}``.

    Raises:
        ImportRefused: for a malformed pair or a target that ``kind`` does not have.
    """
    spec = KIND_SPECS[kind]
    mapping: dict[str, str] = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        target, source = target.strip().lower(), source.strip()
        if not sep or not target or not source:
            raise ImportRefused(f"--map {pair!r}: expected TARGET=SOURCE_FIELD, e.g. code=DM")
        if target not in spec.targets:
            raise ImportRefused(
                f"--map {pair!r}: {kind} has no attribute {target!r}; targets: {', '.join(spec.targets)}"
            )
        mapping[target] = source
    return mapping


# --------------------------------------------------------------------------- reading


def open_layer(path: Path, layer_name: str | None) -> Layer:
    """Open the file with GDAL and pick the layer (by name when there are several)."""
    if not path.exists():
        raise ImportRefused(f"{path}: no such file")
    try:
        # UTF-8 is right for every driver used here, shapefiles included: GDAL has already recoded
        # the .dbf from the code page its .cpg names (see the module docstring).
        source = DataSource(str(path))
    except GDALException as exc:
        raise ImportRefused(f"{path.name}: GDAL cannot read this file ({exc})") from None
    names = [source[i].name for i in range(source.layer_count)]
    if not names:
        raise ImportRefused(f"{path.name}: the file has no layers")
    if layer_name is not None:
        if layer_name not in names:
            raise ImportRefused(f"{path.name}: no layer {layer_name!r}; layers: {', '.join(names)}")
        return source[layer_name]
    if len(names) > 1:
        raise ImportRefused(f"{path.name}: the file has {len(names)} layers, pick one with --layer: {', '.join(names)}")
    return source[0]


def resolve_fields(layer: Layer, kind: str, mapping: dict[str, str]) -> dict[str, str]:
    """Map each attribute target to the layer's field (names compared case-insensitively).

    Raises:
        ImportRefused: when a required target, or any target named by --map, has no field.
    """
    spec = KIND_SPECS[kind]
    try:
        names = layer.fields
    except UnicodeDecodeError:
        # Field names are recoded like values: raw GBK names mean a .dbf without its .cpg.
        raise ImportRefused(
            f"layer {layer.name!r}: field names are not UTF-8; if the .dbf is GBK-encoded, add a .cpg file "
            "next to it containing GBK"
        ) from None
    by_lower = {name.lower(): name for name in names}
    available = ", ".join(names) or "none"
    resolved: dict[str, str] = {}
    for target in spec.targets:
        source = mapping.get(target, target)
        actual = by_lower.get(source.lower())
        if actual is not None:
            resolved[target] = actual
        elif target in mapping:
            raise ImportRefused(
                f"layer {layer.name!r} has no field {source!r} (--map {target}={source}); fields: {available}"
            )
        elif target in spec.required:
            raise ImportRefused(
                f"layer {layer.name!r} has no field {source!r} for {target!r}; fields: {available}; "
                f"use --map {target}=FIELD"
            )
    return resolved


def _text(value: Any) -> str | None:
    """An attribute value as text: integral reals as integers (a code column typed Real in a
    .dbf reads as 650100.0), blank as None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


def _read_attrs(feature: Feature, fields: dict[str, str]) -> tuple[dict[str, str | None], list[str], set[str]]:
    """The mapped attributes of one feature, the problems met reading them, and the targets that
    could not be decoded (so that they are not reported a second time as missing)."""
    attrs: dict[str, str | None] = {}
    problems: list[str] = []
    undecodable: set[str] = set()
    for target, name in fields.items():
        try:
            attrs[target] = _text(feature[name].value)
        except UnicodeDecodeError:
            # GDAL passed raw bytes through: a .dbf in a legacy code page without a .cpg.
            attrs[target] = None
            undecodable.add(target)
            problems.append(
                _(
                    "attribute %(name)s is not UTF-8 text; if the .dbf is GBK-encoded, "
                    "add a .cpg file next to it containing GBK"
                )
                % {"name": repr(name)}
            )
    return attrs, problems, undecodable


def _short_part(geom: OGRGeometry) -> str | None:
    """Why a line or ring has too few points to be one, in words (GEOS would only say "IllegalArgument")."""
    name = geom.geom_name.upper()
    if name.startswith("MULTI"):
        for part in geom:  # type: ignore[attr-defined]  # GeometryCollection iterates; the stubs miss it
            reason = _short_part(part)
            if reason:
                return reason
        return None
    if name.startswith("LINESTRING") and geom.point_count < 2:
        return f"a line needs at least 2 points, this one has {geom.point_count}"
    if name.startswith("POLYGON"):
        for ring in geom:  # type: ignore[attr-defined]  # Polygon iterates its rings; the stubs miss it
            if ring.point_count < 4:
                return f"a polygon ring needs at least 4 points (closed), this one has {ring.point_count}"
    return None


def _to_wgs84(geom: OGRGeometry, transform: CoordTransform, spec: KindSpec) -> GEOSGeometry:
    """Check one OGR geometry and return it as a 2D GEOS geometry in EPSG:4326.

    Raises:
        ValueError: with the reason the geometry is refused.
    """
    if geom.empty:
        raise ValueError(_("empty geometry"))
    name = geom.geom_name.upper()
    if name not in spec.geometry_types:
        got = GEOMETRY_NAMES.get(name, name)
        raise ValueError(
            _("wrong geometry type: expected %(geometry_label)s, got %(got)s")
            % {"geometry_label": spec.geometry_label, "got": got}
        )
    # Storage is 2D: drop Z and M rather than fail on a LineStringZ from a GPS survey.
    if geom.is_3d:
        geom.set_3d(False)
    if geom.is_measured:
        geom.set_measured(False)
    short = _short_part(geom)
    if short:
        raise ValueError(short)
    try:
        geom.transform(transform)
    except GDALException as exc:
        raise ValueError(_("cannot transform to EPSG:4326: %(exc)s") % {"exc": exc}) from None
    try:
        geos = GEOSGeometry(memoryview(bytes(geom.wkb)), srid=WGS84_SRID)
    except (GEOSException, ValueError) as exc:
        raise ValueError(_("unreadable geometry: %(exc)s") % {"exc": exc}) from None
    xmin, ymin, xmax, ymax = geos.extent
    # A CRS that does not match the coordinates (a .prj saying WGS84 on UTM metres) ends here.
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        raise ValueError(
            _(
                "coordinates outside lon/lat range after transform to EPSG:4326 (extent %(extent)s); "
                "does the layer's CRS match its coordinates?"
            )
            % {"extent": geos.extent}
        )
    # The bureau's places are in China, as the API requires of every point it takes (core.geo's bounds);
    # a layer whose axes came out swapped (latitude first) lands in the Indian Ocean or beyond.
    if out_of_china(xmin, ymin) or out_of_china(xmax, ymax):
        hint = (
            " The coordinates fit China with longitude and latitude swapped: check the axis order of the layer's CRS."
            if not out_of_china(ymin, xmin) and not out_of_china(ymax, xmax)
            else " Does the layer's CRS match its coordinates?"
        )
        raise ValueError(
            _("outside China (extent %(tuple)s).%(hint)s")
            % {"tuple": tuple(round(v, 6) for v in geos.extent), "hint": hint}
        )
    # valid_reason rather than .valid: .valid also logs a GEOS warning for what is user error.
    reason = geos.valid_reason
    if reason != _GEOS_VALID:
        raise ValueError(_("invalid geometry: %(reason)s") % {"reason": reason})
    return geos


def read_features(layer: Layer, kind: str, fields: dict[str, str], progress: Progress) -> ReadOutcome:
    """The read pass: map, check and transform every feature; collect what is wrong."""
    spec = KIND_SPECS[kind]
    srs = layer.srs
    if srs is None:
        raise ImportRefused(
            f"layer has no CRS; layer {layer.name!r} has no spatial reference, so its coordinates cannot be "
            "placed: add one (a .prj next to a shapefile, or ogr2ogr -a_srs) and import again"
        )
    # TRADITIONAL axis order on both ends: with GDAL 3 the authority order of EPSG:4326 is lat/lon,
    # and stored geometries must be lon/lat.
    source_srs = SpatialReference(srs.wkt, axis_order=AxisOrder.TRADITIONAL)
    target_srs = SpatialReference(WGS84_SRID, axis_order=AxisOrder.TRADITIONAL)
    transform = CoordTransform(source_srs, target_srs)

    outcome = ReadOutcome()
    first_seen: dict[str, int] = {}
    for index, feature in enumerate(progress(layer, total=len(layer), desc="reading"), start=1):
        outcome.count = index
        attrs, problems, undecodable = _read_attrs(feature, fields)
        code = attrs.get("code")
        for target in spec.required:
            if attrs.get(target) is None and target not in undecodable:
                problems.append(
                    _("missing %(target)s (field %(fields)s is empty)")
                    % {"target": repr(target), "fields": repr(fields[target])}
                )
        if code is not None:
            if code in first_seen:
                problems.append(
                    _("duplicate code %(code)s (first at feature %(first_seen)s)")
                    % {"code": repr(code), "first_seen": first_seen[code]}
                )
            else:
                first_seen[code] = index
        if kind == PlaceKind.LAKE and attrs.get("kind") is not None:
            lake_kind = _LAKE_KIND_ALIASES.get(str(attrs["kind"]).lower())
            if lake_kind is None:
                problems.append(
                    _("kind %(kind)s is not one of %(values)s")
                    % {"kind": repr(attrs["kind"]), "values": ", ".join(LakeKind.values)}
                )
            attrs["kind"] = lake_kind
        try:
            ogr_geom = feature.geom
        except GDALException:
            # Django raises on a NULL geometry pointer: the feature has no geometry at all.
            problems.append(_("empty geometry (the feature has none)"))
            geometry = None
        else:
            try:
                geometry = _to_wgs84(ogr_geom, transform, spec)
            except ValueError as exc:
                problems.append(str(exc))
                geometry = None
        if problems or geometry is None or code is None:
            outcome.errors.extend(FeatureError(index, code, problem) for problem in problems)
            continue
        clean = {k: v for k, v in attrs.items() if v is not None}
        outcome.records.append(PlaceRecord(index=index, code=code, attrs=clean, geometry=geometry))
    return outcome
