"""Writes of the water app: the intake ledger, meters and their replacement, readings (batch ingest,
correction, review) and the daily volumes kept from them.

Every write validates (full_clean and the rules below), keeps the daily volumes current
(water.rollups) and writes its audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from accounts.choices import Role
from accounts.scope import Scope
from core import periods
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput, NotFound
from water import conf, locks, monitoring, plan_selectors, rollups, selectors
from water.choices import NOT_REPORTS, AlertKind, MeterState, Protocol, ReadingSource, Review
from water.ingest import Row as IngestRow
from water.ingest import RowErrors
from water.models import Alert, DailyVolume, Intake, Meter, Reading
from water.selectors import meter_writable_q
from water.volume_engine import Point as EnginePoint
from water.volume_engine import daily_totals, to_us

REGISTER_QUANTUM = Decimal("0.001")
CORRECTION_HINT = "a stored reading changes only through a correction (POST /api/v1/water/readings/correct/)"


def _register(value: float | int | Decimal) -> Decimal:
    """A register value as stored: numeric(15, 3), rounded half away from zero as PostgreSQL does."""
    if isinstance(value, Decimal):
        return value.quantize(REGISTER_QUANTUM, ROUND_HALF_UP)
    return Decimal(repr(value)).quantize(REGISTER_QUANTUM, ROUND_HALF_UP)


def _full_clean(instance: Any, **kwargs: Any) -> None:
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        raise InvalidInput(
            "Invalid input.", fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        ) from exc


# --------------------------------------------------------------------------------------- intakes

INTAKE_FIELDS = (
    "code", "name", "source_type", "water_body_name", "river", "lake", "location", "division", "main_use",
    "withdrawal_mode", "capacity_m3s", "permit_number", "permit_holder", "permitted_annual_m3",
    "permit_valid_from", "permit_valid_until", "notes",
)  # fmt: skip


def _check_operators(operators: Iterable[Any]) -> list[Any]:
    operators = list(operators)
    bad = [str(u.pk) for u in operators if getattr(u, "role", None) != Role.OPERATOR]
    if bad:
        raise InvalidInput(
            "Only operator accounts can operate an intake.",
            fields={"operators": [f"Not operator accounts: {', '.join(bad)}."]},
        )
    return operators


def _intake_snapshot(intake: Intake) -> dict[str, Any]:
    data = snapshot(intake)
    data["operators"] = sorted(intake.operators.values_list("pk", flat=True)) if intake.pk else []
    return data


@transaction.atomic
def intake_create(
    *,
    actor: Any,
    code: str,
    name: str,
    source_type: str,
    location: Point,
    division: Any,
    main_use: str,
    operators: Iterable[Any] = (),
    **optional: Any,
) -> Intake:
    """Add an intake to the ledger. `optional`: any other field of INTAKE_FIELDS."""
    unknown = set(optional) - set(INTAKE_FIELDS)
    if unknown:
        raise TypeError(f"unknown intake fields: {sorted(unknown)}")
    intake = Intake(
        code=code, name=name, source_type=source_type, location=location, division=division, main_use=main_use,
        **optional,
    )  # fmt: skip
    _full_clean(intake)
    ops = _check_operators(operators)
    intake.save()
    intake.operators.set(ops)
    audit_record(actor=actor, action=AuditAction.CREATE, instance=intake, after=_intake_snapshot(intake))
    return intake


@transaction.atomic
def intake_update(*, intake: Intake, actor: Any, changes: Mapping[str, Any], reason: str = "") -> Intake:
    """Change fields of an intake (and its operators, under "operators"). A new capacity changes which
    steps are jumps, so the daily volumes of its meters are recomputed."""
    unknown = set(changes) - set(INTAKE_FIELDS) - {"operators"}
    if unknown:
        raise TypeError(f"unknown intake fields: {sorted(unknown)}")
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    before = _intake_snapshot(intake)
    for name, value in changes.items():
        if name != "operators":
            setattr(intake, name, value)
    _full_clean(intake, validate_unique=True)
    if "operators" in changes:
        intake.operators.set(_check_operators(changes["operators"]))
    after = _intake_snapshot(intake)
    if after == before:
        return intake
    intake.save()
    after = _intake_snapshot(intake)
    if before["capacity_m3s"] != after["capacity_m3s"]:
        _rebuild(list(intake.meters.values_list("pk", flat=True)))
    audit_record(actor=actor, action=AuditAction.UPDATE, instance=intake, before=before, after=after, reason=reason)
    return intake


@transaction.atomic
def intake_delete(*, intake: Intake, actor: Any) -> None:
    """Remove an intake entered by mistake. One with meters stays: its history is the ledger."""
    if intake.meters.exists():
        raise Conflict("This intake has meters; it cannot be deleted.", code="in_use", fields={"id": ["Has meters."]})
    if intake.plan_allocations.exists():
        raise Conflict("This intake is in a water plan; it cannot be deleted.", code="in_use",
                       fields={"id": ["In a plan."]})  # fmt: skip
    before = _intake_snapshot(intake)
    audit_record(actor=actor, action=AuditAction.DELETE, instance=intake, before=before)
    intake.delete()


# --------------------------------------------------------------------------------------- meters

METER_EDITABLE = (
    "serial", "device", "meter_type", "rtu_address", "protocol", "decoding_profile", "register_max_m3",
    "multiplier", "expected_interval_s", "calibrated_on",
)  # fmt: skip
# Fields the volume arithmetic depends on: changing one recomputes the meter's days.
_RULE_FIELDS = ("register_max_m3", "expected_interval_s")


def _check_device(device: Any) -> None:
    if device is not None and getattr(device, "role", None) != Role.DEVICE:
        raise InvalidInput("The device must be a device account.", fields={"device": ["Not a device account."]})


def _put_reading(*, meter: Meter, at: dt.datetime, value: Decimal, source: ReadingSource, field: str) -> None:
    """Store one reading written by a meter service (installation or removal); the same value at the
    same instant is accepted as it is, another value is a conflict."""
    value = _register(value)
    existing = Reading.objects.filter(meter=meter, observed_at=at).values_list("cumulative_m3", flat=True).first()
    if existing is not None:
        if existing != value:
            raise Conflict(
                f"The meter already has another reading ({existing} m³) at this instant.",
                fields={field: [f"A reading of {existing} m³ is stored at {at.isoformat()}."]},
            )
        return
    Reading.objects.create(meter=meter, observed_at=at, cumulative_m3=value, source=source)


@transaction.atomic
def meter_create(
    *,
    actor: Any,
    intake: Intake,
    serial: str,
    installed_at: dt.datetime,
    install_reading_m3: Decimal = Decimal(0),
    device: Any = None,
    protocol: str = Protocol.HTTPS,
    expected_interval_s: int | None = None,
    replaces: Meter | None = None,
    **optional: Any,
) -> Meter:
    """Install a meter on an intake, with the register at installation (stored as its first reading,
    so the volume from installation to the first report is not lost)."""
    unknown = set(optional) - set(METER_EDITABLE)
    if unknown:
        raise TypeError(f"unknown meter fields: {sorted(unknown)}")
    _check_device(device)
    register_max = optional.get("register_max_m3")
    if register_max is not None and _register(install_reading_m3) >= register_max:
        raise InvalidInput(
            "The register at installation must be below the register maximum.",
            fields={"install_reading_m3": [f"Must be below the register maximum ({register_max} m³)."]},
        )
    meter = Meter(
        intake=intake, serial=serial, installed_at=installed_at, install_reading_m3=_register(install_reading_m3),
        device=device, protocol=protocol, replaces=replaces,
        expected_interval_s=expected_interval_s or conf.get("WATER_DEFAULT_REPORT_INTERVAL_S"), **optional,
    )  # fmt: skip
    _full_clean(meter)
    meter.save()
    _put_reading(
        meter=meter, at=installed_at, value=meter.install_reading_m3, source=ReadingSource.INSTALL,
        field="install_reading_m3",
    )  # fmt: skip
    audit_record(actor=actor, action=AuditAction.CREATE, instance=meter, after=snapshot(meter))
    return meter


@transaction.atomic
def meter_update(*, meter: Meter, actor: Any, changes: Mapping[str, Any], reason: str = "") -> Meter:
    """Change a meter's description, RTU or register rules. Its intake and installation are history:
    a meter moved or swapped is a replacement (meter_replace)."""
    unknown = set(changes) - set(METER_EDITABLE)
    if unknown:
        raise InvalidInput(
            "These fields cannot be changed; replace the meter instead.",
            fields={name: ["Cannot be changed."] for name in sorted(unknown)},
        )
    meter = Meter.objects.select_for_update().get(pk=meter.pk)
    before = snapshot(meter)
    if "device" in changes:
        _check_device(changes["device"])
    for name, value in changes.items():
        setattr(meter, name, value)
    _full_clean(meter)
    if meter.register_max_m3 is not None:
        top = Reading.objects.filter(meter=meter).aggregate(m=Max("cumulative_m3"))["m"]
        if top is not None and top >= meter.register_max_m3:
            raise InvalidInput(
                "The meter has readings at or above this register maximum.",
                fields={"register_max_m3": [f"Readings reach {top} m³."]},
            )
    after = snapshot(meter)
    if after == before:
        return meter
    meter.save()
    after = snapshot(meter)
    if any(before[f] != after[f] for f in _RULE_FIELDS):
        _rebuild([meter.pk])
    audit_record(actor=actor, action=AuditAction.UPDATE, instance=meter, before=before, after=after, reason=reason)
    return meter


@transaction.atomic
def meter_replace(
    *,
    meter: Meter,
    actor: Any,
    at: dt.datetime,
    removal_reading_m3: Decimal,
    new_serial: str,
    install_reading_m3: Decimal = Decimal(0),
    reason: str = "",
    **new_fields: Any,
) -> Meter:
    """Replace a meter at an instant: close it with its register then, open the next meter on the same
    intake with its register then. The old meter keeps its readings up to `at`; its removal reading
    ends its series and the new meter's installation reading starts the next, so the intake's volume
    is the sum of both and nothing is lost or counted twice. Fields of the new meter default to the
    old one's (`new_fields` overrides any of METER_EDITABLE except serial)."""
    old = Meter.objects.select_for_update().get(pk=meter.pk)
    if old.removed_at is not None:
        raise InvalidInput("This meter was already removed.", code="already_removed",
                           fields={"at": [f"Removed at {old.removed_at.isoformat()}."]})  # fmt: skip
    if at <= old.installed_at:
        raise InvalidInput("A meter is replaced after its installation.",
                           fields={"at": [f"Must be after {old.installed_at.isoformat()}."]})  # fmt: skip
    later = Reading.objects.filter(meter=old, observed_at__gt=at).aggregate(last=Max("observed_at"))["last"]
    if later is not None:
        raise InvalidInput(
            "The meter has readings after this instant.",
            fields={"at": [f"The meter reported until {later.isoformat()}; replace it at or after that."]},
        )
    removal = _register(removal_reading_m3)
    if old.register_max_m3 is not None and removal >= old.register_max_m3:
        raise InvalidInput("At or above the register maximum.", fields={"removal_reading_m3": ["Too large."]})
    before = snapshot(old)
    old.removed_at, old.removal_reading_m3 = at, removal
    _full_clean(old)
    old.save(update_fields=["removed_at", "removal_reading_m3", "updated_at"])
    _put_reading(meter=old, at=at, value=removal, source=ReadingSource.REMOVAL, field="removal_reading_m3")
    rollups.recompute({old.pk: (at, at)})
    audit_record(
        actor=actor, action=AuditAction.UPDATE, instance=old, before=before, after=snapshot(old),
        reason=reason or f"replaced by {new_serial}",
    )  # fmt: skip
    inherited = {name: getattr(old, name) for name in METER_EDITABLE if name != "serial"}
    inherited.update({k: v for k, v in new_fields.items() if k != "serial"})
    return meter_create(
        actor=actor, intake=old.intake, serial=new_serial, installed_at=at, install_reading_m3=install_reading_m3,
        replaces=old, **inherited,
    )  # fmt: skip


@transaction.atomic
def meter_delete(*, meter: Meter, actor: Any) -> None:
    """Remove a meter entered by mistake: only while it has no reading but its installation one."""
    meter = Meter.objects.select_for_update().get(pk=meter.pk)
    if (
        Reading.objects.filter(meter=meter).exclude(source=ReadingSource.INSTALL).exists()
        or meter.replaces_id is not None
        or Meter.objects.filter(replaces=meter).exists()
    ):
        raise Conflict(
            "This meter has readings or a replacement; it is history and cannot be deleted.",
            code="in_use", fields={"id": ["Has readings or a replacement."]},
        )  # fmt: skip
    audit_record(actor=actor, action=AuditAction.DELETE, instance=meter, before=snapshot(meter))
    Reading.objects.filter(meter=meter).delete()
    DailyVolume.objects.filter(meter=meter).delete()
    meter.delete()


# --------------------------------------------------------------------------------------- readings


@dataclass(frozen=True, slots=True)
class IngestResult:
    created: int
    duplicates: int
    meters: int


# Renamed whenever its columns change: a pooled session may still hold an older one (a temp table lives
# as long as the session).
_TEMP = "water_reading_in3"
_TEMP_DDL = f"""CREATE TEMP TABLE {_TEMP} (
    meter_id bigint NOT NULL, observed_at timestamptz NOT NULL, cumulative_m3 numeric(15, 3) NOT NULL,
    flow_m3s double precision, idx integer NOT NULL, after_lock boolean NOT NULL DEFAULT false,
    received_at timestamptz NOT NULL
) ON COMMIT DELETE ROWS"""
# Rows that may already be stored, in key order (index pages are then touched in sequence); what was
# inserted comes back per meter.
_INSERT_SQL = f"""WITH ins AS (
    INSERT INTO water_reading (meter_id, observed_at, cumulative_m3, flow_m3s, source, after_lock, received_at)
    SELECT meter_id, observed_at, cumulative_m3, flow_m3s, %s, after_lock, received_at FROM {_TEMP}
    ORDER BY meter_id, observed_at
    ON CONFLICT (meter_id, observed_at) DO NOTHING
    RETURNING meter_id, observed_at
)
SELECT meter_id, min(observed_at), max(observed_at), count(*) FROM ins GROUP BY meter_id"""  # noqa: S608
# Rows not inserted whose stored register differs (a corrected reading's first value is no conflict).
# LATERAL … LIMIT 1 (which the planner cannot flatten) makes it one primary-key probe per row: the
# temp table has no statistics, and the planner otherwise hash-joins it against a scan of the whole
# readings table (1.7 s per batch at a million rows, measured).
_CONFLICT_SQL = f"""SELECT t.idx, r.cumulative_m3 FROM {_TEMP} t
    CROSS JOIN LATERAL (
        SELECT w.cumulative_m3, w.original_cumulative_m3 FROM water_reading w
        WHERE w.meter_id = t.meter_id AND w.observed_at = t.observed_at
        LIMIT 1
    ) r
    WHERE r.cumulative_m3 <> t.cumulative_m3 AND r.original_cumulative_m3 IS DISTINCT FROM t.cumulative_m3
    ORDER BY t.idx LIMIT 1000"""  # noqa: S608
_COPY_READINGS = "COPY water_reading (meter_id, observed_at, cumulative_m3, flow_m3s, source, received_at) FROM STDIN"
# Rows of a batch reaching back into a locked month carry the flag (water.locks); other batches take
# the statements without it.
_COPY_READINGS_FLAGGED = (
    "COPY water_reading (meter_id, observed_at, cumulative_m3, flow_m3s, source, after_lock, received_at) FROM STDIN"
)
_COPY_TEMP = f"COPY {_TEMP} (meter_id, observed_at, cumulative_m3, flow_m3s, idx, received_at) FROM STDIN"
_COPY_TEMP_FLAGGED = (
    f"COPY {_TEMP} (meter_id, observed_at, cumulative_m3, flow_m3s, idx, after_lock, received_at) FROM STDIN"
)
NO_FLAGS: frozenset[int] = frozenset()

Bounds = dict[int, tuple[dt.datetime, dt.datetime]]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)
Conflicts = list[tuple[int, Decimal]]


def _copy_text(rows: Sequence[tuple[int, IngestRow, Decimal]], last: Any, received: str) -> str:
    """COPY text lines. The time goes as it was sent when water.ingest found it in plain ISO form, so
    most rows cost one f-string; nothing here can hold a tab, newline or backslash. `received`: the
    batch's arrival time, for rows that do not carry their own."""
    null = "\\N"
    return "".join(
        [
            f"{mid}\t{r.text or r.at.isoformat()}\t{value}\t{null if r.flow is None else repr(r.flow)}\t{last(r)}\t"
            f"{received if r.received_at is None else r.received_at.isoformat()}\n"
            for mid, r, value in rows
        ]
    )


def _append_new(
    rows: Sequence[tuple[int, IngestRow, Decimal]],
    source: str,
    received: dt.datetime,
    flagged: frozenset[int] = NO_FLAGS,
) -> None:
    """Write rows known to be new (each after its meter's last stored reading, under the meter lock):
    on PostgreSQL a COPY straight into the table, the cheapest write there is (no temp table, no
    conflict handling); executemany on SQLite. received_at is written, not left to the column
    default, so that the timeliness counted in the daily rows is the one stored. Rows at positions in
    `flagged` are amendments after lock."""
    if connection.vendor == "postgresql":
        if flagged:
            data = _copy_text(rows, lambda r: f"{source}\t{'t' if r.pos in flagged else 'f'}", received.isoformat())
            statement = _COPY_READINGS_FLAGGED
        else:
            data, statement = _copy_text(rows, lambda r: source, received.isoformat()), _COPY_READINGS
        with rollups.pg_cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(data)
        return
    ops = connection.ops
    at = ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO water_reading (meter_id, observed_at, cumulative_m3, flow_m3s, source, after_lock, "
            "received_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (mid, at(r.at), ops.adapt_decimalfield_value(value), r.flow, source, r.pos in flagged,
                 at(r.received_at or received))
                for mid, r, value in rows
            ],
        )  # fmt: skip


def _merge_postgresql(
    rows: Sequence[tuple[int, IngestRow, Decimal]],
    source: str,
    received: dt.datetime,
    flagged: frozenset[int] = NO_FLAGS,
) -> tuple[Bounds, int, Conflicts]:
    """Rows that may be stored already: COPY into a session temp table, one INSERT … ON CONFLICT DO
    NOTHING (the database tells which were new), and a join for stored rows with another value."""
    with rollups.pg_cursor() as cursor:
        cursor.execute(f"SELECT to_regclass('pg_temp.{_TEMP}') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute(f"DELETE FROM {_TEMP}")  # noqa: S608 - a constant; empty unless in a test transaction
        else:
            cursor.execute(_TEMP_DDL)
        if flagged:
            data = _copy_text(rows, lambda r: f"{r.pos}\t{'t' if r.pos in flagged else 'f'}", received.isoformat())
        else:
            data = _copy_text(rows, lambda r: r.pos, received.isoformat())
        with cursor.copy(_COPY_TEMP_FLAGGED if flagged else _COPY_TEMP) as copy:
            copy.write(data)
        cursor.execute(_INSERT_SQL, [source])
        inserted = cursor.fetchall()
        bounds = {mid: (lo, hi) for mid, lo, hi, _ in inserted}
        created = sum(n for *_, n in inserted)
        conflicts: Conflicts = []
        if created < len(rows):
            cursor.execute(_CONFLICT_SQL)
            conflicts = cursor.fetchall()
    return bounds, created, conflicts


def _merge_sqlite(
    rows: Sequence[tuple[int, IngestRow, Decimal]],
    source: str,
    received: dt.datetime,
    flagged: frozenset[int] = NO_FLAGS,
) -> tuple[Bounds, int, Conflicts]:
    """Read what is stored in the batch's stretch of each meter, then insert the new rows (SQLite's
    IMMEDIATE transaction serialises writers, so nothing slips in between)."""
    stretch: dict[int, list[dt.datetime]] = {}
    for mid, r, _ in rows:
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
    _append_new(new, source, received, flagged)
    bounds: Bounds = {}
    for mid, r, _ in new:
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
            for mid, serial, installed, removed, regmax, *_ in locked
        }
        errors, unknown = RowErrors(), RowErrors()
        keyed: dict[tuple[int, int], tuple[int, IngestRow, Decimal, int]] = {}
        earliest: dict[int, int] = {}
        in_batch_conflicts: dict[str, list[str]] = {}
        epoch, micro = _EPOCH, _MICRO
        for r in rows:
            meter = meters.get(r.serial)
            if meter is None:
                unknown.add(r.pos, "meter", "No such meter among those you may write.")
                continue
            mid, installed_us, removed_us, regmax, installed, removed = meter
            us = r.us or (r.at - epoch) // micro
            if us < installed_us:
                errors.add(r.pos, "observed_at", f"Before the meter was installed ({installed.isoformat()}).")
                continue
            if removed_us is not None and us > removed_us:
                when = removed.isoformat() if removed is not None else ""
                errors.add(r.pos, "observed_at", f"After the meter was removed ({when}).")
                continue
            value = r.value  # water.ingest rounded it to the litre already
            if regmax is not None and value >= regmax:
                errors.add(r.pos, "cumulative_m3", f"At or above the meter's register maximum ({regmax} m³).")
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
            errors.raise_if_any()
        if unknown:
            raise NotFound(
                "The batch was refused, nothing was written: it names meters that do not exist or that you may "
                "not write.",
                code="unknown_meter",
                fields=unknown.fields,
            )
        if in_batch_conflicts:
            raise Conflict("The batch gives two values for one meter and instant.", fields=in_batch_conflicts)
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
        if merged:
            merge = _merge_postgresql if connection.vendor == "postgresql" else _merge_sqlite
            bounds, created, conflicts = merge(merged, source, received, flagged)
            if conflicts:
                raise Conflict(
                    f"The batch was refused, nothing was written: {len(conflicts)} rows give another value for a "
                    "stored meter and instant.",
                    fields={
                        f"readings[{idx}].cumulative_m3": [f"Another value ({stored} m³) is stored; {CORRECTION_HINT}."]
                        for idx, stored in conflicts
                    },
                )
        if appended:
            _append_new([row[:3] for mid in sorted(appended) for row in appended[mid]], source, received, flagged)
            rules = rollups.rules_from(locked)
            increments = {}
            for mid, new in appended.items():
                new.sort(key=lambda x: x[3])
                points = [*tail[mid].points]
                points.extend(
                    EnginePoint(
                        r.at, value, "", False, True, us, received_us if r.received_at is None else to_us(r.received_at)
                    )
                    for _, r, value, us in new
                )
                increments[mid] = daily_totals(points, rules[mid], since=tail[mid].last)
                created += len(new)
                bounds[mid] = (new[0][1].at, new[-1][1].at)
            rollups.add(increments)
        rollups.recompute({mid: b for mid, b in bounds.items() if mid not in appended})
        if created:
            audit_record(
                actor=actor, action=AuditAction.IMPORT, entity="water.readingbatch", entity_id=uuid.uuid4().hex,
                after={
                    "source": source, "created": created, "duplicates": len(rows) - created, "meters": len(bounds),
                    "from": min(lo for lo, _ in bounds.values()), "to": max(hi for _, hi in bounds.values()),
                },
            )  # fmt: skip
    return IngestResult(created=created, duplicates=len(rows) - created, meters=len(bounds))


def _locked_reading(reading: Reading) -> tuple[Meter, Reading]:
    meter = Meter.objects.select_for_update().get(pk=reading.meter_id)
    fresh = Reading.objects.filter(meter_id=reading.meter_id, observed_at=reading.observed_at).first()
    if fresh is None:
        raise NotFound("No such reading.")
    return meter, fresh


def _reading_snapshot(reading: Reading) -> dict[str, Any]:
    return snapshot(reading, exclude=("raw_frame",))


@transaction.atomic
def reading_correct(*, reading: Reading, cumulative_m3: Decimal, reason: str, actor: Any) -> Reading:
    """Change a stored reading's register value (the one way to, SPEC "Readings"). The value first
    received is kept; the days it affects are recomputed and their volume becomes *corrected*. An
    installation or removal reading moves with its meter's record."""
    if not reason.strip():
        raise InvalidInput("Say why the reading is corrected.", fields={"reason": ["Required."]})
    meter, reading = _locked_reading(reading)
    value = _register(cumulative_m3)
    if value < 0 or (meter.register_max_m3 is not None and value >= meter.register_max_m3):
        raise InvalidInput("Outside the meter's register.", fields={"cumulative_m3": ["Outside the register range."]})
    if value == reading.cumulative_m3:
        return reading
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
def reading_review(*, reading: Reading, decision: Review | str, reason: str, actor: Any) -> Reading:
    """A reviewer's decision on a reading: accept it (its steps count, as *corrected*), reject it (it
    leaves the series, its neighbours are joined; it is kept), or clear an earlier decision ("")."""
    if decision not in Review.values:
        raise InvalidInput("Unknown decision.", fields={"decision": [f"One of {', '.join(Review.values)}."]})
    if not reason.strip():
        raise InvalidInput("Say why.", fields={"reason": ["Required."]})
    meter, reading = _locked_reading(reading)
    if decision == Review.REJECTED and reading.source in NOT_REPORTS:
        raise InvalidInput(
            "An installation or removal reading bounds the meter's series and cannot be rejected; correct it.",
            fields={"decision": ["Not for installation or removal readings."]},
        )
    if reading.review == decision:
        return reading
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


# ------------------------------------------------------------------------------- monitoring alerts
# Raised and resolved by the periodic jobs (water.tasks); at most one open alert per condition key
# (a partial unique constraint). Running a job twice at the same instant changes nothing; an alert
# resolves when its condition clears; the condition coming back later opens a new alert.

_EVERYTHING = Scope(user_id=None, role=Role.ADMIN, everything=True)


@dataclass(frozen=True, slots=True)
class AlertRun:
    """What one run of an alert job did."""

    raised: int = 0
    refreshed: int = 0
    resolved: int = 0
    open: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"raised": self.raised, "refreshed": self.refreshed, "resolved": self.resolved, "open": self.open}


@dataclass(frozen=True, slots=True)
class PlanUsage:
    """An intake's use against its plan for a year (m³), as the plan selectors compute it."""

    intake_id: int
    year: int
    use_m3: Decimal
    plan_m3: Decimal


def _alert_snapshot(alert: Alert) -> dict[str, Any]:
    return snapshot(alert)


def alert_raise_or_refresh(
    *,
    kind: AlertKind | str,
    key: str,
    intake_id: int,
    meter_id: int | None = None,
    details: Mapping[str, Any] | None = None,
    at: dt.datetime,
    actor: Any,
) -> tuple[Alert, bool]:
    """The open alert for `key`, refreshed (last seen at `at`, details updated; nothing written when
    both are unchanged), or a new one raised at `at` (audited). Returns (alert, raised)."""
    details = dict(details or {})
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(key=key, resolved_at__isnull=True).first()
        if alert is not None:
            seen = max(alert.last_seen_at, at)
            if seen != alert.last_seen_at or alert.details != details:
                alert.last_seen_at, alert.details = seen, details
                alert.save(update_fields=["last_seen_at", "details"])
            return alert, False
        alert = Alert(
            kind=str(kind), key=key, intake_id=intake_id, meter_id=meter_id, raised_at=at, last_seen_at=at,
            details=details,
        )  # fmt: skip
        _full_clean(alert, validate_constraints=False)
        try:
            # A savepoint: a concurrent run that raised the same alert first wins, and this one refreshes it.
            with transaction.atomic():
                alert.save()
        except IntegrityError:
            alert = Alert.objects.select_for_update().get(key=key, resolved_at__isnull=True)
            return alert, False
        audit_record(actor=actor, action=AuditAction.CREATE, instance=alert, after=_alert_snapshot(alert))
        return alert, True


def alert_resolve(*, alert: Alert, at: dt.datetime, actor: Any, reason: str = "") -> Alert:
    """Close an open alert at `at` (its condition cleared); an already resolved alert is left as it is."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.resolved_at is not None:
            return alert
        before = _alert_snapshot(alert)
        alert.resolved_at = max(at, alert.raised_at)
        alert.details = {**alert.details, "resolution": reason} if reason else alert.details
        alert.save(update_fields=["resolved_at", "details"])
        audit_record(
            actor=actor, action=AuditAction.TRANSITION, instance=alert, before=before, after=_alert_snapshot(alert),
            reason=reason,
        )  # fmt: skip
        return alert


def alert_acknowledge(*, alert: Alert, actor: Any) -> Alert:
    """A reviewer notes that someone is on it (audited). Acknowledging again changes nothing."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            return alert
        before = _alert_snapshot(alert)
        alert.acknowledged_by, alert.acknowledged_at = actor, timezone.now()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
        audit_record(
            actor=actor, action=AuditAction.TRANSITION, instance=alert, before=before, after=_alert_snapshot(alert),
            reason="acknowledged",
        )  # fmt: skip
        return alert


def _sync(
    *, kind: AlertKind, wanted: Mapping[str, tuple[int, int | None, dict[str, Any]]], at: dt.datetime, actor: Any,
    resolvable: Any = None, reason: str,
) -> AlertRun:  # fmt: skip
    """Make the open alerts of `kind` (those matching `resolvable`, a Q, when given) exactly `wanted`
    ({key: (intake id, meter id, details)}): raise or refresh each, resolve the others."""
    raised = refreshed = resolved = 0
    with transaction.atomic():
        for key in sorted(wanted):
            intake_id, meter_id, details = wanted[key]
            _, new = alert_raise_or_refresh(
                kind=kind, key=key, intake_id=intake_id, meter_id=meter_id, details=details, at=at, actor=actor
            )
            raised += new
            refreshed += not new
        stale = Alert.objects.filter(kind=kind, resolved_at__isnull=True).exclude(key__in=list(wanted))
        if resolvable is not None:
            stale = stale.filter(resolvable)
        for alert in stale.order_by("pk"):
            alert_resolve(alert=alert, at=at, actor=actor, reason=reason)
            resolved += 1
        still_open = Alert.objects.filter(kind=kind, resolved_at__isnull=True).count()
    return AlertRun(raised=raised, refreshed=refreshed, resolved=resolved, open=still_open)


def alerts_check_offline(*, now: dt.datetime | None = None, actor: Any = "beat:water.alerts_check_offline") -> AlertRun:
    """Raise an alert for every installed meter with no report within WATER_OFFLINE_FACTOR × its
    interval at `now` (default: now); resolve those that reported again or were removed."""
    now = now or timezone.now()
    factor = float(conf.get("WATER_OFFLINE_FACTOR"))
    meters = list(
        Meter.objects.filter(installed_at__lte=now)
        .exclude(removed_at__lte=now)
        .values_list("id", "serial", "intake_id", "installed_at", "removed_at", "expected_interval_s")
    )
    last = selectors.last_reports([m[0] for m in meters], now)
    wanted: dict[str, tuple[int, int | None, dict[str, Any]]] = {}
    for mid, serial, intake_id, installed, removed, interval_s in meters:
        obs, rec = last.get(mid, (None, None))
        state, silent = monitoring.meter_state(
            installed_at=installed, removed_at=removed, last_report_at=obs, interval_s=interval_s, at=now, factor=factor
        )
        if state == MeterState.OFFLINE:
            wanted[f"{AlertKind.METER_OFFLINE.value}:{mid}"] = (
                intake_id,
                mid,
                {
                    "serial": serial,
                    "last_observed_at": obs.isoformat() if obs else None,
                    "last_received_at": rec.isoformat() if rec else None,
                    "silent_s": round(silent or 0.0, 3),
                    "interval_s": interval_s,
                    "offline_after_s": factor * interval_s,
                },
            )
    return _sync(kind=AlertKind.METER_OFFLINE, wanted=wanted, at=now, actor=actor, reason="reporting again or removed")


def alerts_check_flagged(*, now: dt.datetime | None = None, actor: Any = "beat:water.alerts_check_flagged") -> AlertRun:
    """Raise an alert for every reading held for review (a jump or a decrease not yet accepted or
    rejected), found from the daily rows' counts; resolve those reviewed or corrected since."""
    now = now or timezone.now()
    span = DailyVolume.objects.filter(n_flagged__gt=0).aggregate(lo=Min("day"), hi=Max("day"))
    wanted: dict[str, tuple[int, int | None, dict[str, Any]]] = {}
    if span["lo"] is not None:
        flagged = selectors.flagged_readings(scope=_EVERYTHING, first=span["lo"], last=span["hi"])
        intakes = dict(Meter.objects.filter(pk__in={f["meter_id"] for f in flagged}).values_list("pk", "intake_id"))
        for f in flagged:
            key = f"{AlertKind.FLAGGED_READING.value}:{f['meter_id']}@{f['observed_at'].astimezone(dt.UTC).isoformat()}"
            wanted[key] = (
                intakes[f["meter_id"]],
                f["meter_id"],
                {
                    "serial": f["meter"],
                    "observed_at": f["observed_at"].isoformat(),
                    "kind": f["kind"],
                    "previous_at": f["previous_at"].isoformat(),
                    "step_m3": str(f["step_m3"]),
                    "held_m3": str(f["held_m3"]),
                },
            )
    return _sync(kind=AlertKind.FLAGGED_READING, wanted=wanted, at=now, actor=actor, reason="reviewed or corrected")


def alert_sync_plan_usage(
    *,
    usage: Iterable[PlanUsage],
    now: dt.datetime | None = None,
    complete: bool = False,
    actor: Any = "beat:water.alert_sync_plan_usage",
) -> dict[str, AlertRun]:
    """plan_80 open while an intake's use for a year is at or above WATER_PLAN_WARN_SHARE of its
    plan, plan_100 while at or above WATER_PLAN_OVER_SHARE; each resolves when the use falls below
    (a plan amended upwards). Only the (intake, year) pairs given are touched, unless `complete`
    says `usage` holds every planned intake of its years: then the open plan alerts of those years
    for intakes not in it (a plan withdrawn) are resolved too. A plan of 0 m³ with any use is over."""
    warn = Decimal(conf.get("WATER_PLAN_WARN_SHARE"))
    over = Decimal(conf.get("WATER_PLAN_OVER_SHARE"))
    now = now or timezone.now()
    items = list(usage)
    errors: dict[str, list[str]] = {}
    for i, u in enumerate(items):
        if u.use_m3 < 0:
            errors[f"usage[{i}].use_m3"] = ["Must not be negative."]
        if u.plan_m3 < 0:
            errors[f"usage[{i}].plan_m3"] = ["Must not be negative."]
    known = set(Intake.objects.filter(pk__in={u.intake_id for u in items}).values_list("pk", flat=True))
    for i, u in enumerate(items):
        if u.intake_id not in known:
            errors[f"usage[{i}].intake_id"] = ["No such intake."]
    if errors:
        raise InvalidInput("Invalid plan usage.", fields=errors)
    runs = {}
    years = {u.year for u in items}
    for kind, threshold in ((AlertKind.PLAN_80, warn), (AlertKind.PLAN_100, over)):
        wanted: dict[str, tuple[int, int | None, dict[str, Any]]] = {}
        touched = []
        for u in items:
            key = f"{kind.value}:{u.intake_id}:{u.year}"
            touched.append(key)
            share = u.use_m3 / u.plan_m3 if u.plan_m3 > 0 else (Decimal("Infinity") if u.use_m3 > 0 else Decimal(0))
            if share >= threshold:
                wanted[key] = (
                    u.intake_id,
                    None,
                    {
                        "year": u.year,
                        "use_m3": str(u.use_m3),
                        "plan_m3": str(u.plan_m3),
                        "share": float(round(share, 6)) if share.is_finite() else None,
                        "threshold": float(threshold),
                    },
                )
        if complete:
            scope_q = Q(key__regex=rf"^{kind.value}:\d+:({'|'.join(str(y) for y in sorted(years))})$")
        else:
            scope_q = Q(key__in=touched)
        runs[kind.value] = _sync(
            kind=kind, wanted=wanted, at=now, actor=actor, resolvable=scope_q if years else Q(pk__in=[]),
            reason="use below the threshold",
        )  # fmt: skip
    return runs


def alerts_check_plan(
    *, now: dt.datetime | None = None, actor: Any = "beat:water.alerts_check_plan"
) -> dict[str, AlertRun]:
    """plan_80 / plan_100 for every intake with a plan line this (Beijing) year: its metered use so
    far against the year's allocation as the plan selectors compute it (locked figures, the plan
    version now in force). Intakes whose plan was withdrawn have their open plan alerts resolved."""
    now = now or timezone.now()
    today = periods.to_beijing(now).date()
    summary = plan_selectors.plan_summary(scope=_EVERYTHING, period=periods.year(today.year), today=today)
    usage = [
        PlanUsage(intake_id=i.intake_id, year=today.year, use_m3=i.use_m3, plan_m3=i.plan_m3)
        for i in summary.intakes
        if i.plan_m3 is not None
    ]
    return alert_sync_plan_usage(usage=usage, now=now, complete=True, actor=actor)
