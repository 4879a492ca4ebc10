"""Cleaning: dropping points that imply an impossible speed, splitting the track where it really jumped."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from patrols.track.base import TrackLimits


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
