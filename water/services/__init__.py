"""Writes of the water app, one module per entity: the intake ledger (intakes), meters and their
replacement (meters), readings (batch ingest, correction, review) and the daily volumes kept from
them (readings; the batch ingest in reading_batch), and the monitoring alerts (alerts).

Every write validates (full_clean and the rules below), keeps the daily volumes current
(water.rollups) and writes its audit row in the same transaction. Every public name is re-exported
here, so ``from water.services import reading_ingest_batch`` keeps working.
"""

from water.services._common import CORRECTION_HINT, REGISTER_QUANTUM
from water.services.alerts import (
    AlertRun,
    PlanUsage,
    alert_acknowledge,
    alert_raise_or_refresh,
    alert_resolve,
    alert_sync_plan_usage,
    alerts_check_flagged,
    alerts_check_offline,
    alerts_check_plan,
)
from water.services.intakes import INTAKE_FIELDS, intake_create, intake_delete, intake_update
from water.services.meters import METER_EDITABLE, meter_create, meter_delete, meter_replace, meter_update
from water.services.reading_batch import IngestResult, RegisterOrderError, reading_ingest_batch
from water.services.readings import ReadingState, daily_volumes_rebuild, reading_correct, reading_review
from water.sql import NO_FLAGS, Bounds, Conflicts

__all__ = [
    "CORRECTION_HINT",
    "INTAKE_FIELDS",
    "METER_EDITABLE",
    "NO_FLAGS",
    "REGISTER_QUANTUM",
    "AlertRun",
    "Bounds",
    "Conflicts",
    "IngestResult",
    "PlanUsage",
    "ReadingState",
    "RegisterOrderError",
    "alert_acknowledge",
    "alert_raise_or_refresh",
    "alert_resolve",
    "alert_sync_plan_usage",
    "alerts_check_flagged",
    "alerts_check_offline",
    "alerts_check_plan",
    "daily_volumes_rebuild",
    "intake_create",
    "intake_delete",
    "intake_update",
    "meter_create",
    "meter_delete",
    "meter_replace",
    "meter_update",
    "reading_correct",
    "reading_ingest_batch",
    "reading_review",
]
