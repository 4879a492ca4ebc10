"""Settings of the water app, each read from Django settings with its default here.

Only rules that are local choices or recalled facts are settings; the arithmetic itself is fixed in
water.volume_engine. Override any of these in the environment's settings module, e.g.
`WATER_JUMP_TOLERANCE = 1.5`, then run `manage.py rebuild_daily_volumes` so that stored daily
volumes follow the new rule.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Online metering is required for surface intakes permitted ≥ 500,000 m³/yr and groundwater intakes
    # ≥ 50,000 m³/yr (MWR 2021 opinions on intake metering, domain.md §2.6 [V]). Water-short areas set
    # stricter thresholds, so they are settings.
    "WATER_ONLINE_SURFACE_M3": Decimal(500_000),
    "WATER_ONLINE_GROUNDWATER_M3": Decimal(50_000),
    # A jump is an interval whose volume implies a flow above the intake's capacity × this factor. The
    # capacity is a design figure and meters over-read by a few per cent, so some headroom is allowed;
    # 1.2 is a local choice, not a standard.
    "WATER_JUMP_TOLERANCE": Decimal("1.2"),
    # An interval between two readings longer than this many expected report intervals is a gap: its
    # volume is kept (the register kept counting) but its split between days is marked estimated. 2 is
    # the offline rule ("no report within 2× its interval").
    "WATER_GAP_FACTOR": 2,
    # A register that runs backwards is a rollover only when the wrapped volume is at most this share
    # of the register range (and, when the intake's capacity is known, plausible for it).
    "WATER_ROLLOVER_MAX_SHARE": Decimal("0.5"),
    # Intake RTUs commonly self-report hourly (domain.md §3.5 [R]: recalled, not verified); the default
    # expected interval of a new meter.
    "WATER_DEFAULT_REPORT_INTERVAL_S": 3600,
    # Clock skew tolerated on a reading's time before it counts as "in the future" (SPEC §5).
    "WATER_FUTURE_TOLERANCE_S": 300,
    # Most rows accepted in one batch; the body limit (API_MAX_BODY_BYTES, 20 MiB) holds about 200,000.
    "WATER_INGEST_MAX_ROWS": 100_000,
    # ---- online monitoring and alerts (water.monitoring)
    # A meter is offline when it has not reported within this many of its report intervals (issue 3:
    # "no report within 2× its interval"; the factor is a local choice, hence a setting).
    "WATER_OFFLINE_FACTOR": 2,
    # A report is timely (及时) when received within this many seconds of its observation instant.
    # Inferred, not a standard: SZY 206 frames carry their own allowed delay (the worked sample says
    # 10 minutes, domain.md §3.2), which is not stored; 600 s follows that sample. Changing it needs
    # `rebuild_daily_volumes` (the daily rows keep the count of timely reports).
    "WATER_TIMELY_TOLERANCE_S": 600,
    # Use against plan raises plan_80 at this share and plan_100 at the second (SPEC "Online
    # monitoring": 80 %, 100 %); local practice varies, so they are settings.
    "WATER_PLAN_WARN_SHARE": Decimal("0.8"),
    "WATER_PLAN_OVER_SHARE": Decimal("1.0"),
}


def get(name: str) -> Any:
    """The setting `name` (one of DEFAULTS), from Django settings when set there. Callers use the typed
    getters below."""
    return getattr(settings, name, DEFAULTS[name])


# ---- typed getters: every read of a water setting goes through one of these (read per call, never at import)


def _decimal(name: str) -> Decimal:
    return Decimal(str(get(name)))


def online_surface_m3() -> Decimal:
    return _decimal("WATER_ONLINE_SURFACE_M3")


def online_groundwater_m3() -> Decimal:
    return _decimal("WATER_ONLINE_GROUNDWATER_M3")


def jump_tolerance() -> Decimal:
    return _decimal("WATER_JUMP_TOLERANCE")


def gap_factor() -> Decimal:
    return _decimal("WATER_GAP_FACTOR")


def rollover_max_share() -> Decimal:
    return _decimal("WATER_ROLLOVER_MAX_SHARE")


def default_report_interval_s() -> int:
    return int(get("WATER_DEFAULT_REPORT_INTERVAL_S"))


def future_tolerance_s() -> int:
    return int(get("WATER_FUTURE_TOLERANCE_S"))


def ingest_max_rows() -> int:
    return int(get("WATER_INGEST_MAX_ROWS"))


def offline_factor() -> float:
    return float(get("WATER_OFFLINE_FACTOR"))


def timely_tolerance_s() -> int:
    return int(get("WATER_TIMELY_TOLERANCE_S"))


def plan_warn_share() -> Decimal:
    return _decimal("WATER_PLAN_WARN_SHARE")


def plan_over_share() -> Decimal:
    return _decimal("WATER_PLAN_OVER_SHARE")


def plan_tiers() -> tuple[tuple[str, Decimal], ...]:
    """(label, share over plan from which the tier applies), in ascending order."""
    return tuple((str(label), Decimal(str(share))) for label, share in get("WATER_PLAN_TIERS"))


def industrial_uses() -> frozenset[str]:
    return frozenset(str(u) for u in get("WATER_INDUSTRIAL_USES"))


def telemetry_period_max_days() -> int:
    return int(get("WATER_TELEMETRY_PERIOD_MAX_DAYS"))


def backfill_min_missed() -> int:
    return int(get("WATER_TELEMETRY_BACKFILL_MIN_MISSED"))


def backfill_min_interval_s() -> float:
    return float(get("WATER_TELEMETRY_BACKFILL_MIN_INTERVAL_S"))


def backfill_max_hours() -> float:
    return float(get("WATER_TELEMETRY_BACKFILL_MAX_HOURS"))


def command_timeout_s() -> float:
    return float(get("WATER_TELEMETRY_COMMAND_TIMEOUT_S"))


def command_attempts() -> int:
    return int(get("WATER_TELEMETRY_COMMAND_ATTEMPTS"))


def max_connections_per_peer() -> int:
    return int(get("WATER_TELEMETRY_MAX_CONNECTIONS_PER_PEER"))


def allowed_networks() -> tuple[str, ...]:
    return tuple(str(n) for n in get("WATER_TELEMETRY_ALLOWED_NETWORKS"))


# Plans, red lines and the ledger lock (issue 3 items 5 and 6), kept apart so that other settings
# blocks merge without touching these lines.
PLAN_DEFAULTS: dict[str, Any] = {
    # Over-plan use is graded in progressive tiers (SPEC "Plans and red lines": 5–10 %, 10–20 %,
    # 20–30 %, ≥ 30 % over). The bounds are recalled local practice (超计划累进加价, domain.md §2.5 gives
    # the mechanism, not the bounds), so they are a setting: (label, share over plan from which the
    # tier applies, inclusive). Use up to the first bound over plan is "within".
    "WATER_PLAN_TIERS": (
        ("5-10", Decimal("0.05")),
        ("10-20", Decimal("0.10")),
        ("20-30", Decimal("0.20")),
        ("30+", Decimal("0.30")),
    ),
    # Main uses whose metered intake volume counts as industrial water use for the red-line indicator
    # "water per 10⁴ yuan industrial value added" (domain.md §2.2 [V]: industrial use includes
    # once-through thermal-power cooling, so power intakes count).
    "WATER_INDUSTRIAL_USES": ("industry", "power"),
}
DEFAULTS.update(PLAN_DEFAULTS)


# Telemetry downlink, backfill and clock (issue 18), kept apart like the plan block.
TELEMETRY_DEFAULTS: dict[str, Any] = {
    # Longest window one period-data (38H) query may ask for: bounds what one command makes an RTU send
    # (a local choice; 7 days of 5-minute data is 2,016 values of one element).
    "WATER_TELEMETRY_PERIOD_MAX_DAYS": 7,
    # Gap backfill: a station that reconnects after missing at least this many report intervals gets a 38H
    # query for the window; at most one backfill query per station per WATER_TELEMETRY_BACKFILL_MIN_INTERVAL_S
    # (rate limit) and for at most WATER_TELEMETRY_BACKFILL_MAX_HOURS back. Local choices, not standards.
    "WATER_TELEMETRY_BACKFILL_MIN_MISSED": 2,
    "WATER_TELEMETRY_BACKFILL_MIN_INTERVAL_S": 3600,
    "WATER_TELEMETRY_BACKFILL_MAX_HOURS": 72,
    # How long the gateway waits for a command's answer before trying again, and how often it tries.
    # SL 651 M2 stations retry at most 2 times (domain.md §3.3 link modes); the centre does the same.
    "WATER_TELEMETRY_COMMAND_TIMEOUT_S": 20,
    "WATER_TELEMETRY_COMMAND_ATTEMPTS": 3,
    # Gateway exposure (issue 14, water.telemetry.admission). Open connections one peer address may hold:
    # an RTU needs one, but RTUs behind a carrier NAT share an address, hence generous (0: no cap). Networks
    # (CIDR) the gateway accepts connections from, e.g. ["10.64.0.0/16"] for a private APN; empty: any
    # (then the host firewall is the only filter, docs/deploy.md). Local choices, not standards.
    "WATER_TELEMETRY_MAX_CONNECTIONS_PER_PEER": 50,
    "WATER_TELEMETRY_ALLOWED_NETWORKS": (),
}
DEFAULTS.update(TELEMETRY_DEFAULTS)

# The names an environment variable may set (core.appsettings refuses others).
SETTINGS = frozenset(DEFAULTS)
