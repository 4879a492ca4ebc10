"""Parsing the posted positions: a LineString's coordinates in WGS84, CGCS2000 or GCJ-02, checked and
converted to WGS84 arrays."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.geo import InputCRS, gcj02_to_wgs84_arrays, json_type_name, out_of_china, to_wgs84
from patrols.track.base import TrackError


def _position_error(coords: list[Any], prefix: str, field: str) -> TrackError:
    """Walk the positions to name the first bad one (only called once the fast check failed)."""
    for i, pos in enumerate(coords):
        if type(pos) is not list or not 2 <= len(pos) <= 3:
            return TrackError(field, f"{prefix}[{i}]: a position is an array of 2 or 3 numbers")
        for j, value in enumerate(pos):
            if type(value) not in (float, int):
                return TrackError(field, f"{prefix}[{i}][{j}]: expected a number, got {json_type_name(value)}")
            if not math.isfinite(value):
                return TrackError(field, f"{prefix}[{i}][{j}]: coordinates must be finite")
        if out_of_china(pos[0], pos[1]):
            return TrackError(
                field,
                f"{prefix}[{i}]: ({pos[0]}, {pos[1]}) is outside China's bounds (lon 72–138, lat 0.8–56)",
                code="out_of_bounds",
            )
    return TrackError(field, f"{prefix or field}: invalid positions")  # pragma: no cover - fast check agrees


def parse_positions(
    track: object,
    *,
    crs: InputCRS,
    max_points: int,
    field: str = "track",
    min_points: int = 2,
    allow_degenerate: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """A GeoJSON LineString (or, for ``field="coordinates"``, a bare array of positions) → WGS84
    longitude and latitude arrays.

    Every position must be 2 or 3 finite numbers inside China's bounding box (the one GCJ-02 uses,
    ``core.geo.out_of_china``), checked on the input as given.

    Raises:
        TrackError: naming ``field``, with the position's path in the message.
    """
    prefix = ""
    coords: object = track
    if field == "track":
        if not isinstance(track, dict):
            raise TrackError(field, f"expected a GeoJSON LineString object, got {json_type_name(track)}")
        if track.get("type") != "LineString":
            raise TrackError(field, f"type: expected 'LineString', got {track.get('type')!r}")
        if "coordinates" not in track:
            raise TrackError(field, 'missing "coordinates"')
        coords = track["coordinates"]
        prefix = "coordinates"
    if not isinstance(coords, list):
        raise TrackError(field, f"{prefix or field}: expected an array of positions, got {json_type_name(coords)}")
    n = len(coords)
    # The size check comes first so that a 100,000-point body is refused before it is walked.
    if n > max_points:
        raise TrackError(field, f"{n} positions; at most {max_points} are accepted per patrol", code="too_many_points")
    if n < min_points:
        raise TrackError(
            field, f"{prefix or field}: a track needs at least {min_points} positions, got {n}", code="too_short"
        )
    # Hot path, checked a column at a time (a per-position loop costs 2.5 µs a point): every position
    # a list of 2 or 3 numbers (bool is an int subclass, but true is never a coordinate), finite, and
    # the bounding box of all of them inside China's (a rectangle, so its corners decide).
    numbers = {float, int}
    ok = set(map(type, coords)) == {list}
    lengths = set(map(len, coords)) if ok else set()
    ok = ok and lengths <= {2, 3}
    if ok:
        if lengths == {2}:
            lons_in, lats_in = zip(*coords, strict=True)
            alts: list[Any] | tuple[Any, ...] = ()
        else:
            lons_in = tuple(p[0] for p in coords)
            lats_in = tuple(p[1] for p in coords)
            alts = [p[2] for p in coords if len(p) == 3]
        ok = set(map(type, lons_in)) <= numbers and set(map(type, lats_in)) <= numbers
        ok = ok and set(map(type, alts)) <= numbers
    if ok:
        lon = np.asarray(lons_in, dtype=float)
        lat = np.asarray(lats_in, dtype=float)
        ok = bool(np.isfinite(lon).all() and np.isfinite(lat).all()) and all(math.isfinite(a) for a in alts)
        ok = (
            ok
            and not out_of_china(float(lon.min()), float(lat.min()))
            and not out_of_china(float(lon.max()), float(lat.max()))
        )
    if not ok:
        raise _position_error(coords, prefix, field)
    if not allow_degenerate and bool(np.all(lon == lon[0]) and np.all(lat == lat[0])):
        raise TrackError(field, f"{prefix or field}: all positions are the same point", code="degenerate")
    if crs is InputCRS.GCJ02:
        lon, lat = gcj02_to_wgs84_arrays(lon, lat)
    elif crs is not InputCRS.WGS84:
        converted = np.asarray(to_wgs84(np.column_stack((lon, lat)).tolist(), crs), dtype=float)
        lon, lat = converted[:, 0].copy(), converted[:, 1].copy()
    return lon, lat
