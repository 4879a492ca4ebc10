"""water's raw SQL, all of it (ARCHITECTURE rule 16, core/README.md "core/sql.py").

Kept where the benchmarks show it pays (benchmarks/water_ingest.py, water_volumes.py,
telemetry_gateway.py): the COPY ingest of readings and its merge through a temp table, the additive
upsert of daily volumes (one unnest statement per batch), the meters' tails (one LATERAL query), the
lock's snapshot (one INSERT … SELECT) and the stations' counters (one upsert per station). Table
names come from the models (``_meta.db_table``), values are bound, and every statement runs through
``core.sql.cursor()`` so that the query-count tests see it on PostGIS too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from core import sql as core_sql
from water.choices import Review
from water.ingest import Accepted
from water.models import DailyVolume, LockedDailyVolume, Reading, TelemetryStation
from water.volume_engine import to_us

READING = Reading._meta.db_table
DAILY = DailyVolume._meta.db_table
LOCKED_DAILY = LockedDailyVolume._meta.db_table
STATION = TelemetryStation._meta.db_table

# ------------------------------------------------------------------------------------------ readings

# Renamed whenever its columns change: a pooled session may still hold an older one (a temp table lives
# as long as the session).
_TEMP = "water_reading_in4"
_TEMP_DDL = f"""CREATE TEMP TABLE {_TEMP} (
    meter_id bigint NOT NULL, observed_at timestamptz NOT NULL, cumulative_m3 numeric(15, 3) NOT NULL,
    flow_m3s double precision, idx integer NOT NULL, after_lock boolean NOT NULL DEFAULT false,
    received_at timestamptz NOT NULL, raw_frame bytea
) ON COMMIT DELETE ROWS"""
# Rows that may already be stored, in key order (index pages are then touched in sequence); what was
# inserted comes back per meter.
_INSERT = f"""INSERT INTO {READING}
    (meter_id, observed_at, cumulative_m3, flow_m3s, source, after_lock, received_at, raw_frame)
    SELECT meter_id, observed_at, cumulative_m3, flow_m3s, %s, after_lock, received_at, raw_frame FROM {_TEMP}
    ORDER BY meter_id, observed_at
    ON CONFLICT (meter_id, observed_at) DO NOTHING
    RETURNING meter_id, observed_at"""  # noqa: S608 - names from the models, values bound
_INSERT_SQL = (
    f"WITH ins AS ({_INSERT})\nSELECT meter_id, min(observed_at), max(observed_at), count(*) FROM ins GROUP BY meter_id"
)
# The same, every inserted key (for callers that want the positions stored).
_INSERT_KEYS_SQL = _INSERT
# Rows not inserted whose stored register differs (a corrected reading's first value is no conflict).
# LATERAL … LIMIT 1 (which the planner cannot flatten) makes it one primary-key probe per row: the
# temp table has no statistics, and the planner otherwise hash-joins it against a scan of the whole
# readings table (1.7 s per batch at a million rows, measured).
_CONFLICT_SQL = f"""SELECT t.idx, r.cumulative_m3 FROM {_TEMP} t
    CROSS JOIN LATERAL (
        SELECT w.cumulative_m3, w.original_cumulative_m3 FROM {READING} w
        WHERE w.meter_id = t.meter_id AND w.observed_at = t.observed_at
        LIMIT 1
    ) r
    WHERE r.cumulative_m3 <> t.cumulative_m3 AND r.original_cumulative_m3 IS DISTINCT FROM t.cumulative_m3
    ORDER BY t.idx LIMIT 1000"""  # noqa: S608 - names from the models
# The raw frame (telemetry, IngestRow.raw) goes in the same COPY as the row: no second statement per batch.
_COPY_READINGS = (
    f"COPY {READING} (meter_id, observed_at, cumulative_m3, flow_m3s, source, received_at, raw_frame) FROM STDIN"
)
# Rows of a batch reaching back into a locked month carry the flag (water.locks); other batches take
# the statements without it.
_COPY_READINGS_FLAGGED = (
    f"COPY {READING} (meter_id, observed_at, cumulative_m3, flow_m3s, source, after_lock, received_at, raw_frame) "
    "FROM STDIN"
)
_COPY_TEMP = f"COPY {_TEMP} (meter_id, observed_at, cumulative_m3, flow_m3s, idx, received_at, raw_frame) FROM STDIN"
_COPY_TEMP_FLAGGED = (
    f"COPY {_TEMP} (meter_id, observed_at, cumulative_m3, flow_m3s, idx, after_lock, received_at, raw_frame) FROM STDIN"
)
_INSERT_READINGS = (
    f"INSERT INTO {READING} (meter_id, observed_at, cumulative_m3, flow_m3s, source, after_lock, "  # noqa: S608 - names from the model, values bound
    "received_at, raw_frame) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)

NO_FLAGS: frozenset[int] = frozenset()
Bounds = dict[int, tuple[dt.datetime, dt.datetime]]
Conflicts = list[tuple[int, Decimal]]


def _copy_text(rows: Sequence[Accepted], last: Callable[[Any], Any], received: str) -> str:
    """COPY text lines. The time goes as it was sent when water.ingest found it in plain ISO form, so
    most rows cost one f-string; nothing here can hold a tab, newline or backslash (the raw frame is
    hex, its bytea prefix an escaped backslash). `received`: the batch's arrival time, for rows that
    do not carry their own."""
    null, bytea = "\\N", "\\\\x"
    return "".join(
        [
            f"{a.meter_id}\t{r.text or r.at.isoformat()}\t{r.value}\t{null if r.flow is None else repr(r.flow)}\t"
            f"{last(r)}\t{received if r.received_at is None else r.received_at.isoformat()}\t"
            f"{null if r.raw is None else bytea + r.raw.hex()}\n"
            for a in rows
            for r in (a.row,)
        ]
    )


def readings_append(
    rows: Sequence[Accepted], source: str, received: dt.datetime, flagged: frozenset[int] = NO_FLAGS
) -> None:
    """Write rows known to be new (each after its meter's last stored reading, under the meter lock):
    on PostgreSQL a COPY straight into the table, the cheapest write there is (no temp table, no
    conflict handling); executemany on SQLite. received_at is written, not left to the column
    default, so that the timeliness counted in the daily rows is the one stored. Rows at positions in
    `flagged` are amendments after lock."""
    db = core_sql.db()
    if db.vendor == "postgresql":
        if flagged:
            data = _copy_text(rows, lambda r: f"{source}\t{'t' if r.pos in flagged else 'f'}", received.isoformat())
            statement = _COPY_READINGS_FLAGGED
        else:
            data, statement = _copy_text(rows, lambda r: source, received.isoformat()), _COPY_READINGS
        with core_sql.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(data)
        return
    ops = db.ops
    at = ops.adapt_datetimefield_value
    params = [
        (
            a.meter_id,
            at(r.at),
            ops.adapt_decimalfield_value(r.value),
            r.flow,
            source,
            r.pos in flagged,
            at(r.received_at or received),
            r.raw,
        )
        for a in rows
        for r in (a.row,)
    ]
    with core_sql.cursor() as cursor:
        cursor.executemany(_INSERT_READINGS, params)


def readings_merge_postgresql(
    rows: Sequence[Accepted],
    source: str,
    received: dt.datetime,
    flagged: frozenset[int] = NO_FLAGS,
    new: set[int] | None = None,
) -> tuple[Bounds, int, Conflicts]:
    """Rows that may be stored already: COPY into a session temp table, one INSERT … ON CONFLICT DO
    NOTHING (the database tells which were new), and a join for stored rows with another value. The
    positions of the rows inserted are added to `new` when it is given."""
    with core_sql.cursor() as cursor:
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
        if new is None:
            cursor.execute(_INSERT_SQL, [source])
            inserted = cursor.fetchall()
        else:
            cursor.execute(_INSERT_KEYS_SQL, [source])
            position = {(a.meter_id, a.us): a.row.pos for a in rows}
            per_meter: dict[int, list[Any]] = {}
            for mid, at in cursor.fetchall():
                new.add(position[(mid, to_us(at))])
                b = per_meter.get(mid)
                if b is None:
                    per_meter[mid] = [at, at, 1]
                else:
                    b[0], b[1], b[2] = min(b[0], at), max(b[1], at), b[2] + 1
            inserted = [(mid, lo, hi, n) for mid, (lo, hi, n) in per_meter.items()]
        bounds = {mid: (lo, hi) for mid, lo, hi, __ in inserted}
        created = sum(n for *__, n in inserted)
        conflicts: Conflicts = []
        if created < len(rows):
            cursor.execute(_CONFLICT_SQL)
            conflicts = cursor.fetchall()
    return bounds, created, conflicts


# ------------------------------------------------------------------------------------- daily volumes

DAILY_VALUE_COLUMNS = (
    "measured_m3",
    "estimated_m3",
    "corrected_m3",
    "held_m3",
    "covered_s",
    "n_readings",
    "n_flagged",
    "n_slots",
    "n_timely",
)
_DAILY_COLUMNS = ("meter_id", "day", *DAILY_VALUE_COLUMNS, "updated_at")
_PG_TYPES = (
    "bigint",
    "date",
    "numeric",
    "numeric",
    "numeric",
    "numeric",
    "float8",
    "int",
    "int",
    "int",
    "int",
    "timestamptz",
)


def _upsert_sql(*, additive: bool, postgresql: bool) -> str:
    if additive:
        sets = [f"{c} = {DAILY}.{c} + EXCLUDED.{c}" for c in DAILY_VALUE_COLUMNS]
    else:
        sets = [f"{c} = EXCLUDED.{c}" for c in DAILY_VALUE_COLUMNS]
    sets.append("updated_at = EXCLUDED.updated_at")
    columns = ", ".join(_DAILY_COLUMNS)
    if postgresql:
        arrays = ", ".join(f"%s::{t}[]" for t in _PG_TYPES)
        source = f"SELECT * FROM unnest({arrays}) AS t({columns}) ORDER BY meter_id, day"  # noqa: S608 - constants
    else:
        source = "VALUES (" + ", ".join(["%s"] * len(_DAILY_COLUMNS)) + ")"
    return f"INSERT INTO {DAILY} ({columns}) {source} ON CONFLICT (meter_id, day) DO UPDATE SET {', '.join(sets)}"


_DAILY_UPSERT = {(a, p): _upsert_sql(additive=a, postgresql=p) for a in (True, False) for p in (True, False)}


def daily_upsert(values: Sequence[tuple[Any, ...]], *, additive: bool) -> None:
    """One statement for all (meter, day) rows, each (meter_id, day, *DAILY_VALUE_COLUMNS, updated_at):
    unnest arrays on PostgreSQL, executemany on SQLite. ``additive``: the values add to a stored row
    instead of replacing it."""
    db = core_sql.db()
    if db.vendor == "postgresql":
        with core_sql.cursor() as cursor:
            cursor.execute(
                _DAILY_UPSERT[(additive, True)], [list(col) for col in zip(*values, strict=True)], binary=True
            )
        return
    ops = db.ops
    dec = ops.adapt_decimalfield_value
    params = [
        (
            mid,
            ops.adapt_datefield_value(day),
            dec(me),
            dec(es),
            dec(co),
            dec(he),
            cov,
            nr,
            nf,
            ns,
            nt,
            ops.adapt_datetimefield_value(at),
        )
        for mid, day, me, es, co, he, cov, nr, nf, ns, nt, at in values
    ]
    with core_sql.cursor() as cursor:
        cursor.executemany(_DAILY_UPSERT[(additive, False)], params)


_TAILS_SQL = f"""
SELECT b.id, lst.t, x.observed_at, x.cumulative_m3, x.review, x.corrected, x.source
FROM unnest(%s::bigint[]) AS b(id)
CROSS JOIN LATERAL (SELECT max(r.observed_at) AS t FROM {READING} r WHERE r.meter_id = b.id) lst
LEFT JOIN LATERAL (
    SELECT r.observed_at, r.cumulative_m3, r.review, r.corrected, r.source FROM {READING} r
    WHERE r.meter_id = b.id AND r.review <> '{Review.REJECTED.value}' ORDER BY r.observed_at DESC LIMIT 3
) x ON true
"""  # noqa: S608 - names from the model and a choice's value are formatted in


def tails_postgresql(meter_ids: list[int]) -> list[tuple[Any, ...]]:
    """(meter id, its last reading's instant, then the observed_at, cumulative_m3, review, corrected and
    source of one of its last three non-rejected readings, or Nones) rows: one query (PostgreSQL)."""
    with core_sql.cursor() as cursor:
        cursor.execute(_TAILS_SQL, [meter_ids], binary=True)
        return list(cursor.fetchall())


# ---------------------------------------------------------------------------------------- ledger lock

_LOCKED_COLUMNS = "lock_id, meter_id, day, measured_m3, estimated_m3, corrected_m3, held_m3"


def locked_volumes_insert(lock_id: int, select_sql: str, params: Sequence[Any]) -> None:
    """INSERT … SELECT of a lock's frozen daily rows: ``select_sql`` (the ORM's, bound parameters) gives
    meter_id, day, measured_m3, estimated_m3, corrected_m3, held_m3 (PostgreSQL)."""
    insert = f"INSERT INTO {LOCKED_DAILY} ({_LOCKED_COLUMNS}) SELECT %s, s.* FROM ({select_sql}) s"  # noqa: S608 - the ORM's SQL, bound parameters
    with core_sql.cursor() as cursor:
        cursor.execute(insert, [lock_id, *params])


# ------------------------------------------------------------------------------------ telemetry stations

STATION_COUNTERS = (
    "frames",
    "bad_crc",
    "unknown_elements",
    "decode_errors",
    "readings_stored",
    "readings_duplicate",
    "readings_refused",
    "acks_sent",
    "missing_values",
    "bad_password",
)
STATION_COLUMNS = (
    "protocol",
    "address",
    "meter_id",
    *STATION_COUNTERS,
    "first_seen",
    "last_seen",
    "last_remote",
    "last_error",
    "clock_drift_s",
    "updated_at",
)
# One upsert per station: counters add, times keep the earliest/latest, text keeps the last non-empty value.
# Written for both backends (SQLite ≥ 3.24 and PostgreSQL share this ON CONFLICT syntax).
_STATION_UPSERT = (
    f"INSERT INTO {STATION} ({', '.join(STATION_COLUMNS)}) VALUES ({', '.join(['%s'] * len(STATION_COLUMNS))}) "  # noqa: S608
    "ON CONFLICT (protocol, address) DO UPDATE SET "
    f"meter_id = CASE WHEN excluded.frames > 0 THEN excluded.meter_id ELSE {STATION}.meter_id END, "
    + ", ".join(f"{c} = {STATION}.{c} + excluded.{c}" for c in STATION_COUNTERS)
    + f", first_seen = COALESCE({STATION}.first_seen, excluded.first_seen), "
    f"last_seen = CASE WHEN excluded.last_seen IS NULL THEN {STATION}.last_seen "
    f"WHEN {STATION}.last_seen IS NULL OR excluded.last_seen > {STATION}.last_seen THEN excluded.last_seen "
    f"ELSE {STATION}.last_seen END, "
    f"last_remote = CASE WHEN excluded.last_remote = '' THEN {STATION}.last_remote ELSE excluded.last_remote END, "
    f"last_error = CASE WHEN excluded.last_error = '' THEN {STATION}.last_error ELSE excluded.last_error END, "
    f"clock_drift_s = COALESCE(excluded.clock_drift_s, {STATION}.clock_drift_s), "
    "updated_at = excluded.updated_at"
)


def station_counters_upsert(params: Sequence[Sequence[Any]]) -> None:
    """One upsert per station, each row's values in STATION_COLUMNS order."""
    with core_sql.cursor() as cursor:
        cursor.executemany(_STATION_UPSERT, params)
