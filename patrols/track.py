"""Patrol tracks: parsing, cleaning, geodesic distance, coverage and flags. Pure: no Django, no database.

A phone sends a LineString with one time per point. Phones lose signal, jump when GPS is poor and
sometimes send a track that never touches the river, so the server:

1. **parses** the positions (WGS84, CGCS2000 or GCJ-02, converted to WGS84 by ``core.geo``) and the
   times (ISO 8601 with an offset, strictly increasing, one per point);
2. **cleans** the track: a point that could only be reached from the last kept point faster than the
   mode's speed limit (plus the GPS tolerance) is dropped. When several consecutive points agree with
   each other but not with the track so far, the track really jumped (signal lost, position re-acquired
   elsewhere): the new run is kept as a new part and the jump is flagged ``teleport``; the distance of
   the jump is not counted, since nobody travelled it at that speed;
3. **measures** the distance of the cleaned parts geodesically on the WGS84 ellipsoid
   (``core.geo.geodesic_line_length_m``: Karney's geodesic, or for segments under 100 m the
   ellipsoidal mid-latitude formula that agrees with it to nanometres), never in a projection and
   never from a client's figure;
4. **checks** the track against the reach in a local metric plane: a transverse Mercator centred on
   the reach. Buffers are built there, never in degrees. (An ellipsoidal azimuthal equidistant costs
   4.5 times as much per point through pyproj; within 50 km of the centre the transverse Mercator's
   scale error is below 3·10⁻⁵, a centimetre on a 300 m buffer.)

   * ``outside_reach``: less than ``min_inside_share`` of the track's length lies within
     ``reach_buffer_m`` of the reach (a prepared buffer polygon, tested with vectorised point-in-polygon);
   * ``stationary``: every kept point lies within ``stationary_radius_m`` of their centre;
   * coverage: the share of the reach's length within ``coverage_buffer_m`` of the track, measured
     on sample points along the reach (every 20 m, at most 500) against the prepared track.

   A lake or reservoir is checked the same way on its shoreline (the boundary of its water surface):
   coverage is the share of the shoreline within ``coverage_buffer_m`` of the track, and the track
   is on the lake where it lies on the water or within the lake's buffer of the shore.

Hot path: this runs for every posted patrol (2,000-point tracks at 100/s in the benchmark), so the
checks are vectorised through numpy arrays (the representation shapely 2 and pyproj work on): the
times in the layout phones send are decoded column-wise, GCJ-02 is inverted on whole arrays, the
length is measured with ``core.geo.geodesic_line_length_m``, the WKB the database stores is written
directly from the arrays, the speed check has a fast path for the usual track with nothing to drop,
and the per-reach work (projection, reach buffer) is cached per process.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from core.geo import InputCRS, gcj02_to_wgs84_arrays, geodesic_line_length_m, out_of_china, to_wgs84

__all__ = [
    "FLAG_OUTSIDE_REACH",
    "FLAG_STATIONARY",
    "FLAG_TELEPORT",
    "Cleaned",
    "LocalReach",
    "TrackAnalysis",
    "TrackError",
    "TrackLimits",
    "analyse",
    "clean",
    "cleaned_parts",
    "cleaned_track_wkb",
    "local_reach",
    "parse_positions",
    "parse_times",
]

# The flag names this module can raise; patrols.choices.PatrolFlag has the same values (tested).
FLAG_TELEPORT = "teleport"
FLAG_STATIONARY = "stationary"
FLAG_OUTSIDE_REACH = "outside_reach"


class TrackError(ValueError):
    """The track or its times were refused. ``field`` is the request member to name (``track`` or
    ``times``); the message says where inside it (``coordinates[3][0]: …``)."""

    def __init__(self, field: str, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class TrackLimits:
    """Thresholds of cleaning and checking (patrols.conf documents the defaults)."""

    max_speed_mps: float
    gps_tolerance_m: float = 20.0
    teleport_run_points: int = 5
    stationary_radius_m: float = 50.0
    reach_buffer_m: float = 300.0
    min_inside_share: float = 0.5
    coverage_buffer_m: float = 200.0
    preview_tolerance_m: float = 5.0


# --------------------------------------------------------------------------- parsing


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _position_error(coords: list[Any], prefix: str, field: str) -> TrackError:
    """Walk the positions to name the first bad one (only called once the fast check failed)."""
    for i, pos in enumerate(coords):
        if type(pos) is not list or not 2 <= len(pos) <= 3:
            return TrackError(field, f"{prefix}[{i}]: a position is an array of 2 or 3 numbers")
        for j, value in enumerate(pos):
            if type(value) not in (float, int):
                return TrackError(field, f"{prefix}[{i}][{j}]: expected a number, got {_type_name(value)}")
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
            raise TrackError(field, f"expected a GeoJSON LineString object, got {_type_name(track)}")
        if track.get("type") != "LineString":
            raise TrackError(field, f"type: expected 'LineString', got {track.get('type')!r}")
        if "coordinates" not in track:
            raise TrackError(field, 'missing "coordinates"')
        coords = track["coordinates"]
        prefix = "coordinates"
    if not isinstance(coords, list):
        raise TrackError(field, f"{prefix or field}: expected an array of positions, got {_type_name(coords)}")
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


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)

# The layouts a phone sends, "YYYY-MM-DDTHH:MM:SS" + optional ".fff" or ".ffffff" + "Z" or "±HH:MM",
# by the length of what follows the seconds: (fraction digits, offset length).
_TAILS = {1: (0, 1), 6: (0, 6), 5: (3, 1), 10: (3, 6), 8: (6, 1), 13: (6, 6)}
_ZERO = ord("0")
_DAYS_IN_MONTH = np.array([31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)  # [0]: unused


def _layout(frac: int, off: int) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest ASCII code allowed at each position of the layout."""
    text = "dddd-dd-ddTdd:dd:dd" + ("." + "d" * frac if frac else "") + ("Z" if off == 1 else "sdd:dd")
    lo = np.array([_ZERO if c == "d" else ord("+") if c == "s" else ord(c) for c in text], dtype=np.uint8)
    hi = np.array([_ZERO + 9 if c == "d" else ord("-") if c == "s" else ord(c) for c in text], dtype=np.uint8)
    return lo, hi


_LAYOUTS = {width + 19: _layout(*tail) for width, tail in _TAILS.items()}


def _number(v: np.ndarray, start: int, width: int) -> np.ndarray:
    """The decimal number in rows start..start+width of an (L, n) array of digit values."""
    out = v[start]
    for row in range(start + 1, start + width):
        out = out * 10 + v[row]
    return out


def _epoch_ms_fast(values: list[Any]) -> np.ndarray | None:
    """Epoch milliseconds of times in the one fixed layout phones send (every time the same length,
    ``YYYY-MM-DDTHH:MM:SS[.fff|.ffffff](Z|±HH:MM)``), decoded column-wise with numpy: ~0.2 ms for
    2,000 times instead of ~0.9 ms through ``datetime.fromisoformat``. Every character is checked
    (digits where digits belong, the separators, month, day of that month, hour, minute, second and
    offset in range), so what passes is exactly what ``fromisoformat`` reads, read the same way;
    anything else returns None and the caller parses one by one (and names the bad time)."""
    n = len(values)
    if not n or set(map(type, values)) != {str}:
        return None
    width = len(values[0])
    layout = _LAYOUTS.get(width)
    if layout is None or set(map(len, values)) != {width}:
        return None
    try:
        raw = "".join(values).encode("ascii")
    except UnicodeEncodeError:
        return None
    a = np.frombuffer(raw, dtype=np.uint8).reshape(n, width)
    lo, hi = layout
    if not bool(((a >= lo) & (a <= hi)).all()):
        return None
    frac, off = _TAILS[width - 19]
    if off == 6 and bool((a[:, width - 6] == ord(",")).any()):  # between "+" and "-" in ASCII
        return None
    v = a.T.astype(np.int32) - _ZERO  # one row per character position, as digit values
    year, month, day = _number(v, 0, 4), _number(v, 5, 2), _number(v, 8, 2)
    hour, minute, second = _number(v, 11, 2), _number(v, 14, 2), _number(v, 17, 2)
    month_ok = (month >= 1) & (month <= 12)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    ok = month_ok & (year >= 1) & (day >= 1) & (day <= last_day) & (hour <= 23) & (minute <= 59) & (second <= 59)
    offset_min = np.zeros(n, dtype=np.int64)
    if off == 6:
        oh, om = _number(v, width - 5, 2), _number(v, width - 2, 2)
        ok &= (oh <= 23) & (om <= 59)
        offset_min = np.where(a[:, width - 6] == ord("-"), -1, 1) * (oh * 60 + om).astype(np.int64)
    if not bool(ok.all()):
        return None
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    days = (era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468).astype(np.int64)
    minutes = (days * 24 + hour) * 60 + minute - offset_min
    millis = _number(v, 20, 3) if frac else 0  # floored to the millisecond, like the slow path
    return (minutes * 60 + second) * 1000 + millis


def parse_times(values: object, *, count: int | None, field: str = "times") -> np.ndarray:
    """ISO 8601 times with an offset → Unix epoch milliseconds (int64), strictly increasing.

    ``count`` is the number of positions the times belong to (None: not checked here).

    Raises:
        TrackError: naming ``field``, with the index in the message.
    """
    if not isinstance(values, list):
        raise TrackError(field, f"expected an array of ISO 8601 times, got {_type_name(values)}")
    if count is not None and len(values) != count:
        raise TrackError(field, f"{len(values)} times for {count} positions: give exactly one time per position")
    fast = _epoch_ms_fast(values)
    if fast is not None and bool(np.all(np.diff(fast) > 0)):
        return fast
    out: list[int] = []
    for i, value in enumerate(values):
        if type(value) is not str:
            raise TrackError(field, f"[{i}]: expected an ISO 8601 time string, got {_type_name(value)}")
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise TrackError(field, f"[{i}]: {value!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise TrackError(field, f"[{i}]: give the time with its UTC offset, e.g. 2024-03-01T08:00:00+08:00")
        # Floor to the millisecond, like the fast path's datetime64[ms].
        ms = (parsed - _EPOCH) // _MS
        if out and ms <= out[-1]:
            raise TrackError(field, f"[{i}]: times must be strictly increasing ({value} is not after the previous one)")
        out.append(ms)
    return np.asarray(out, dtype=np.int64)


# --------------------------------------------------------------------------- local plane

_TRANSFORMERS: dict[tuple[float, float], Transformer] = {}
_REACHES: OrderedDict[tuple[bytes, float], LocalReach] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_REACH_CACHE_SIZE = 512


def _transformer(lon0: float, lat0: float) -> Transformer:
    # Centres are rounded to 0.01° (about 1 km), so reaches close to each other share a transformer.
    key = (round(lon0, 2), round(lat0, 2))
    tr = _TRANSFORMERS.get(key)
    if tr is None:
        # +approx: PROJ's Evenden–Snyder series instead of the exact Poder–Engsager algorithm, 2.3 times
        # faster per point (0.3 ms of a 2,000-point post); it agrees with the exact one within 1e-8 m
        # up to 1° from the centre and 3e-6 m at 3°, far beyond any reach's extent.
        tr = Transformer.from_crs(
            "EPSG:4326",
            f"+proj=tmerc +approx +lat_0={key[1]} +lon_0={key[0]} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs",
            always_xy=True,
        )
        with _CACHE_LOCK:
            _TRANSFORMERS[key] = tr
    return tr


# Coverage is measured on sample points along the reach, each standing for an equal share of its
# part: every 20 m, or at most 500 samples on reaches longer than 10 km (the share is then exact to
# 1/500 = 0.2 % per end of a covered stretch, and the check costs 0.1 ms per 100 samples).
_COVERAGE_SAMPLE_M = 20.0
_COVERAGE_MAX_SAMPLES = 500


@dataclass(frozen=True, slots=True)
class LocalReach:
    """A reach in its local metric plane: the line, its length there, a prepared buffer, and sample
    points along it with the length each stands for."""

    transformer: Transformer
    line: BaseGeometry
    length_m: float
    buffer: BaseGeometry
    samples: np.ndarray
    sample_weights: np.ndarray

    def project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.transformer.transform(lon, lat)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def unproject(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = self.transformer.transform(x, y, direction="INVERSE")
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


_POLYGON, _MULTIPOLYGON = 3, 6  # shapely's geometry type ids


def local_reach(reach_wkb: bytes, *, buffer_m: float) -> LocalReach:
    """The reach (WKB of a lon/lat (Multi)LineString) projected around its own centre, cached per
    process by the geometry's content, so an edited reach is never served stale.

    A lake is given as its water surface (WKB of a lon/lat (Multi)Polygon): its line is then the
    shoreline (the polygon's boundary), coverage is measured along it, and the buffer is the water
    surface widened by `buffer_m` beyond the shore."""
    key = (hashlib.sha1(reach_wkb, usedforsecurity=False).digest(), float(buffer_m))
    with _CACHE_LOCK:
        hit = _REACHES.get(key)
        if hit is not None:
            _REACHES.move_to_end(key)
            return hit
    geom = shapely.from_wkb(reach_wkb)
    minx, miny, maxx, maxy = geom.bounds
    tr = _transformer((minx + maxx) / 2, (miny + maxy) / 2)
    projected = shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    if shapely.get_type_id(projected) in (_POLYGON, _MULTIPOLYGON):
        # A lake (reservoir): what is patrolled is its shoreline, the boundary of its water surface
        # (islands' shores included); the track is on the lake when it lies on the water or within
        # `buffer_m` of the shore, i.e. in the polygon buffered outwards.
        line = projected.boundary
        buffer = projected.buffer(buffer_m)
    else:
        line = projected
        buffer = line.buffer(buffer_m)
    shapely.prepare(buffer)
    length = float(line.length)
    spacing = max(_COVERAGE_SAMPLE_M, length / _COVERAGE_MAX_SAMPLES)
    samples, weights = [], []
    for part in shapely.get_parts(line):
        part_length = float(part.length)
        n = max(1, math.ceil(part_length / spacing))
        samples.append(shapely.line_interpolate_point(part, (np.arange(n) + 0.5) * part_length / n))
        weights.append(np.full(n, part_length / n))
    reach = LocalReach(
        transformer=tr,
        line=line,
        length_m=length,
        buffer=buffer,
        samples=np.concatenate(samples) if samples else np.empty(0, dtype=object),
        sample_weights=np.concatenate(weights) if weights else np.zeros(0),
    )
    with _CACHE_LOCK:
        _REACHES[key] = reach
        while len(_REACHES) > _REACH_CACHE_SIZE:
            _REACHES.popitem(last=False)
    return reach


# --------------------------------------------------------------------------- cleaning


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Indices of the kept points, as parts split at accepted jumps, and of the dropped ones."""

    parts: list[np.ndarray]
    dropped: list[int]
    jumps: int

    @property
    def kept(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=np.int64)


def clean(x: np.ndarray, y: np.ndarray, t_s: np.ndarray, limits: TrackLimits) -> Cleaned:
    """Drop points implying an impossible speed; split the track where it really jumped.

    ``x``/``y`` are metres in a local plane (the speed test needs no geodesic precision), ``t_s``
    seconds, strictly increasing. Each point is tested against the last kept point (the anchor):
    a plausible point is kept and becomes the anchor; an implausible one is held back. A run of
    ``teleport_run_points`` held-back points that agree with each other is a real jump: the run is
    kept as a new part (or, when only the first point preceded it, that first point is dropped as a
    stale fix). Held-back points that never form such a run are dropped.
    """
    n = len(x)
    vmax, tol, run_needed = limits.max_speed_mps, limits.gps_tolerance_m, max(2, limits.teleport_run_points)
    step_ok = np.hypot(np.diff(x), np.diff(y)) <= vmax * np.diff(t_s) + tol
    if bool(step_ok.all()):
        return Cleaned(parts=[np.arange(n)], dropped=[], jumps=0)

    xs, ys, ts = x.tolist(), y.tolist(), t_s.tolist()
    # bad[i]: the step from point i-1 to point i is implausible; between two bad steps, a run of
    # consecutive points continuing from the anchor is accepted in one go.
    bad_steps = (np.flatnonzero(~step_ok) + 1).tolist()
    bad_set = set(bad_steps)

    def plausible(a: int, b: int) -> bool:
        return math.hypot(xs[b] - xs[a], ys[b] - ys[a]) <= vmax * (ts[b] - ts[a]) + tol

    parts: list[list[int]] = [[0]]
    dropped: list[int] = []
    pending: list[int] = []  # consecutive points that agree with each other but not with the anchor
    anchor = 0
    jumps = 0
    i = 1
    while i < n:
        if not pending and anchor == i - 1 and i not in bad_set:
            # Fast path: the points up to the next implausible step all continue the track.
            k = bisect.bisect_right(bad_steps, i)
            stop = bad_steps[k] if k < len(bad_steps) else n
            parts[-1].extend(range(i, stop))
            anchor = stop - 1
            i = stop
            continue
        if plausible(anchor, i):
            parts[-1].append(i)
            anchor = i
            dropped.extend(pending)
            pending = []
            i += 1
            continue
        if pending and plausible(pending[-1], i):
            pending.append(i)
        else:
            dropped.extend(pending)
            pending = [i]
        if len(pending) >= run_needed:
            if len(parts) == 1 and len(parts[0]) == 1:
                dropped.append(parts[0][0])
                parts[0] = pending
            else:
                jumps += 1
                parts.append(pending)
            anchor = pending[-1]
            pending = []
        i += 1
    dropped.extend(pending)
    kept_parts = []
    for part in parts:
        if len(part) >= 2:
            kept_parts.append(np.asarray(part, dtype=np.int64))
        else:
            dropped.extend(part)
    return Cleaned(parts=kept_parts, dropped=sorted(dropped), jumps=jumps)


# --------------------------------------------------------------------------- analysis


@dataclass(slots=True)
class TrackAnalysis:
    """What the server derives from a track; the service stores it on the patrol."""

    points_received: int
    points_kept: int
    dropped: list[int]
    jumps: int
    distance_m: float
    duration_s: float
    coverage: float | None
    inside_share: float | None
    flags: list[str] = field(default_factory=list)
    part_starts: list[int] = field(default_factory=list)
    raw_wkb: bytes = b""
    track_wkb: bytes | None = None
    preview_wkb: bytes | None = None


_WKB_LINESTRING = struct.Struct("<BII")  # little-endian marker, geometry type, point count
_WKB_MULTI = struct.Struct("<BII")  # little-endian marker, geometry type, part count


def linestring_wkb(lon: np.ndarray, lat: np.ndarray) -> bytes:
    """ISO WKB of a 2D LineString, written directly (the same bytes as ``shapely.to_wkb``, without
    building a geometry object for a 2,000-point track)."""
    coords = np.empty((len(lon), 2), dtype="<f8")
    coords[:, 0] = lon
    coords[:, 1] = lat
    return _WKB_LINESTRING.pack(1, 2, len(lon)) + coords.tobytes()


def multilinestring_wkb(parts: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
    """ISO WKB of a 2D MultiLineString of (lon, lat) parts."""
    return _WKB_MULTI.pack(1, 5, len(parts)) + b"".join(linestring_wkb(lon, lat) for lon, lat in parts)


def _weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Length each vertex stands for: half of each adjacent segment (so shares are by length)."""
    seg = np.hypot(np.diff(x), np.diff(y))
    w = np.zeros(len(x))
    w[:-1] += seg / 2
    w[1:] += seg / 2
    return w


def analyse(
    lon: list[float] | np.ndarray,
    lat: list[float] | np.ndarray,
    t_ms: list[int] | np.ndarray,
    *,
    reach: LocalReach,
    limits: TrackLimits,
) -> TrackAnalysis:
    """Clean, measure and check a parsed WGS84 track against its reach."""
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    t_s = np.asarray(t_ms, dtype=np.int64) / 1000.0
    x, y = reach.project(lon_a, lat_a)
    cleaned = clean(x, y, t_s, limits)
    raw_wkb = linestring_wkb(lon_a, lat_a)
    result = TrackAnalysis(
        points_received=len(lon_a),
        points_kept=0,
        dropped=cleaned.dropped,
        jumps=cleaned.jumps,
        distance_m=0.0,
        duration_s=0.0,
        coverage=0.0,
        inside_share=0.0,
        raw_wkb=raw_wkb,
    )
    if cleaned.jumps:
        result.flags.append(FLAG_TELEPORT)
    if not cleaned.parts:
        result.flags.append(FLAG_STATIONARY)
        return result

    kept = cleaned.kept
    result.points_kept = len(kept)
    result.part_starts = [int(p[0]) for p in cleaned.parts]
    result.distance_m = math.fsum(geodesic_line_length_m(lon_a[p], lat_a[p]) for p in cleaned.parts)
    result.duration_s = float(t_s[kept[-1]] - t_s[kept[0]])

    xk, yk = x[kept], y[kept]
    if float(np.max(np.hypot(xk - xk.mean(), yk - yk.mean()))) <= limits.stationary_radius_m:
        result.flags.append(FLAG_STATIONARY)

    # Share of the track's length inside the reach buffer, weighting each vertex by its segments
    # (within parts only, so a jump's gap weighs nothing).
    inside = shapely.contains_xy(reach.buffer, xk, yk)
    weights = np.concatenate([_weights(x[p], y[p]) for p in cleaned.parts])
    total = float(weights.sum())
    share = float(weights[inside].sum()) / total if total > 0 else float(inside.mean())
    result.inside_share = share
    if share < limits.min_inside_share:
        result.flags.append(FLAG_OUTSIDE_REACH)

    lines_xy = shapely.multilinestrings([shapely.linestrings(x[p], y[p]) for p in cleaned.parts])
    if reach.length_m > 0 and len(reach.samples):
        # The share of the reach's samples within the buffer distance of the (prepared) track. Not a
        # buffer polygon of the track: buffering a jittery 2,000-point line that crosses itself takes
        # seconds, while this costs the same for any track shape.
        shapely.prepare(lines_xy)
        near = shapely.dwithin(lines_xy, reach.samples, limits.coverage_buffer_m)
        result.coverage = min(1.0, float(reach.sample_weights[near].sum()) / reach.length_m)
    else:
        result.coverage = None

    result.track_wkb = multilinestring_wkb([(lon_a[p], lat_a[p]) for p in cleaned.parts])
    preview_parts: list[Any] = []
    for part in shapely.get_parts(shapely.simplify(lines_xy, limits.preview_tolerance_m, preserve_topology=False)):
        coords = shapely.get_coordinates(part)
        if len(coords) >= 2:
            plon, plat = reach.unproject(coords[:, 0], coords[:, 1])
            preview_parts.append(shapely.linestrings(plon, plat))
    result.preview_wkb = bytes(shapely.to_wkb(shapely.multilinestrings(preview_parts))) if preview_parts else None
    return result


def cleaned_parts(n: int, dropped: list[int], part_starts: list[int]) -> list[np.ndarray]:
    """The kept indices of an n-point raw track, split into parts at `part_starts` (the inverse of
    what ``clean`` stores)."""
    keep = np.ones(n, dtype=bool)
    keep[np.asarray(dropped, dtype=np.int64)] = False
    kept = np.flatnonzero(keep)
    cuts = np.searchsorted(kept, np.asarray(part_starts[1:], dtype=np.int64))
    return [p for p in np.split(kept, cuts) if len(p) >= 2]


def cleaned_track_wkb(raw_wkb: bytes, dropped: list[int], part_starts: list[int]) -> bytes | None:
    """WKB of the cleaned MultiLineString rebuilt from the raw LineString's WKB."""
    coords = shapely.get_coordinates(shapely.from_wkb(raw_wkb))
    parts = cleaned_parts(len(coords), dropped, part_starts)
    if not parts:
        return None
    return shapely.to_wkb(shapely.multilinestrings([shapely.linestrings(coords[p]) for p in parts]))


def fingerprint(*members: Any) -> str:
    """A SHA-256 over the canonical form of a request's content (numbers as their repr, arrays as
    packed doubles), so that a resend with the same content matches whatever its JSON layout."""
    digest = hashlib.sha256()
    for member in members:
        if isinstance(member, np.ndarray):
            digest.update(np.ascontiguousarray(member, dtype=float).tobytes())
        elif isinstance(member, list) and member and isinstance(member[0], int | float):
            digest.update(np.asarray(member, dtype=float).tobytes())
        else:
            digest.update(repr(member).encode())
        digest.update(b"\x1f")
    return digest.hexdigest()
