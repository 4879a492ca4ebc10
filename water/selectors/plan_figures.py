"""Use against plan: the month sums (shared within one report), prorated plans, forecasts and the
plan summary per intake.

Locked months. A month of a division's ledger that a reviewer has locked is reported as it stood at
the lock (LockedDailyVolume); what arrived or was corrected later is the amendment after lock,
reported beside it. The daily rows themselves stay exact (the ingest keeps them current as always),
so unlocking needs no rebuild and the amendment is simply current - locked."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DateField, F, Q, Sum
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from accounts.scope import Scope
from core import periods
from water import conf
from water.models import (
    DailyVolume,
    Intake,
    LockedDailyVolume,
    Meter,
    PlanAllocation,
)
from water.selectors.intakes import intake_scope_q
from water.selectors.plan_common import WITHIN, ZERO, _q3
from water.selectors.plan_locks import _locked, active_lock_prefixes
from water.selectors.plan_scope import _check_division_visible, _division_q

# ------------------------------------------------------------------------------------------ figures


@dataclass(slots=True)
class _Use:
    """An intake's volumes over a window: `use` as reported (the locked figure for locked months),
    `amend` what changed after the lock, `est` the estimated part and `held` what flagged readings
    hold out."""

    use: Decimal = ZERO
    amend: Decimal = ZERO
    est: Decimal = ZERO
    held: Decimal = ZERO


_SUMS = {"m": Sum("measured_m3"), "e": Sum("estimated_m3"), "c": Sum("corrected_m3"), "h": Sum("held_m3")}

# {meter id: {first of month: (measured, estimated, corrected, held)}}
_MeterMonths = dict[int, dict[dt.date, tuple[Decimal, Decimal, Decimal, Decimal]]]


@dataclass(slots=True)
class _YearBlock:
    """What a shared read holds of one table's year: the month sums of `meters`, January to `upto`."""

    meters: set[int] = field(default_factory=set)
    upto: int = 0
    rows: _MeterMonths = field(default_factory=dict)


@dataclass(slots=True)
class _Shared:
    """What one read (see `shared_month_sums`) has already fetched: month sums by (table, year), and
    the intakes and meters by (scope, division)."""

    years: dict[tuple[str, int], _YearBlock] = field(default_factory=dict)
    intakes: dict[tuple[Scope, str | None], tuple[dict[int, dict[str, Any]], dict[int, int]]] = field(
        default_factory=dict
    )


# What the current read shares (see `shared_month_sums`); None outside one.
_SHARED: ContextVar[_Shared | None] = ContextVar("water_shared_read", default=None)


@contextmanager
def shared_month_sums() -> Iterator[None]:
    """Within the block, every window's whole months are read from one grouped query per table (daily
    and locked rows) and year — meter × month sums from January on — instead of one query per window,
    and the intakes of a scope and division once. A report reads the quarter, the year to date and
    the year (red lines), for this year and for the 同比 year: the same daily rows three times over
    without it. Only for one read (a request, a report): the rows change between reads. Nested blocks
    share the outer one's."""
    if _SHARED.get() is not None:
        yield
        return
    token = _SHARED.set(_Shared())
    try:
        yield
    finally:
        _SHARED.reset(token)


def _month_key(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


_MonthRow = tuple[int, dt.date, Decimal, Decimal, Decimal, Decimal]


def _grouped(model: Any, meter_ids: Iterable[int], days: Q) -> Iterable[_MonthRow]:
    """(meter id, first of month, measured, estimated, corrected, held) of the daily rows of these
    meters on `days`. Grouped by meter and filtered by meter id, so the daily table is read without
    joins (a third of the time at 500 meters × a year); meters are added up per intake by the caller."""
    rows = (
        model.objects.filter(days, meter_id__in=list(meter_ids))
        # As a date: PostgreSQL's DATE_TRUNC gives a timestamptz, slower to load and convert per row.
        .annotate(mo=Cast(TruncMonth("day"), DateField()))
        .values_list("meter_id", "mo")
        .annotate(**_SUMS)
        .order_by()
    )
    return ((mid, _month_key(mo), m, e, c, h) for mid, mo, m, e, c, h in rows)


def _year_months(model: Any, meter_ids: Iterable[int], year: int, upto: int) -> _MeterMonths:
    """The shared month sums of these meters in `year`, January to month `upto` at least, read only
    for the meters and months not read yet in this block."""
    shared = _SHARED.get()
    assert shared is not None  # noqa: S101 - called within shared_month_sums only
    block = shared.years.setdefault((model._meta.label, year), _YearBlock())
    new = [mid for mid in meter_ids if mid not in block.meters]
    fetches: list[tuple[list[int], int, int]] = []
    if new:
        fetches.append((new, 1, max(upto, block.upto)))
    if upto > block.upto and block.meters:
        fetches.append((sorted(block.meters), block.upto + 1, upto))
    for mids, lo, hi in fetches:
        days = Q(day__range=(dt.date(year, lo, 1), _month_end(dt.date(year, hi, 1))))
        for mid, month, m, e, c, h in _grouped(model, mids, days):
            block.rows.setdefault(mid, {})[month] = (m, e, c, h)
    block.meters.update(new)
    block.upto = max(block.upto, upto)
    return block.rows


def _sums(
    model: Any, meters: dict[int, int], first: dt.date, last: dt.date
) -> dict[tuple[int, dt.date], dict[str, Decimal]]:
    """{(intake id, first of month): sums} of the daily rows of these meters ({meter id: intake id})
    on the days [first, last]; a month the window cuts is summed over its days in the window. Inside
    `shared_month_sums` the whole months come from the shared sums and only the cut months at the
    window's edges are read here; outside, one grouped query."""
    out: dict[tuple[int, dt.date], dict[str, Decimal]] = {}
    if not meters or last < first:
        return out

    def add(mid: int, month: dt.date, m: Decimal, e: Decimal, c: Decimal, h: Decimal) -> None:
        key = (meters[mid], month)
        acc = out.get(key)
        if acc is None:
            out[key] = {"m": m, "e": e, "c": c, "h": h}
        else:
            acc["m"] += m
            acc["e"] += e
            acc["c"] += c
            acc["h"] += h

    if _SHARED.get() is None:
        for row in _grouped(model, meters, Q(day__range=(first, last))):
            add(*row)
        return out
    whole: dict[int, list[dt.date]] = defaultdict(list)  # year: whole months in the window
    edges: list[Q] = []  # the months the window cuts, over their days in it
    cursor = first.replace(day=1)
    while cursor <= last:
        month_last = _month_end(cursor)
        if first <= cursor and month_last <= last:
            whole[cursor.year].append(cursor)
        else:
            edges.append(Q(day__range=(max(first, cursor), min(last, month_last))))
        cursor = month_last + dt.timedelta(days=1)
    if edges:
        for row in _grouped(model, meters, functools.reduce(operator.or_, edges)):
            add(*row)
    for year, months in whole.items():
        rows = _year_months(model, meters, year, months[-1].month)
        for mid in meters:
            by_month = rows.get(mid)
            if by_month:
                for month in months:
                    sums = by_month.get(month)
                    if sums is not None:
                        add(mid, month, *sums)
    return out


def _window_use_by_month(
    intakes: dict[int, dict[str, Any]], meters: dict[int, int], first: dt.date, last: dt.date
) -> dict[tuple[int, dt.date], _Use]:
    """Per (intake, first of month), its use over the Beijing days [first, last] (inclusive) of that
    month, locked months as locked. Three queries whatever the number of intakes: current and locked
    sums by intake and month, and the active locks."""
    out: dict[tuple[int, dt.date], _Use] = defaultdict(_Use)
    if last < first:
        return out
    current = _sums(DailyVolume, meters, first, last)
    prefixes = active_lock_prefixes(first, last)
    locked = _sums(LockedDailyVolume, meters, first, last) if prefixes else {}
    for (iid, month), row in current.items():
        if iid not in intakes:
            continue
        fig = out[(iid, month)]
        now = row["m"] + row["e"] + row["c"]
        if _locked(prefixes, month, intakes[iid]["division__code"]):
            snap = locked.get((iid, month))
            then = snap["m"] + snap["e"] + snap["c"] if snap else ZERO
            fig.use += then
            fig.est += snap["e"] if snap else ZERO
            fig.held += snap["h"] if snap else ZERO
            fig.amend += now - then
        else:
            fig.use += now
            fig.est += row["e"]
            fig.held += row["h"]
    # A locked month whose meters lost all their daily rows since (a rejection, a deletion) still
    # reports its locked figure, the whole of it an amendment.
    for (iid, month), snap in locked.items():
        if iid in intakes and (iid, month) not in current and _locked(prefixes, month, intakes[iid]["division__code"]):
            then = snap["m"] + snap["e"] + snap["c"]
            fig = out[(iid, month)]
            fig.use += then
            fig.est += snap["e"]
            fig.held += snap["h"]
            fig.amend -= then
    return out


def _window_use(
    intakes: dict[int, dict[str, Any]], meters: dict[int, int], first: dt.date, last: dt.date
) -> dict[int, _Use]:
    """Per intake, its use over the Beijing days [first, last] (inclusive), locked months as locked."""
    out = {iid: _Use() for iid in intakes}
    for (iid, _month), fig in _window_use_by_month(intakes, meters, first, last).items():
        acc = out[iid]
        acc.use += fig.use
        acc.est += fig.est
        acc.held += fig.held
        acc.amend += fig.amend
    return out


def month_use(
    *, scope: Scope, period: periods.Period, division_code: str | None = None
) -> list[tuple[dt.date, Decimal]]:
    """[(first of month, m³)] of the intakes in scope (and division) over `period`, month by month: the
    use `plan_summary` reports (locked months as locked), so the months add up to its `use_m3`. Inside
    `shared_month_sums` (a report, the console's dashboard) it reads no daily row of its own."""
    _check_division_visible(scope, division_code)
    intakes, meters = _intakes(scope, division_code)
    totals: dict[dt.date, Decimal] = {}
    cursor = period.first_date.replace(day=1)
    while cursor <= period.last_date:
        totals[cursor] = ZERO
        cursor = _month_end(cursor) + dt.timedelta(days=1)
    for (_iid, month), fig in _window_use_by_month(intakes, meters, period.first_date, period.last_date).items():
        totals[month] = totals.get(month, ZERO) + fig.use
    return sorted(totals.items())


def month_use_by_intake(
    *, scope: Scope, period: periods.Period, division_code: str | None = None
) -> dict[tuple[int, dt.date], tuple[Decimal, Decimal]]:
    """{(intake id, first of month): (use, amendment after lock)} of the intakes in scope (and division)
    over `period`: the use `plan_summary` reports month by month (locked months as locked) and beside
    it what arrived or was corrected after the month's lock (current − locked; zero for a month not
    locked). Three queries (inside `shared_month_sums` only the months the period cuts are read); the
    console's plan page and month-lock calendar."""
    _check_division_visible(scope, division_code)
    intakes, meters = _intakes(scope, division_code)
    return {
        key: (fig.use, fig.amend)
        for key, fig in _window_use_by_month(intakes, meters, period.first_date, period.last_date).items()
    }


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
                "intake_id": self.intake_id, "code": self.code, "name": self.name,
                "division_code": self.division_code, "use_m3": self.use_m3, "plan_m3": self.plan_m3,
                "ratio": self.ratio, "over_m3": self.over_m3, "tier": self.tier, "forecast_m3": self.forecast_m3,
                "estimated_m3": self.estimated_m3, "held_m3": self.held_m3,
                "amendments_after_lock_m3": self.amendments_after_lock_m3, "year_plan_m3": self.year_plan_m3,
            }
        )  # fmt: skip


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
                "period_label": self.period_label, "division_code": self.division_code, "year": self.year,
                "as_of": self.as_of, "unit": "m3", "use_m3": self.use_m3,
                "amendments_after_lock_m3": self.amendments_after_lock_m3, "plan_m3": self.plan_m3,
                "ratio": self.ratio, "over_m3": self.over_m3, "tier": self.tier, "forecast_m3": self.forecast_m3,
                "year_plan_m3": self.year_plan_m3, "estimated_m3": self.estimated_m3, "held_m3": self.held_m3,
                "intakes": [i.to_dict() for i in self.intakes],
            }
        )  # fmt: skip


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


def _intakes(scope: Scope, division_code: str | None) -> tuple[dict[int, dict[str, Any]], dict[int, int]]:
    """The intakes in scope (and division), and their meters ({meter id: intake id}); read once per
    shared read (callers only read them)."""
    shared = _SHARED.get()
    if shared is not None and (scope, division_code) in shared.intakes:
        return shared.intakes[(scope, division_code)]
    div_q = _division_q(division_code)
    rows = (
        Intake.objects.filter(intake_scope_q(scope), div_q)
        .order_by("code")
        .values("id", "code", "name", "division__code", "main_use")
    )
    intakes = {r["id"]: dict(r) for r in rows}
    meters = dict(Meter.objects.filter(intake_id__in=list(intakes)).values_list("id", "intake_id")) if intakes else {}
    if shared is not None:
        shared.intakes[(scope, division_code)] = (intakes, meters)
    return intakes, meters


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
    alloc = _allocations(intake_scope_q(scope, "intake__") & _division_q(division_code, "intake__division__code"),
                         range(first.year, last.year + 1))  # fmt: skip

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
                intake_id=iid, code=info["code"], name=info["name"], division_code=info["division__code"],
                use_m3=fig.use, plan_m3=plan, ratio=_ratio(fig.use, plan), over_m3=_over(fig.use, plan),
                tier=over_tier(fig.use, plan), forecast_m3=forecast, estimated_m3=fig.est, held_m3=fig.held,
                amendments_after_lock_m3=fig.amend, year_plan_m3=year_plan,
            )
        )  # fmt: skip
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
        period_label=period.label, use_m3=tot.use, amendments_after_lock_m3=tot.amend, plan_m3=tot_plan,
        ratio=_ratio(tot.use, tot_plan), over_m3=_over(tot.use, tot_plan), tier=over_tier(tot.use, tot_plan),
        forecast_m3=tot_forecast, estimated_m3=tot.est, held_m3=tot.held, intakes=rows,
        division_code=division_code, year=year, year_plan_m3=tot_year_plan,
        as_of=ytd_last if elapsed > 0 else None,
    )  # fmt: skip


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
    alloc = _allocations(intake_scope_q(scope, "intake__") & _division_q(division_code, "intake__division__code"),
                         range(first.year, last.year + 1))  # fmt: skip
    out = {}
    for iid in intakes:
        use = used[iid].use
        plan = prorated_plan(alloc.get(iid), first, last)
        plan = _q3(plan) if plan is not None else None
        out[iid] = PeriodPlanUse(iid, use, plan, _ratio(use, plan), over_tier(use, plan))
    return out


@dataclass(frozen=True, slots=True)
class IntakeVolumes:
    """An intake's volumes over a period by provenance, as the daily rows stand now (a locked month's
    later corrections included: what the ledger holds, not what was reported at the lock)."""

    intake_id: int
    measured_m3: Decimal = ZERO
    estimated_m3: Decimal = ZERO
    corrected_m3: Decimal = ZERO
    held_m3: Decimal = ZERO


@shared_month_sums()
def volume_by_provenance(
    *, scope: Scope, period: periods.Period, division_code: str | None = None
) -> dict[int, IntakeVolumes]:
    """{intake id: volumes by provenance over `period`} of every intake in the caller's scope (and
    division), from the same month sums of the daily rows as `plan_summary` (within a shared read it
    costs no pass over the daily rows of its own beyond the months the period cuts)."""
    _check_division_visible(scope, division_code)
    intakes, meters = _intakes(scope, division_code)
    acc = {iid: [ZERO, ZERO, ZERO, ZERO] for iid in intakes}
    for (iid, _month), row in _sums(DailyVolume, meters, period.first_date, period.last_date).items():
        a = acc[iid]
        a[0] += row["m"]
        a[1] += row["e"]
        a[2] += row["c"]
        a[3] += row["h"]
    return {iid: IntakeVolumes(iid, *a) for iid, a in acc.items()}


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
