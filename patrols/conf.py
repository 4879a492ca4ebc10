"""Settings of the patrols app, read here and nowhere else, each with its documented default.

The rule tables a bureau changes often (validity minimums, required patrol frequency) are database
tables with admin pages (``PatrolValidityRule``, ``PatrolFrequencyRule``), seeded from domain.md §4.2.
What is left here are the engineering thresholds of track cleaning and checking that domain.md does
not fix; a deployment overrides any of them without a code change, from the environment under the
setting's own name (read in config/settings/base.py, listed in .env.example) or in its settings module.

``PATROL_MAX_SPEED_MPS`` (dict mode → m/s; foot 4, vehicle 42, boat 20, drone 30)
    A point reached faster than this from the previous kept point (plus the GPS tolerance) is
    impossible and dropped. 4 m/s is a run (14 km/h); 42 m/s is 150 km/h; 20 m/s a fast patrol boat;
    30 m/s is above the sport mode of common survey drones.
``PATROL_GPS_TOLERANCE_M`` (20)
    A phone's GPS wanders 5–20 m: a jump this short is never called impossible, whatever the time step.
``PATROL_TELEPORT_RUN_POINTS`` (5)
    After this many consecutive points that agree with each other but not with the track so far, the
    track is taken to have jumped (teleport flag) instead of dropping them all.
``PATROL_MAX_TRACK_POINTS`` (20000)
    Most positions in one patrol (a point a second for five and a half hours); more is a 400.
``PATROL_MAX_DURATION_HOURS`` (24)
    A patrol longer than this is refused.
``PATROL_STALE_GRACE_HOURS`` (2)
    A patrol sent in parts that its phone never ended is closed by the hourly job this long after it
    could no longer be ended (its start plus ``PATROL_MAX_DURATION_HOURS``): completed at its last
    point and flagged ``auto_ended`` for review, or flagged ``abandoned`` when its points do not make
    a track. The grace lets a phone that was offline at the limit still send its end.
``PATROL_TIME_TOLERANCE_SECONDS`` (120)
    Track times may start this much before ``started_at`` and end this much after ``ended_at``.
``PATROL_FUTURE_TOLERANCE_SECONDS`` (300)
    Clock skew allowed on phones before a time counts as "in the future".
``PATROL_MAX_COMPANIONS`` (100)
    Most companions on one patrol.
``PATROL_STATIONARY_RADIUS_M`` (50)
    A track whose kept points all lie within this radius of their centre is flagged stationary.
``PATROL_REACH_BUFFER_M`` (300)
    Width on each side of the reach inside which a track counts as on the reach.
``PATROL_MIN_INSIDE_SHARE`` (0.5)
    A track with less than this share of its length inside the reach buffer (on a lake: the lake
    buffer) is flagged outside_reach.
``PATROL_COVERAGE_BUFFER_M`` (200)
    Coverage = share of the reach's length (on a lake: of its shoreline, the boundary of its water
    surface) within this distance of the track.
``PATROL_LAKE_BUFFER_M`` (300)
    A lake or reservoir patrol's track counts as on the lake where it lies on the water surface or
    within this distance beyond the shoreline (a boat on the water and a chief walking the shore
    path both patrol the lake); the same width as a reach's by default.
``PATROL_PREVIEW_TOLERANCE_M`` (5)
    Simplification of the map-layer preview of a track (the stored track is never simplified).
``PATROL_PHOTO_MAX_BYTES`` (10 MiB)
    Larger photo uploads are refused (413).
``PATROL_PHOTO_MAX_PIXELS`` (50,000,000)
    Larger images are refused (decompression bombs).
``PATROL_PHOTO_TIME_TOLERANCE_SECONDS`` (1800)
    An EXIF time this far outside the patrol is flagged time_mismatch.
``PATROL_PHOTO_MAX_DISTANCE_M`` (300)
    An EXIF position farther than this from the patrol's track (or from the case, without a patrol)
    is flagged position_mismatch.
``PATROL_PHOTO_EXIF_DEFAULT_UTC_OFFSET_HOURS`` (8)
    EXIF times without an OffsetTimeOriginal are read in this offset (Beijing time, domain.md §6).
``PATROL_LITTER_MAX_TONNES`` (100)
    One litter record above this is refused as a typing error (Urumqi removed 12.2 t in all of 2024).
``PATROL_LITTER_RESEND_MINUTES`` (10)
    A litter record sent without a client id (nor an Idempotency-Key) with the same content as one the
    same person recorded this many minutes before (same reach, day, tonnes, patrol and note) is that
    record sent again after a lost reply, not a second removal (issue 14: 11 of 154 retries doubled the
    tonnes). A phone's retries come within seconds to a few minutes; two identical loads from one
    person within minutes are rare, and an app that means them sends a client id each. 0 turns it off.
``PATROL_RECHECK_MAX_SAMPLE`` (500)
    Most cases drawn in one recheck (回头看) sample.
``PATROL_EXPORT_MAX_ROWS`` (50000)
    Most rows in one ledger export.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings

from patrols.choices import PatrolMode
from patrols.track import TrackLimits

DEFAULTS: dict[str, Any] = {
    "PATROL_MAX_SPEED_MPS": {
        PatrolMode.FOOT.value: 4.0,
        PatrolMode.VEHICLE.value: 42.0,
        PatrolMode.BOAT.value: 20.0,
        PatrolMode.DRONE.value: 30.0,
    },
    "PATROL_GPS_TOLERANCE_M": 20.0,
    "PATROL_TELEPORT_RUN_POINTS": 5,
    "PATROL_MAX_TRACK_POINTS": 20_000,
    "PATROL_MAX_DURATION_HOURS": 24,
    "PATROL_STALE_GRACE_HOURS": 2,
    "PATROL_TIME_TOLERANCE_SECONDS": 120,
    "PATROL_FUTURE_TOLERANCE_SECONDS": 300,
    "PATROL_MAX_COMPANIONS": 100,
    "PATROL_STATIONARY_RADIUS_M": 50.0,
    "PATROL_REACH_BUFFER_M": 300.0,
    "PATROL_MIN_INSIDE_SHARE": 0.5,
    "PATROL_COVERAGE_BUFFER_M": 200.0,
    "PATROL_LAKE_BUFFER_M": 300.0,
    "PATROL_PREVIEW_TOLERANCE_M": 5.0,
    "PATROL_PHOTO_MAX_BYTES": 10 * 1024 * 1024,
    "PATROL_PHOTO_MAX_PIXELS": 50_000_000,
    "PATROL_PHOTO_TIME_TOLERANCE_SECONDS": 1800,
    "PATROL_PHOTO_MAX_DISTANCE_M": 300.0,
    "PATROL_PHOTO_EXIF_DEFAULT_UTC_OFFSET_HOURS": 8,
    "PATROL_LITTER_MAX_TONNES": Decimal("100"),
    "PATROL_LITTER_RESEND_MINUTES": 10,
    "PATROL_RECHECK_MAX_SAMPLE": 500,
    "PATROL_EXPORT_MAX_ROWS": 50_000,
}

# The names an environment variable may set (core.appsettings refuses others).
SETTINGS = frozenset(DEFAULTS)


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def max_speed_mps(mode: str) -> float:
    speeds: dict[str, float] = {**DEFAULTS["PATROL_MAX_SPEED_MPS"], **get("PATROL_MAX_SPEED_MPS")}
    return float(speeds[mode])


def track_limits(mode: str) -> TrackLimits:
    """The cleaning and checking thresholds for a patrol in ``mode``."""
    return TrackLimits(
        max_speed_mps=max_speed_mps(mode),
        gps_tolerance_m=float(get("PATROL_GPS_TOLERANCE_M")),
        teleport_run_points=int(get("PATROL_TELEPORT_RUN_POINTS")),
        stationary_radius_m=stationary_radius_m(),
        reach_buffer_m=reach_buffer_m(),
        min_inside_share=min_inside_share(),
        coverage_buffer_m=float(get("PATROL_COVERAGE_BUFFER_M")),
        preview_tolerance_m=float(get("PATROL_PREVIEW_TOLERANCE_M")),
    )


def stationary_radius_m() -> float:
    return float(get("PATROL_STATIONARY_RADIUS_M"))


def reach_buffer_m() -> float:
    return float(get("PATROL_REACH_BUFFER_M"))


def min_inside_share() -> float:
    return float(get("PATROL_MIN_INSIDE_SHARE"))


def lake_buffer_m() -> float:
    return float(get("PATROL_LAKE_BUFFER_M"))


def max_track_points() -> int:
    return int(get("PATROL_MAX_TRACK_POINTS"))


def max_duration() -> dt.timedelta:
    return dt.timedelta(hours=float(get("PATROL_MAX_DURATION_HOURS")))


def stale_grace() -> dt.timedelta:
    return dt.timedelta(hours=float(get("PATROL_STALE_GRACE_HOURS")))


def time_tolerance() -> dt.timedelta:
    return dt.timedelta(seconds=float(get("PATROL_TIME_TOLERANCE_SECONDS")))


def future_tolerance() -> dt.timedelta:
    return dt.timedelta(seconds=float(get("PATROL_FUTURE_TOLERANCE_SECONDS")))


def max_companions() -> int:
    return int(get("PATROL_MAX_COMPANIONS"))


def photo_max_bytes() -> int:
    return int(get("PATROL_PHOTO_MAX_BYTES"))


def photo_max_pixels() -> int:
    return int(get("PATROL_PHOTO_MAX_PIXELS"))


def photo_time_tolerance() -> dt.timedelta:
    return dt.timedelta(seconds=float(get("PATROL_PHOTO_TIME_TOLERANCE_SECONDS")))


def photo_max_distance_m() -> float:
    return float(get("PATROL_PHOTO_MAX_DISTANCE_M"))


def photo_exif_default_offset() -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=float(get("PATROL_PHOTO_EXIF_DEFAULT_UTC_OFFSET_HOURS"))))


def litter_max_tonnes() -> Decimal:
    return Decimal(str(get("PATROL_LITTER_MAX_TONNES")))


def litter_resend_window() -> dt.timedelta:
    return dt.timedelta(minutes=float(get("PATROL_LITTER_RESEND_MINUTES")))


def recheck_max_sample() -> int:
    return int(get("PATROL_RECHECK_MAX_SAMPLE"))


def export_max_rows() -> int:
    return int(get("PATROL_EXPORT_MAX_ROWS"))
