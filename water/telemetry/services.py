"""Writes of the telemetry gateway: readings decoded from frames, and the per-station counters.

Readings go through the same ingest service as the API (`water.services.reading_ingest_batch`: validated,
idempotent on (meter, observed_at), daily volumes kept current, audited), with source ``rtu``. That service
refuses a batch whole when one row is bad; a gateway batch mixes many stations, and one meter's bad reading
must not cost the others theirs. So every reading is first checked here by the API's own row rules
(`water.ingest.check_row`: time with offset, not before 2000, not in the future beyond
``WATER_FUTURE_TOLERANCE_S``, register range) plus the meter's installation and register maximum; whatever the
service still refuses (a value conflicting with a stored one, a meter removed meanwhile) is named by row, taken
out, and the rest is retried.

The raw frame travels with each row (``IngestRow.raw``) and is written in the same COPY/INSERT as the reading
(issue 18: a separate ``UPDATE … SET raw_frame`` per batch took two thirds of the store time); the service
returns the positions of the rows it created, which tells stored from duplicate per station.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.scope import SYSTEM_SCOPE
from core.exceptions import ServiceError
from water import conf
from water import sql as water_sql
from water.choices import ReadingSource
from water.ingest import EARLIEST, MAX_FLOW, MAX_REGISTER, REGISTER_QUANTUM, check_row, row_errors, to_us
from water.ingest import Row as IngestRow
from water.models import Meter
from water.services import reading_ingest_batch
from water.sql import STATION_COUNTERS

# The gateway is a system component, not a user: it writes any meter the directory maps an address to.
DEFAULT_ACTOR = "telemetry_gateway"
_ROW_KEY = re.compile(r"readings\[(\d+)\]")
MAX_ATTEMPTS = 8  # each retry takes out at least one row; more rounds than this means something else is wrong

STORED, DUPLICATE, REFUSED = "stored", "duplicate", "refused"
_new_row = tuple.__new__


@dataclass(slots=True)
class FrameReading:
    """One reading decoded from a frame, mapped to its meter, as the gateway hands it over.

    Treat as read-only. Not ``frozen``: built once per frame on the event loop, where a frozen dataclass of
    twelve fields cost about 3 µs more per frame (issue 18 speed)."""

    serial: str
    observed_at: dt.datetime
    cumulative_m3: Decimal | None
    flow_m3s: Decimal | None
    raw_frame: bytes
    meter_id: int | None = None  # known to the gateway; looked up by serial when not given
    installed_at: dt.datetime | None = None
    removed_at: dt.datetime | None = None
    register_max_m3: Decimal | None = None
    # When the frame arrived (the monitoring's timeliness); the ingest's own clock when None.
    received_at: dt.datetime | None = None
    # ``rtu`` for what a station reports or answers to a real-time query; ``rtu_backfill`` for the answer to
    # the gateway's period-data query after a gap (issue 18).
    source: str = ReadingSource.RTU


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one reading: ``stored``, ``duplicate`` (already stored with this value) or ``refused``
    (with the reason)."""

    status: str
    reason: str = ""


def _first_message(errors: dict[str, list[str]], index: int) -> str:
    prefix = f"readings[{index}]"
    for key, messages in errors.items():
        if key == prefix or key.startswith(prefix + "."):
            field = key[len(prefix) + 1 :] or "row"
            return f"{field}: {messages[0]}"
    return "refused"


def _precheck(readings: Sequence[FrameReading], now: dt.datetime) -> tuple[list[IngestRow], dict[int, str]]:
    """The API's row rules and the meter's installation, per reading; nothing here touches the database."""
    latest = now + dt.timedelta(seconds=conf.future_tolerance_s())
    earliest = EARLIEST
    errors = row_errors()
    rows: list[IngestRow] = []
    refused: dict[int, str] = {}
    for i, r in enumerate(readings):
        if r.cumulative_m3 is None:
            refused[i] = "no register value in the frame (does the meter's profile name the volume element?)"
            continue
        at = r.observed_at
        if r.installed_at is not None and at < r.installed_at:
            refused[i] = f"observed_at: before the meter was installed ({r.installed_at.isoformat()})"
            continue
        if r.removed_at is not None and at > r.removed_at:
            refused[i] = f"observed_at: after the meter was removed ({r.removed_at.isoformat()})"
            continue
        if r.register_max_m3 is not None and r.cumulative_m3 >= r.register_max_m3:
            refused[i] = f"cumulative_m3: at or above the meter's register maximum ({r.register_max_m3} m³)"
            continue
        # The flow is informational (the ingest keeps the first one received): a reverse or absurd flow is
        # dropped rather than costing the register reading.
        flow = None
        if r.flow_m3s is not None and 0 <= r.flow_m3s <= MAX_FLOW:
            flow = float(r.flow_m3s)
        value = r.cumulative_m3
        if earliest <= at <= latest and 0 <= value <= MAX_REGISTER and at.utcoffset() is not None:
            # The common valid row without a round trip through text (what check_row would conclude).
            # Built without the NamedTuple's Python-level __new__ (all nine fields given; issue 18 speed).
            row_fields = (
                i,
                r.serial,
                at,
                value.quantize(REGISTER_QUANTUM, ROUND_HALF_UP),
                flow,
                None,
                to_us(at),
                r.received_at,
                r.raw_frame,
            )
            rows.append(_new_row(IngestRow, row_fields))
            continue
        row = check_row(i, r.serial, at.isoformat(), value, flow, latest, errors)
        if row is None:
            refused[i] = _first_message(errors.fields, i)
        else:
            rows.append(row._replace(received_at=r.received_at, raw=r.raw_frame))
    return rows, refused


def telemetry_readings_store(
    *, readings: Sequence[FrameReading], actor: str = DEFAULT_ACTOR, now: dt.datetime | None = None
) -> list[Outcome]:
    """Store decoded readings through the ingest service (one transaction per attempt and source); one
    `Outcome` per reading, in order. A refused reading never makes the others fail (see the module docstring).
    Database errors other than the service's refusals propagate: the caller keeps the readings and retries."""
    now = now or timezone.now()
    sources = {r.source for r in readings}
    if len(sources) <= 1:
        return _store(readings, actor, now, next(iter(sources), ReadingSource.RTU))
    outcomes: list[Outcome | None] = [None] * len(readings)
    for source in sorted(sources):
        positions = [i for i, r in enumerate(readings) if r.source == source]
        for i, outcome in zip(positions, _store([readings[i] for i in positions], actor, now, source), strict=True):
            outcomes[i] = outcome
    return [o for o in outcomes if o is not None]


def _store(readings: Sequence[FrameReading], actor: str, now: dt.datetime, source: str) -> list[Outcome]:
    rows, refused = _precheck(readings, now)
    outcomes: list[Outcome] = [
        Outcome(REFUSED, refused[i]) if i in refused else Outcome(DUPLICATE) for i in range(len(readings))
    ]
    for _ in range(MAX_ATTEMPTS):
        if not rows:
            break
        try:
            result = reading_ingest_batch(
                rows=rows, scope=SYSTEM_SCOPE, source=ReadingSource(source), actor=actor, positions=True
            )
        except ServiceError as exc:
            fields = exc.fields or {}
            bad = {int(m.group(1)) for key in fields for m in [_ROW_KEY.match(key)] if m is not None}
            if not bad:
                for row in rows:
                    outcomes[row.pos] = Outcome(REFUSED, str(exc))
                rows = []
                break
            for pos in bad:
                outcomes[pos] = Outcome(REFUSED, _first_message(fields, pos))
            rows = [row for row in rows if row.pos not in bad]
            continue
        for pos in result.new_positions:
            outcomes[pos] = Outcome(STORED)
        rows = []
        break
    for row in rows:  # attempts exhausted
        outcomes[row.pos] = Outcome(REFUSED, "refused by the ingest after repeated retries")
    return outcomes


@dataclass(slots=True)
class StationDelta:
    """What the gateway counted for one station since its last flush (added to the stored counters)."""

    protocol: str
    address: str
    meter_id: int | None = None
    frames: int = 0
    bad_crc: int = 0
    unknown_elements: int = 0
    decode_errors: int = 0
    readings_stored: int = 0
    readings_duplicate: int = 0
    readings_refused: int = 0
    acks_sent: int = 0
    missing_values: int = 0
    bad_password: int = 0
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    last_remote: str = ""
    last_error: str = ""
    clock_drift_s: float | None = None


# The statement lives with water's other raw SQL (water.sql); the gateway reads the counter names here.
_COUNTERS = STATION_COUNTERS


@transaction.atomic
def station_counters_add(*, deltas: Sequence[StationDelta]) -> int:
    """Add the gateway's counts to the stored per-station counters (creating stations first heard of); one
    transaction, one statement per station. A meter deleted since the gateway mapped it is stored as none."""
    if not deltas:
        return 0
    meter_ids = {d.meter_id for d in deltas if d.meter_id is not None}
    existing = set(Meter.objects.filter(pk__in=meter_ids).values_list("pk", flat=True)) if meter_ids else set()
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    params = [
        [
            d.protocol,
            d.address[:16],
            d.meter_id if d.meter_id in existing else None,
            *(getattr(d, c) for c in _COUNTERS),
            ops.adapt_datetimefield_value(d.first_seen),
            ops.adapt_datetimefield_value(d.last_seen),
            d.last_remote[:64],
            d.last_error[:200],
            d.clock_drift_s,
            now,
        ]
        for d in deltas
    ]
    water_sql.station_counters_upsert(params)
    return len(params)
