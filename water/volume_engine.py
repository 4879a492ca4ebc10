"""Volume arithmetic for cumulative water meters. Pure functions: no database, no Django.

A meter reports its cumulative register (m³) at instants. The volume of any stretch of time is the
change of the register across it, with the register interpolated linearly at the stretch's edges:
an interval between two consecutive readings gives each day (or period) the share of its volume
that the day's share of its duration is. The rules (SPEC "Volume engine", issue 3 item 3):

* **Rollover.** A register that runs backwards wrapped at its maximum when the meter has one and
  the wrapped volume (max − previous + next) is small (at most `rollover_share` of the range) and
  plausible for the intake's capacity; the interval then counts the wrapped volume.
* **Decrease.** Any other backwards step is flagged.
* **Jump.** A step implying a flow above the intake's capacity (× tolerance) is flagged.
* **Held until reviewed.** A flagged interval marks its later reading *suspect*. Both intervals that
  touch a suspect reading are held out of the volumes (counted as `held`, not as volume) until a
  reviewer accepts the reading (its intervals count again; a decrease counts zero) or rejects it
  (it leaves the series and its neighbours are joined). The step back down after an unreviewed
  jump is the same event (a spike), so that reading is not suspect itself.
* **Gaps.** An interval longer than `gap_s` that crosses midnight keeps all its volume, but the split
  between the days it crosses is *estimated*.
* **Provenance.** An interval is *corrected* when either end was corrected or accepted by a reviewer,
  or it joins readings across a rejected one; otherwise *estimated* as above; otherwise *measured*.
* **Replacement.** Each meter is its own series, bounded by its installation and removal readings,
  so an intake's volume is the sum over its meters and nothing is lost at a replacement.

This module is the one implementation of the rules: water.rollups reads the readings a change can
affect, calls it, and writes the daily rows with one set-based statement (tests check that the rows
kept batch by batch equal a recompute of the whole series, on PostgreSQL and SQLite).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import NamedTuple

from core.periods import BEIJING

ZERO = Decimal(0)
ONE = Decimal(1)
VOLUME_QUANTUM = Decimal("0.000001")

ACCEPTED = "accepted"
REJECTED = "rejected"


class Kind(StrEnum):
    """What the step between two consecutive readings is."""

    OK = "ok"
    ROLLOVER = "rollover"
    JUMP = "jump"
    DECREASE = "decrease"


FLAGGED_KINDS = frozenset({Kind.JUMP, Kind.DECREASE})


class Provenance(StrEnum):
    MEASURED = "measured"
    ESTIMATED = "estimated"
    CORRECTED = "corrected"


@dataclass(frozen=True, slots=True)
class Rules:
    """A meter's parameters for the arithmetic.

    `max_flow_m3s` is the intake's capacity times the jump tolerance (None: no jump check);
    `gap_s` the longest interval that is not a gap (the meter's report interval × the gap factor).
    """

    register_max: Decimal | None = None
    max_flow_m3s: Decimal | None = None
    gap_s: Decimal = Decimal(7200)
    rollover_share: Decimal = Decimal("0.5")
    # Online monitoring (water.monitoring): the report slots of a day are the meter's report interval
    # laid from Beijing midnight; a report is timely when received within `timely_us` of its instant.
    slot_us: int = 3_600_000_000
    timely_us: int = 600_000_000


class Point(NamedTuple):
    """One reading of the series. `counted`: a report (install and removal readings are not).
    (A NamedTuple: the ingest makes one per reading, and it is four times cheaper to build than a
    frozen dataclass.) `received_us`: when the reading reached the system (µs since 1970), for
    timeliness; None when unknown (never timely)."""

    at: dt.datetime
    value: Decimal
    review: str = ""
    corrected: bool = False
    counted: bool = True
    us: int | None = None  # to_us(at), when the caller has it already
    received_us: int | None = None


@dataclass(frozen=True, slots=True)
class Interval:
    """The step between two consecutive (non-rejected) readings and what it contributes."""

    start: dt.datetime
    end: dt.datetime
    seconds: Decimal
    raw: Decimal  # end register − start register
    kind: Kind
    suspect: bool  # the end reading is suspect: flagged and not reviewed
    held: bool  # held out of the volumes until a review
    volume: Decimal  # what counts (0 when held)
    held_volume: Decimal  # what would count if accepted (0 when not held)
    provenance: Provenance


@dataclass(slots=True)
class DayTotals:
    """What one meter measured in one Beijing day (the row water.models.DailyVolume keeps)."""

    measured: Decimal = ZERO
    estimated: Decimal = ZERO
    corrected: Decimal = ZERO
    held: Decimal = ZERO
    covered_s: float = 0.0
    n_readings: int = 0
    n_flagged: int = 0
    n_slots: int = 0
    n_timely: int = 0

    @property
    def volume(self) -> Decimal:
        return self.measured + self.estimated + self.corrected

    def add(self, provenance: Provenance, volume: Decimal) -> None:
        if provenance is Provenance.MEASURED:
            self.measured += volume
        elif provenance is Provenance.ESTIMATED:
            self.estimated += volume
        else:
            self.corrected += volume

    def rounded(self) -> DayTotals:
        q = VOLUME_QUANTUM
        return DayTotals(
            measured=self.measured.quantize(q, ROUND_HALF_UP),
            estimated=self.estimated.quantize(q, ROUND_HALF_UP),
            corrected=self.corrected.quantize(q, ROUND_HALF_UP),
            held=self.held.quantize(q, ROUND_HALF_UP),
            covered_s=self.covered_s,
            n_readings=self.n_readings,
            n_flagged=self.n_flagged,
            n_slots=self.n_slots,
            n_timely=self.n_timely,
        )


def seconds(delta: dt.timedelta) -> Decimal:
    """A timedelta as exact decimal seconds (microseconds kept)."""
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)


# Time inside the engine is integer microseconds since 1970 (exact, and ten times cheaper than
# datetime arithmetic on the ingest path). Beijing time has been UTC+8 without daylight saving since
# 1991, so a Beijing day is a fixed run of 86,400 s starting at 16:00 UTC; readings before 2000 are
# refused at the door (water.ingest.EARLIEST), so the fixed offset always holds.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_OFFSET_US = 8 * 3_600_000_000
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_MILLION = Decimal(1_000_000)


def to_us(at: dt.datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime."""
    return (at - _EPOCH) // _US


def day_number(us: int) -> int:
    """The Beijing day holding instant `us`, as days since 1970-01-01."""
    return (us + _OFFSET_US) // _DAY_US


def day_of_number(n: int) -> dt.date:
    return dt.date.fromordinal(_EPOCH_ORDINAL + n)


def _number_of_day(day: dt.date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def beijing_day(at: dt.datetime) -> dt.date:
    return at.astimezone(BEIJING).date()


def day_start(day: dt.date) -> dt.datetime:
    """Beijing midnight opening `day`."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def classify(raw: Decimal, seconds_: Decimal, rules: Rules) -> Kind:
    """The kind of a step of `raw` m³ over `seconds_` s."""
    return _classify(raw, seconds_ * _MILLION, rules)


def _classify(raw: Decimal, us: Decimal | int, rules: Rules) -> Kind:
    # Compared as volume × 10⁶ against flow × µs, so no division is needed.
    max_flow = rules.max_flow_m3s
    if raw >= 0:
        if max_flow is not None and raw * _MILLION > max_flow * us:
            return Kind.JUMP
        return Kind.OK
    regmax = rules.register_max
    if regmax is not None:
        wrapped = raw + regmax
        if (
            wrapped >= 0
            and wrapped <= regmax * rules.rollover_share
            and (max_flow is None or wrapped * _MILLION <= max_flow * us)
        ):
            return Kind.ROLLOVER
    return Kind.DECREASE


# One step: (start point, end point, start µs, end µs, raw, kind, suspect, held, volume, held volume,
# provenance).
_Step = tuple[Point, Point, int, int, Decimal, Kind, bool, bool, Decimal, Decimal, Provenance]


def _timed(points: Iterable[Point]) -> list[tuple[int, Point]]:
    """(µs, point) in time order, each instant converted once."""
    timed = [(p.us if p.us is not None else to_us(p.at), p) for p in points]
    if any(timed[i][0] >= timed[i + 1][0] for i in range(len(timed) - 1)):
        timed.sort(key=lambda x: x[0])
    return timed


def _steps(timed: list[tuple[int, Point]], rules: Rules) -> list[_Step]:
    out: list[_Step] = []
    append = out.append
    prev: Point | None = None
    prev_us = 0
    prev_kind: Kind | None = None
    prev_suspect = False
    after_reject = False
    gap_us = rules.gap_s * _MILLION
    regmax = rules.register_max
    measured, estimated, corrected = Provenance.MEASURED, Provenance.ESTIMATED, Provenance.CORRECTED
    ok, jump, decrease, rollover = Kind.OK, Kind.JUMP, Kind.DECREASE, Kind.ROLLOVER
    max_flow, million, zero = rules.max_flow_m3s, _MILLION, ZERO
    for us, p in timed:
        if p.review == REJECTED:
            after_reject = True
            continue
        if prev is None:
            prev, prev_us, after_reject = p, us, False
            continue
        dus = us - prev_us
        raw = p.value - prev.value
        # The common step (forward, within capacity) decided inline; anything else by _classify.
        if raw >= zero and (max_flow is None or raw * million <= max_flow * dus):
            kind = ok
        else:
            kind = _classify(raw, dus, rules)
        suspect = (
            (kind is jump or kind is decrease)
            and p.review != ACCEPTED
            and not (kind is decrease and prev_kind is jump and prev.review != ACCEPTED)
        )
        held = suspect or prev_suspect
        adjusted = raw + regmax if kind is rollover and regmax is not None else raw
        if held:
            volume, held_volume = ZERO, (adjusted if adjusted > 0 else ZERO)
        else:
            # An accepted decrease is a register that went back (a reset): it adds nothing.
            volume, held_volume = (ZERO if kind is decrease else adjusted), ZERO
        if after_reject or prev.corrected or p.corrected or prev.review == ACCEPTED or p.review == ACCEPTED:
            provenance = corrected
        elif dus > gap_us and (prev_us + _OFFSET_US) // _DAY_US != (us - 1 + _OFFSET_US) // _DAY_US:
            provenance = estimated
        else:
            provenance = measured
        append((prev, p, prev_us, us, raw, kind, suspect, held, volume, held_volume, provenance))
        prev, prev_us, prev_kind, prev_suspect, after_reject = p, us, kind, suspect, False
    return out


def intervals(points: Iterable[Point], rules: Rules) -> list[Interval]:
    """The steps of a meter's series, classified, with what each contributes.

    Rejected readings leave the series; the reading after them starts a *corrected* step. The first
    reading is taken as not suspect (callers that work on a window pass enough readings before it).
    """
    return [
        Interval(a.at, b.at, Decimal(u1 - u0).scaleb(-6), raw, kind, suspect, held, vol, hvol, prov)
        for a, b, u0, u1, raw, kind, suspect, held, vol, hvol, prov in _steps(_timed(points), rules)
    ]


def split_by_day(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.date, Decimal]]:
    """The Beijing days that [start, end) overlaps, with the overlap in seconds."""
    return [(day_of_number(n), Decimal(us).scaleb(-6)) for n, us in _split(to_us(start), to_us(end))]


def _split(u0: int, u1: int) -> list[tuple[int, int]]:
    first, last = day_number(u0), day_number(u1 - 1)
    if first == last:
        return [(first, u1 - u0)]
    return [
        (n, min(u1, (n + 1) * _DAY_US - _OFFSET_US) - max(u0, n * _DAY_US - _OFFSET_US)) for n in range(first, last + 1)
    ]


def daily_totals(
    points: Sequence[Point],
    rules: Rules,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    *,
    since: dt.datetime | None = None,
) -> dict[dt.date, DayTotals]:
    """Per Beijing day: the volume by provenance, held volume, covered seconds, reports and flagged
    readings, for the days in [first_day, last_day] (all days when not given), rounded to 1e-6 m³.

    With `since`, only what readings after `since` add: the steps that end after it, the reports and
    flags after it. That is the increment of appending readings to a series whose last reading is at
    `since` (earlier steps cannot change when later readings arrive)."""
    lo = _number_of_day(first_day) if first_day is not None else None
    hi = _number_of_day(last_day) if last_day is not None else None
    since_us = to_us(since) if since is not None else None
    days: dict[int, DayTotals] = {}

    def bucket(n: int) -> DayTotals | None:
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            return None
        totals = days.get(n)
        if totals is None:
            totals = days[n] = DayTotals()
        return totals

    measured, estimated = Provenance.MEASURED, Provenance.ESTIMATED
    timed = _timed(points)
    for _a, _b, u0, u1, _raw, _kind, suspect, held, vol, hvol, prov in _steps(timed, rules):
        if since_us is not None and u1 <= since_us:
            continue
        covered = not held and prov is not estimated
        n0, n1 = (u0 + _OFFSET_US) // _DAY_US, (u1 - 1 + _OFFSET_US) // _DAY_US
        if n0 == n1:
            b = days.get(n0) or bucket(n0)
            if b is not None:
                if vol:
                    if prov is measured:
                        b.measured += vol
                    else:
                        b.add(prov, vol)
                if hvol:
                    b.held += hvol
                if covered:
                    b.covered_s += (u1 - u0) / 1e6
        else:
            dus = u1 - u0
            for n, overlap in _split(u0, u1):
                b = bucket(n)
                if b is None:
                    continue
                if vol:
                    b.add(prov, vol * overlap / dus)
                if hvol:
                    b.held += hvol * overlap / dus
                if covered:
                    b.covered_s += overlap / 1e6
        if suspect:
            b = bucket(day_number(u1))
            if b is not None:
                b.n_flagged += 1
    # Reports, report slots and timeliness (water.monitoring). A slot is filled by the first report
    # in it; the slot holding the installation reading began before the meter was installed, is not
    # expected of it (monitoring.expected_slots), and so no report fills it. Readings before `since`
    # are walked too: they say which slot the next report falls in.
    slot_us, timely_us = rules.slot_us, rules.timely_us
    prev_slot: tuple[int, int] | None = None
    for us, p in timed:
        if p.review == REJECTED:
            continue
        n = (us + _OFFSET_US) // _DAY_US
        offset = us + _OFFSET_US - n * _DAY_US
        slot = (n, offset // slot_us)
        if not p.counted:
            prev_slot = slot if offset % slot_us else None
            continue
        new_slot = slot != prev_slot
        prev_slot = slot
        if since_us is not None and us <= since_us:
            continue
        b = bucket(n)
        if b is not None:
            b.n_readings += 1
            if new_slot:
                b.n_slots += 1
            if p.received_us is not None and p.received_us - us <= timely_us:
                b.n_timely += 1
    return {day_of_number(n): totals.rounded() for n, totals in sorted(days.items())}


@dataclass(slots=True)
class PeriodVolume:
    """The volume of a stretch of time by provenance, interpolated at its edges."""

    measured: Decimal = ZERO
    estimated: Decimal = ZERO
    corrected: Decimal = ZERO
    held: Decimal = ZERO
    flagged: list[Interval] = field(default_factory=list)

    @property
    def volume(self) -> Decimal:
        return self.measured + self.estimated + self.corrected


def volume_between(points: Sequence[Point], rules: Rules, start: dt.datetime, end: dt.datetime) -> PeriodVolume:
    """The volume in [start, end) straight from the readings (the reference the daily rows must sum
    to; estimated here means from a gap interval that crosses midnight, as in daily_totals)."""
    out = PeriodVolume()
    for iv in intervals(points, rules):
        lo, hi = max(start, iv.start), min(end, iv.end)
        if lo >= hi:
            continue
        share = ONE if (lo, hi) == (iv.start, iv.end) else seconds(hi - lo) / iv.seconds
        if iv.volume:
            vol = iv.volume * share
            if iv.provenance is Provenance.MEASURED:
                out.measured += vol
            elif iv.provenance is Provenance.ESTIMATED:
                out.estimated += vol
            else:
                out.corrected += vol
        out.held += iv.held_volume * share
        if iv.suspect:
            out.flagged.append(iv)
    return out


def active_seconds(
    installed_at: dt.datetime, removed_at: dt.datetime | None, start: dt.datetime, end: dt.datetime
) -> float:
    """How long in [start, end) a meter was installed: the denominator of its coverage."""
    lo = max(start, installed_at)
    hi = end if removed_at is None else min(end, removed_at)
    return max(0.0, (hi - lo).total_seconds())


def coverage(covered_s: float, active_s: float) -> float | None:
    """Share of the active time whose volume is measured or corrected; None when nothing was active."""
    if active_s <= 0:
        return None
    return min(1.0, covered_s / active_s)


def provenance_of(measured: Decimal, estimated: Decimal, corrected: Decimal) -> Provenance:
    """One label for a sum: corrected if any of it was, else estimated if any was, else measured."""
    if corrected:
        return Provenance.CORRECTED
    if estimated:
        return Provenance.ESTIMATED
    return Provenance.MEASURED
