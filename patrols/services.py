"""Writes of the patrols app: patrols (one-shot and in parts), reviews, cases and their workflow,
photos, rechecks, litter, and the rule tables. Each write validates, saves and audits in one
transaction (ARCHITECTURE style 1, 4 and 6)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import secrets
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry, LineString, MultiLineString, Point
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.permissions import user_role
from core.audit import actor_label, audit_record, audit_values, snapshot
from core.choices import AuditAction
from core.divisions import division_prefix, is_division_code
from core.exceptions import Conflict, Forbidden, InvalidInput
from core.geo import WGS84_SRID, InputCRS, geodesic_distance_m, parse_crs
from core.periods import BEIJING
from patrols import conf
from patrols.choices import (
    CaseCategory,
    CaseClosure,
    CaseSource,
    CaseStatus,
    ChiefLevel,
    PatrolFlag,
    PatrolMode,
    PatrolStatus,
    PhotoFlag,
    RecheckOutcome,
    ReviewStatus,
    ValidityReason,
)
from patrols.models import (
    Case,
    CaseEvent,
    CasePhoto,
    CaseRecheck,
    LitterRemoval,
    Patrol,
    PatrolChunk,
    PatrolFrequencyRule,
    PatrolValidityRule,
)
from patrols.photos import PhotoError, inspect_photo
from patrols.track import TrackError, analyse, fingerprint, local_reach, parse_positions, parse_times
from places.models import ChiefAssignment, Division, Reach

# Seniority of levels, most senior first: a chief appointed twice to one reach patrols at the higher.
LEVEL_ORDER = [ChiefLevel.PROVINCE, ChiefLevel.CITY, ChiefLevel.DISTRICT, ChiefLevel.TOWNSHIP, ChiefLevel.VILLAGE]

# Per-point columns a resend or a ledger row never needs.
_HEAVY = ("raw_track", "raw_times_ms", "track_preview", "dropped_points", "part_starts")

# Fields full_clean() leaves out on the hot path. Geometries and the per-point JSON are built by the
# service itself, and every CheckConstraint's validate() costs one database query (nine here), so
# the database enforces those on insert instead of a Python pre-check.
_PATROL_CLEAN_EXCLUDE = [
    "raw_track",
    "raw_times_ms",
    "track_preview",
    "dropped_points",
    "part_starts",
    "flags",
    "invalid_reasons",
    "chief",
    "reach",
    "reviewed_by",
]


def _now() -> dt.datetime:
    return timezone.now()


def _today() -> dt.date:
    return _now().astimezone(BEIJING).date()


def _invalid(field: str, message: str, *, code: str = "invalid") -> InvalidInput:
    return InvalidInput(message, code=code, fields={field: [message]})


def _require_role(actor: Any, roles: Iterable[str], what: str) -> str:
    role = user_role(actor)
    if role is None or role not in set(roles):
        raise Forbidden(f"Your role may not {what}.")
    return role


# =========================================================================== patrols


@dataclass(frozen=True, slots=True)
class PatrolHeader:
    """The members of a patrol other than its points."""

    id: uuid.UUID
    reach_id: int
    started_at: dt.datetime
    companions: int
    mode: str
    crs: InputCRS


@dataclass(frozen=True, slots=True)
class ReachInfo:
    """What the patrol checks need of a reach (fetched as values, not as a model, on the hot path)."""

    id: int
    division_code: str
    wkb: bytes
    # The validity rules of the chief's level, (jurisdiction, min duration s, min length m, min gap h)
    # each, when fetched with the level (one query instead of two); None: not fetched.
    rules: tuple[tuple[str, int, int, int | None], ...] | None = None


# A reach's geometry (WKB), cached per process by (id, geodesic length): every patrol post needs it,
# loading and hashing it costs more than the rest of the reach checks, and places recomputes the
# length on every geometry change, so an edited reach misses the cache at once.
_REACH_CACHE_SIZE = 4096
_reach_wkb_cache: dict[tuple[int, float], bytes] = {}


def _reach_wkb(reach_id: int, length_m: float) -> bytes:
    key = (reach_id, length_m)
    wkb = _reach_wkb_cache.get(key)
    if wkb is None:
        geometry = Reach.objects.filter(pk=reach_id).values_list("geometry", flat=True).get()
        wkb = bytes(geometry.wkb)
        if len(_reach_wkb_cache) >= _REACH_CACHE_SIZE:
            _reach_wkb_cache.clear()
        _reach_wkb_cache[key] = wkb
    return wkb


@contextmanager
def _sql() -> Iterator[Any]:
    """A cursor for the hot path's plain SQL. On PostgreSQL one with server-side parameter binding,
    inside Django's own cursor wrapper (execute wrappers, query logging in tests): psycopg then sends
    the values apart from the statement instead of composing a literal SQL text in Python (a third
    of a millisecond per query on the benchmark machine, and for the 100 kB insert PostgreSQL's
    lexing of it). Django's cursor elsewhere."""
    db = _db()
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    import psycopg
    from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

    db.ensure_connection()
    wrapper = CursorDebugWrapper if db.queries_logged else CursorWrapper
    with wrapper(psycopg.Cursor(db.connection), db) as cursor:
        yield cursor


def _db() -> Any:
    """The default database's wrapper itself: ``django.db.connection`` is a proxy that looks the
    wrapper up in a context-local store on every attribute access (3 µs each, dozens per post)."""
    return connections[DEFAULT_DB_ALIAS]


def _level_on_reach(*, chief: Any, reach_id: int, on: dt.date) -> tuple[ReachInfo, str]:
    """The reach and the chief's level on it, from their appointment current on `on` (a 400 naming
    `reach` when the reach does not exist or the chief holds no appointment on it that day).

    Plain SQL over appointments, reaches, divisions and the validity rules of the appointments'
    levels: this runs on every patrol post, and building the ORM query costs several times what the
    query does."""
    assignment, reach, division = ChiefAssignment._meta.db_table, Reach._meta.db_table, Division._meta.db_table
    rule = PatrolValidityRule._meta.db_table
    sql = (
        "SELECT a.level, r.length_m, d.code, v.jurisdiction, v.min_duration_s, v.min_length_m, v.min_gap_hours "  # noqa: S608 - table names from the models, values bound
        f"FROM {assignment} a JOIN {reach} r ON r.id = a.reach_id JOIN {division} d ON d.id = r.division_id "
        f"LEFT JOIN {rule} v ON v.level = a.level "
        "WHERE a.chief_id = %s AND a.reach_id = %s AND a.valid_from <= %s "
        "AND (a.valid_until IS NULL OR a.valid_until >= %s)"
    )
    with _sql() as cursor:
        cursor.execute(sql, [chief.pk, reach_id, on, on])
        rows = cursor.fetchall()
    if not rows:
        raise _invalid("reach", f"No reach {reach_id} to which you are appointed as chief on {on.isoformat()}.")
    level = min((row[0] for row in rows), key=lambda value: LEVEL_ORDER.index(ChiefLevel(value)))
    length_m, code = float(rows[0][1]), rows[0][2]
    rules = tuple(dict.fromkeys(tuple(row[3:]) for row in rows if row[0] == level and row[3] is not None))
    return ReachInfo(id=reach_id, division_code=code, wkb=_reach_wkb(reach_id, length_m), rules=rules), level


def _reach_info(reach_id: int) -> ReachInfo:
    """The reach as the checks need it, for a stored patrol (its validity rules are looked up later)."""
    code, geometry = Reach.objects.filter(pk=reach_id).values_list("division__code", "geometry").get()
    return ReachInfo(id=reach_id, division_code=code, wkb=bytes(geometry.wkb))


def _check_header(*, started_at: dt.datetime, companions: int, mode: str, now: dt.datetime) -> None:
    if started_at > now + conf.future_tolerance():
        raise _invalid("started_at", "The start is in the future.", code="future")
    if not 0 <= companions <= conf.max_companions():
        raise _invalid("companions", f"Give 0 to {conf.max_companions()} companions.")
    if mode not in PatrolMode.values:
        raise _invalid("mode", f"One of {', '.join(PatrolMode.values)}.")


def _check_end(*, started_at: dt.datetime, ended_at: dt.datetime, now: dt.datetime) -> None:
    if ended_at < started_at:
        raise _invalid("ended_at", "The end is before the start.", code="end_before_start")
    if ended_at > now + conf.future_tolerance():
        raise _invalid("ended_at", "The end is in the future.", code="future")
    if ended_at - started_at > conf.max_duration():
        raise _invalid("ended_at", f"A patrol lasts at most {conf.max_duration()}.", code="too_long")


def _parse_points(
    *, track: object, times: object, crs: InputCRS, started_at: dt.datetime, ended_at: dt.datetime, now: dt.datetime
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        lon, lat = parse_positions(track, crs=crs, max_points=conf.max_track_points())
        t_ms = parse_times(times, count=len(lon))
    except TrackError as exc:
        raise InvalidInput(exc.message, code=exc.code, fields={exc.field: [exc.message]}) from None
    tol = conf.time_tolerance()
    first = dt.datetime.fromtimestamp(int(t_ms[0]) / 1000, tz=dt.UTC)
    last = dt.datetime.fromtimestamp(int(t_ms[-1]) / 1000, tz=dt.UTC)
    if last > now + conf.future_tolerance():
        raise _invalid("times", f"[{len(t_ms) - 1}]: the time is in the future.", code="future")
    if first < started_at - tol or last > ended_at + tol:
        raise _invalid(
            "times",
            f"The track's times ({first.isoformat()} to {last.isoformat()}) lie outside the patrol "
            f"({started_at.isoformat()} to {ended_at.isoformat()}, ± {int(tol.total_seconds())} s).",
            code="outside_patrol",
        )
    return lon, lat, t_ms


def _content_hash(
    header: PatrolHeader, ended_at: dt.datetime, lon: np.ndarray, lat: np.ndarray, t_ms: np.ndarray
) -> str:
    return fingerprint(
        str(header.id),
        header.reach_id,
        header.started_at.timestamp(),
        ended_at.timestamp(),
        header.companions,
        header.mode,
        header.crs.value,
        lon,
        lat,
        t_ms,
    )


def _validity_rule(
    *, level: str, division_code: str, rows: Iterable[tuple[str, int, int, int | None]] | None = None
) -> tuple[int, int, int | None] | None:
    """(min duration s, min length m, min gap h) of the most specific rule whose jurisdiction contains
    the division (an empty jurisdiction is the default everywhere); None without a rule. ``rows``:
    the level's rules when already fetched (``ReachInfo.rules``)."""
    best: tuple[str, int, int, int | None] | None = None
    if rows is None:
        table = PatrolValidityRule._meta.db_table
        sql = f"SELECT jurisdiction, min_duration_s, min_length_m, min_gap_hours FROM {table} WHERE level = %s"  # noqa: S608 - table name from the model, values bound
        with connection.cursor() as cursor:
            cursor.execute(sql, [level])
            rows = cursor.fetchall()
    for jurisdiction, duration, length, gap in rows:
        if jurisdiction and not division_code.startswith(division_prefix(jurisdiction)):
            continue
        if best is None or len(jurisdiction) > len(best[0]):
            best = (jurisdiction, duration, length, gap)
    return None if best is None else best[1:]


@dataclass(frozen=True, slots=True)
class _Neighbour:
    id: uuid.UUID
    flags: list[str]
    review_status: str


@dataclass(frozen=True, slots=True)
class _Filled:
    overlapping: list[_Neighbour]
    raw_wkb: bytes
    preview_wkb: bytes | None


def _neighbours(
    *, chief_id: int, exclude: Any, started_at: dt.datetime, ended_at: dt.datetime, gap: dt.timedelta
) -> list[tuple[Any, ...]]:
    """The chief's completed patrols that overlap [started_at - gap, ended_at): (id, started_at,
    ended_at, valid, flags, review_status) each.

    Plain SQL (the ORM's query building costs more than the query), with a lower bound on the start
    as well: no stored patrol lasts longer than PATROL_MAX_DURATION_HOURS (every end is checked
    against it), so the (chief, started_at) index yields a handful of rows instead of every earlier
    patrol of the chief."""
    table = Patrol._meta.db_table
    sql = (
        f"SELECT id, started_at, ended_at, valid, flags, review_status FROM {table} "  # noqa: S608 - table name from the model, values bound
        "WHERE chief_id = %s AND status = %s AND started_at < %s AND started_at > %s AND ended_at > %s AND id <> %s"
    )
    since = started_at - gap
    pk = Patrol._meta.pk
    assert pk is not None  # noqa: S101 - narrows the type
    # Times adapted as the ORM adapts them (SQLite compares naive UTC text).
    db = _db()
    times = [db.ops.adapt_datetimefield_value(t) for t in (ended_at, since - conf.max_duration(), since)]
    with _sql() as cursor:
        cursor.execute(sql, [chief_id, PatrolStatus.COMPLETED.value, *times, pk.get_db_prep_value(exclude, db)])
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


def _fill_patrol(
    patrol: Patrol,
    *,
    reach: ReachInfo,
    ended_at: dt.datetime,
    lon: np.ndarray,
    lat: np.ndarray,
    t_ms: np.ndarray,
    content_sha256: str,
) -> _Filled:
    """Compute everything the server derives and set it on `patrol`. Returns the other patrols of
    the chief that this one overlaps in time (they get the overlap flag too) and the geometries' WKB."""
    limits = conf.track_limits(patrol.mode)
    result = analyse(lon, lat, t_ms, reach=local_reach(reach.wkb, buffer_m=limits.reach_buffer_m), limits=limits)
    started_ms = round(patrol.started_at.timestamp() * 1000)
    patrol.ended_at = ended_at
    patrol.status = PatrolStatus.COMPLETED
    patrol.raw_track = cast(LineString, GEOSGeometry(memoryview(result.raw_wkb), srid=WGS84_SRID))
    patrol.raw_times_ms = (t_ms - started_ms).tolist()
    patrol.track_preview = (
        cast(MultiLineString, GEOSGeometry(memoryview(result.preview_wkb), srid=WGS84_SRID))
        if result.preview_wkb
        else None
    )
    patrol.dropped_points = result.dropped
    patrol.part_starts = result.part_starts
    patrol.points_received = result.points_received
    patrol.points_kept = result.points_kept
    patrol.distance_m = result.distance_m
    patrol.track_duration_s = result.duration_s
    patrol.coverage = result.coverage
    patrol.inside_share = result.inside_share
    patrol.content_sha256 = content_sha256
    flags = list(result.flags)

    # Rules: the most specific validity rule; the minimum gap and the overlap need the chief's
    # neighbouring patrols, fetched in one query.
    rule = _validity_rule(level=patrol.level, division_code=reach.division_code, rows=reach.rules)
    min_duration, min_length, gap_hours = rule if rule is not None else (0, 0, None)
    gap = dt.timedelta(hours=gap_hours) if gap_hours else dt.timedelta(0)
    overlapping: list[_Neighbour] = []
    earlier_valid = False
    for pk, started, ended, valid, other_flags, review in _neighbours(
        chief_id=patrol.chief_id, exclude=patrol.pk, started_at=patrol.started_at, ended_at=ended_at, gap=gap
    ):
        if ended is not None and started < ended_at and ended > patrol.started_at:
            overlapping.append(_Neighbour(pk, list(other_flags or []), review))
        elif valid and started < patrol.started_at:
            earlier_valid = True
    if overlapping:
        flags.append(PatrolFlag.OVERLAP.value)
    reasons: list[str] = []
    if rule is not None:
        if patrol.track_duration_s < min_duration:
            reasons.append(ValidityReason.DURATION.value)
        if patrol.distance_m < min_length:
            reasons.append(ValidityReason.LENGTH.value)
        if gap and earlier_valid:
            reasons.append(ValidityReason.GAP.value)
    patrol.flags = flags
    patrol.invalid_reasons = reasons
    patrol.valid = not reasons
    patrol.review_status = ReviewStatus.PENDING if flags else ReviewStatus.NOT_REQUIRED
    patrol.updated_at = _now()
    return _Filled(overlapping=overlapping, raw_wkb=result.raw_wkb, preview_wkb=result.preview_wkb)


def _flag_overlapped(others: list[_Neighbour], *, by: Patrol, actor: Any) -> None:
    for other in others:
        if PatrolFlag.OVERLAP.value in other.flags:
            continue
        before = {"flags": other.flags, "review_status": other.review_status}
        after = {
            "flags": [*other.flags, PatrolFlag.OVERLAP.value],
            "review_status": ReviewStatus.PENDING
            if other.review_status == ReviewStatus.NOT_REQUIRED
            else other.review_status,
        }
        Patrol.objects.filter(pk=other.id).update(**after, updated_at=_now())
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            entity="patrols.patrol",
            entity_id=other.id,
            before=before,
            after=after,
            reason=f"overlaps patrol {by.pk} of the same chief",
        )


# The per-point members are summarised in audit rows (count and hash), not copied: the patrol row
# itself keeps them, and a 2,000-point track per audit row would double the table.
_PATROL_AUDIT_EXCLUDE = ("raw_track", "raw_times_ms", "track_preview", "dropped_points", "part_starts")


def _patrol_audit(patrol: Patrol, *, raw_wkb: bytes | None = None) -> dict[str, Any]:
    """The patrol's audit snapshot, its track summarised. ``raw_wkb``: the raw track's WKB when the
    caller has it (the same bytes as ``raw_track.wkb``, so the same hash), saving a serialisation."""
    data = snapshot(patrol, exclude=_PATROL_AUDIT_EXCLUDE)
    geom = patrol.raw_track
    data["raw_track"] = (
        None
        if geom is None
        else {
            "type": geom.geom_type,
            "points": geom.num_points,
            "sha256": hashlib.sha256(raw_wkb if raw_wkb is not None else bytes(geom.wkb)).hexdigest(),
        }
    )
    data["dropped_points"] = len(patrol.dropped_points or [])
    data["part_starts"] = patrol.part_starts
    return data


def _insert_values(
    model: type[Any], values: dict[str, Any], special: dict[str, tuple[str, Any]]
) -> tuple[list[str], list[str], list[Any]]:
    """Columns, placeholders and parameters of an INSERT of `values` (attname → value) into `model`,
    each value prepared as the ORM would send it, except `special` (name → (placeholder, parameter))."""
    from django.db.models.expressions import DatabaseDefault

    db = _db()
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


def _insert_patrol_postgresql(patrol: Patrol, filled: _Filled, audit: dict[str, Any]) -> None:
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
        {
            "raw_track": (wkb, filled.raw_wkb),
            "track_preview": (wkb, filled.preview_wkb),
        },
    )
    a_cols, a_marks, a_params = _insert_values(
        AuditLog, {f"{k}_id" if k == "actor" else k: getattr(v, "pk", v) for k, v in audit.items()}, {}
    )
    db = _db()
    quote = db.ops.quote_name
    sql = (
        f"WITH p AS (INSERT INTO {quote(Patrol._meta.db_table)} ({', '.join(p_cols)}) VALUES ({', '.join(p_marks)}) "  # noqa: S608 - names from the models, values bound
        f"RETURNING 1) INSERT INTO {quote(AuditLog._meta.db_table)} ({', '.join(a_cols)}) "
        f"SELECT {', '.join(a_marks)} FROM p"
    )
    with _sql() as cursor:
        cursor.execute(sql, [*p_params, *a_params])
    patrol._state.adding = False
    patrol._state.db = db.alias


def _one_statement(filled: _Filled) -> bool:
    """Whether the new patrol is written by one statement that is atomic by itself, so that it needs
    no transaction of its own: on PostgreSQL the patrol and its audit row are one INSERT, and when
    the patrol overlaps no other (nothing else to flag) that is all that is written. Saves the BEGIN
    and COMMIT round trips, two of the six per post. Inside a caller's transaction a savepoint is
    still needed, so that a refused insert (an id already used) leaves that transaction usable."""
    db = _db()
    return db.vendor == "postgresql" and not filled.overlapping and not db.in_atomic_block


def _save_new_patrol(patrol: Patrol, *, actor: Any, filled: _Filled) -> None:
    patrol.full_clean(exclude=_PATROL_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
    if _db().vendor != "postgresql":
        patrol.save(force_insert=True)
        _flag_overlapped(filled.overlapping, by=patrol, actor=actor)
        audit_record(
            actor=actor, action=AuditAction.CREATE, instance=patrol, after=_patrol_audit(patrol, raw_wkb=filled.raw_wkb)
        )
        return
    # The creation time is set here rather than by the column's default, so that the audit row
    # (written in the same statement) records it as the ORM's read-back would.
    patrol.created_at = patrol.updated_at
    audit = audit_values(
        actor=actor, action=AuditAction.CREATE, instance=patrol, after=_patrol_audit(patrol, raw_wkb=filled.raw_wkb)
    )
    # The patrol's insert comes first (an id already used fails here, before anything is written),
    # then the patrols it overlaps are flagged, as on the ORM path.
    _insert_patrol_postgresql(patrol, filled, audit)
    _flag_overlapped(filled.overlapping, by=patrol, actor=actor)


def patrol_find_resend(*, chief: Any, body_sha256: str) -> Patrol | None:
    """A patrol of this chief posted with exactly this body: the cheap resend check, one indexed
    query before any parsing (plain SQL: the ORM's query building costs more than the query)."""
    if not body_sha256:
        return None
    with _sql() as cursor:
        cursor.execute(
            f"SELECT id FROM {Patrol._meta.db_table} WHERE body_sha256 = %s AND chief_id = %s",  # noqa: S608 - table name from the model, values bound
            [body_sha256, chief.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Patrol.objects.defer(*_HEAVY).get(pk=row[0])


def _replay_or_conflict(existing: Patrol, *, chief: Any, content_sha256: str) -> Patrol:
    if existing.chief_id != chief.pk or existing.content_sha256 != content_sha256:
        raise Conflict(
            f"A patrol with id {existing.pk} exists with different content.",
            code="patrol_id_conflict",
            fields={"id": ["Already used for a different patrol."]},
        )
    return existing


def _replay_stored(patrol_id: Any, *, chief: Any, content_sha256: str) -> Patrol | None:
    stored = Patrol.objects.defer(*_HEAVY).filter(pk=patrol_id).first()
    return None if stored is None else _replay_or_conflict(stored, chief=chief, content_sha256=content_sha256)


def patrol_submit(
    *,
    actor: Any,
    patrol_id: uuid.UUID,
    reach_id: int,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    companions: int,
    mode: str,
    crs: str | InputCRS | None,
    track: object,
    times: object,
    body_sha256: str = "",
) -> tuple[Patrol, bool]:
    """Record a whole patrol posted at once. Returns (patrol, created).

    The id is the phone's: the same content again returns the stored patrol (created False), other
    content under the same id is a Conflict. Distance, person-times, validity and flags are computed
    here from the track; figures the client sends are ignored.
    """
    _require_role(actor, {Role.CHIEF}, "record patrols")
    now = _now()
    try:
        input_crs = parse_crs(crs)
    except ValueError as exc:
        raise _invalid("crs", str(exc)) from None
    header = PatrolHeader(patrol_id, reach_id, started_at, companions, mode, input_crs)
    _check_header(started_at=started_at, companions=companions, mode=mode, now=now)
    _check_end(started_at=started_at, ended_at=ended_at, now=now)
    lon, lat, t_ms = _parse_points(
        track=track, times=times, crs=input_crs, started_at=started_at, ended_at=ended_at, now=now
    )
    content = _content_hash(header, ended_at, lon, lat, t_ms)
    try:
        reach, level = _level_on_reach(chief=actor, reach_id=reach_id, on=started_at.astimezone(BEIJING).date())
    except InvalidInput:
        # A resend of a stored patrol (in another JSON layout) after the appointment ended.
        stored = _replay_stored(patrol_id, chief=actor, content_sha256=content)
        if stored is None:
            raise
        return stored, False
    patrol = Patrol(
        id=patrol_id,
        chief_id=actor.pk,
        reach_id=reach.id,
        level=level,
        mode=mode,
        companions=companions,
        person_times=companions + 1,
        started_at=started_at,
        input_crs=input_crs.value,
        body_sha256=body_sha256,
    )
    filled = _fill_patrol(patrol, reach=reach, ended_at=ended_at, lon=lon, lat=lat, t_ms=t_ms, content_sha256=content)
    try:
        # No existence check first: the primary key decides, so the usual new patrol costs no query
        # for it, and two racing resends cannot both insert.
        if _one_statement(filled):
            _save_new_patrol(patrol, actor=actor, filled=filled)
        else:
            with transaction.atomic():
                _save_new_patrol(patrol, actor=actor, filled=filled)
    except IntegrityError:
        stored = _replay_stored(patrol_id, chief=actor, content_sha256=content)
        if stored is None:
            raise
        return stored, False
    return patrol, True


def patrol_start(
    *,
    actor: Any,
    patrol_id: uuid.UUID,
    reach_id: int,
    started_at: dt.datetime,
    companions: int,
    mode: str,
    crs: str | InputCRS | None,
    body_sha256: str = "",
) -> tuple[Patrol, bool]:
    """Open a patrol whose points will come in parts (long patrols). Returns (patrol, created)."""
    _require_role(actor, {Role.CHIEF}, "record patrols")
    now = _now()
    try:
        input_crs = parse_crs(crs)
    except ValueError as exc:
        raise _invalid("crs", str(exc)) from None
    _check_header(started_at=started_at, companions=companions, mode=mode, now=now)
    start_hash = fingerprint(
        "start", str(patrol_id), reach_id, started_at.timestamp(), companions, mode, input_crs.value
    )
    existing = Patrol.objects.filter(pk=patrol_id).first()
    if existing is not None:
        if existing.chief_id != actor.pk or existing.body_sha256 != start_hash:
            raise Conflict(
                f"A patrol with id {patrol_id} exists with different content.",
                code="patrol_id_conflict",
                fields={"id": ["Already used for a different patrol."]},
            )
        return existing, False
    reach, level = _level_on_reach(chief=actor, reach_id=reach_id, on=started_at.astimezone(BEIJING).date())
    patrol = Patrol(
        id=patrol_id,
        chief_id=actor.pk,
        reach_id=reach.id,
        level=level,
        status=PatrolStatus.IN_PROGRESS,
        mode=mode,
        companions=companions,
        person_times=companions + 1,
        started_at=started_at,
        input_crs=input_crs.value,
        body_sha256=start_hash,
    )
    with transaction.atomic():
        patrol.full_clean(exclude=_PATROL_CLEAN_EXCLUDE, validate_unique=False)
        patrol.save(force_insert=True)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=patrol,
            after=snapshot(patrol, exclude=_PATROL_AUDIT_EXCLUDE),
        )
    return patrol, True


def _in_progress(patrol: Patrol) -> None:
    if patrol.status != PatrolStatus.IN_PROGRESS:
        raise Conflict("This patrol has already ended.", code="patrol_ended", fields={"status": [patrol.status]})


def patrol_append(*, patrol: Patrol, actor: Any, seq: int, coordinates: object, times: object) -> tuple[int, bool]:
    """Add a numbered batch of points to a patrol in progress. Batches may arrive in any order; the
    same batch again is a no-op, another batch under a used number is a Conflict.

    Returns (points received so far, created)."""
    _require_role(actor, {Role.CHIEF}, "record patrols")
    if patrol.chief_id != actor.pk:
        raise Forbidden("Only the patrol's chief may add points.")
    now = _now()
    try:
        # A batch may hold one point, or points at one place (a phone flushes what it has); the whole
        # track is checked for at least two distinct points when the patrol ends.
        lon, _lat = parse_positions(
            coordinates,
            crs=InputCRS(patrol.input_crs),
            max_points=conf.max_track_points(),
            field="coordinates",
            min_points=1,
            allow_degenerate=True,
        )
        t_ms = parse_times(times, count=len(lon))
    except TrackError as exc:
        raise InvalidInput(exc.message, code=exc.code, fields={exc.field: [exc.message]}) from None
    if int(t_ms[-1]) / 1000 > (now + conf.future_tolerance()).timestamp():
        raise _invalid("times", f"[{len(t_ms) - 1}]: the time is in the future.", code="future")
    body = fingerprint("chunk", seq, coordinates, times)
    with transaction.atomic():
        # Lock the patrol so concurrent batches and the end are serialised.
        locked = Patrol.objects.select_for_update().only("id", "status").get(pk=patrol.pk)
        _in_progress(locked)
        chunks = list(PatrolChunk.objects.filter(patrol=patrol).only("seq", "body_sha256", "coordinates"))
        received = sum(len(c.coordinates) for c in chunks)
        same = next((c for c in chunks if c.seq == seq), None)
        if same is not None:
            if same.body_sha256 != body:
                raise Conflict(
                    f"Batch {seq} was already received with other points.",
                    code="chunk_conflict",
                    fields={"seq": ["Already used for other points."]},
                )
            return received, False
        if received + len(t_ms) > conf.max_track_points():
            raise _invalid(
                "coordinates",
                f"The patrol would have {received + len(t_ms)} positions; at most "
                f"{conf.max_track_points()} are accepted per patrol.",
                code="too_many_points",
            )
        chunk = PatrolChunk(patrol=patrol, seq=seq, coordinates=coordinates, times=times, body_sha256=body)
        chunk.full_clean(exclude=["patrol", "coordinates", "times"])
        chunk.save()
        audit_record(
            actor=actor, action=AuditAction.UPDATE, instance=patrol, reason=f"points batch {seq}: {len(t_ms)} positions"
        )
    return received + len(t_ms), True


def patrol_end(*, patrol: Patrol, actor: Any, ended_at: dt.datetime) -> tuple[Patrol, bool]:
    """Close a patrol sent in parts: its batches, in sequence order, are computed exactly as a one-shot
    post of the same track would be. Returns (patrol, changed); ending it again with the same time
    returns it unchanged."""
    _require_role(actor, {Role.CHIEF}, "record patrols")
    if patrol.chief_id != actor.pk:
        raise Forbidden("Only the patrol's chief may end it.")
    now = _now()
    with transaction.atomic():
        locked = Patrol.objects.select_for_update().get(pk=patrol.pk)
        if locked.status == PatrolStatus.COMPLETED:
            if locked.ended_at != ended_at:
                raise Conflict(
                    "This patrol has already ended at another time.",
                    code="patrol_ended",
                    fields={
                        "ended_at": [f"Already ended at {locked.ended_at.isoformat() if locked.ended_at else ''}."]
                    },
                )
            return locked, False
        _check_end(started_at=locked.started_at, ended_at=ended_at, now=now)
        chunks = list(PatrolChunk.objects.filter(patrol=locked).order_by("seq"))
        seqs = [c.seq for c in chunks]
        if seqs != list(range(len(seqs))):
            missing = sorted(set(range(max(seqs, default=-1) + 1)) - set(seqs))
            raise _invalid(
                "seq",
                f"Batches must be numbered from 0 without gaps; missing: {missing or [0]}.",
                code="missing_batches",
            )
        _complete_from_chunks(locked, chunks, ended_at=ended_at, now=now, actor=actor, reason="patrol ended")
    return locked, True


def _complete_from_chunks(
    locked: Patrol,
    chunks: list[PatrolChunk],
    *,
    ended_at: dt.datetime,
    now: dt.datetime,
    actor: Any,
    reason: str,
    flag: str | None = None,
) -> None:
    """Compute and store a patrol in progress (locked by the caller) from its batches, as a one-shot
    post of the same track, ``flag`` added to what the track shows; the batches are removed. Raises
    InvalidInput, writing nothing, when the points do not make a track."""
    coordinates = [p for c in chunks for p in c.coordinates]
    times = [t for c in chunks for t in c.times]
    header = PatrolHeader(
        locked.pk, locked.reach_id, locked.started_at, locked.companions, locked.mode, InputCRS(locked.input_crs)
    )
    lon, lat, t_ms = _parse_points(
        track={"type": "LineString", "coordinates": coordinates},
        times=times,
        crs=header.crs,
        started_at=locked.started_at,
        ended_at=ended_at,
        now=now,
    )
    reach = _reach_info(locked.reach_id)
    before = _patrol_audit(locked)
    filled = _fill_patrol(
        locked,
        reach=reach,
        ended_at=ended_at,
        lon=lon,
        lat=lat,
        t_ms=t_ms,
        content_sha256=_content_hash(header, ended_at, lon, lat, t_ms),
    )
    if flag is not None:
        locked.flags = [*locked.flags, flag]
        locked.review_status = ReviewStatus.PENDING
    locked.full_clean(exclude=_PATROL_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
    locked.save()
    PatrolChunk.objects.filter(patrol=locked).delete()
    _flag_overlapped(filled.overlapping, by=locked, actor=actor)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        before=before,
        after=_patrol_audit(locked, raw_wkb=filled.raw_wkb),
        reason=reason,
    )


def patrol_close_stale(
    *, now: dt.datetime | None = None, actor: str = "beat:patrols.patrol_close_stale"
) -> dict[str, int]:
    """Close the patrols sent in parts that their phones never ended (a phone lost, a crashed app).
    Once a patrol can no longer be ended (its start plus PATROL_MAX_DURATION_HOURS) and a grace
    (PATROL_STALE_GRACE_HOURS) has passed, it is completed at the time of its last point from the
    batches that arrived, in sequence order (a missing batch no longer holds it back), and flagged
    ``auto_ended`` for a reviewer; when those points make no track (fewer than two distinct ones,
    times out of order, longer than a patrol may last), it stays in progress with its batches as
    evidence and is flagged ``abandoned``, once. Idempotent; each change audited.
    Returns {"auto_ended": n, "abandoned": m}."""
    now = now or _now()
    cutoff = now - conf.max_duration() - conf.stale_grace()
    # Flags are JSON (no portable "contains" lookup on SQLite); stale patrols are few, so filtered here.
    candidates = [
        pk
        for pk, flags in Patrol.objects.filter(status=PatrolStatus.IN_PROGRESS, started_at__lt=cutoff).values_list(
            "pk", "flags"
        )
        if PatrolFlag.ABANDONED.value not in (flags or [])
    ]
    counts = {PatrolFlag.AUTO_ENDED.value: 0, PatrolFlag.ABANDONED.value: 0}
    for pk in candidates:
        with transaction.atomic():
            locked = Patrol.objects.select_for_update().filter(pk=pk, status=PatrolStatus.IN_PROGRESS).first()
            if locked is None or PatrolFlag.ABANDONED.value in (locked.flags or []):
                continue
            chunks = list(PatrolChunk.objects.filter(patrol=locked).order_by("seq"))
            times = [t for c in chunks for t in c.times]
            try:
                last_ms = int(parse_times(times, count=len(times))[-1]) if times else None
            except TrackError:
                last_ms = None
            problem = "no points arrived" if not times else "its times cannot be read in order"
            if last_ms is not None:
                ended_at = max(locked.started_at, dt.datetime.fromtimestamp(last_ms / 1000, tz=dt.UTC))
                try:
                    with transaction.atomic():
                        _check_end(started_at=locked.started_at, ended_at=ended_at, now=now)
                        _complete_from_chunks(
                            locked,
                            chunks,
                            ended_at=ended_at,
                            now=now,
                            actor=actor,
                            reason="never ended by the phone: closed at its last point",
                            flag=PatrolFlag.AUTO_ENDED.value,
                        )
                    counts[PatrolFlag.AUTO_ENDED.value] += 1
                    continue
                except InvalidInput as exc:
                    problem = str(exc)
            locked.refresh_from_db(fields=["flags", "review_status", "updated_at"])
            before = {"flags": locked.flags, "review_status": locked.review_status}
            locked.flags = [*(locked.flags or []), PatrolFlag.ABANDONED.value]
            locked.review_status = ReviewStatus.PENDING
            Patrol.objects.filter(pk=pk).update(flags=locked.flags, review_status=locked.review_status, updated_at=now)
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                entity="patrols.patrol",
                entity_id=pk,
                before=before,
                after={"flags": locked.flags, "review_status": locked.review_status},
                reason=f"never ended by the phone and cannot be closed: {problem}",
            )
            counts[PatrolFlag.ABANDONED.value] += 1
    return counts


# What a recompute may change: everything the server derives from the stored raw track.
_DERIVED = (
    "track_preview",
    "dropped_points",
    "part_starts",
    "points_kept",
    "distance_m",
    "track_duration_s",
    "coverage",
    "inside_share",
    "flags",
    "valid",
    "invalid_reasons",
)


def patrol_recompute(*, patrol_id: uuid.UUID, actor: Any, reason: str, dry_run: bool = False) -> list[str]:
    """Derive a stored patrol's figures again from its raw track and times, under the validity rules,
    reach geometry and cleaning settings in force now (after a rule or a reach was edited, or an
    earlier patrol was posted late). The client's content is not touched. A reviewer's decision
    stands unless the recompute raises a flag the patrol did not have, which asks for review again.
    Returns the names of the fields that changed (saved and audited unless ``dry_run``)."""
    with transaction.atomic():
        patrol = Patrol.objects.select_for_update().get(pk=patrol_id)
        if patrol.status != PatrolStatus.COMPLETED or patrol.raw_track is None or patrol.ended_at is None:
            return []
        coords = np.asarray(patrol.raw_track.coords, dtype=float)
        lon, lat = coords[:, 0].copy(), coords[:, 1].copy()
        t_ms = round(patrol.started_at.timestamp() * 1000) + np.asarray(patrol.raw_times_ms or [], dtype=np.int64)
        if len(t_ms) != len(lon):
            return []
        reach = _reach_info(patrol.reach_id)
        old = {name: getattr(patrol, name) for name in (*_DERIVED, "review_status")}
        before = _patrol_audit(patrol)
        filled = _fill_patrol(
            patrol,
            reach=reach,
            ended_at=patrol.ended_at,
            lon=lon,
            lat=lat,
            t_ms=t_ms,
            content_sha256=patrol.content_sha256,
        )
        new_flags = set(patrol.flags) - set(old["flags"] or [])
        if old["review_status"] in (ReviewStatus.ACCEPTED, ReviewStatus.REJECTED) and not new_flags:
            patrol.review_status = old["review_status"]
        changed = [name for name in _DERIVED if getattr(patrol, name) != old[name]]
        if patrol.review_status != old["review_status"]:
            changed.append("review_status")
        if not changed or dry_run:
            transaction.set_rollback(True)
            return changed
        patrol.save(update_fields=[*changed, "updated_at"])
        _flag_overlapped(filled.overlapping, by=patrol, actor=actor)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=patrol,
            before=before,
            after=_patrol_audit(patrol, raw_wkb=filled.raw_wkb),
            reason=reason or "recomputed",
        )
    return changed


@transaction.atomic
def patrol_review(*, patrol: Patrol, actor: Any, decision: str, note: str = "") -> Patrol:
    """A reviewer accepts or rejects a patrol (a rejected patrol does not count as valid in the
    frequency ledger). A later review replaces an earlier one; both are audited."""
    _require_role(actor, {Role.ADMIN, Role.REVIEWER}, "review patrols")
    if decision not in (ReviewStatus.ACCEPTED, ReviewStatus.REJECTED):
        raise _invalid("decision", "One of accepted, rejected.")
    if patrol.status != PatrolStatus.COMPLETED:
        raise Conflict("A patrol in progress cannot be reviewed.", code="patrol_in_progress")
    if decision == ReviewStatus.REJECTED and not note.strip():
        raise _invalid("note", "Say why the patrol is rejected.")
    before = {"review_status": patrol.review_status, "review_note": patrol.review_note}
    patrol.review_status = decision
    patrol.review_note = note.strip()
    patrol.reviewed_by = actor
    patrol.reviewed_at = _now()
    patrol.updated_at = patrol.reviewed_at
    patrol.save(update_fields=["review_status", "review_note", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=patrol,
        before=before,
        after={"review_status": decision, "review_note": patrol.review_note},
        reason="patrol review",
    )
    return patrol


# =========================================================================== cases

# action: (states it may start from, state it leads to, roles that may take it)
CHIEF_AND_STAFF = frozenset({Role.CHIEF, Role.REVIEWER, Role.ADMIN})
STAFF = frozenset({Role.REVIEWER, Role.ADMIN})
TRANSITIONS: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "assign": (frozenset({CaseStatus.REPORTED}), CaseStatus.ASSIGNED, STAFF),
    "rectify": (frozenset({CaseStatus.ASSIGNED}), CaseStatus.RECTIFYING, CHIEF_AND_STAFF),
    "submit": (frozenset({CaseStatus.RECTIFYING}), CaseStatus.SUBMITTED, frozenset({Role.CHIEF, Role.ADMIN})),
    "verify": (frozenset({CaseStatus.SUBMITTED}), CaseStatus.VERIFIED, STAFF),
    "reject": (frozenset({CaseStatus.SUBMITTED}), CaseStatus.RECTIFYING, STAFF),
    "close": (frozenset({CaseStatus.VERIFIED}), CaseStatus.CLOSED, STAFF),
    "clear": (frozenset({CaseStatus.REPORTED}), CaseStatus.CLOSED, CHIEF_AND_STAFF),
}
_STAMP = {
    CaseStatus.ASSIGNED: "assigned_at",
    CaseStatus.RECTIFYING: "rectifying_at",
    CaseStatus.SUBMITTED: "submitted_at",
    CaseStatus.VERIFIED: "verified_at",
    CaseStatus.CLOSED: "closed_at",
}


def _case_event(case: Case, *, from_status: str, actor: Any, at: dt.datetime, note: str) -> None:
    CaseEvent.objects.create(
        case=case,
        from_status=from_status,
        to_status=case.status,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label(actor)[:150],
        at=at,
        note=note[:1000],
    )


def _transition(
    case: Case, *, action: str, actor: Any, note: str = "", at: dt.datetime | None = None, **changes: Any
) -> Case:
    sources, target, roles = TRANSITIONS[action]
    _require_role(actor, roles, f"{action} cases")
    # Re-read under a lock: two reviewers acting at once must not both move the case.
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status not in sources:
        raise Conflict(
            f"A case that is {locked.status} cannot be {action}ed; it must be {' or '.join(sorted(sources))}.",
            code="invalid_transition",
            fields={"status": [f"Is {locked.status}; {action} needs {' or '.join(sorted(sources))}."]},
        )
    before = snapshot(locked)
    at = at or _now()
    from_status = locked.status
    locked.status = target
    setattr(locked, _STAMP[CaseStatus(target)], at)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.updated_at = at
    locked.full_clean(exclude=["reach", "patrol", "reporter"])
    locked.save()
    _case_event(locked, from_status=from_status, actor=actor, at=at, note=note)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=locked,
        before=before,
        after=snapshot(locked),
        reason=f"{action}: {from_status} → {target}" + (f" ({note})" if note else ""),
    )
    return locked


@transaction.atomic
def case_report(
    *,
    actor: Any,
    case_id: uuid.UUID,
    category: str,
    source: str,
    reach: Reach,
    location: Point,
    description: str,
    found_at: dt.datetime,
    patrol: Patrol | None = None,
    legal_basis: str = "",
    at: dt.datetime | None = None,
) -> tuple[Case, bool]:
    """Report a case (a chief on patrol, or the office for a complaint). Returns (case, created); the
    same id again with the same content returns the stored case, with other content a Conflict."""
    _require_role(actor, CHIEF_AND_STAFF, "report cases")
    content = fingerprint(
        "case",
        str(case_id),
        category,
        source,
        reach.pk,
        location.x,
        location.y,
        description,
        found_at.timestamp(),
        patrol.pk if patrol else None,
        legal_basis,
    )
    existing = Case.objects.filter(pk=case_id).first()
    if existing is not None:
        if existing.reporter_id != actor.pk or existing.body_sha256 != content:
            raise Conflict(
                f"A case with id {case_id} exists with different content.",
                code="case_id_conflict",
                fields={"id": ["Already used for a different case."]},
            )
        return existing, False
    if category not in CaseCategory.values:
        raise _invalid("category", f"One of {', '.join(CaseCategory.values)}.")
    if source not in CaseSource.values:
        raise _invalid("source", f"One of {', '.join(CaseSource.values)}.")
    if found_at > _now() + conf.future_tolerance():
        raise _invalid("found_at", "The time is in the future.", code="future")
    if (source == CaseSource.PATROL) != (patrol is not None):
        raise _invalid("patrol", "A case found on a patrol names the patrol; only such cases do.")
    if patrol is not None:
        if patrol.chief_id != actor.pk:
            raise _invalid("patrol", "Not one of your patrols.")
        if patrol.reach_id != reach.pk:
            raise _invalid("patrol", "The patrol was on another reach.")
    if location.srid != WGS84_SRID:
        location = cast(Point, location.transform(WGS84_SRID, clone=True))
    case = Case(
        id=case_id,
        category=category,
        source=source,
        reach=reach,
        location=location,
        description=description,
        patrol=patrol,
        reporter=actor,
        found_at=found_at,
        legal_basis=legal_basis,
        body_sha256=content,
    )
    case.full_clean(exclude=["reach", "patrol", "reporter"], validate_unique=False)
    try:
        with transaction.atomic():
            case.save(force_insert=True)
    except IntegrityError:
        raise Conflict(f"A case with id {case_id} exists.", code="case_id_conflict") from None
    _case_event(case, from_status="", actor=actor, at=at or _now(), note="")
    audit_record(actor=actor, action=AuditAction.CREATE, instance=case, after=snapshot(case))
    return case, True


@transaction.atomic
def case_assign(
    *, case: Case, actor: Any, responsible_unit: str, deadline: dt.date, note: str = "", at: dt.datetime | None = None
) -> Case:
    """交办: the office names the responsible unit and the deadline. (`at` back-dates a step entered
    from paper records; the API does not expose it.)"""
    if not responsible_unit.strip():
        raise _invalid("responsible_unit", "Name the responsible unit.")
    if deadline < case.found_at.astimezone(BEIJING).date():
        raise _invalid("deadline", "The deadline is before the case was found.")
    return _transition(
        case,
        action="assign",
        actor=actor,
        note=note,
        at=at,
        responsible_unit=responsible_unit.strip(),
        deadline=deadline,
    )


@transaction.atomic
def case_rectify(*, case: Case, actor: Any, note: str = "", at: dt.datetime | None = None) -> Case:
    """整改: rectification has started."""
    return _transition(case, action="rectify", actor=actor, note=note, at=at)


@transaction.atomic
def case_submit(*, case: Case, actor: Any, note: str = "", at: dt.datetime | None = None) -> Case:
    """提交验收: rectification is done and submitted for checking."""
    return _transition(case, action="submit", actor=actor, note=note, at=at)


@transaction.atomic
def case_verify(*, case: Case, actor: Any, note: str = "", at: dt.datetime | None = None) -> Case:
    """验收: the office checked the site and accepts the rectification."""
    return _transition(case, action="verify", actor=actor, note=note, at=at)


@transaction.atomic
def case_reject(*, case: Case, actor: Any, note: str, at: dt.datetime | None = None) -> Case:
    """退回: the check failed; back to rectifying, with the reason."""
    if not note.strip():
        raise _invalid("note", "Say why the rectification is rejected.")
    return _transition(case, action="reject", actor=actor, note=note.strip(), at=at)


@transaction.atomic
def case_close(*, case: Case, actor: Any, note: str = "", at: dt.datetime | None = None) -> Case:
    """销号: a verified case is closed."""
    return _transition(case, action="close", actor=actor, note=note, at=at, closed_via=CaseClosure.VERIFIED)


@transaction.atomic
def case_clear_on_spot(*, case: Case, actor: Any, note: str = "", at: dt.datetime | None = None) -> Case:
    """立查立清: handled on the spot, reported → closed in one step, with at least one photo as
    evidence."""
    if not CasePhoto.objects.filter(case_id=case.pk).exists():
        raise _invalid("photos", "Upload at least one photo of the cleared site first.", code="evidence_required")
    return _transition(case, action="clear", actor=actor, note=note, at=at, closed_via=CaseClosure.ON_SPOT)


def case_flag_overdue(*, now: dt.datetime | None = None, actor: str = "beat:patrols.case_flag_overdue") -> int:
    """Flag cases assigned or being rectified after their deadline (a Beijing date). Idempotent: a case is
    flagged once; the flag stays as history after the case moves on. Returns how many were flagged."""
    now = now or _now()
    today = now.astimezone(BEIJING).date()
    flagged = 0
    ids = list(
        Case.objects.filter(
            status__in=[CaseStatus.ASSIGNED, CaseStatus.RECTIFYING], deadline__lt=today, overdue_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for case_id in ids:
        with transaction.atomic():
            updated = Case.objects.filter(pk=case_id, overdue_at__isnull=True).update(overdue_at=now, updated_at=now)
            if updated:
                audit_record(
                    actor=actor,
                    action=AuditAction.UPDATE,
                    entity="patrols.case",
                    entity_id=case_id,
                    after={"overdue_at": now.isoformat()},
                    reason="deadline passed",
                )
                flagged += updated
    return flagged


# --------------------------------------------------------------------------- photos


class PhotoTooLarge(InvalidInput):
    status_code = 413
    default_code = "photo_too_large"


def case_photo_add(*, case: Case, actor: Any, upload: UploadedFile) -> tuple[CasePhoto, bool]:
    """Attach a photo to a case: stored once under its SHA-256, never changed. EXIF time and position
    are compared with the case's patrol (or the case's location) and flagged, never refused.
    Returns (photo, created); the same image again returns the stored one."""
    _require_role(actor, CHIEF_AND_STAFF, "add photos")
    if case.status == CaseStatus.CLOSED:
        raise Conflict("A closed case takes no more photos.", code="case_closed", fields={"status": [case.status]})
    limit = conf.photo_max_bytes()
    if upload.size is None or upload.size > limit:
        raise PhotoTooLarge(f"The photo is larger than {limit} bytes.", fields={"photo": [f"At most {limit} bytes."]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    sha = digest.hexdigest()
    existing = CasePhoto.objects.filter(case=case, sha256=sha).first()
    if existing is not None:
        return existing, False
    upload.seek(0)
    try:
        info = inspect_photo(upload, max_pixels=conf.photo_max_pixels(), default_tz=conf.photo_exif_default_offset())
    except PhotoError as exc:
        raise InvalidInput(exc.message, code=exc.code, fields={"photo": [exc.message]}) from None
    flags = _photo_flags(case, info.taken_at, info.lon, info.lat)
    name = f"patrols/photos/{sha[:2]}/{sha}.{info.extension}"
    with transaction.atomic():
        if not default_storage.exists(name):
            upload.seek(0)
            saved = default_storage.save(name, ContentFile(upload.read()))
            if saved != name:  # pragma: no cover - a concurrent upload of the same image won
                default_storage.delete(saved)
        photo = CasePhoto(
            case=case,
            sha256=sha,
            content_type=info.content_type,
            size_bytes=upload.size,
            width=info.width,
            height=info.height,
            stage=case.status,
            taken_at=info.taken_at,
            flags=flags,
            uploaded_by=actor,
            position=Point(info.lon, info.lat, srid=WGS84_SRID)
            if info.lon is not None and info.lat is not None
            else None,
        )
        photo.file.name = name
        photo.full_clean(exclude=["case", "uploaded_by", "file"], validate_unique=False)
        try:
            with transaction.atomic():
                photo.save()
        except IntegrityError:
            return CasePhoto.objects.get(case=case, sha256=sha), False
        audit_record(actor=actor, action=AuditAction.CREATE, instance=photo, after=snapshot(photo))
    return photo, True


def _photo_flags(case: Case, taken_at: dt.datetime | None, lon: float | None, lat: float | None) -> list[str]:
    flags: list[str] = []
    patrol = Patrol.objects.select_related("reach").filter(pk=case.patrol_id).first() if case.patrol_id else None
    if taken_at is not None and patrol is not None and patrol.ended_at is not None:
        tol = conf.photo_time_tolerance()
        if not patrol.started_at - tol <= taken_at <= patrol.ended_at + tol:
            flags.append(PhotoFlag.TIME_MISMATCH.value)
    if lon is not None and lat is not None:
        limit = conf.photo_max_distance_m()
        cleaned = patrol.cleaned_track if patrol is not None else None
        if patrol is not None and cleaned is not None:
            reach = local_reach(
                bytes(patrol.reach.geometry.wkb), buffer_m=conf.track_limits(patrol.mode).reach_buffer_m
            )
            track = shapely.from_wkb(bytes(cleaned.wkb))
            coords = shapely.get_coordinates(track)
            x, y = reach.project(coords[:, 0], coords[:, 1])
            px, py = reach.project(np.array([lon]), np.array([lat]))
            parts: list[Any] = [shapely.linestrings(x[a:b], y[a:b]) for a, b in _part_bounds(track)]
            line = shapely.multilinestrings(parts)
            distance = float(shapely.distance(line, shapely.points(px[0], py[0])))
        else:
            distance = geodesic_distance_m(lon, lat, case.location.x, case.location.y)
        if distance > limit:
            flags.append(PhotoFlag.POSITION_MISMATCH.value)
    return flags


def _part_bounds(track: Any) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for part in shapely.get_parts(track):
        n = shapely.get_num_coordinates(part)
        bounds.append((start, start + int(n)))
        start += int(n)
    return bounds


# --------------------------------------------------------------------------- rechecks


def recheck_sample(
    *, actor: Any, cases: Any, count: int, seed: int | None = None, now: dt.datetime | None = None
) -> tuple[str, list[CaseRecheck]]:
    """Draw `count` closed cases at random from `cases` (a scoped queryset) for a recheck (回头看).
    Cases with a recheck still pending are not drawn again. The seed is part of the batch name, so a
    draw can be repeated and audited. Returns (batch, rechecks)."""
    _require_role(actor, STAFF, "sample cases for a recheck")
    if not 1 <= count <= conf.recheck_max_sample():
        raise _invalid("count", f"Draw 1 to {conf.recheck_max_sample()} cases.")
    now = now or _now()
    seed = secrets.randbits(48) if seed is None else seed
    pending = CaseRecheck.objects.filter(outcome=RecheckOutcome.PENDING).values("case_id")
    pool = sorted(
        str(pk) for pk in cases.filter(status=CaseStatus.CLOSED).exclude(pk__in=pending).values_list("pk", flat=True)
    )
    if not pool:
        raise _invalid("count", "No closed case in your selection is waiting for a recheck.", code="nothing_to_sample")
    chosen = random.Random(seed).sample(pool, min(count, len(pool)))  # noqa: S311 - a reproducible draw, not a secret
    batch = f"{now.astimezone(BEIJING):%Y%m%d}-{seed:012x}"
    rechecks = []
    with transaction.atomic():
        for case_id in chosen:
            recheck = CaseRecheck(case_id=uuid.UUID(case_id), batch=batch, sampled_at=now, sampled_by=actor)
            recheck.full_clean(exclude=["case", "sampled_by"])
            recheck.save()
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                instance=recheck,
                after=snapshot(recheck),
                reason=f"recheck sample {batch}: {len(chosen)} of {len(pool)}",
            )
            rechecks.append(recheck)
    return batch, rechecks


@transaction.atomic
def recheck_record(
    *, recheck: CaseRecheck, actor: Any, outcome: str, checked_on: dt.date, note: str = ""
) -> CaseRecheck:
    """Record what a recheck found. A relapse is recorded, not reopened: the office reports a new case
    for the problem, so the closed case keeps its history."""
    _require_role(actor, STAFF, "record rechecks")
    if outcome not in (RecheckOutcome.CONFIRMED, RecheckOutcome.RELAPSED):
        raise _invalid("outcome", "One of confirmed, relapsed.")
    if checked_on > _today():
        raise _invalid("checked_on", "The date is in the future.", code="future")
    locked = CaseRecheck.objects.select_for_update().get(pk=recheck.pk)
    if locked.outcome != RecheckOutcome.PENDING:
        raise Conflict(
            "This recheck is already recorded.",
            code="recheck_recorded",
            fields={"outcome": [f"Already {locked.outcome}."]},
        )
    before = snapshot(locked)
    locked.outcome = outcome
    locked.checked_on = checked_on
    locked.checked_by = actor
    locked.note = note
    locked.full_clean(exclude=["case", "sampled_by", "checked_by"])
    locked.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before, after=snapshot(locked))
    return locked


# --------------------------------------------------------------------------- litter


@transaction.atomic
def litter_record(
    *,
    actor: Any,
    reach: Reach,
    removed_on: dt.date,
    tonnes: Decimal,
    patrol: Patrol | None = None,
    note: str = "",
    client_id: uuid.UUID | None = None,
) -> tuple[LitterRemoval, bool]:
    """Record litter removed from a reach on a day. Returns (record, created).

    With the phone's ``client_id``: the same record again (same recorder, reach, day, tonnes, patrol
    and note) returns the stored one (created False), so a resend is never counted twice; other
    content under the id is a Conflict naming ``client_id``."""
    _require_role(actor, CHIEF_AND_STAFF, "record litter removal")
    if client_id is not None:
        stored = LitterRemoval.objects.filter(client_id=client_id).first()
        if stored is not None:
            return _litter_replay(
                stored, actor=actor, reach=reach, removed_on=removed_on, tonnes=tonnes, patrol=patrol, note=note
            ), False
    maximum = conf.litter_max_tonnes()
    if not Decimal(0) < tonnes <= maximum:
        raise _invalid("tonnes", f"Give more than 0 and at most {maximum} t.")
    if removed_on > _today():
        raise _invalid("removed_on", "The date is in the future.", code="future")
    if patrol is not None:
        if user_role(actor) == Role.CHIEF and patrol.chief_id != actor.pk:
            raise _invalid("patrol", "Not one of your patrols.")
        if patrol.reach_id != reach.pk:
            raise _invalid("patrol", "The patrol was on another reach.")
        first = patrol.started_at.astimezone(BEIJING).date()
        last = (patrol.ended_at or patrol.started_at).astimezone(BEIJING).date()
        if not first <= removed_on <= last:
            raise _invalid("removed_on", f"The patrol was on {first.isoformat()}.")
    record = LitterRemoval(
        client_id=client_id,
        reach=reach,
        removed_on=removed_on,
        tonnes=tonnes,
        patrol=patrol,
        recorded_by=actor,
        note=note,
    )
    record.full_clean(exclude=["reach", "patrol", "recorded_by"], validate_unique=False)
    try:
        with transaction.atomic():
            record.save(force_insert=True)
            audit_record(actor=actor, action=AuditAction.CREATE, instance=record, after=snapshot(record))
    except IntegrityError:
        # Two resends racing: the unique client id lets one in; the other answers with it.
        stored = LitterRemoval.objects.filter(client_id=client_id).first() if client_id is not None else None
        if stored is None:
            raise
        return _litter_replay(
            stored, actor=actor, reach=reach, removed_on=removed_on, tonnes=tonnes, patrol=patrol, note=note
        ), False
    return record, True


def _litter_replay(
    stored: LitterRemoval,
    *,
    actor: Any,
    reach: Reach,
    removed_on: dt.date,
    tonnes: Decimal,
    patrol: Patrol | None,
    note: str,
) -> LitterRemoval:
    same = (
        stored.recorded_by_id == actor.pk
        and stored.reach_id == reach.pk
        and stored.removed_on == removed_on
        and stored.tonnes == tonnes
        and stored.patrol_id == (patrol.pk if patrol is not None else None)
        and stored.note == note
    )
    if not same:
        raise Conflict(
            f"A litter record with client id {stored.client_id} exists with different content.",
            code="litter_id_conflict",
            fields={"client_id": ["Already used for a different record."]},
        )
    return stored


# --------------------------------------------------------------------------- rule tables


def _check_jurisdiction(code: str) -> None:
    if code and not is_division_code(code):
        raise _invalid("jurisdiction", "A 6-, 9- or 12-digit GB/T 2260 code, or empty for everywhere.")


def validity_rule_check(*, rule: PatrolValidityRule) -> None:
    """The checks of `validity_rule_save` without saving (the admin form shows them as form errors)."""
    _check_jurisdiction(rule.jurisdiction)


def frequency_rule_check(*, rule: PatrolFrequencyRule) -> None:
    """Seasons of one jurisdiction and level must not overlap, so every month has at most one rule."""
    _check_jurisdiction(rule.jurisdiction)
    siblings = PatrolFrequencyRule.objects.filter(jurisdiction=rule.jurisdiction, level=rule.level).exclude(pk=rule.pk)
    months = {m for m in range(1, 13) if rule.in_season(m)}
    for other in siblings:
        shared = sorted(m for m in months if other.in_season(m))
        if shared:
            raise _invalid(
                "season_start_month", f"Months {shared} are already covered by the rule {other}.", code="season_overlap"
            )


def _rule_save(rule: PatrolValidityRule | PatrolFrequencyRule, *, actor: Any) -> None:
    created = rule.pk is None
    before = None if created else snapshot(type(rule).objects.get(pk=rule.pk))
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        instance=rule,
        before=before,
        after=snapshot(rule),
    )


@transaction.atomic
def validity_rule_save(*, rule: PatrolValidityRule, actor: Any) -> PatrolValidityRule:
    """Create or change a validity rule (from the admin), audited."""
    _require_role(actor, {Role.ADMIN, Role.REVIEWER}, "change patrol rules")
    validity_rule_check(rule=rule)
    _rule_save(rule, actor=actor)
    return rule


@transaction.atomic
def frequency_rule_save(*, rule: PatrolFrequencyRule, actor: Any) -> PatrolFrequencyRule:
    """Create or change a frequency rule (from the admin), audited."""
    _require_role(actor, {Role.ADMIN, Role.REVIEWER}, "change patrol rules")
    frequency_rule_check(rule=rule)
    _rule_save(rule, actor=actor)
    return rule


def rule_delete(*, rule: PatrolValidityRule | PatrolFrequencyRule, actor: Any) -> None:
    _require_role(actor, {Role.ADMIN, Role.REVIEWER}, "change patrol rules")
    with transaction.atomic():
        before = snapshot(rule)
        pk = rule.pk
        rule.delete()
        audit_record(actor=actor, action=AuditAction.DELETE, entity=rule._meta.label_lower, entity_id=pk, before=before)


__all__ = [
    "TRANSITIONS",
    "PhotoTooLarge",
    "case_assign",
    "case_clear_on_spot",
    "case_close",
    "case_flag_overdue",
    "case_photo_add",
    "case_rectify",
    "case_reject",
    "case_report",
    "case_submit",
    "case_verify",
    "frequency_rule_check",
    "frequency_rule_save",
    "litter_record",
    "patrol_append",
    "patrol_end",
    "patrol_find_resend",
    "patrol_review",
    "patrol_start",
    "patrol_submit",
    "recheck_record",
    "recheck_sample",
    "rule_delete",
    "validity_rule_check",
    "validity_rule_save",
]
