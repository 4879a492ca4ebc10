"""The batch ingest of readings (``reading_ingest_batch``), in named stages, each passing a small
dataclass to the next:

1. **parse**: lock the batch's meters and check each row against its meter (installation, removal,
   register maximum, a second value for one instant) → ``_Parsed``; any bad row refuses the batch;
2. **lock**: the ledger lock (water.locks): which rows reach back into a locked month → flagged positions;
3. **classify**: per meter, append (every new reading after the last stored one) or merge → ``_Plan``;
4. **write**: merge (refusing a stored instant with another value) and append → ``_Written``;
5. **roll up**: the daily volumes, incremented for appended meters and recomputed for merged ones,
   and the audit row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.audit import audit_record
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput, NotFound
from water import locks, rollups
from water import sql as water_sql
from water.choices import ReadingSource, Review
from water.ingest import REFUSED, Accepted, row_errors
from water.ingest import Row as IngestRow
from water.models import Meter, Reading
from water.rollups import Tail
from water.selectors import meter_writable_q
from water.services._common import CORRECTION_HINT
from water.sql import NO_FLAGS, Bounds, Conflicts
from water.volume_engine import Point as EnginePoint
from water.volume_engine import daily_totals, to_us

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class IngestResult:
    created: int
    duplicates: int
    meters: int
    # The batch positions (IngestRow.pos) of the rows this call stored, when asked for (``positions=True``):
    # the telemetry gateway tells stored from duplicate per station with it.
    new_positions: frozenset[int] = frozenset()


class RegisterOrderError(InvalidInput):
    """Rows whose register is below the stored reading before them or above the one after them,
    refused when the caller asks for the check (``check_order=True``: a person typing a reading most
    likely mistyped it). ``neighbours``: by batch position, ("before" or "after", that reading's
    instant, its register)."""

    default_code = "register_order"

    def __init__(
        self, message: str, *, fields: dict[str, Any], neighbours: dict[int, tuple[str, dt.datetime, Decimal]]
    ) -> None:
        super().__init__(message, fields=fields)
        self.neighbours = neighbours


@dataclass(frozen=True, slots=True)
class _Meter:
    """A locked meter as the row checks need it (instants also in microseconds since 1970)."""

    id: int
    installed: dt.datetime
    removed: dt.datetime | None
    installed_us: int
    removed_us: int | None
    register_max: Decimal | None


@dataclass(frozen=True, slots=True)
class _Parsed:
    """The rows accepted, one per (meter, instant) in batch order, the earliest instant of each meter,
    and the locked meters' rows as read (rollups.rules_from takes them)."""

    accepted: list[Accepted]
    earliest: dict[int, int]
    locked: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class _Plan:
    """Meters whose new readings all follow their last stored one (appended, by meter; each list in
    batch order until written, then in time order) and the rows that may meet stored ones (merged);
    the tails read to decide."""

    appended: dict[int, list[Accepted]]
    merged: list[Accepted]
    tails: dict[int, Tail]


@dataclass(slots=True)
class _Written:
    created: int = 0
    bounds: Bounds = field(default_factory=dict)
    new_positions: set[int] | None = None


# ------------------------------------------------------------------------------------------- stages


def _parse(rows: Sequence[IngestRow], scope: Scope) -> _Parsed:
    """Lock the batch's meters (in id order, so concurrent batches cannot deadlock: their daily rows
    follow from what this transaction sees, so two writers of one meter must not interleave; FOR NO
    KEY UPDATE does not block readers; the same query brings the rules) and check every row against
    its meter. Raises 400 (bad rows, with the unknown meters), 404 (only unknown meters) or 409 (two
    values for one meter and instant in the batch)."""
    locked = list(
        Meter.objects.filter(meter_writable_q(scope), serial__in={r.serial for r in rows})
        .select_for_update(no_key=True, of=("self",))
        .order_by("id")
        .values_list(
            "id",
            "serial",
            "installed_at",
            "removed_at",
            "register_max_m3",
            "expected_interval_s",
            "intake__capacity_m3s",
        )
    )
    meters = {
        serial: _Meter(
            id=mid,
            installed=installed,
            removed=removed,
            installed_us=to_us(installed),
            removed_us=to_us(removed) if removed is not None else None,
            register_max=regmax,
        )
        for mid, serial, installed, removed, regmax, *__ in locked
    }
    errors, unknown = row_errors(), row_errors()
    keyed: dict[tuple[int, int], Accepted] = {}
    earliest: dict[int, int] = {}
    in_batch_conflicts: dict[str, list[str]] = {}
    epoch, micro = _EPOCH, _MICRO
    for r in rows:
        meter = meters.get(r.serial)
        if meter is None:
            unknown.row(r.pos, "meter", _("No such meter among those you may write."), path="readings")
            continue
        us = r.us or (r.at - epoch) // micro
        if us < meter.installed_us:
            errors.row(
                r.pos,
                "observed_at",
                _("Before the meter was installed (%(isoformat)s).") % {"isoformat": meter.installed.isoformat()},
                path="readings",
            )
            continue
        if meter.removed_us is not None and us > meter.removed_us:
            when = meter.removed.isoformat() if meter.removed is not None else ""
            errors.row(
                r.pos, "observed_at", _("After the meter was removed (%(when)s).") % {"when": when}, path="readings"
            )
            continue
        # water.ingest rounded the value to the litre already.
        if meter.register_max is not None and r.value >= meter.register_max:
            errors.row(
                r.pos,
                "cumulative_m3",
                _("At or above the meter's register maximum (%(regmax)s m³).") % {"regmax": meter.register_max},
                path="readings",
            )
            continue
        key = (meter.id, us)
        first = keyed.get(key)
        if first is None:
            keyed[key] = Accepted(meter.id, r, us)
            e = earliest.get(meter.id)
            if e is None or us < e:
                earliest[meter.id] = us
        elif first.value != r.value:
            in_batch_conflicts[f"readings[{r.pos}].cumulative_m3"] = [
                f"Row {first.row.pos} gives another value for this meter and instant."
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
    return _Parsed(accepted=list(keyed.values()), earliest=earliest, locked=locked)


def _ledger_flags(parsed: _Parsed) -> frozenset[int]:
    """The positions of rows reaching back into a locked month (water.locks), stored flagged as
    amendments after lock. One query on the lock table; rows are looked at only when the batch
    starts before the end of the latest locked month. Read after the meters are locked, so a lock
    committed meanwhile (ledger_lock takes the meters FOR UPDATE) is seen."""
    horizon = locks.horizon_us()
    if horizon is None or not parsed.earliest or min(parsed.earliest.values()) >= horizon:
        return NO_FLAGS
    return locks.locked_positions(((a.meter_id, a.us, a.row.pos) for a in parsed.accepted), horizon)


def _check_order(parsed: _Parsed) -> None:
    """Refuse (400, RegisterOrderError) rows whose register is below the stored non-rejected reading
    before them or above the one after them. Two indexed queries per row: meant for a few typed rows."""
    fields: dict[str, Any] = {}
    neighbours: dict[int, tuple[str, dt.datetime, Decimal]] = {}
    for a in parsed.accepted:
        stored = Reading.objects.filter(meter_id=a.meter_id).exclude(review=Review.REJECTED)
        before = (
            stored.filter(observed_at__lt=a.row.at).order_by("-observed_at").values_list("observed_at", "cumulative_m3")
        ).first()
        after = (
            stored.filter(observed_at__gt=a.row.at).order_by("observed_at").values_list("observed_at", "cumulative_m3")
        ).first()
        if before is not None and a.value < before[1]:
            neighbours[a.row.pos] = ("before", *before)
            message = _("Lower than the stored reading before it (%(value)s m³ at %(at)s).")
        elif after is not None and a.value > after[1]:
            neighbours[a.row.pos] = ("after", *after)
            message = _("Higher than the stored reading after it (%(value)s m³ at %(at)s).")
        else:
            continue
        __, at, value = neighbours[a.row.pos]
        fields[f"readings[{a.row.pos}].cumulative_m3"] = [message % {"value": value, "at": at.isoformat()}]
    if fields:
        raise RegisterOrderError(
            _("The batch was refused, nothing was written: a register is out of order with the stored readings."),
            fields=fields,
            neighbours=neighbours,
        )


def _classify(parsed: _Parsed) -> _Plan:
    """Meters that only get readings after their last stored one (the RTU case: no duplicate is
    possible and nothing stored changes) take the append path; the others are merged and their
    affected days recomputed."""
    tails = rollups.tails(parsed.earliest)
    last_us = {mid: to_us(t.last) if t.last is not None else None for mid, t in tails.items()}
    appended: dict[int, list[Accepted]] = {}
    merged: list[Accepted] = []
    for a in parsed.accepted:
        last = last_us[a.meter_id]
        if last is None or parsed.earliest[a.meter_id] > last:
            appended.setdefault(a.meter_id, []).append(a)
        else:
            merged.append(a)
    return _Plan(appended=appended, merged=merged, tails=tails)


def _write(plan: _Plan, *, source: str, received: dt.datetime, flagged: frozenset[int], positions: bool) -> _Written:
    """Merge the rows that may meet stored ones (a stored instant with another value refuses the
    batch, 409), then append the others."""
    written = _Written(new_positions=set() if positions else None)
    if plan.merged:
        merge = water_sql.readings_merge_postgresql if connection.vendor == "postgresql" else _merge_sqlite
        written.bounds, written.created, conflicts = merge(
            plan.merged, source, received, flagged, written.new_positions
        )
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
    if plan.appended:
        water_sql.readings_append(
            [a for mid in sorted(plan.appended) for a in plan.appended[mid]], source, received, flagged
        )
        for mid, new in plan.appended.items():
            new.sort(key=lambda a: a.us)  # written in batch order; rolled up in time order
            written.created += len(new)
            written.bounds[mid] = (new[0].row.at, new[-1].row.at)
            if written.new_positions is not None:
                written.new_positions.update(a.row.pos for a in new)
    return written


def _roll_up(plan: _Plan, written: _Written, *, locked: list[tuple[Any, ...]], received_us: int) -> None:
    """Daily volumes: appended meters' new steps add to their days (from the meter's tail and the
    rules read with the lock); merged meters' affected days are recomputed."""
    if plan.appended:
        rules = rollups.rules_from(locked)
        increments = {}
        for mid, new in plan.appended.items():
            tail = plan.tails[mid]
            points = [*tail.points]
            points.extend(
                EnginePoint(
                    a.row.at,
                    a.row.value,
                    "",
                    False,
                    True,
                    a.us,
                    received_us if a.row.received_at is None else to_us(a.row.received_at),
                )
                for a in new
            )
            increments[mid] = daily_totals(points, rules[mid], since=tail.last)
        rollups.add(increments)
    rollups.recompute({mid: b for mid, b in written.bounds.items() if mid not in plan.appended})


def _merge_sqlite(
    rows: Sequence[Accepted],
    source: str,
    received: dt.datetime,
    flagged: frozenset[int] = NO_FLAGS,
    new_positions: set[int] | None = None,
) -> tuple[Bounds, int, Conflicts]:
    """Read what is stored in the batch's stretch of each meter, then insert the new rows (SQLite's
    IMMEDIATE transaction serialises writers, so nothing slips in between)."""
    stretch: dict[int, list[dt.datetime]] = {}
    for a in rows:
        s = stretch.setdefault(a.meter_id, [a.row.at, a.row.at])
        s[0], s[1] = min(s[0], a.row.at), max(s[1], a.row.at)
    stored: dict[tuple[int, dt.datetime], tuple[Decimal, Decimal | None]] = {}
    for mid, (lo, hi) in stretch.items():
        for at, value, original in Reading.objects.filter(meter_id=mid, observed_at__range=(lo, hi)).values_list(
            "observed_at", "cumulative_m3", "original_cumulative_m3"
        ):
            stored[(mid, at)] = (value, original)
    new: list[Accepted] = []
    conflicts: Conflicts = []
    for a in rows:
        known = stored.get((a.meter_id, a.row.at))
        if known is None:
            new.append(a)
        elif known[0] != a.value and known[1] != a.value:
            conflicts.append((a.row.pos, known[0]))
    if conflicts or not new:
        return {}, 0, conflicts
    water_sql.readings_append(new, source, received, flagged)
    if new_positions is not None:
        new_positions.update(a.row.pos for a in new)
    bounds: Bounds = {}
    for a in new:
        b = bounds.get(a.meter_id)
        at = a.row.at
        bounds[a.meter_id] = (at, at) if b is None else (min(b[0], at), max(b[1], at))
    return bounds, len(new), conflicts


# ------------------------------------------------------------------------------------------ service


def reading_ingest_batch(
    *,
    rows: Sequence[IngestRow],
    scope: Scope,
    source: ReadingSource | str,
    actor: Any,
    received_at: dt.datetime | None = None,
    positions: bool = False,
    note: str = "",
    check_order: bool = False,
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
    `check_order`: also refuse (400, RegisterOrderError, code ``register_order``) a row whose register
    is below the stored reading before it or above the one after it (a typing error, most likely: the
    console's manual entry asks for it unless the user confirms the figure). Off by default: a meter's
    register may roll over or be replaced, which the volume engine handles and flags.
    """
    source = str(source)
    received = received_at or timezone.now()
    with transaction.atomic():
        parsed = _parse(rows, scope)
        if check_order:
            _check_order(parsed)
        flagged = _ledger_flags(parsed)
        plan = _classify(parsed)
        written = _write(plan, source=source, received=received, flagged=flagged, positions=positions)
        _roll_up(plan, written, locked=parsed.locked, received_us=to_us(received))
        created, bounds = written.created, written.bounds
        if created:
            audit_record(
                actor=actor,
                action=AuditAction.IMPORT,
                entity="water.readingbatch",
                entity_id=uuid.uuid4().hex,
                after={
                    "source": source,
                    "created": created,
                    "duplicates": len(rows) - created,
                    "meters": len(bounds),
                    "from": min(lo for lo, __ in bounds.values()),
                    "to": max(hi for __, hi in bounds.values()),
                },
                reason=note,
            )
    return IngestResult(
        created=created,
        duplicates=len(rows) - created,
        meters=len(bounds),
        new_positions=frozenset(written.new_positions or ()),
    )
