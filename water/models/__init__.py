"""The water app's models, one module per entity; every model is imported here so Django finds them
under the app label and `from water.models import X` keeps working.

- intakes: intakes (取水口) and meters, with the register's decimal sizes;
- readings: meter readings and the daily volumes kept from them;
- plans: annual water plans (versions, allocations) and red-line targets;
- lock: the ledger lock and the daily volumes it froze;
- alerts: monitoring alerts;
- stations: the telemetry gateway's station counters and command queue.
"""

from water.models.alerts import Alert
from water.models.intakes import (
    REGISTER_DECIMALS,
    REGISTER_DIGITS,
    RTU_FAMILY,
    RTU_SEPARATORS,
    VOLUME_DECIMALS,
    Intake,
    Meter,
    normalise_rtu_address,
)
from water.models.lock import LedgerLock, LockedDailyVolume
from water.models.plans import (
    PLAN_VOLUME_DECIMALS,
    PLAN_VOLUME_DIGITS,
    PlanAllocation,
    PlanVersion,
    RedLineTarget,
    WaterPlan,
)
from water.models.readings import DailyVolume, Reading
from water.models.stations import StationCommand, StationCommandEvent, TelemetryStation

__all__ = [
    "PLAN_VOLUME_DECIMALS",
    "PLAN_VOLUME_DIGITS",
    "REGISTER_DECIMALS",
    "REGISTER_DIGITS",
    "RTU_FAMILY",
    "RTU_SEPARATORS",
    "VOLUME_DECIMALS",
    "Alert",
    "DailyVolume",
    "Intake",
    "LedgerLock",
    "LockedDailyVolume",
    "Meter",
    "PlanAllocation",
    "PlanVersion",
    "Reading",
    "RedLineTarget",
    "StationCommand",
    "StationCommandEvent",
    "TelemetryStation",
    "WaterPlan",
    "normalise_rtu_address",
]
