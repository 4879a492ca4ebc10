"""The evidence a reviewer reads beside a flagged patrol: the raw points at the suspect places, each
with its Beijing time, position and the distance and speed from the previous raw point, and the marks
the page's map draws there (issue 15 item 2). Computed from the stored raw track, its times, the
dropped points and the parts (patrols/README "Track rules"), with the same geodesic and the same local
plane of the reach as the server's own checks, so the figures match what raised the flag.

Which places are suspect, per flag:

* ``teleport``: each jump between cleaned parts (the last kept point before it and the first after it)
  and the points held back around it;
* ``stationary``: the first, the last and the farthest point from the centre of the kept points;
* ``outside_reach``: the kept points farthest from the reach (distance to the reach's line);
* ``auto_ended``: the last points received (the system ended the patrol at the last one);
* ``overlap``: no place, the other patrols of the chief that overlap it in time (links);
* points dropped by the cleaning (an impossible speed) are listed whatever the flag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _

from console import formats as f
from core.geo import GEOD
from core.periods import to_beijing
from patrols import conf
from patrols.choices import PatrolFlag
from patrols.models import Patrol
from patrols.track import local_reach

MAX_ROWS = 60  # rows of the table (a 20,000-point track with hundreds of dropped points stays readable)
FARTHEST = 5  # points shown for a track away from its reach
LAST = 3  # last points shown for a patrol the system ended


@dataclass
class Evidence:
    rows: list[dict[str, Any]] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    truncated: int = 0


def _time(value: dt.datetime) -> str:
    return to_beijing(value).strftime("%Y-%m-%d %H:%M:%S")


def patrol_evidence(patrol: Patrol) -> Evidence:
    """The suspect raw points of a patrol read with its per-point columns (`patrols.selectors.patrol_detail`)."""
    out = Evidence()
    if patrol.raw_track is None or not patrol.raw_times_ms:
        if PatrolFlag.ABANDONED.value in (patrol.flags or []):
            out.notes.append(_("The points that arrived make no track: there is nothing to draw or measure."))
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
    reasons: dict[int, list[str]] = {}
    marks: dict[int, str] = {}

    def note(i: int, why: str, mark: str = "") -> None:
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
                note(a, _("last point before the jump"), "jump-from")
                note(
                    s,
                    _("first point after the jump: %(m)s m in %(s)s s (%(v)s km/h)")
                    % {"m": f.number(jump), "s": f.number(secs), "v": f.number(jump / secs * 3.6, 1)},
                    "jump-to",
                )
    for i in sorted(dropped):
        note(i, _("dropped by the cleaning: an impossible speed"), "dropped")
    if PatrolFlag.STATIONARY.value in flags and kept.size:
        local = _local_site(patrol)
        x, y = local.project(lon[kept], lat[kept])
        r = np.hypot(x - x.mean(), y - y.mean())
        far = int(kept[int(np.argmax(r))])
        out.notes.append(
            _("All %(n)s kept points lie within %(r)s m of their centre (the rule: %(limit)s m).")
            % {
                "n": f.number(kept.size),
                "r": f.number(float(r.max()), 1),
                "limit": f.number(conf.stationary_radius_m()),
            }
        )
        note(int(kept[0]), _("first point"), "stationary")
        note(int(kept[-1]), _("last point"), "stationary")
        note(far, _("farthest from the centre: %(r)s m") % {"r": f.number(float(r.max()), 1)}, "stationary")
    if PatrolFlag.OUTSIDE_REACH.value in flags and kept.size:
        local = _local_site(patrol)
        x, y = local.project(lon[kept], lat[kept])
        away = np.asarray(shapely.distance(shapely.points(x, y), local.line), dtype=float)
        out.notes.append(
            _("%(share)s of the track lies within %(buffer)s m of the reach (the rule: at least %(min)s).")
            % {
                "share": f.percent(patrol.inside_share),
                "buffer": f.number(conf.reach_buffer_m()),
                "min": f.percent(conf.min_inside_share()),
            }
        )
        for j in np.argsort(-away)[:FARTHEST]:
            note(int(kept[int(j)]), _("%(m)s m from the reach") % {"m": f.number(float(away[int(j)]))}, "outside")
    if PatrolFlag.AUTO_ENDED.value in flags:
        for i in range(max(0, n - LAST), n):
            note(i, _("among the last points received"), "last" if i == n - 1 else "")
        out.notes.append(
            _("The system ended the patrol at its last point, %(at)s.") % {"at": _time(patrol.ended_at)}
            if patrol.ended_at
            else ""
        )

    started = patrol.started_at
    indices = sorted(reasons)
    out.truncated = max(0, len(indices) - MAX_ROWS)
    for i in indices[:MAX_ROWS]:
        at = started + dt.timedelta(milliseconds=int(t_ms[i]))
        speed = seg[i] / dt_s[i] if i and dt_s[i] > 0 else None
        out.rows.append(
            {
                "n": i + 1,
                "at": _time(at),
                "lon": f"{lon[i]:.6f}",
                "lat": f"{lat[i]:.6f}",
                "distance": f.number(seg[i], 1) if i else "—",
                "speed": f.number(speed * 3.6, 1) if speed is not None else "—",
                "kept": f.yes_no(i not in dropped),
                "why": "；".join(reasons[i]),
                "mark": marks.get(i, ""),
            }
        )
        if i in marks:
            out.marks.append(
                {"lon": round(float(lon[i]), 7), "lat": round(float(lat[i]), 7), "kind": marks[i], "label": f"#{i + 1}"}
            )
    out.notes = [n_ for n_ in out.notes if n_]
    return out


def _local_site(patrol: Any) -> Any:
    """The patrol's reach, or its lake (the water surface, widened by the lake buffer), projected as the
    checks project it (patrols.track.local_reach)."""
    if patrol.lake_id is not None:
        return local_reach(bytes(patrol.lake.geometry.wkb), buffer_m=conf.lake_buffer_m())
    return local_reach(bytes(patrol.reach.geometry.wkb), buffer_m=conf.reach_buffer_m())
