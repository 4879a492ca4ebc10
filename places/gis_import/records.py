"""What the import works with: the kinds it reads (`KIND_SPECS`), place records, per-feature errors, the result
and `ImportRefused`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from django.contrib.gis.geos import GEOSGeometry

from places.choices import PlaceKind
from places.models import Division, Lake, Reach, River

T = TypeVar("T")

# Long enough to show the pattern of what is wrong with a file, short enough to read in a terminal.
MAX_ERROR_LINES = 50

# OGR_G_GetGeometryName returns upper-case WKT names; messages use the usual spelling.
GEOMETRY_NAMES = {
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
        return " or ".join(GEOMETRY_NAMES[name] for name in sorted(self.geometry_types, key=len))


KIND_SPECS: dict[str, KindSpec] = {
    PlaceKind.DIVISION: KindSpec(("code", "name"), ("name_en", "parent"), _POLYGONAL, Division),
    PlaceKind.RIVER: KindSpec(("code", "name", "division"), ("name_en",), _LINEAL, River),
    PlaceKind.REACH: KindSpec(("code", "name", "river", "division"), ("start_desc", "end_desc"), _LINEAL, Reach),
    PlaceKind.LAKE: KindSpec(("code", "name", "kind", "division"), ("name_en",), _POLYGONAL, Lake),
}


class Progress(Protocol):
    """Wraps an iterable to show progress (tqdm's signature, reduced to what is used)."""

    def __call__(self, iterable: Iterable[T], *, total: int, desc: str) -> Iterable[T]: ...


def no_progress(iterable: Iterable[T], *, total: int, desc: str) -> Iterable[T]:
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
class ReadOutcome:
    records: list[PlaceRecord] = field(default_factory=list)
    errors: list[FeatureError] = field(default_factory=list)
    count: int = 0
