"""Query parameters of the map's layer and card endpoints, checked before any query runs.

A bad value raises InvalidInput naming the parameter (the view answers 400 with the error shape of
SPEC §3); nothing falls back silently to a default.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.gis.geos import Polygon

from accounts.scope import Scope
from core import periods
from core.divisions import division_prefix, is_division_code
from core.exceptions import InvalidInput
from core.geo import WGS84_SRID

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Web-map zoom levels Leaflet uses; 0 is the whole world, 18 a street.
MIN_ZOOM, MAX_ZOOM, DEFAULT_ZOOM = 0, 20, 12
# The longest period a layer may be asked for (a year and a day: a leap year or a year across months).
MAX_PERIOD_DAYS = 367


def _bad(param: str, message: str) -> InvalidInput:
    return InvalidInput(f"{param}: {message}", fields={param: [message]})


def parse_bbox(raw: str | None) -> Polygon | None:
    """`min_lon,min_lat,max_lon,max_lat` in WGS84, or None when absent."""
    if raw is None:
        return None
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise _bad("bbox", "Four numbers: min_lon,min_lat,max_lon,max_lat.") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise _bad("bbox", "Four numbers: min_lon,min_lat,max_lon,max_lat.")
    x1, y1, x2, y2 = values
    if not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90 and -90 <= y2 <= 90):
        raise _bad("bbox", "Longitudes must lie in [-180, 180] and latitudes in [-90, 90].")
    if x1 > x2 or y1 > y2:
        raise _bad("bbox", "The minimum must not exceed the maximum.")
    poly = Polygon.from_bbox((x1, y1, x2, y2))
    poly.srid = WGS84_SRID
    return poly


def parse_date(raw: str, param: str) -> dt.date:
    if not _DATE.match(raw):
        raise _bad(param, "A date as YYYY-MM-DD.")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _bad(param, f"No such date: {raw}.") from None


def parse_period(start: str | None, end: str | None, *, default: periods.Period) -> periods.Period:
    """[start, end] as Beijing calendar dates (both inclusive); both or neither."""
    if start is None and end is None:
        return default
    if start is None or end is None:
        missing = "start" if start is None else "end"
        raise _bad(missing, "Give both start and end (YYYY-MM-DD), or neither.")
    first, last = parse_date(start, "start"), parse_date(end, "end")
    if last < first:
        raise _bad("end", "The end is before the start.")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise _bad("end", f"A period of at most {MAX_PERIOD_DAYS} days.")
    try:
        return canonical_period(first, last)
    except ValueError as exc:
        raise _bad("start", str(exc)) from None


def canonical_period(first: dt.date, last: dt.date) -> periods.Period:
    """[first, last] as the month, quarter, half or year it is, so it is labelled as people say it
    (2024年3月, 2024年第一季度); otherwise a date range."""
    whole = periods.date_range(first, last)
    y = first.year
    for candidate in (
        periods.month(y, first.month),
        periods.quarter(y, (first.month - 1) // 3 + 1),
        periods.half_year(y, 1 if first.month < 7 else 2),
        periods.year(y),
    ):
        if (candidate.start, candidate.end) == (whole.start, whole.end):
            return candidate
    return whole


def parse_zoom(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_ZOOM
    if not re.fullmatch(r"\d{1,2}", raw.strip()):
        raise _bad("zoom", f"A whole number from {MIN_ZOOM} to {MAX_ZOOM}.")
    zoom = int(raw)
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise _bad("zoom", f"A whole number from {MIN_ZOOM} to {MAX_ZOOM}.")
    return zoom


def tolerance_deg(zoom: int) -> float:
    """Simplification tolerance for a zoom: about one screen pixel (a 256-pixel tile spans 360°/2^z of
    longitude), so what is dropped could not be seen anyway."""
    return 360.0 / (256 * 2**zoom)


def parse_division(raw: str | None, *, scope: Scope) -> str | None:
    """A division code inside the caller's jurisdiction (its significant prefix), or None."""
    if raw is None or raw == "":
        return None
    if not is_division_code(raw):
        raise _bad("division", "A 6-, 9- or 12-digit GB/T 2260 division code.")
    if not scope.covers_code(raw):
        raise _bad("division", "This division is outside your jurisdiction.")
    return division_prefix(raw)


def parse_choice(raw: str | None, param: str, allowed: Mapping[str, object]) -> list[str]:
    """A comma-separated subset of `allowed`'s keys (none given: all)."""
    if raw is None or raw == "":
        return []
    values = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise _bad(param, f"Unknown value(s) {', '.join(unknown)}; one of {', '.join(allowed)}.")
    return values


@dataclass(frozen=True, slots=True)
class LayerParams:
    """What every layer request carries: the view box, the zoom, the period and a division filter."""

    bbox: Polygon | None
    zoom: int
    period: periods.Period
    division_prefix: str | None
    states: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def tolerance(self) -> float:
        return tolerance_deg(self.zoom)
