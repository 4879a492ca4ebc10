"""patrols' raw SQL, all of it (ARCHITECTURE rule 16, core/README.md "core/sql.py").

Raw SQL stays only where the ORM would cost a patrol post at least 0.3 ms of server CPU or 5 % of
that post's CPU (benchmarks/patrols_cpu.py: about 8 ms for a first post of 2,000 points, 2 ms for a
resend, so 0.1 ms on the resend path), as measured by benchmarks/patrols_selects.py:

* the chief's appointments on a reach or a lake with the validity rules of their levels: one
  query, where the ORM needs two (the rules join the appointment by level, not by a foreign key);
* the overlap search (every first post): the chief's completed patrols near the new one in time;
* the resend lookup (every post): the ORM would need one query instead of two on a hit (a resend),
  no dearer there on PostGIS, but a first post misses it, and there the ORM's query building costs
  more than the threshold;
* the new patrol and its audit row in one INSERT on PostgreSQL (the geometries as WKB, bound on
  the server).

The validity-rule read of a recompute is an ORM query: it is not on a post's path.
Table and column names come from the models; values are bound; statements run through
``core.sql.cursor()``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.utils import timezone

from core import sql as core_sql
from core.geo import WGS84_SRID
from patrols.models import Patrol, PatrolValidityRule
from places.models import ChiefAssignment, Division


def appointments_on(
    *, chief_id: int, site: Any, fk: str, size: str, site_id: int, on: dt.date
) -> list[tuple[Any, ...]]:
    """(level, the site's length or area, its division's code, and the validity rule columns of that
    level: jurisdiction, min_duration_s, min_length_m, min_gap_hours, or Nones) for each appointment
    of the chief on the reach or lake (`site`, the model; `fk` its column on the appointment, `size`
    its size column) current on `on`."""
    assignment, table, division = ChiefAssignment._meta.db_table, site._meta.db_table, Division._meta.db_table
    rule = PatrolValidityRule._meta.db_table
    sql = (
        f"SELECT a.level, s.{size}, d.code, v.jurisdiction, v.min_duration_s, v.min_length_m, v.min_gap_hours "  # noqa: S608 - names from the models, values bound
        f"FROM {assignment} a JOIN {table} s ON s.id = a.{fk} JOIN {division} d ON d.id = s.division_id "
        f"LEFT JOIN {rule} v ON v.level = a.level "
        f"WHERE a.chief_id = %s AND a.{fk} = %s AND a.valid_from <= %s "
        "AND (a.valid_until IS NULL OR a.valid_until >= %s)"
    )
    with core_sql.cursor() as cursor:
        cursor.execute(sql, [chief_id, site_id, on, on])
        return list(cursor.fetchall())


def neighbours(
    *,
    chief_id: int,
    status: str,
    exclude: Any,
    started_before: dt.datetime,
    started_after: dt.datetime,
    ended_after: dt.datetime,
) -> list[tuple[Any, ...]]:
    """(id, started_at, ended_at, valid, flags, review_status) of the chief's patrols in `status`
    started in (started_after, started_before) and ended after `ended_after`, other than `exclude`;
    converted as the ORM would return them."""
    table = Patrol._meta.db_table
    sql = (
        f"SELECT id, started_at, ended_at, valid, flags, review_status FROM {table} "  # noqa: S608 - table name from the model, values bound
        "WHERE chief_id = %s AND status = %s AND started_at < %s AND started_at > %s AND ended_at > %s AND id <> %s"
    )
    pk = Patrol._meta.pk
    assert pk is not None  # noqa: S101 - narrows the type
    # Times adapted as the ORM adapts them (SQLite compares naive UTC text).
    db = core_sql.db()
    times = [db.ops.adapt_datetimefield_value(t) for t in (started_before, started_after, ended_after)]
    with core_sql.cursor() as cursor:
        cursor.execute(sql, [chief_id, status, *times, pk.get_db_prep_value(exclude, db)])
        rows = cursor.fetchall()
    # As the ORM would return them: SQLite gives UUIDs as hex text, JSON as text and naive UTC times.
    return [
        (
            other if isinstance(other, uuid.UUID) else uuid.UUID(str(other)),
            _aware(started),
            _aware(ended),
            bool(valid),
            json.loads(flags) if isinstance(flags, str) else flags,
            review,
        )
        for other, started, ended, valid, flags, review in rows
    ]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, dt.UTC)


def resend_id(*, chief_id: int, body_sha256: str) -> Any:
    """The id of the chief's patrol posted with exactly this body, or None."""
    with core_sql.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Patrol._meta.db_table} WHERE body_sha256 = %s AND chief_id = %s",  # noqa: S608 - table name from the model, values bound
            [body_sha256, chief_id],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def _insert_values(
    model: type[Any], values: dict[str, Any], special: dict[str, tuple[str, Any]]
) -> tuple[list[str], list[str], list[Any]]:
    """Columns, placeholders and parameters of an INSERT of `values` (attname → value) into `model`,
    each value prepared as the ORM would send it, except `special` (name → (placeholder, parameter))."""
    from django.db.models.expressions import DatabaseDefault

    db = core_sql.db()
    quote = db.ops.quote_name
    columns, placeholders, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.name not in special and (f.attname not in values or isinstance(values[f.attname], DatabaseDefault)):
            continue
        columns.append(quote(f.column))
        if f.name in special:
            placeholder, param = special[f.name]
            placeholders.append(placeholder)
            params.append(param)
        else:
            placeholders.append("%s")
            params.append(f.get_db_prep_save(values[f.attname], db))
    return columns, placeholders, params


def patrol_insert_with_audit(
    patrol: Patrol, *, raw_wkb: bytes, preview_wkb: bytes | None, audit: dict[str, Any]
) -> None:
    """``patrol.save(force_insert=True)`` and its audit row (the values ``audit_record`` would write,
    ``core.audit.audit_values``) on PostgreSQL, in one statement and at a fraction of the ORM's cost
    for a 2,000-point track: the geometries go in as the WKB the track module wrote (no GEOS
    adaptation and hex encoding), and the statement uses server-side parameter binding, so
    PostgreSQL does not lex a 100 kB SQL literal (1 ms of its CPU per post). Columns and the other
    values come from the models' fields, prepared as the ORM prepares them, so a new field is
    written without a change here."""
    from core.models import AuditLog

    wkb = f"ST_GeomFromWKB(%s, {WGS84_SRID})"
    p_cols, p_marks, p_params = _insert_values(
        Patrol,
        {f.attname: getattr(patrol, f.attname) for f in Patrol._meta.concrete_fields},
        {"raw_track": (wkb, raw_wkb), "track_preview": (wkb, preview_wkb)},
    )
    a_cols, a_marks, a_params = _insert_values(
        AuditLog, {f"{k}_id" if k == "actor" else k: getattr(v, "pk", v) for k, v in audit.items()}, {}
    )
    db = core_sql.db()
    quote = db.ops.quote_name
    sql = (
        f"WITH p AS (INSERT INTO {quote(Patrol._meta.db_table)} ({', '.join(p_cols)}) VALUES ({', '.join(p_marks)}) "  # noqa: S608 - names from the models, values bound
        f"RETURNING 1) INSERT INTO {quote(AuditLog._meta.db_table)} ({', '.join(a_cols)}) "
        f"SELECT {', '.join(a_marks)} FROM p"
    )
    with core_sql.cursor() as cursor:
        cursor.execute(sql, [*p_params, *a_params])
    patrol._state.adding = False
    patrol._state.db = db.alias
