"""Reads of the reuse app, each narrowed to the caller's scope (accounts.scope).

Plants, projects and users are scoped by their own division; monthly volumes and deliveries by the
division of their plant, which is also where they count in the reuse rate.

`reuse_rate` is the figure the reports module reads:

    reuse_rate(scope=, period=, division_code=None) -> ReuseRate(used_m3, treated_m3, rate, by_class, counts…)

rate = reclaimed water used ÷ wastewater treated (domain.md §5.2), both summed over the plants of the
division in the period; a fraction 0–1, None when nothing was treated.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.divisions import division_prefix, is_division_code
from core.periods import BEIJING, Period, month, period_containing, split
from reuse import conf
from reuse.choices import PlantKind, ProjectKind, UseClass, VolumeFlag
from reuse.models import MonthlyDelivery, MonthlyPlantVolume, Plant, Project, WaterUser
from reuse.months import days_in_month, month_label

M3 = Decimal("0.001")
_SUM_FIELD: Any = DecimalField(max_digits=18, decimal_places=3)


# --------------------------------------------------------------------------- ledger lists


def plant_list(*, scope: Scope) -> QuerySet[Plant]:
    return scope.filter(Plant.objects.select_related("division"), "division__code")


def project_list(*, scope: Scope) -> QuerySet[Project]:
    return scope.filter(Project.objects.select_related("division", "plant"), "division__code")


def station_list(*, scope: Scope) -> QuerySet[Project]:
    """Lift pump stations: the point layer."""
    return project_list(scope=scope).filter(kind=ProjectKind.PUMP_STATION)


def pipeline_list(*, scope: Scope) -> QuerySet[Project]:
    """Pipeline networks: the line layer."""
    return project_list(scope=scope).filter(kind=ProjectKind.PIPELINE)


def water_user_list(*, scope: Scope) -> QuerySet[WaterUser]:
    return scope.filter(WaterUser.objects.select_related("division", "plant"), "division__code")


def _delivered() -> Coalesce:
    """Sum of the deliveries of the row's plant and month (one correlated subquery, not N queries)."""
    total = (
        MonthlyDelivery.objects.filter(plant=OuterRef("plant"), month=OuterRef("month"))
        .order_by()
        .values("plant")
        .annotate(total=Sum("volume_m3"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=_SUM_FIELD), Value(Decimal(0)), output_field=_SUM_FIELD)


def plant_volume_list(*, scope: Scope) -> QuerySet[MonthlyPlantVolume]:
    """Plants' months with `delivered_m3` (the month's deliveries from the plant) annotated."""
    qs = MonthlyPlantVolume.objects.select_related("plant", "plant__division").annotate(delivered_m3=_delivered())
    return scope.filter(qs, "plant__division__code")


def delivery_list(*, scope: Scope) -> QuerySet[MonthlyDelivery]:
    return scope.filter(
        MonthlyDelivery.objects.select_related("plant", "plant__division", "user"), "plant__division__code"
    )


def volume_flags(volume: MonthlyPlantVolume, delivered_m3: Decimal) -> list[str]:
    """The warnings of a plant's month (VolumeFlag): shown, never refused."""
    flags = []
    if delivered_m3 > volume.produced_m3:
        flags.append(VolumeFlag.DELIVERED_EXCEEDS_PRODUCED.value)
    if volume.treated_m3 > volume.plant.design_capacity_m3d * days_in_month(volume.month):
        flags.append(VolumeFlag.OVER_DESIGN_CAPACITY.value)
    return flags


def plant_month_warnings(*, pairs: set[tuple[int, dt.date]]) -> list[dict[str, Any]]:
    """Warnings for the given (plant id, month) pairs, as a batch write reports them."""
    if not pairs:
        return []
    plant_ids = {p for p, _ in pairs}
    months = {m for _, m in pairs}
    volumes = {
        (v.plant_id, v.month): v
        for v in MonthlyPlantVolume.objects.select_related("plant")
        .filter(plant_id__in=plant_ids, month__in=months)
        .annotate(delivered_m3=_delivered())
    }
    delivered_without = (
        MonthlyDelivery.objects.filter(plant_id__in=plant_ids, month__in=months)
        .order_by()
        .values("plant_id", "plant__code", "month")
        .annotate(total=Sum("volume_m3"))
    )
    out: list[dict[str, Any]] = []
    for key in sorted(pairs, key=lambda k: (k[1], k[0])):
        v = volumes.get(key)
        if v is None:
            continue
        delivered = v.delivered_m3
        for flag in volume_flags(v, delivered):
            out.append(
                {
                    "plant": v.plant.code,
                    "month": month_label(v.month),
                    "flag": flag,
                    "message": VolumeFlag(flag).label,
                    "treated_m3": v.treated_m3,
                    "produced_m3": v.produced_m3,
                    "delivered_m3": delivered,
                }
            )
    for row in delivered_without:
        key = (row["plant_id"], row["month"])
        if key in pairs and key not in volumes:
            out.append(
                {
                    "plant": row["plant__code"],
                    "month": month_label(row["month"]),
                    "flag": VolumeFlag.NO_PLANT_VOLUME.value,
                    "message": VolumeFlag.NO_PLANT_VOLUME.label,
                    "treated_m3": None,
                    "produced_m3": None,
                    "delivered_m3": row["total"],
                }
            )
    return out


# --------------------------------------------------------------------------- the reuse rate


@dataclass(frozen=True, slots=True)
class ClassUse:
    """One GB/T 18919 use class in a rate: what it used, what was delivered but not counted, and the
    rows and metered users the figure came from."""

    use_class: str
    label: str
    used_m3: Decimal
    excluded_m3: Decimal
    rate: float | None
    deliveries: int
    users: int


@dataclass(frozen=True, slots=True)
class RatePoint:
    """The rate over one sub-period of a series (a month or a quarter)."""

    label: str
    first_date: dt.date
    last_date: dt.date
    treated_m3: Decimal
    used_m3: Decimal
    rate: float | None


@dataclass(frozen=True, slots=True)
class ReuseRate:
    """The reclaimed-water utilisation rate (再生水利用率) of a period and division.

    `used_m3` counts deliveries of every class, less ecological replenishment when that is not counted
    (`ecological_counted`); `delivered_m3` is every delivery. `counts`: plants (with a month in the
    period), plant_months, deliveries (rows), users (metered users supplied), unmetered_rows (rows by
    use class), deliveries_without_plant_volume (rows whose plant month has no treated figure, which
    inflate the rate until it arrives). Months only partly inside the period are prorated by days
    (`prorated_months`), since volumes are recorded per month.
    """

    period: Period
    division_code: str | None
    treated_m3: Decimal
    produced_m3: Decimal
    delivered_m3: Decimal
    used_m3: Decimal
    rate: float | None
    by_class: dict[str, ClassUse]
    counts: dict[str, int]
    ecological_counted: bool
    ecological_m3: Decimal
    industrial_park_plants_counted: bool
    target: Decimal
    progress: float | None
    meets_target: bool | None
    gap_m3: Decimal
    prorated_months: list[str]
    series: list[RatePoint]


RATE_INTERVALS = ("month", "quarter")


def _ratio(num: Decimal, den: Decimal) -> float | None:
    return float(num / den) if den > 0 else None


def _month_weights(period: Period) -> dict[dt.date, Decimal]:
    """First day of each month the period touches → the share of the month inside the period."""
    weights: dict[dt.date, Decimal] = {}
    for part in split(period, "month"):
        first = part.first_date.replace(day=1)
        whole = month(first.year, first.month)
        if part.start == whole.start and part.end == whole.end:
            weights[first] = Decimal(1)
        else:
            seconds = Decimal((part.end - part.start).total_seconds())
            weights[first] = seconds / Decimal((whole.end - whole.start).total_seconds())
    return weights


def reuse_rate(
    *,
    scope: Scope,
    period: Period,
    division_code: str | None = None,
    count_ecological: bool | None = None,
    interval: str | None = None,
) -> ReuseRate:
    """The reuse rate over `period` for the plants inside `division_code` (default: the whole scope).

    `count_ecological` overrides REUSE_RATE_COUNT_ECOLOGICAL for this call (None: the setting);
    `interval` ("month" or "quarter") adds a series. Six queries, whatever the period's length.
    """
    if division_code is not None and not is_division_code(division_code):
        raise ValueError(
            _("%(division_code)s is not a GB/T 2260 division code") % {"division_code": repr(division_code)}
        )
    if interval is not None and interval not in RATE_INTERVALS:
        raise ValueError(_("interval must be one of %(rate_intervals)s") % {"rate_intervals": RATE_INTERVALS})
    counted_eco = conf.count_ecological() if count_ecological is None else count_ecological
    eco_uses = conf.ecological_sub_uses()
    parks = conf.count_industrial_park_plants()
    weights = _month_weights(period)

    where = scope.q("plant__division__code") & Q(month__in=list(weights))
    if division_code:
        where &= Q(plant__division__code__startswith=division_prefix(division_code))
    if not parks:
        where &= ~Q(plant__kind=PlantKind.INDUSTRIAL_PARK)
    plant_months = MonthlyPlantVolume.objects.filter(where).order_by()
    deliveries = MonthlyDelivery.objects.filter(where).order_by()

    pv_rows = list(plant_months.values("month").annotate(t=Sum("treated_m3"), p=Sum("produced_m3"), n=Count("id")))
    dv_rows = list(
        deliveries.values("month", "use_class", "sub_use").annotate(v=Sum("volume_m3"), n=Count("id"), um=Count("user"))
    )
    metered = deliveries.filter(user__isnull=False)
    users_by_class = dict(
        metered.values("use_class").annotate(u=Count("user", distinct=True)).values_list("use_class", "u")
    )
    counts = {
        "plants": plant_months.values("plant").distinct().count(),
        "plant_months": sum(r["n"] for r in pv_rows),
        "deliveries": sum(r["n"] for r in dv_rows),
        "users": metered.values("user").distinct().count(),
        "unmetered_rows": sum(r["n"] - r["um"] for r in dv_rows),
        "deliveries_without_plant_volume": deliveries.exclude(
            Exists(MonthlyPlantVolume.objects.filter(plant=OuterRef("plant"), month=OuterRef("month")))
        ).count(),
    }

    treated_by_month: dict[dt.date, Decimal] = defaultdict(Decimal)
    used_by_month: dict[dt.date, Decimal] = defaultdict(Decimal)
    treated = produced = Decimal(0)
    for r in pv_rows:
        w = weights[r["month"]]
        treated_by_month[r["month"]] += r["t"] * w
        treated += r["t"] * w
        produced += r["p"] * w
    used_class: dict[str, Decimal] = defaultdict(Decimal)
    excluded_class: dict[str, Decimal] = defaultdict(Decimal)
    rows_class: dict[str, int] = defaultdict(int)
    eco = Decimal(0)
    for r in dv_rows:
        v = r["v"] * weights[r["month"]]
        rows_class[r["use_class"]] += r["n"]
        is_eco = r["sub_use"] in eco_uses
        if is_eco:
            eco += v
        if is_eco and not counted_eco:
            excluded_class[r["use_class"]] += v
        else:
            used_class[r["use_class"]] += v
            used_by_month[r["month"]] += v

    used = sum(used_class.values(), Decimal(0))
    delivered = used + sum(excluded_class.values(), Decimal(0))
    rate = _ratio(used, treated)
    target = conf.rate_target()
    by_class = {
        c.value: ClassUse(
            use_class=c.value,
            label=str(c.label),
            used_m3=used_class[c.value].quantize(M3),
            excluded_m3=excluded_class[c.value].quantize(M3),
            rate=_ratio(used_class[c.value], treated),
            deliveries=rows_class[c.value],
            users=users_by_class.get(c.value, 0),
        )
        for c in UseClass
    }
    series: list[RatePoint] = []
    if interval is not None:
        grouped: dict[str, list[dt.date]] = defaultdict(list)
        for first in weights:
            anchor = max(dt.datetime(first.year, first.month, 1, tzinfo=BEIJING), period.start)
            grouped[period_containing(anchor, interval).label].append(first)
        for part in split(period, interval):
            months_in = grouped.get(part.label, [])
            t = sum((treated_by_month[m] for m in months_in), Decimal(0))
            u = sum((used_by_month[m] for m in months_in), Decimal(0))
            series.append(
                RatePoint(
                    label=part.label,
                    first_date=part.first_date,
                    last_date=part.last_date,
                    treated_m3=t.quantize(M3),
                    used_m3=u.quantize(M3),
                    rate=_ratio(u, t),
                )
            )
    return ReuseRate(
        period=period,
        division_code=division_code,
        treated_m3=treated.quantize(M3),
        produced_m3=produced.quantize(M3),
        delivered_m3=delivered.quantize(M3),
        used_m3=used.quantize(M3),
        rate=rate,
        by_class=by_class,
        counts=counts,
        ecological_counted=counted_eco,
        ecological_m3=eco.quantize(M3),
        industrial_park_plants_counted=parks,
        target=target,
        progress=(rate / float(target)) if rate is not None and target > 0 else None,
        # Compared in exact decimals, never through the rounded or float rate (domain.md §6).
        meets_target=(used >= target * treated) if treated > 0 else None,
        gap_m3=max(Decimal(0), target * treated - used).quantize(M3),
        prorated_months=[month_label(m) for m, w in weights.items() if w != 1],
        series=series,
    )
