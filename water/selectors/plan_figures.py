"""Use against plan: prorated plans, over-plan tiers, forecasts and the plan summary per intake, from
the month sums of water.selectors.plan_sums."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, Sum
from django.utils import timezone

from accounts.scope import Scope
from core import periods
from water import conf
from water.models import (
    PlanAllocation,
)
from water.selectors.intakes import intake_scope_q
from water.selectors.plan_common import WITHIN, ZERO, _q3
from water.selectors.plan_scope import _check_division_visible, _division_q
from water.selectors.plan_sums import _intakes, _Use, _window_use, shared_month_sums


def _allocations(where: Q, years: Iterable[int]) -> dict[int, dict[tuple[int, int], Decimal]]:
    """{intake id: {(year, month): m³}} from the current version of every plan of these years."""
    out: dict[int, dict[tuple[int, int], Decimal]] = defaultdict(dict)
    rows = (
        PlanAllocation.objects.filter(
            where, version__number=F("version__plan__version"), version__plan__year__in=sorted(set(years))
        )
        .values("intake_id", "version__plan__year", "month")
        .annotate(v=Sum("volume_m3"))
        .order_by()
    )
    for r in rows:
        key = (r["version__plan__year"], r["month"])
        out[r["intake_id"]][key] = out[r["intake_id"]].get(key, ZERO) + r["v"]
    return out


@functools.lru_cache(maxsize=512)
def _month_spans(first: dt.date, last: dt.date) -> tuple[tuple[int, int, int, int], ...]:
    """(year, month, days of it in [first, last], days in the month) of each month the window touches;
    cached because a summary prorates the same few windows for every intake."""
    out = []
    cursor = first.replace(day=1)
    while cursor <= last:
        dim = calendar.monthrange(cursor.year, cursor.month)[1]
        month_last = cursor.replace(day=dim)
        out.append((cursor.year, cursor.month, (min(last, month_last) - max(first, cursor)).days + 1, dim))
        cursor = month_last + dt.timedelta(days=1)
    return tuple(out)


def prorated_plan(alloc: dict[tuple[int, int], Decimal] | None, first: dt.date, last: dt.date) -> Decimal | None:
    """The plan of [first, last] (inclusive): each month's allocation × the share of its days in the
    window (a month's allocation is spread evenly over its days). None without any allocation."""
    if alloc is None:
        return None
    total = ZERO
    for year, month, days, dim in _month_spans(first, last):
        value = alloc.get((year, month), ZERO)
        if days == dim:
            total += value
        elif days > 0:
            total += value * days / dim
    return total


def over_tier(use: Decimal, plan: Decimal | None) -> str:
    """The over-plan tier of `use` against `plan` (WATER_PLAN_TIERS; each bound inclusive). No plan is
    "within" (nothing to be over); use against a plan of zero is in the top tier."""
    tiers = conf.plan_tiers()
    if plan is None or use <= plan:
        return WITHIN
    if plan == 0:
        return str(tiers[-1][0])
    tier = WITHIN
    for label, bound in tiers:
        if use >= plan * (1 + Decimal(str(bound))):  # str: a bound read from JSON is a float
            tier = str(label)
    return tier


def forecast_year(
    ytd_use: Decimal, plan_ytd: Decimal | None, plan_year: Decimal | None, elapsed_days: int, year_days: int
) -> Decimal | None:
    """Use to the end of the plan year from the run rate so far.

    Method: the run rate relative to the plan's own monthly profile — use so far × (plan of the year ÷
    plan so far). Xinjiang use is strongly seasonal (irrigation April–October, snow-melt supply), so a
    flat rate from a winter quarter would forecast an irrigation intake near zero and a summer one far
    over; the plan's monthly allocations are the best profile of the year the system has. Without a
    plan, or when the plan so far is zero (nothing allocated yet), the flat daily rate is used."""
    if elapsed_days <= 0:
        return None
    if elapsed_days >= year_days:
        return _q3(ytd_use)
    if plan_year is not None and plan_ytd is not None and plan_ytd > 0:
        return _q3(ytd_use * plan_year / plan_ytd)
    return _q3(ytd_use * year_days / elapsed_days)


@dataclass(frozen=True, slots=True)
class IntakePlanUse:
    """One intake's use against its plan over a period."""

    intake_id: int
    code: str
    name: str
    division_code: str
    use_m3: Decimal
    plan_m3: Decimal | None
    ratio: float | None
    over_m3: Decimal
    tier: str
    forecast_m3: Decimal | None
    estimated_m3: Decimal
    held_m3: Decimal
    amendments_after_lock_m3: Decimal = ZERO
    year_plan_m3: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {
                "intake_id": self.intake_id,
                "code": self.code,
                "name": self.name,
                "division_code": self.division_code,
                "use_m3": self.use_m3,
                "plan_m3": self.plan_m3,
                "ratio": self.ratio,
                "over_m3": self.over_m3,
                "tier": self.tier,
                "forecast_m3": self.forecast_m3,
                "estimated_m3": self.estimated_m3,
                "held_m3": self.held_m3,
                "amendments_after_lock_m3": self.amendments_after_lock_m3,
                "year_plan_m3": self.year_plan_m3,
            }
        )


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """Use against plan over a period, in total and per intake (what reports read).

    `use_m3` is the metered use with locked months as locked; `amendments_after_lock_m3` what arrived
    or was corrected for locked months after their lock (current − locked); `plan_m3` the allocations
    of the period's months (partial months prorated by days; None when no intake has a plan);
    `ratio` use ÷ plan (fraction); `over_m3` use beyond plan; `tier` the over-plan tier;
    `forecast_m3` the use forecast to the end of the plan year (the year of the period's last day)
    from the data up to `as_of`; `estimated_m3` the part of use whose daily split is estimated;
    `held_m3` what flagged readings hold out of use until reviewed."""

    period_label: str
    use_m3: Decimal
    amendments_after_lock_m3: Decimal
    plan_m3: Decimal | None
    ratio: float | None
    over_m3: Decimal
    tier: str
    forecast_m3: Decimal | None
    estimated_m3: Decimal
    held_m3: Decimal
    intakes: list[IntakePlanUse] = field(default_factory=list)
    division_code: str | None = None
    year: int | None = None
    year_plan_m3: Decimal | None = None
    as_of: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {
                "period_label": self.period_label,
                "division_code": self.division_code,
                "year": self.year,
                "as_of": self.as_of,
                "unit": "m3",
                "use_m3": self.use_m3,
                "amendments_after_lock_m3": self.amendments_after_lock_m3,
                "plan_m3": self.plan_m3,
                "ratio": self.ratio,
                "over_m3": self.over_m3,
                "tier": self.tier,
                "forecast_m3": self.forecast_m3,
                "year_plan_m3": self.year_plan_m3,
                "estimated_m3": self.estimated_m3,
                "held_m3": self.held_m3,
                "intakes": [i.to_dict() for i in self.intakes],
            }
        )


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Decimal):
            out[key] = float(value)
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _ratio(use: Decimal, plan: Decimal | None) -> float | None:
    return float(use / plan) if plan else None


def _beijing_today() -> dt.date:
    return periods.to_beijing(timezone.now()).date()


@shared_month_sums()  # the period, the year to date and the year share one read of the rows
def plan_summary(
    *, scope: Scope, period: periods.Period, division_code: str | None = None, today: dt.date | None = None
) -> PlanSummary:
    """Use against plan of every intake in the caller's scope (and division) over `period`, with the
    over-plan tier and a forecast to the end of the plan year (see `forecast_year`). About eight
    queries whatever the number of intakes."""
    _check_division_visible(scope, division_code)
    today = today or _beijing_today()
    intakes, meters = _intakes(scope, division_code)
    first, last = period.first_date, period.last_date
    year = last.year
    year_first, year_last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    year_days = (year_last - year_first).days + 1
    # Data counts up to the day before `today` (today is not over) and up to the period's end.
    ytd_last = min(last, today - dt.timedelta(days=1), year_last)
    elapsed = (ytd_last - year_first).days + 1 if ytd_last >= year_first else 0

    used = _window_use(intakes, meters, first, last)
    if elapsed <= 0:
        ytd: dict[int, _Use] = {}
    elif (year_first, ytd_last) == (first, last):
        ytd = used  # a year (or year to date) asked for: the same figures
    else:
        ytd = _window_use(intakes, meters, year_first, ytd_last)
    alloc = _allocations(
        intake_scope_q(scope, "intake__") & _division_q(division_code, "intake__division__code"),
        range(first.year, last.year + 1),
    )

    rows: list[IntakePlanUse] = []
    tot = _Use()
    tot_plan: Decimal | None = None
    tot_year_plan: Decimal | None = None
    tot_forecast: Decimal | None = None
    for iid, info in intakes.items():
        fig = used[iid]
        lines = alloc.get(iid)
        plan = prorated_plan(lines, first, last)
        plan = _q3(plan) if plan is not None else None
        year_plan = _q3(prorated_plan(lines, year_first, year_last) or ZERO) if lines is not None else None
        plan_ytd = prorated_plan(lines, year_first, ytd_last) if lines is not None and elapsed > 0 else None
        y = ytd.get(iid)
        forecast = forecast_year(y.use + y.amend, plan_ytd, year_plan, elapsed, year_days) if y else None
        rows.append(
            IntakePlanUse(
                intake_id=iid,
                code=info["code"],
                name=info["name"],
                division_code=info["division__code"],
                use_m3=fig.use,
                plan_m3=plan,
                ratio=_ratio(fig.use, plan),
                over_m3=_over(fig.use, plan),
                tier=over_tier(fig.use, plan),
                forecast_m3=forecast,
                estimated_m3=fig.est,
                held_m3=fig.held,
                amendments_after_lock_m3=fig.amend,
                year_plan_m3=year_plan,
            )
        )
        tot.use += fig.use
        tot.amend += fig.amend
        tot.est += fig.est
        tot.held += fig.held
        if plan is not None:
            tot_plan = (tot_plan or ZERO) + plan
        if year_plan is not None:
            tot_year_plan = (tot_year_plan or ZERO) + year_plan
        if forecast is not None:
            tot_forecast = (tot_forecast or ZERO) + forecast
    return PlanSummary(
        period_label=period.label,
        use_m3=tot.use,
        amendments_after_lock_m3=tot.amend,
        plan_m3=tot_plan,
        ratio=_ratio(tot.use, tot_plan),
        over_m3=_over(tot.use, tot_plan),
        tier=over_tier(tot.use, tot_plan),
        forecast_m3=tot_forecast,
        estimated_m3=tot.est,
        held_m3=tot.held,
        intakes=rows,
        division_code=division_code,
        year=year,
        year_plan_m3=tot_year_plan,
        as_of=ytd_last if elapsed > 0 else None,
    )


@dataclass(frozen=True, slots=True)
class PeriodPlanUse:
    """One intake's use against its plan over a period, without the year to date and the forecast."""

    intake_id: int
    use_m3: Decimal
    plan_m3: Decimal | None
    ratio: float | None
    tier: str


def period_plan_use(
    *, scope: Scope, period: periods.Period, division_code: str | None = None
) -> dict[int, PeriodPlanUse]:
    """{intake id: use against plan over `period`} of every intake in the caller's scope (and division):
    the use, plan, ratio and over-plan tier `plan_summary` gives for the period (locked months as
    locked, the plan prorated by day), but read from the period's daily rows alone (one grouped
    query, not the year's months nor a year to date for the forecast). For the one map's intakes
    layer, which colours a month's intakes by tier."""
    _check_division_visible(scope, division_code)
    intakes, meters = _intakes(scope, division_code)
    first, last = period.first_date, period.last_date
    used = _window_use(intakes, meters, first, last)
    alloc = _allocations(
        intake_scope_q(scope, "intake__") & _division_q(division_code, "intake__division__code"),
        range(first.year, last.year + 1),
    )
    out = {}
    for iid in intakes:
        use = used[iid].use
        plan = prorated_plan(alloc.get(iid), first, last)
        plan = _q3(plan) if plan is not None else None
        out[iid] = PeriodPlanUse(iid, use, plan, _ratio(use, plan), over_tier(use, plan))
    return out


def _over(use: Decimal, plan: Decimal | None) -> Decimal:
    return use - plan if plan is not None and use > plan else ZERO


def intake_month_plan(*, scope: Scope, intake_id: int, year: int) -> dict[int, Decimal] | None:
    """An intake's planned volume per month of `year` (1–12 → m³) from the current version of every
    plan of that year, as plan_summary reads it; None when no plan allocates to it (or it is out of
    scope). For the console's monthly use-against-plan chart."""
    alloc = _allocations(intake_scope_q(scope, "intake__") & Q(intake_id=intake_id), [year]).get(intake_id)
    if alloc is None:
        return None
    return {month: alloc.get((year, month), ZERO) for month in range(1, 13)}
