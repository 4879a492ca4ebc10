"""The analysis of a parsed track against its reach: distance, duration, coverage and flags."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from core.geo import geodesic_line_length_m
from patrols.track.base import FLAG_OUTSIDE_REACH, FLAG_STATIONARY, FLAG_TELEPORT, TrackLimits
from patrols.track.cleaning import clean
from patrols.track.plane import LocalReach
from patrols.track.wkb import linestring_wkb, multilinestring_wkb


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
