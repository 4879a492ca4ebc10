"""Writes of readings: the batch ingest, correction and review, and the daily volumes rebuilt from
them (water.rollups keeps them current)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput, NotFound
from water import locks, rollups
from water import sql as water_sql
from water.choices import NOT_REPORTS, ReadingSource, Review
from water.ingest import REFUSED, row_errors
from water.ingest import Row as IngestRow
from water.models import DailyVolume, Meter, Reading
from water.selectors import meter_writable_q
from water.services._common import CORRECTION_HINT, _register
from water.sql import NO_FLAGS, Bounds, Conflicts
from water.volume_engine import Point as EnginePoint
from water.volume_engine import daily_totals, to_us

# --------------------------------------------------------------------------------------- readings


@dataclass(frozen=True, slots=True)
class IngestResult:
    created: int
    duplicates: int
    meters: int
    # The batch positions (IngestRow.pos) of the rows this call stored, when asked for (``positions=True``):
    # the telemetry gateway tells stored from duplicate per station with it.
    new_positions: frozenset[int] = frozenset()


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


def _merge_sqlite(
    rows: Sequence[tuple[int, IngestRow, Decimal]],
    source: str,
    received: dt.datetime,
    flagged: frozenset[int] = NO_FLAGS,
    new_positions: set[int] | None = None,
) -> tuple[Bounds, int, Conflicts]:
    """Read what is stored in the batch's stretch of each meter, then insert the new rows (SQLite's
    IMMEDIATE transaction serialises writers, so nothing slips in between)."""
    stretch: dict[int, list[dt.datetime]] = {}
    for mid, r, __ in rows:
        s = stretch.setdefault(mid, [r.at, r.at])
        s[0], s[1] = min(s[0], r.at), max(s[1], r.at)
    stored: dict[tuple[int, dt.datetime], tuple[Decimal, Decimal | None]] = {}
    for mid, (lo, hi) in stretch.items():
        for at, value, original in Reading.objects.filter(meter_id=mid, observed_at__range=(lo, hi)).values_list(
            "observed_at", "cumulative_m3", "original_cumulative_m3"
        ):
            stored[(mid, at)] = (value, original)
    new: list[tuple[int, IngestRow, Decimal]] = []
    conflicts: Conflicts = []
    for mid, r, value in rows:
        known = stored.get((mid, r.at))
        if known is None:
            new.append((mid, r, value))
        elif known[0] != value and known[1] != value:
            conflicts.append((r.pos, known[0]))
    if conflicts or not new:
        return {}, 0, conflicts
    water_sql.readings_append(new, source, received, flagged)
    if new_positions is not None:
        new_positions.update(row[1].pos for row in new)
    bounds: Bounds = {}
    for mid, r, __ in new:
        b = bounds.get(mid)
        bounds[mid] = (r.at, r.at) if b is None else (min(b[0], r.at), max(b[1], r.at))
    return bounds, len(new), conflicts


def reading_ingest_batch(
    *,
    rows: Sequence[IngestRow],
    scope: Scope,
    source: ReadingSource | str,
    actor: Any,
    received_at: dt.datetime | None = None,
    positions: bool = False,
    note: str = "",
) -> IngestResult:
    """Store a batch of readings, all or nothing, and bring the daily volumes of the days it touches
    up to date in the same transaction.

    Refused whole (nothing written) when any row is bad: 400 naming each bad row and field (time
    outside the meter's installation, register at or above its maximum); 404 when the batch is
    well-formed but names meters the caller may not write (unknown and not-yours look the same);
    409 when a row gives another register value for a stored (or earlier in the batch) meter and
    instant. A row already stored with the same value is a duplicate and changes nothing; arrival
    order does not matter (a late reading recomputes the days it falls in). The instantaneous flow
    is informational: the first one received for an instant is kept.

    `received_at` (default: now) is when the batch reached the system, stored on every reading that
    does not carry its own (IngestRow.received_at) and counted for timeliness (water.monitoring).
    `note`: the sender's remark (a reading entered by hand in the console), kept as the audit row's reason.
    """
    source = str(source)
    received = received_at or timezone.now()
    received_us = to_us(received)
    serials = {r.serial for r in rows}
    with transaction.atomic():
        # Lock the batch's meters (in id order, so concurrent batches cannot deadlock): their daily
        # rows follow from what this transaction sees, so two writers of one meter must not
        # interleave. FOR NO KEY UPDATE does not block readers. The same query brings the rules.
        locked = list(
            Meter.objects.filter(meter_writable_q(scope), serial__in=serials)
            .select_for_update(no_key=True, of=("self",))
            .order_by("id")
            .values_list(
                "id", "serial", "installed_at", "removed_at", "register_max_m3", "expected_interval_s",
                "intake__capacity_m3s",
            )
        )  # fmt: skip
        # Instants as integer microseconds from here on: cheap to compare and hash, and the volume
        # engine takes them as they are.
        meters = {
            serial: (mid, to_us(installed), to_us(removed) if removed is not None else None, regmax, installed, removed)
            for mid, serial, installed, removed, regmax, *__ in locked
        }
        errors, unknown = row_errors(), row_errors()
        keyed: dict[tuple[int, int], tuple[int, IngestRow, Decimal, int]] = {}
        earliest: dict[int, int] = {}
        in_batch_conflicts: dict[str, list[str]] = {}
        epoch, micro = _EPOCH, _MICRO
        for r in rows:
            meter = meters.get(r.serial)
            if meter is None:
                unknown.row(r.pos, "meter", _("No such meter among those you may write."), path="readings")
                continue
            mid, installed_us, removed_us, regmax, installed, removed = meter
            us = r.us or (r.at - epoch) // micro
            if us < installed_us:
                errors.row(
                    r.pos,
                    "observed_at",
                    _("Before the meter was installed (%(isoformat)s).") % {"isoformat": installed.isoformat()},
                    path="readings",
                )
                continue
            if removed_us is not None and us > removed_us:
                when = removed.isoformat() if removed is not None else ""
                errors.row(
                    r.pos, "observed_at", _("After the meter was removed (%(when)s).") % {"when": when}, path="readings"
                )
                continue
            value = r.value  # water.ingest rounded it to the litre already
            if regmax is not None and value >= regmax:
                errors.row(
                    r.pos,
                    "cumulative_m3",
                    _("At or above the meter's register maximum (%(regmax)s m³).") % {"regmax": regmax},
                    path="readings",
                )
                continue
            key = (mid, us)
            first = keyed.get(key)
            if first is None:
                keyed[key] = (mid, r, value, us)
                e = earliest.get(mid)
                if e is None or us < e:
                    earliest[mid] = us
            elif first[2] != value:
                in_batch_conflicts[f"readings[{r.pos}].cumulative_m3"] = [
                    f"Row {first[1].pos} gives another value for this meter and instant."
                ]
        if errors:
            errors.fields.update({k: v for k, v in unknown.fields.items() if k not in errors.fields})
            errors.raise_if_any(REFUSED)
        if unknown:
            raise NotFound(
                _(
                    "The batch was refused, nothing was written: "
                    "it names meters that do not exist or that you may not write."
                ),
                code="unknown_meter",
                fields=unknown.fields,
            )
        if in_batch_conflicts:
            raise Conflict(_("The batch gives two values for one meter and instant."), fields=in_batch_conflicts)
        # Ledger lock (water.locks): rows reaching back into a locked month are stored flagged as
        # amendments after lock. One query on the lock table; rows are looked at only when the batch
        # starts before the end of the latest locked month. Read after the meters are locked, so a
        # lock committed meanwhile (ledger_lock takes the meters FOR UPDATE) is seen.
        flagged = NO_FLAGS
        horizon = locks.horizon_us()
        if horizon is not None and earliest and min(earliest.values()) < horizon:
            flagged = locks.locked_positions(((k[0], k[1], v[1].pos) for k, v in keyed.items()), horizon)

        # Meters that only get readings after their last stored one (the RTU case: no duplicate is
        # possible and nothing stored changes) take the append path; the others are merged and their
        # affected days recomputed.
        tail = rollups.tails(earliest)
        last_us = {mid: to_us(t.last) if t.last is not None else None for mid, t in tail.items()}
        appended: dict[int, list[tuple[int, IngestRow, Decimal, int]]] = {}
        merged: list[tuple[int, IngestRow, Decimal]] = []
        for row in keyed.values():
            mid = row[0]
            last = last_us[mid]
            if last is None or earliest[mid] > last:
                appended.setdefault(mid, []).append(row)
            else:
                merged.append(row[:3])
        created = 0
        bounds: Bounds = {}
        new_positions: set[int] | None = set() if positions else None
        if merged:
            merge = water_sql.readings_merge_postgresql if connection.vendor == "postgresql" else _merge_sqlite
            bounds, created, conflicts = merge(merged, source, received, flagged, new_positions)
            if conflicts:
                raise Conflict(
                    _(
                        "The batch was refused, nothing was written: "
                        "%(conflicts)s rows give another value for a stored meter and instant."
                    )
                    % {"conflicts": len(conflicts)},
                    fields={
                        f"readings[{idx}].cumulative_m3": [
                            _("Another value (%(stored)s m³) is stored; %(correction_hint)s.")
                            % {"stored": stored, "correction_hint": CORRECTION_HINT}
                        ]
                        for idx, stored in conflicts
                    },
                )
        if appended:
            water_sql.readings_append(
                [row[:3] for mid in sorted(appended) for row in appended[mid]], source, received, flagged
            )
            rules = rollups.rules_from(locked)
            increments = {}
            for mid, new in appended.items():
                new.sort(key=lambda x: x[3])
                points = [*tail[mid].points]
                points.extend(
                    EnginePoint(
                        r.at, value, "", False, True, us, received_us if r.received_at is None else to_us(r.received_at)
                    )
                    for __, r, value, us in new
                )
                increments[mid] = daily_totals(points, rules[mid], since=tail[mid].last)
                created += len(new)
                bounds[mid] = (new[0][1].at, new[-1][1].at)
                if new_positions is not None:
                    new_positions.update(row[1].pos for row in new)
            rollups.add(increments)
        rollups.recompute({mid: b for mid, b in bounds.items() if mid not in appended})
        if created:
            audit_record(
                actor=actor, action=AuditAction.IMPORT, entity="water.readingbatch", entity_id=uuid.uuid4().hex,
                after={
                    "source": source, "created": created, "duplicates": len(rows) - created, "meters": len(bounds),
                    "from": min(lo for lo, __ in bounds.values()), "to": max(hi for __, hi in bounds.values()),
                },
                reason=note,
            )  # fmt: skip
    return IngestResult(
        created=created, duplicates=len(rows) - created, meters=len(bounds),
        new_positions=frozenset(new_positions or ()),
    )  # fmt: skip


def _locked_reading(reading: Reading) -> tuple[Meter, Reading]:
    meter = Meter.objects.select_for_update().get(pk=reading.meter_id)
    fresh = Reading.objects.filter(meter_id=reading.meter_id, observed_at=reading.observed_at).first()
    if fresh is None:
        raise NotFound(_("No such reading."))
    return meter, fresh


@dataclass(frozen=True, slots=True)
class ReadingState:
    """What a caller saw of a reading (its register value and review) when it chose its action: a
    correction or decision made on a page opened before someone else's is refused (409) rather than
    silently undoing theirs. A repeat of the same action (a double submit) is no change, not a conflict."""

    cumulative_m3: Decimal
    review: str

    @classmethod
    def of(cls, reading: Reading) -> ReadingState:
        return cls(cumulative_m3=reading.cumulative_m3, review=str(reading.review))

    @property
    def token(self) -> str:
        return f"{self.cumulative_m3}|{self.review}"

    @classmethod
    def from_token(cls, token: str) -> ReadingState | None:
        value, sep, review = token.partition("|")
        try:
            return cls(cumulative_m3=Decimal(value), review=review) if sep else None
        except ArithmeticError:
            return None


def _check_seen(reading: Reading, seen: ReadingState | None) -> None:
    if seen is not None and ReadingState.of(reading) != seen:
        raise Conflict(
            _("The reading was changed by someone else after you opened it; nothing was written. Look again."),
            code="stale",
        )


def _reading_snapshot(reading: Reading) -> dict[str, Any]:
    return snapshot(reading, exclude=("raw_frame",))


@transaction.atomic
def reading_correct(
    *, reading: Reading, cumulative_m3: Decimal, reason: str, actor: Any, seen: ReadingState | None = None
) -> Reading:
    """Change a stored reading's register value (the one way to, SPEC "Readings"). The value first
    received is kept; the days it affects are recomputed and their volume becomes *corrected*. An
    installation or removal reading moves with its meter's record. `seen`: the reading as the caller
    saw it (a form's hidden state); when it has changed since, 409 and nothing written."""
    if not reason.strip():
        raise InvalidInput(_("Say why the reading is corrected."), fields={"reason": [_("Required.")]})
    meter, reading = _locked_reading(reading)
    value = _register(cumulative_m3)
    if value < 0 or (meter.register_max_m3 is not None and value >= meter.register_max_m3):
        raise InvalidInput(
            _("Outside the meter's register."), fields={"cumulative_m3": [_("Outside the register range.")]}
        )
    if value == reading.cumulative_m3:
        return reading
    _check_seen(reading, seen)
    before = _reading_snapshot(reading)
    original = reading.original_cumulative_m3 if reading.corrected else reading.cumulative_m3
    # A correction of a reading in a locked month is an amendment after lock (the locked figure stays).
    late = {"after_lock": True} if locks.reading_locked(meter.pk, reading.observed_at) else {}
    Reading.objects.filter(meter_id=reading.meter_id, observed_at=reading.observed_at).update(
        cumulative_m3=value, corrected=True, original_cumulative_m3=original, **late
    )
    reading.after_lock = reading.after_lock or bool(late)
    if reading.source == ReadingSource.INSTALL:
        Meter.objects.filter(pk=meter.pk).update(install_reading_m3=value)
    elif reading.source == ReadingSource.REMOVAL:
        Meter.objects.filter(pk=meter.pk).update(removal_reading_m3=value)
    reading.cumulative_m3, reading.corrected, reading.original_cumulative_m3 = value, True, original
    rollups.recompute({meter.pk: (reading.observed_at, reading.observed_at)}, delete_missing=True)
    audit_record(
        actor=actor, action=AuditAction.CORRECT, entity="water.reading", entity_id=reading.key,
        before=before, after=_reading_snapshot(reading), reason=reason,
    )  # fmt: skip
    return reading


@transaction.atomic
def reading_review(
    *, reading: Reading, decision: Review | str, reason: str, actor: Any, seen: ReadingState | None = None
) -> Reading:
    """A reviewer's decision on a reading: accept it (its steps count, as *corrected*), reject it (it
    leaves the series, its neighbours are joined; it is kept), or clear an earlier decision ("").
    `seen` as for reading_correct."""
    if decision not in Review.values:
        raise InvalidInput(
            _("Unknown decision."),
            fields={"decision": [_("One of %(values)s.") % {"values": ", ".join(Review.values)}]},
        )
    if not reason.strip():
        raise InvalidInput(_("Say why."), fields={"reason": [_("Required.")]})
    meter, reading = _locked_reading(reading)
    if decision == Review.REJECTED and reading.source in NOT_REPORTS:
        raise InvalidInput(
            _("An installation or removal reading bounds the meter's series and cannot be rejected; correct it."),
            fields={"decision": [_("Not for installation or removal readings.")]},
        )
    if reading.review == decision:
        return reading
    _check_seen(reading, seen)
    before = _reading_snapshot(reading)
    late = {"after_lock": True} if locks.reading_locked(meter.pk, reading.observed_at) else {}
    Reading.objects.filter(meter_id=reading.meter_id, observed_at=reading.observed_at).update(review=decision, **late)
    reading.review = decision
    reading.after_lock = reading.after_lock or bool(late)
    rollups.recompute({meter.pk: (reading.observed_at, reading.observed_at)}, delete_missing=True)
    audit_record(
        actor=actor, action=AuditAction.TRANSITION, entity="water.reading", entity_id=reading.key,
        before=before, after=_reading_snapshot(reading), reason=reason,
    )  # fmt: skip
    return reading


def _rebuild(meter_ids: Sequence[int]) -> int:
    """Recompute every daily row of these meters from scratch (after a rule of theirs changed)."""
    spans = {
        mid: (lo, hi)
        for mid, lo, hi in Reading.objects.filter(meter_id__in=list(meter_ids))
        .values("meter_id")
        .annotate(lo=Min("observed_at"), hi=Max("observed_at"))
        .values_list("meter_id", "lo", "hi")
        .order_by()
    }
    DailyVolume.objects.filter(meter_id__in=list(meter_ids)).delete()
    rollups.recompute(spans)
    return DailyVolume.objects.filter(meter_id__in=list(meter_ids)).count()


def daily_volumes_rebuild(*, meter_ids: Sequence[int] | None = None) -> int:
    """Recompute the daily volumes of the given meters (all when None), one meter per transaction;
    returns the number of daily rows. For use after a change of WATER_* settings."""
    ids = list(meter_ids) if meter_ids is not None else list(Meter.objects.values_list("pk", flat=True))
    total = 0
    for mid in ids:
        with transaction.atomic():
            Meter.objects.select_for_update().filter(pk=mid).first()
            total += _rebuild([mid])
    return total
