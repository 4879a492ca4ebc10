"""The evidence beside a flagged patrol (issue 15 item 2): the raw points at the suspect places, each
with its time, position, the distance and speed from the previous raw point and why it is shown, read
from the stored raw track, its times, the dropped points and the parts (README "Track rules"), with the
same geodesic and the same local plane of the reach as the server's own checks (patrols.track), so the
figures match what raised the flag. Figures only: the console puts them in words.

Which places are suspect, per flag:

* ``teleport``: each jump between cleaned parts (the last kept point before it and the first after it);
* ``stationary``: the first, the last and the farthest point from the centre of the kept points;
* ``outside_reach``: the kept points farthest from the reach (distance to the reach's line);
* ``auto_ended``: the last points received (the system ended the patrol at the last one);
* points dropped by the cleaning (an impossible speed) are listed whatever the flag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from core.geo import GEOD
from patrols import conf
from patrols.choices import PatrolFlag
from patrols.models import Patrol
from patrols.track import local_reach

MAX_ROWS = 60  # points listed (a 20,000-point track with hundreds of dropped points stays readable)
FARTHEST = 5  # points shown for a track away from its reach
LAST = 3  # last points shown for a patrol the system ended

# Why a point is shown (EvidencePoint.reasons), with the figures each carries:
JUMP_FROM = "jump_from"  # the last kept point before a jump
JUMP_TO = "jump_to"  # the first point after it: m, s, kmh
DROPPED = "dropped"  # dropped by the cleaning (an impossible speed)
FIRST = "first"  # of a stationary track
LAST_POINT = "last"  # of a stationary track
FARTHEST_FROM_CENTRE = "farthest"  # of a stationary track: r (m)
AWAY = "away"  # from the reach: m
LAST_RECEIVED = "last_received"  # among the last points of a patrol the system ended


@dataclass(frozen=True)
class Reason:
    kind: str
    figures: dict[str, float] = field(default_factory=dict)


@dataclass
class EvidencePoint:
    """A raw point shown: its number in the raw track (from 1), time, position, the distance (m) and speed
    (km/h) from the previous raw point (None for the first), whether the cleaning kept it, why it is
    shown (in the order found) and the mark the map draws there ("" for none)."""

    number: int
    at: dt.datetime
    lon: float
    lat: float
    distance_m: float | None
    speed_kmh: float | None
    kept: bool
    reasons: list[Reason]
    mark: str


@dataclass
class Stationary:
    """A stationary track: all `kept` points within `radius_m` of their centre (the rule: `limit_m`)."""

    kept: int
    radius_m: float
    limit_m: float


@dataclass
class OutsideReach:
    """A track away from its site: `inside_share` within `buffer_m` of it (the rule: `min_share`)."""

    inside_share: Any
    buffer_m: float
    min_share: Any


@dataclass
class TrackEvidence:
    points: list[EvidencePoint] = field(default_factory=list)
    truncated: int = 0  # suspect points past MAX_ROWS, not listed
    no_track: bool = False  # abandoned with no track to draw or measure
    stationary: Stationary | None = None
    outside: OutsideReach | None = None
    auto_ended_at: dt.datetime | None = None


def patrol_track_evidence(*, patrol: Patrol) -> TrackEvidence:
    """The suspect raw points of a patrol read with its per-point columns (selectors.patrol_detail, which
    scopes it)."""
    out = TrackEvidence()
    if patrol.raw_track is None or not patrol.raw_times_ms:
        out.no_track = PatrolFlag.ABANDONED.value in (patrol.flags or [])
        return out
    coords = np.asarray(patrol.raw_track.coords, dtype=float)
    lon, lat = coords[:, 0], coords[:, 1]
    t_ms = np.asarray(patrol.raw_times_ms, dtype=np.int64)
    n = len(lon)
    if len(t_ms) != n:
        return out
    seg = np.zeros(n)
    dt_s = np.zeros(n)
    if n > 1:
        __, __, dist = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
        seg[1:] = np.asarray(dist, dtype=float)
        dt_s[1:] = np.diff(t_ms) / 1000.0
    dropped = {int(i) for i in patrol.dropped_points or []}
    kept = np.array([i for i in range(n) if i not in dropped], dtype=np.int64)
    reasons: dict[int, list[Reason]] = {}
    marks: dict[int, str] = {}

    def note(i: int, why: Reason, mark: str = "") -> None:
        reasons.setdefault(i, [])
        if why not in reasons[i]:
            reasons[i].append(why)
        if mark and i not in marks:
            marks[i] = mark

    flags = set(patrol.flags or [])
    starts = [int(s) for s in patrol.part_starts or []]
    if PatrolFlag.TELEPORT.value in flags or len(starts) > 1:
        for s in starts[1:]:
            before = kept[kept < s]
            if before.size:
                a = int(before[-1])
                jump = float(GEOD.inv(lon[a], lat[a], lon[s], lat[s])[2])
                secs = max((int(t_ms[s]) - int(t_ms[a])) / 1000.0, 0.001)
                note(a, Reason(JUMP_FROM), "jump-from")
                note(s, Reason(JUMP_TO, {"m": jump, "s": secs, "kmh": jump / secs * 3.6}), "jump-to")
    for i in sorted(dropped):
        note(i, Reason(DROPPED), "dropped")
    if PatrolFlag.STATIONARY.value in flags and kept.size:
        x, y = _local_site(patrol).project(lon[kept], lat[kept])
        r = np.hypot(x - x.mean(), y - y.mean())
        far = int(kept[int(np.argmax(r))])
        radius = float(r.max())
        out.stationary = Stationary(int(kept.size), radius, float(conf.stationary_radius_m()))
        note(int(kept[0]), Reason(FIRST), "stationary")
        note(int(kept[-1]), Reason(LAST_POINT), "stationary")
        note(far, Reason(FARTHEST_FROM_CENTRE, {"r": radius}), "stationary")
    if PatrolFlag.OUTSIDE_REACH.value in flags and kept.size:
        local = _local_site(patrol)
        x, y = local.project(lon[kept], lat[kept])
        away = np.asarray(shapely.distance(shapely.points(x, y), local.line), dtype=float)
        out.outside = OutsideReach(patrol.inside_share, float(conf.reach_buffer_m()), conf.min_inside_share())
        for j in np.argsort(-away)[:FARTHEST]:
            note(int(kept[int(j)]), Reason(AWAY, {"m": float(away[int(j)])}), "outside")
    if PatrolFlag.AUTO_ENDED.value in flags:
        for i in range(max(0, n - LAST), n):
            note(i, Reason(LAST_RECEIVED), "last" if i == n - 1 else "")
        out.auto_ended_at = patrol.ended_at

    indices = sorted(reasons)
    out.truncated = max(0, len(indices) - MAX_ROWS)
    for i in indices[:MAX_ROWS]:
        speed = seg[i] / dt_s[i] * 3.6 if i and dt_s[i] > 0 else None
        out.points.append(
            EvidencePoint(
                number=i + 1,
                at=patrol.started_at + dt.timedelta(milliseconds=int(t_ms[i])),
                lon=float(lon[i]),
                lat=float(lat[i]),
                distance_m=float(seg[i]) if i else None,
                speed_kmh=float(speed) if speed is not None else None,
                kept=i not in dropped,
                reasons=reasons[i],
                mark=marks.get(i, ""),
            )
        )
    return out


def _local_site(patrol: Any) -> Any:
    """The patrol's reach, or its lake (the water surface, widened by the lake buffer), projected as the
    checks project it (patrols.track.local_reach)."""
    if patrol.lake_id is not None:
        return local_reach(bytes(patrol.lake.geometry.wkb), buffer_m=conf.lake_buffer_m())
    return local_reach(bytes(patrol.reach.geometry.wkb), buffer_m=conf.reach_buffer_m())
