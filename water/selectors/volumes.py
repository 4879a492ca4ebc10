"""Volumes per intake and period, their totals, and the flagged readings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Sum
from django.db.models.functions import TruncMonth, TruncQuarter

from accounts.scope import Scope
from core import periods
from water.choices import VolumeInterval
from water.models import DailyVolume, Meter
from water.rollups import rules_for, window_for
from water.selectors.intakes import intake_get, intake_scope_q
from water.volume_engine import ZERO, active_seconds, coverage, intervals, provenance_of

# --------------------------------------------------------------------------------------- volumes


@dataclass(slots=True)
class VolumeFigure:
    """The volume of one intake (or meter) in one period, with its provenance and coverage."""

    label: str
    first_day: dt.date
    last_day: dt.date
    measured_m3: Decimal = ZERO
    estimated_m3: Decimal = ZERO
    corrected_m3: Decimal = ZERO
    held_m3: Decimal = ZERO
    flagged: int = 0
    reports: int = 0
    covered_s: float = 0.0
    active_s: float = 0.0

    @property
    def volume_m3(self) -> Decimal:
        return self.measured_m3 + self.estimated_m3 + self.corrected_m3

    @property
    def coverage(self) -> float | None:
        return coverage(self.covered_s, self.active_s)

    def as_dict(self) -> dict[str, Any]:
        cov = self.coverage
        return {
            "label": self.label,
            "start": self.first_day,
            "end": self.last_day,
            "volume_m3": self.volume_m3,
            "measured_m3": self.measured_m3,
            "estimated_m3": self.estimated_m3,
            "corrected_m3": self.corrected_m3,
            "held_m3": self.held_m3,
            "flagged": self.flagged,
            "reports": self.reports,
            "coverage": round(cov, 6) if cov is not None else None,
            "provenance": provenance_of(self.measured_m3, self.estimated_m3, self.corrected_m3).value,
        }


def _add_day(fig: VolumeFigure, row: dict[str, Any]) -> None:
    fig.measured_m3 += row["m"]
    fig.estimated_m3 += row["e"]
    fig.corrected_m3 += row["c"]
    fig.held_m3 += row["h"]
    fig.covered_s += row["cov"]
    fig.reports += row["n"]
    fig.flagged += row["f"]


_SUMS = {
    "m": Sum("measured_m3"),
    "e": Sum("estimated_m3"),
    "c": Sum("corrected_m3"),
    "h": Sum("held_m3"),
    "cov": Sum("covered_s"),
    "n": Sum("n_readings"),
    "f": Sum("n_flagged"),
}


def _periods(first: dt.date, last: dt.date, interval: str) -> list[periods.Period]:
    return list(periods.split(periods.date_range(first, last), interval))


def intake_volumes(
    *, scope: Scope, intake_id: int, first: dt.date, last: dt.date, interval: str = VolumeInterval.MONTH
) -> dict[str, Any]:
    """An intake's volumes per day, month or quarter of [first, last] (Beijing dates, inclusive), read
    from the daily rows of its meters (a replacement's two meters add up), with the total."""
    intake = intake_get(scope=scope, intake_id=intake_id)
    meters = list(Meter.objects.filter(intake=intake).values_list("id", "serial", "installed_at", "removed_at"))
    days = {
        row["day"]: row
        for row in DailyVolume.objects.filter(meter_id__in=[m[0] for m in meters], day__range=(first, last))
        .values("day")
        .annotate(**_SUMS)
        .order_by()
    }
    figures = []
    total = VolumeFigure(f"{first.isoformat()}/{last.isoformat()}", first, last)
    for period in _periods(first, last, interval):
        fig = VolumeFigure(period.label, period.first_date, period.last_date)
        day = period.first_date
        while day <= period.last_date:
            row = days.get(day)
            if row is not None:
                _add_day(fig, row)
                _add_day(total, row)
            day += dt.timedelta(days=1)
        fig.active_s = sum(active_seconds(m[2], m[3], period.start, period.end) for m in meters)
        total.active_s += fig.active_s
        figures.append(fig)
    return {
        "intake": {"id": intake.pk, "code": intake.code, "name": intake.name},
        "meters": [m[1] for m in meters],
        "start": first,
        "end": last,
        "interval": interval,
        "unit": "m3",
        "total": total.as_dict(),
        "periods": [f.as_dict() for f in figures],
    }


def empty_figures(first: dt.date, last: dt.date, interval: str) -> list[VolumeFigure]:
    """Zero figures for every period (an intake with no meters or no readings)."""
    return [VolumeFigure(p.label, p.first_date, p.last_date) for p in _periods(first, last, interval)]


def volume_totals(
    *,
    scope: Scope,
    first: dt.date,
    last: dt.date,
    interval: str = VolumeInterval.QUARTER,
    intake_ids: list[int] | None = None,
) -> dict[int, list[VolumeFigure]]:
    """Every intake in scope (or those of `intake_ids`): its volumes per day, month or quarter of
    [first, last], in one grouped query over the daily rows, never over raw readings (the figure a
    quarterly report reads). {intake id: [figure per period]}; intakes without rows are absent."""
    plan = _periods(first, last, interval)
    by_start = {p.first_date: p for p in plan}
    qs = DailyVolume.objects.filter(intake_scope_q(scope, "meter__intake__"), day__range=(first, last))
    meters = Meter.objects.filter(intake_scope_q(scope, "intake__"))
    if intake_ids is not None:
        qs = qs.filter(meter__intake_id__in=intake_ids)
        meters = meters.filter(intake_id__in=intake_ids)
    if interval == VolumeInterval.QUARTER:
        qs = qs.annotate(period=TruncQuarter("day"))
    elif interval == VolumeInterval.MONTH:
        qs = qs.annotate(period=TruncMonth("day"))
    else:
        qs = qs.annotate(period=F("day"))
    rows = qs.values("meter__intake_id", "period").annotate(**_SUMS).order_by()
    meters_by_intake: dict[int, list[tuple[dt.datetime, dt.datetime | None]]] = defaultdict(list)
    for intake_id, installed, removed in meters.values_list("intake_id", "installed_at", "removed_at"):
        meters_by_intake[intake_id].append((installed, removed))
    out: dict[int, dict[dt.date, VolumeFigure]] = defaultdict(dict)
    for row in rows:
        start = row["period"]
        start = start.date() if isinstance(start, dt.datetime) else start
        # The first period of a range starting mid-month (or mid-quarter) is clipped to the range.
        period = by_start.get(start) or next(p for p in plan if p.first_date <= max(start, first) <= p.last_date)
        fig = out[row["meter__intake_id"]].setdefault(
            period.first_date, VolumeFigure(period.label, period.first_date, period.last_date)
        )
        _add_day(fig, row)
    result: dict[int, list[VolumeFigure]] = {}
    for intake_id, figs in out.items():
        for p in plan:
            fig = figs.setdefault(p.first_date, VolumeFigure(p.label, p.first_date, p.last_date))
            fig.active_s = sum(active_seconds(i, r, p.start, p.end) for i, r in meters_by_intake[intake_id])
        result[intake_id] = [figs[p.first_date] for p in plan]
    return result


# --------------------------------------------------------------------------------------- flags


def flagged_readings(*, scope: Scope, first: dt.date, last: dt.date, meter_id: int | None = None) -> list[dict]:
    """Readings held for review (jumps and decreases not yet accepted or rejected) observed on the
    Beijing days [first, last], with the step that flagged them. Found from the daily rows' counts, so
    only the flagged days' readings are read."""
    qs = DailyVolume.objects.filter(intake_scope_q(scope, "meter__intake__"), n_flagged__gt=0, day__range=(first, last))
    if meter_id is not None:
        qs = qs.filter(meter_id=meter_id)
    days: dict[int, set[dt.date]] = defaultdict(set)
    for mid, day in qs.values_list("meter_id", "day"):
        days[mid].add(day)
    if not days:
        return []
    rules = rules_for(days)
    serials = dict(Meter.objects.filter(pk__in=list(days)).values_list("id", "serial"))
    out = []
    for mid in sorted(days):
        flagged_days = days[mid]
        lo = periods.day(min(flagged_days)).start
        hi = periods.day(max(flagged_days)).end
        _, _, points = window_for(mid, lo, hi)
        for iv in intervals(points, rules[mid]):
            if iv.suspect and periods.to_beijing(iv.end).date() in flagged_days:
                out.append(
                    {
                        "meter": serials[mid],
                        "meter_id": mid,
                        "observed_at": iv.end,
                        "kind": iv.kind.value,
                        "previous_at": iv.start,
                        "step_m3": iv.raw,
                        "held_m3": iv.held_volume,
                    }
                )
    return out
