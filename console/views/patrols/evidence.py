"""The evidence a reviewer reads beside a flagged patrol, in words: the suspect raw points that
patrols.evidence_selectors finds (each with its Beijing time, position, the distance and speed from the
previous raw point and why it is shown), the marks the page's map draws there and the notes on the
rules (issue 15 item 2). The projection and the figures are the selector's; this module only words
them (the ``overlap`` flag has no place: the page links the chief's other patrols instead).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from console import formats as f
from core.periods import to_beijing
from patrols import evidence_selectors as ev
from patrols.models import Patrol


@dataclass
class Evidence:
    rows: list[dict[str, Any]] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    truncated: int = 0


def _time(value: dt.datetime) -> str:
    return to_beijing(value).strftime("%Y-%m-%d %H:%M:%S")


def _why(reason: ev.Reason) -> str:
    n = reason.figures
    if reason.kind == ev.JUMP_TO:
        return _("first point after the jump: %(m)s m in %(s)s s (%(v)s km/h)") % {
            "m": f.number(n["m"]),
            "s": f.number(n["s"]),
            "v": f.number(n["kmh"], 1),
        }
    if reason.kind == ev.FARTHEST_FROM_CENTRE:
        return _("farthest from the centre: %(r)s m") % {"r": f.number(n["r"], 1)}
    if reason.kind == ev.AWAY:
        return _("%(m)s m from the reach") % {"m": f.number(n["m"])}
    return {
        ev.JUMP_FROM: _("last point before the jump"),
        ev.DROPPED: _("dropped by the cleaning: an impossible speed"),
        ev.FIRST: _("first point"),
        ev.LAST_POINT: _("last point"),
        ev.LAST_RECEIVED: _("among the last points received"),
    }[reason.kind]


def patrol_evidence(patrol: Patrol) -> Evidence:
    """The suspect raw points of a patrol read with its per-point columns (`patrols.selectors.patrol_detail`)."""
    found = ev.patrol_track_evidence(patrol=patrol)
    out = Evidence(truncated=found.truncated)
    if found.no_track:
        out.notes.append(_("The points that arrived make no track: there is nothing to draw or measure."))
    if found.stationary is not None:
        st = found.stationary
        out.notes.append(
            _("All %(n)s kept points lie within %(r)s m of their centre (the rule: %(limit)s m).")
            % {"n": f.number(st.kept), "r": f.number(st.radius_m, 1), "limit": f.number(st.limit_m)}
        )
    if found.outside is not None:
        o = found.outside
        out.notes.append(
            _("%(share)s of the track lies within %(buffer)s m of the reach (the rule: at least %(min)s).")
            % {"share": f.percent(o.inside_share), "buffer": f.number(o.buffer_m), "min": f.percent(o.min_share)}
        )
    if found.auto_ended_at is not None:
        out.notes.append(
            _("The system ended the patrol at its last point, %(at)s.") % {"at": _time(found.auto_ended_at)}
        )
    for p in found.points:
        out.rows.append(
            {
                "n": p.number,
                "at": _time(p.at),
                "lon": f"{p.lon:.6f}",
                "lat": f"{p.lat:.6f}",
                "distance": f.number(p.distance_m, 1) if p.distance_m is not None else "—",
                "speed": f.number(p.speed_kmh, 1) if p.speed_kmh is not None else "—",
                "kept": f.yes_no(p.kept),
                "why": "；".join(_why(r) for r in p.reasons),
                "mark": p.mark,
            }
        )
        if p.mark:
            out.marks.append({"lon": round(p.lon, 7), "lat": round(p.lat, 7), "kind": p.mark, "label": f"#{p.number}"})
    return out
