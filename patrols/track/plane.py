"""The reach in its local metric plane (a transverse Mercator centred on it): the projected line, its
buffer and the coverage sample points, cached per process."""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

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
