"""Reads of plans, red lines and ledger locks (issue 3 items 5 and 6), each narrowed to the caller's
scope. They live in water.selectors (plan_scope, plans, plan_locks, plan_sums, plan_figures,
redlines), one module per entity; this module keeps the names importable from their first home.

Who sees what. Plans, red-line targets and locks belong to a division: a caller sees those of the
divisions inside their jurisdiction and of the divisions that contain it (a district reviewer reads the
city's plan), but only the lines and volumes of the intakes in their scope. Operators see the rows of
the divisions around their own intakes, and only their intakes' lines. Outside is a 404.
"""

from water.selectors.plan_common import M3, RATE, WITHIN, ZERO
from water.selectors.plan_figures import (
    IntakePlanUse,
    PlanSummary,
    forecast_year,
    intake_month_plan,
    over_tier,
    period_plan_use,
    plan_summary,
    prorated_plan,
)
from water.selectors.plan_locks import active_lock_prefixes, lock_get, lock_list
from water.selectors.plan_scope import ancestor_codes, region_q, region_writable
from water.selectors.plan_sums import (
    _SHARED,
    IntakeVolumes,
    _intakes,
    _sums,
    _window_use,
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

__all__ = [
    "INDICATORS",
    "M3",
    "RATE",
    "WITHIN",
    "ZERO",
    "_SHARED",
    "IntakePlanUse",
    "IntakeVolumes",
    "PlanSummary",
    "RedLineIndicator",
    "RedLineSummary",
    "_intakes",
    "_sums",
    "_window_use",
    "active_lock_prefixes",
    "ancestor_codes",
    "forecast_year",
    "intake_month_plan",
    "lock_get",
    "lock_list",
    "month_use",
    "month_use_by_intake",
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
    "redline_get",
    "redline_list",
    "redline_summary",
    "region_q",
    "region_writable",
    "shared_month_sums",
    "volume_by_provenance",
]
