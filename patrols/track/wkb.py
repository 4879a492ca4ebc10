"""WKB of tracks written straight from the arrays, and the cleaned track rebuilt from the raw one."""

from __future__ import annotations

import struct

import numpy as np
import shapely

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
