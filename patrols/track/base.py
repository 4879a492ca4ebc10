"""What the track modules share: the flag names, the refusal (TrackError) and the thresholds."""

from __future__ import annotations

from dataclasses import dataclass

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
