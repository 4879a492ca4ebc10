"""Which readings fall into a locked month of the ledger (issue 3 item 6), cheaply enough for the
ingest path: one query on the small lock table per batch, and nothing more unless the batch reaches
back into a locked month (an RTU reporting in order never does once the month is over and locked).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Max

from core import periods
from core.divisions import division_prefix
from water.models import LedgerLock, Meter
from water.volume_engine import to_us

# (division prefix, month start µs, month end µs) of an active lock
LockSpan = tuple[str, int, int]


def horizon_us() -> int | None:
    """The end (µs since 1970) of the latest month locked anywhere; no reading at or after it can
    be in a locked month."""
    last = LedgerLock.objects.filter(unlocked_at__isnull=True).aggregate(m=Max("month"))["m"]
    if last is None:
        return None
    return to_us(periods.month(last.year, last.month).end)


def _spans() -> list[LockSpan]:
    out = []
    for month, code in LedgerLock.objects.filter(unlocked_at__isnull=True).values_list("month", "division__code"):
        p = periods.month(month.year, month.month)
        out.append((division_prefix(code), to_us(p.start), to_us(p.end)))
    return out


def locked_positions(rows: Iterable[tuple[int, int, int]], horizon: int) -> frozenset[int]:
    """The positions of the rows ((meter id, µs, position)) that fall into a month locked for their
    meter's intake's division. Only rows before the horizon are looked at."""
    early = [(mid, us, pos) for mid, us, pos in rows if us < horizon]
    if not early:
        return frozenset()
    spans = _spans()
    codes = dict(Meter.objects.filter(pk__in={mid for mid, _, _ in early}).values_list("id", "intake__division__code"))
    return frozenset(
        pos
        for mid, us, pos in early
        if any(codes[mid].startswith(prefix) and lo <= us < hi for prefix, lo, hi in spans)
    )


def reading_locked(meter_id: int, at: dt.datetime) -> bool:
    """Whether the instant falls into a month locked for the meter's intake's division."""
    horizon = horizon_us()
    us = to_us(at)
    return horizon is not None and bool(locked_positions([(meter_id, us, 0)], horizon))
