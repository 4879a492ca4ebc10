"""Daily volumes kept current: the database side of water.volume_engine.

Two ways a change of readings reaches the DailyVolume rows, both in the transaction of the change,
both computed by the one implementation of the rules (water.volume_engine), both written with one
set-based statement for all the (meter, day) rows of a batch:

* **Append** (`tails` + `add`): when a meter's new readings all come after its last stored one (an
  RTU reporting in order: nearly every batch), no step already stored can change; the new steps add
  to their days. So only the meter's last three stored readings are read, the engine computes what
  the new readings add, and the rows are incremented (INSERT … ON CONFLICT DO UPDATE SET x = x + …).
* **Recompute** (`recompute`): for anything else (a late or out-of-order reading, a correction, a
  review, a replacement, a changed rule), the days the change can affect are recomputed whole.
  A reading at k changes the steps (k-1, k) and (k, k+1), so the suspicion of k, k+1 and k+2 (a step
  down right after a jump is not suspect itself), so whether the steps up to (k+2, k+3) are held: the
  days from the one holding reading k-1 to the one holding k+3 are recomputed from the readings that
  touch them, plus three before (to know whether the first is suspect) and one after.

Why not the arithmetic in SQL: a window-function version of these rules on PostgreSQL cost about
20 µs per reading (numeric and time-zone arithmetic per row), four times the engine, and a second
implementation of the rules to keep in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from water import conf
from water import sql as water_sql
from water.choices import NOT_REPORTS, Review
from water.models import DailyVolume, Meter, Reading
from water.volume_engine import DayTotals, Point, Rules, beijing_day, daily_totals, day_start, to_us

Stretch = tuple[dt.datetime, dt.datetime]


def _write(rows: Sequence[tuple[int, dt.date, DayTotals]], *, additive: bool) -> None:
    """One statement for all rows: unnest arrays on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    now = timezone.now()
    values = [
        (
            mid,
            day,
            t.measured,
            t.estimated,
            t.corrected,
            t.held,
            t.covered_s,
            t.n_readings,
            t.n_flagged,
            t.n_slots,
            t.n_timely,
            now,
        )
        for mid, day, t in rows
    ]
    water_sql.daily_upsert(values, additive=additive)


def rules_for(meter_ids: Iterable[int]) -> dict[int, Rules]:
    """Each meter's arithmetic parameters from its register, report interval and intake capacity."""
    return rules_from(
        Meter.objects.filter(pk__in=list(meter_ids)).values_list(
            "id",
            "serial",
            "installed_at",
            "removed_at",
            "register_max_m3",
            "expected_interval_s",
            "intake__capacity_m3s",
        )
    )


def rules_from(rows: Iterable[Sequence[Any]]) -> dict[int, Rules]:
    """Rules from rows (id, serial, installed_at, removed_at, register_max_m3, expected_interval_s,
    intake capacity_m3s), as the ingest's meter lock reads them."""
    tolerance = conf.jump_tolerance()
    gap_factor = conf.gap_factor()
    share = conf.rollover_max_share()
    timely_us = conf.timely_tolerance_s() * 1_000_000
    out = {}
    for mid, _serial, _installed, _removed, regmax, interval_s, capacity in rows:
        out[mid] = Rules(
            register_max=regmax,
            max_flow_m3s=capacity * tolerance if capacity is not None else None,
            gap_s=Decimal(interval_s) * gap_factor,
            rollover_share=share,
            slot_us=int(interval_s) * 1_000_000,
            timely_us=timely_us,
        )
    return out


def _point(
    at: dt.datetime, value: Decimal, review: str, corrected: bool, source: str, received: dt.datetime | None = None
) -> Point:
    return Point(
        at, value, review, corrected, source not in NOT_REPORTS, None, to_us(received) if received is not None else None
    )


# ----------------------------------------------------------------------------------------- append


@dataclass(frozen=True, slots=True)
class Tail:
    """The end of a meter's stored series: the instant of its last reading (any review state), and
    its last three non-rejected readings (plus a rejected one after them when the last is rejected,
    so that the next step is known to join across it)."""

    last: dt.datetime | None
    points: tuple[Point, ...]


def tails(meter_ids: Iterable[int]) -> dict[int, Tail]:
    """The Tail of each meter: one query on PostgreSQL, a few small ones per meter elsewhere."""
    ids = sorted(set(meter_ids))
    found: dict[int, tuple[dt.datetime | None, list[Point]]] = {mid: (None, []) for mid in ids}
    if connection.vendor == "postgresql":
        for mid, last, at, value, review, corrected, source in water_sql.tails_postgresql(ids):
            pts = found[mid][1]
            if at is not None:
                pts.append(_point(at, value, review, corrected, source))
            found[mid] = (last, pts)
    else:
        for mid in ids:
            qs = Reading.objects.filter(meter_id=mid)
            last = qs.order_by("-observed_at").values_list("observed_at", flat=True).first()
            rows = (
                qs.exclude(review=Review.REJECTED)
                .order_by("-observed_at")
                .values_list("observed_at", "cumulative_m3", "review", "corrected", "source")[:3]
            )
            found[mid] = (last, [_point(*row) for row in rows])
    out = {}
    for mid, (last, pts) in found.items():
        pts.sort(key=lambda p: p.at)
        if last is not None and pts and last > pts[-1].at:
            # The last stored reading is rejected: the next step joins across it (a corrected step).
            pts.append(Point(last, pts[-1].value, Review.REJECTED.value))
        out[mid] = Tail(last, tuple(pts))
    return out


def add(increments: Mapping[int, Mapping[dt.date, DayTotals]]) -> None:
    """Add what appended readings contribute (volume_engine.daily_totals(…, since=tail.last))."""
    _write([(mid, day, t) for mid in sorted(increments) for day, t in sorted(increments[mid].items())], additive=True)


# -------------------------------------------------------------------------------------- recompute


def window_for(meter_id: int, lo: dt.datetime, hi: dt.datetime) -> tuple[dt.date, dt.date, list[Point]]:
    """The days a change in [lo, hi] can affect, and the readings needed to compute them whole."""
    qs = Reading.objects.filter(meter_id=meter_id).exclude(review=Review.REJECTED)
    before = qs.filter(observed_at__lt=lo).order_by("-observed_at").values_list("observed_at", flat=True)[:1]
    after = list(qs.filter(observed_at__gt=hi).order_by("observed_at").values_list("observed_at", flat=True)[:3])
    t_from = before[0] if before else lo
    t_to = after[-1] if after else hi
    day_from, day_to = beijing_day(t_from), beijing_day(t_to)
    s, e = day_start(day_from), day_start(day_to + dt.timedelta(days=1))
    ctx = list(qs.filter(observed_at__lt=s).order_by("-observed_at").values_list("observed_at", flat=True)[:3])
    f_from = ctx[-1] if ctx else s
    nxt = qs.filter(observed_at__gte=e).order_by("observed_at").values_list("observed_at", flat=True)[:1]
    f_to = nxt[0] if nxt else e
    rows = (
        Reading.objects.filter(meter_id=meter_id, observed_at__gte=f_from, observed_at__lte=f_to)
        .order_by("observed_at")
        .values_list("observed_at", "cumulative_m3", "review", "corrected", "source", "received_at")
    )
    return day_from, day_to, [_point(*row) for row in rows]


def recompute(changes: Mapping[int, Stretch], *, delete_missing: bool = False) -> None:
    """Recompute whole the daily rows of the days that changes in [lo, hi] ({meter id: (lo, hi)})
    can affect. `delete_missing` also deletes rows of those days that no longer get any volume or
    reading (only a rejection or a deletion can cause that; inserts never do)."""
    if not changes:
        return
    rules = rules_for(changes)
    rows: list[tuple[int, dt.date, DayTotals]] = []
    stale: list[tuple[int, dt.date, dt.date, list[dt.date]]] = []
    for mid in sorted(changes):
        lo, hi = changes[mid]
        day_from, day_to, points = window_for(mid, lo, hi)
        totals = daily_totals(points, rules[mid], day_from, day_to)
        rows.extend((mid, day, t) for day, t in totals.items())
        if delete_missing:
            stale.append((mid, day_from, day_to, list(totals)))
    _write(rows, additive=False)
    for mid, day_from, day_to, keep in stale:
        DailyVolume.objects.filter(meter_id=mid, day__range=(day_from, day_to)).exclude(day__in=keep).delete()
