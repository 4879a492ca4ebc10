"""Import of reference geography (divisions, rivers, reaches, lakes) from GIS files through GDAL.

Used by ``manage.py import_places``; kept free of the management framework so that it can be called
and tested on its own.

The import runs in two passes:

1. *Read*: every feature is read, its attributes mapped, its geometry checked (type, emptiness,
   validity) and transformed from the layer's CRS to EPSG:4326. Nothing touches the database.
2. *Write*: the features that passed are written through the places services (which compute the
   geodesic measures and audit), all inside one transaction.

Errors from both passes are collected per feature (so that one run reports everything wrong with a
file, not just the first problem) and, if there are any, the transaction is rolled back and
:class:`ImportRefused` is raised: a bad file writes nothing.

Encoding: GDAL's shapefile driver recodes a .dbf to UTF-8 when its .cpg names the code page (GBK,
936 and CP936 checked with GDAL 3.6), so every attribute arrives as UTF-8 and the DataSource is
opened with the default UTF-8 decoding. A .dbf without a .cpg (or LDID) is passed through as raw
bytes; those that are not UTF-8 are refused with a hint to add the .cpg rather than guessed at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from django.contrib.gis.gdal import AxisOrder, CoordTransform, DataSource, GDALException, SpatialReference
from django.contrib.gis.gdal.feature import Feature
from django.contrib.gis.gdal.geometries import OGRGeometry
from django.contrib.gis.gdal.layer import Layer
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.divisions import DivisionLevel, division_level, is_division_code
from core.exceptions import InvalidInput
from core.geo import WGS84_SRID, out_of_china
from places.choices import LakeKind, PlaceKind
from places.models import Division, Lake, Reach, River
from places.services import division_upsert, lake_upsert, reach_upsert, river_upsert

__all__ = [
    "KIND_SPECS",
    "MAX_ERROR_LINES",
    "FeatureError",
    "ImportRefused",
    "ImportResult",
    "import_places",
    "parse_mapping",
]

T = TypeVar("T")

# Long enough to show the pattern of what is wrong with a file, short enough to read in a terminal.
MAX_ERROR_LINES = 50

# What GEOSisValidReason returns for a valid geometry (the same string in every GEOS release).
_GEOS_VALID = "Valid Geometry"

# OGR_G_GetGeometryName returns upper-case WKT names; messages use the usual spelling.
_GEOMETRY_NAMES = {
    "POINT": "Point",
    "MULTIPOINT": "MultiPoint",
    "LINESTRING": "LineString",
    "MULTILINESTRING": "MultiLineString",
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "MultiPolygon",
    "GEOMETRYCOLLECTION": "GeometryCollection",
}
_POLYGONAL = frozenset({"POLYGON", "MULTIPOLYGON"})
_LINEAL = frozenset({"LINESTRING", "MULTILINESTRING"})

# Lake kinds as they appear in Chinese registers besides the stored values.
_LAKE_KIND_ALIASES = {
    "lake": LakeKind.LAKE.value,
    "湖泊": LakeKind.LAKE.value,
    "湖": LakeKind.LAKE.value,
    "reservoir": LakeKind.RESERVOIR.value,
    "水库": LakeKind.RESERVOIR.value,
}

# Parents before children, so that a division's parent is in the database when it is written
# whatever the order of the features in the file.
_LEVEL_RANK = {level: rank for rank, level in enumerate(DivisionLevel)}


@dataclass(frozen=True)
class KindSpec:
    """What a kind of place needs from a file: attribute targets and geometry types."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    geometry_types: frozenset[str]
    model: type[Division] | type[River] | type[Reach] | type[Lake]

    @property
    def targets(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def geometry_label(self) -> str:
        return " or ".join(_GEOMETRY_NAMES[name] for name in sorted(self.geometry_types, key=len))


KIND_SPECS: dict[str, KindSpec] = {
    PlaceKind.DIVISION: KindSpec(("code", "name"), ("name_en", "parent"), _POLYGONAL, Division),
    PlaceKind.RIVER: KindSpec(("code", "name", "division"), ("name_en",), _LINEAL, River),
    PlaceKind.REACH: KindSpec(("code", "name", "river", "division"), ("start_desc", "end_desc"), _LINEAL, Reach),
    PlaceKind.LAKE: KindSpec(("code", "name", "kind", "division"), ("name_en",), _POLYGONAL, Lake),
}


class Progress(Protocol):
    """Wraps an iterable to show progress (tqdm's signature, reduced to what is used)."""

    def __call__(self, iterable: Iterable[T], *, total: int, desc: str) -> Iterable[T]: ...


def _no_progress(iterable: Iterable[T], *, total: int, desc: str) -> Iterable[T]:
    return iterable


@dataclass(frozen=True)
class FeatureError:
    """Why one feature (1-based index in the layer) was refused."""

    index: int
    code: str | None
    message: str

    def __str__(self) -> str:
        where = f"feature {self.index}" + (f" (code {self.code})" if self.code else "")
        return f"{where}: {self.message}"


class ImportRefused(Exception):
    """The file was refused and nothing was written.

    Attributes:
        reason: what is wrong with the file as a whole (or a summary of the feature errors).
        errors: the feature errors, in feature order; empty for a file-level refusal.
    """

    def __init__(self, reason: str, errors: Sequence[FeatureError] = ()) -> None:
        self.reason = reason
        self.errors = list(errors)
        super().__init__(self.render())

    def render(self, max_lines: int = MAX_ERROR_LINES) -> str:
        """The reason followed by one line per feature error, capped at ``max_lines``."""
        lines = [self.reason]
        lines += [f"  {error}" for error in self.errors[:max_lines]]
        if len(self.errors) > max_lines:
            lines.append(f"  … and {len(self.errors) - max_lines} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class PlaceRecord:
    """A feature that passed the read pass: mapped attributes and a WGS84 geometry."""

    index: int
    code: str
    attrs: dict[str, str]
    geometry: GEOSGeometry


@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would have done)."""

    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    layer: str = ""

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        line = (
            f"imported {self.total} {self.kind} "
            f"(created {self.created}, updated {self.updated}, unchanged {self.unchanged})"
        )
        return f"dry run: {line}; rolled back, nothing written" if self.dry_run else line


@dataclass
class _ReadOutcome:
    records: list[PlaceRecord] = field(default_factory=list)
    errors: list[FeatureError] = field(default_factory=list)
    count: int = 0


# --------------------------------------------------------------------------- options


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


def _open_layer(path: Path, layer_name: str | None) -> Layer:
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


def _resolve_fields(layer: Layer, kind: str, mapping: dict[str, str]) -> dict[str, str]:
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
        got = _GEOMETRY_NAMES.get(name, name)
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


def _read(layer: Layer, kind: str, fields: dict[str, str], progress: Progress) -> _ReadOutcome:
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

    outcome = _ReadOutcome()
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


# --------------------------------------------------------------------------- writing


def _division_order(record: PlaceRecord) -> tuple[int, int]:
    code = record.code
    rank = _LEVEL_RANK[division_level(code)] if is_division_code(code) else len(_LEVEL_RANK)
    return rank, record.index


def _upsert(kind: str, record: PlaceRecord, *, actor: str, reason: str) -> bool:
    """Write one record through its service; returns whether the row changed."""
    a = record.attrs
    if kind == PlaceKind.DIVISION:
        _, changed = division_upsert(
            code=record.code,
            name=a["name"],
            name_en=a.get("name_en", ""),
            # None lets the service take the parent from the code; a blank column means the same.
            parent_code_=a.get("parent"),
            boundary=record.geometry,
            actor=actor,
            reason=reason,
        )
    elif kind == PlaceKind.RIVER:
        _, changed = river_upsert(
            code=record.code,
            name=a["name"],
            name_en=a.get("name_en", ""),
            division_code=a["division"],
            geometry=record.geometry,
            actor=actor,
            reason=reason,
        )
    elif kind == PlaceKind.REACH:
        _, changed = reach_upsert(
            code=record.code,
            name=a["name"],
            river_code=a["river"],
            division_code=a["division"],
            geometry=record.geometry,
            start_description=a.get("start_desc", ""),
            end_description=a.get("end_desc", ""),
            actor=actor,
            reason=reason,
        )
    else:
        _, changed = lake_upsert(
            code=record.code,
            name=a["name"],
            name_en=a.get("name_en", ""),
            kind=a["kind"],
            division_code=a["division"],
            geometry=record.geometry,
            actor=actor,
            reason=reason,
        )
    return changed


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    return " ".join(exc.messages)


def _write(
    kind: str, records: list[PlaceRecord], *, actor: str, source: str, result: ImportResult, progress: Progress
) -> list[FeatureError]:
    """The write pass (inside the caller's transaction); returns the features the services refused."""
    if kind == PlaceKind.DIVISION:
        records = sorted(records, key=_division_order)
    model = KIND_SPECS[kind].model
    existing = set(model.objects.filter(code__in=[r.code for r in records]).values_list("code", flat=True))
    errors: list[FeatureError] = []
    for record in progress(records, total=len(records), desc="writing"):
        try:
            # Each service call is its own savepoint, so a refused feature leaves the outer
            # transaction usable and the remaining features can still be checked.
            changed = _upsert(kind, record, actor=actor, reason=f"{source} feature {record.index}")
        except InvalidInput as exc:
            errors.append(FeatureError(record.index, record.code, exc.message))
            continue
        except ValidationError as exc:
            errors.append(FeatureError(record.index, record.code, _validation_text(exc)))
            continue
        if record.code not in existing:
            result.created += 1
        elif changed:
            result.updated += 1
        else:
            result.unchanged += 1
    return errors


# --------------------------------------------------------------------------- entry point


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run."""


def import_places(
    path: str | Path,
    kind: str,
    *,
    layer: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the features of a GeoJSON, Shapefile or GeoPackage layer as places of ``kind``.

    Args:
        path: the file (for a shapefile, the .shp; its .dbf, .prj and .cpg sit next to it).
        kind: one of :class:`places.choices.PlaceKind`.
        layer: the layer's name; required when the file has several.
        mapping: ``{target: field}`` overrides of the default field names (see :data:`KIND_SPECS`).
        dry_run: check and write everything, then roll back.
        progress: wraps the feature iterables to show progress (e.g. with tqdm); none by default.

    Returns:
        The counts of created, updated and unchanged rows.

    Raises:
        ImportRefused: the file, or at least one feature, was refused; nothing was written.
    """
    if kind not in KIND_SPECS:
        raise ImportRefused(f"unknown kind {kind!r}; one of {', '.join(KIND_SPECS)}")
    path = Path(path)
    wrap: Progress = progress or _no_progress
    source = f"import_places:{path.name}"

    opened = _open_layer(path, layer)
    fields = _resolve_fields(opened, kind, mapping or {})
    outcome = _read(opened, kind, fields, wrap)
    if outcome.count == 0:
        raise ImportRefused(f"layer {opened.name!r} has no features")

    result = ImportResult(kind=kind, dry_run=dry_run, layer=opened.name)
    try:
        with transaction.atomic():
            # The features that failed the read pass are skipped here, but the others are still
            # written so that unknown references are reported in the same run; then rolled back.
            errors = outcome.errors + _write(
                kind, outcome.records, actor=source, source=source, result=result, progress=wrap
            )
            if errors:
                errors.sort(key=lambda e: e.index)
                bad = len({e.index for e in errors})
                raise ImportRefused(
                    f"{path.name}: {bad} of {outcome.count} feature(s) refused, nothing was written:", errors
                )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result
