"""Reads of the water app, each narrowed to the caller's scope (accounts.scope), one module per entity:
intakes, meters and readings (intakes), volumes and flags (volumes), online monitoring (monitoring),
and plans, ledger locks and red lines (plan_scope, plans, plan_locks, plan_sums, plan_figures, redlines; also
imported through water.plan_selectors). Every public name is re-exported here.

Who sees which intakes: admins all; reviewers and chiefs those in their jurisdiction (the intake's
division code starts with theirs); operators (取水户) only the intakes they are operators of, wherever
those lie; devices none (they only write readings, see `meter_writable_q`). Meters, readings and
volumes follow their intake. Outside the scope is a 404.
"""

from water.selectors.intakes import (
    intake_get,
    intake_list,
    intake_scope_q,
    meter_list,
    meter_writable_q,
    online_metering_required,
    online_required_q,
    reading_get,
    reading_list,
)
from water.selectors.monitoring import (
    IntakeMonitoring,
    MeterDay,
    MeterMonitoring,
    MonitoringSummary,
    alert_list,
    last_reports,
    meter_monitoring_days,
    monitoring_report,
    monitoring_summary,
)
from water.selectors.plan_common import M3, RATE, WITHIN, ZERO
from water.selectors.plan_figures import (
    IntakePlanUse,
    PlanSummary,
    forecast_year,
    over_tier,
    period_plan_use,
    plan_summary,
    prorated_plan,
)
from water.selectors.plan_locks import active_lock_prefixes, lock_get, lock_list
from water.selectors.plan_scope import ancestor_codes, region_q, region_writable
from water.selectors.plan_sums import (
    IntakeVolumes,
    month_use,
    month_use_by_intake,
    shared_month_sums,
    volume_by_provenance,
)
from water.selectors.plans import (
    plan_allocations,
    plan_get,
    plan_history,
    plan_list,
    plan_months,
    plan_version_at,
    plan_version_for,
)
from water.selectors.redlines import (
    INDICATORS,
    RedLineIndicator,
    RedLineSummary,
    redline_get,
    redline_list,
    redline_summary,
)
from water.selectors.redlines import (
    STATES as REDLINE_STATES,
)
from water.selectors.volumes import VolumeFigure, empty_figures, flagged_readings, intake_volumes, volume_totals

__all__ = [
    "INDICATORS",
    "M3",
    "RATE",
    "REDLINE_STATES",
    "WITHIN",
    "ZERO",
    "IntakeMonitoring",
    "IntakePlanUse",
    "IntakeVolumes",
    "MeterDay",
    "MeterMonitoring",
    "MonitoringSummary",
    "PlanSummary",
    "RedLineIndicator",
    "RedLineSummary",
    "VolumeFigure",
    "active_lock_prefixes",
    "alert_list",
    "ancestor_codes",
    "empty_figures",
    "flagged_readings",
    "forecast_year",
    "intake_get",
    "intake_list",
    "intake_scope_q",
    "intake_volumes",
    "last_reports",
    "lock_get",
    "lock_list",
    "meter_list",
    "meter_monitoring_days",
    "meter_writable_q",
    "monitoring_report",
    "monitoring_summary",
    "month_use",
    "month_use_by_intake",
    "online_metering_required",
    "online_required_q",
    "over_tier",
    "period_plan_use",
    "plan_allocations",
    "plan_get",
    "plan_history",
    "plan_list",
    "plan_months",
    "plan_summary",
    "plan_version_at",
    "plan_version_for",
    "prorated_plan",
    "reading_get",
    "reading_list",
    "redline_get",
    "redline_list",
    "redline_summary",
    "region_q",
    "region_writable",
    "shared_month_sums",
    "volume_by_provenance",
    "volume_totals",
]
