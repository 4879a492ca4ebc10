"""The pieces of a patrol post: header and point checks, the reach and the chief's level on it, the
validity rule, the neighbouring patrols, the derived figures, and the insert of a new patrol."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from django.contrib.gis.geos import GEOSGeometry, LineString, MultiLineString
from django.utils.translation import gettext as _

from core import sql as core_sql
from core.audit import audit_record, audit_values, snapshot
from core.choices import AuditAction
from core.divisions import division_prefix
from core.exceptions import InvalidInput
from core.geo import WGS84_SRID, InputCRS
from patrols import conf
from patrols import sql as patrols_sql
from patrols.choices import (
    ChiefLevel,
    PatrolFlag,
    PatrolMode,
    PatrolStatus,
    ReviewStatus,
    ValidityReason,
)
from patrols.models import (
    Patrol,
    PatrolValidityRule,
)
from patrols.services._common import _PATROL_CLEAN_EXCLUDE, LEVEL_ORDER, _invalid, _now
from patrols.track import TrackError, analyse, fingerprint, local_reach, parse_positions, parse_times
from places.models import Lake, Reach

# =========================================================================== patrols


@dataclass(frozen=True, slots=True)
class PatrolHeader:
    """The members of a patrol other than its points."""

    id: uuid.UUID
    reach_id: int | None
    started_at: dt.datetime
    companions: int
    mode: str
    crs: InputCRS
    lake_id: int | None = None

    @property
    def site_member(self) -> int | str | None:
        """The water body in the content hash: a reach's id as before lakes existed (stored hashes
        stay valid), a lake as ``lake:<id>`` (never equal to a reach's)."""
        return self.reach_id if self.lake_id is None else f"lake:{self.lake_id}"


@dataclass(frozen=True, slots=True)
class ReachInfo:
    """What the patrol checks need of a reach or a lake (fetched as values, not as a model, on the hot
    path). For a lake ``wkb`` is its water surface (a MultiPolygon): the track checks then work on
    its shoreline (patrols.track.local_reach)."""

    id: int
    division_code: str
    wkb: bytes
    # The validity rules of the chief's level, (jurisdiction, min duration s, min length m, min gap h)
    # each, when fetched with the level (one query instead of two); None: not fetched.
    rules: tuple[tuple[str, int, int, int | None], ...] | None = None
    is_lake: bool = False


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


_lake_wkb_cache: dict[tuple[int, float], bytes] = {}


def _lake_wkb(lake_id: int, area_m2: float) -> bytes:
    """A lake's water surface (WKB), cached like a reach's, keyed by its geodesic area (recomputed by
    places on every geometry change)."""
    key = (lake_id, area_m2)
    wkb = _lake_wkb_cache.get(key)
    if wkb is None:
        geometry = Lake.objects.filter(pk=lake_id).values_list("geometry", flat=True).get()
        wkb = bytes(geometry.wkb)
        if len(_lake_wkb_cache) >= _REACH_CACHE_SIZE:
            _lake_wkb_cache.clear()
        _lake_wkb_cache[key] = wkb
    return wkb


def _level_on_site(*, chief: Any, reach_id: int | None, lake_id: int | None, on: dt.date) -> tuple[ReachInfo, str]:
    """The reach or the lake (exactly one given) and the chief's level on it, as ``_level_on_reach``;
    a lake the chief is not appointed to is a 400 naming ``lake``."""
    if lake_id is None:
        assert reach_id is not None  # noqa: S101 - the callers check that one is given
        return _level_on_reach(chief=chief, reach_id=reach_id, on=on)
    rows = _appointments_on(chief=chief, site=Lake, fk="lake_id", size="area_m2", site_id=lake_id, on=on)
    if not rows:
        raise _invalid(
            "lake",
            _("No lake or reservoir %(lake_id)s to which you are appointed as chief on %(isoformat)s.")
            % {"lake_id": lake_id, "isoformat": on.isoformat()},
        )
    level, size, code, rules = _level_and_rules(rows)
    info = ReachInfo(id=lake_id, division_code=code, wkb=_lake_wkb(lake_id, size), rules=rules, is_lake=True)
    return info, level


def _level_on_reach(*, chief: Any, reach_id: int, on: dt.date) -> tuple[ReachInfo, str]:
    """The reach and the chief's level on it, from their appointment current on `on` (a 400 naming
    `reach` when the reach does not exist or the chief holds no appointment on it that day)."""
    rows = _appointments_on(chief=chief, site=Reach, fk="reach_id", size="length_m", site_id=reach_id, on=on)
    if not rows:
        raise _invalid(
            "reach",
            _("No reach %(reach_id)s to which you are appointed as chief on %(isoformat)s.")
            % {"reach_id": reach_id, "isoformat": on.isoformat()},
        )
    level, size, code, rules = _level_and_rules(rows)
    return ReachInfo(id=reach_id, division_code=code, wkb=_reach_wkb(reach_id, size), rules=rules), level


def _appointments_on(*, chief: Any, site: Any, fk: str, size: str, site_id: int, on: dt.date) -> list[tuple[Any, ...]]:
    """The chief's appointments on the site current on `on`, with the site's size, its division's
    code and the validity rules of each level (patrols.sql: one raw query, where the ORM needs two)."""
    return patrols_sql.appointments_on(chief_id=chief.pk, site=site, fk=fk, size=size, site_id=site_id, on=on)


def _level_and_rules(rows: list[tuple[Any, ...]]) -> tuple[str, float, str, tuple[tuple[Any, ...], ...]]:
    """The chief's highest level among the appointments, the site's size and division code, and the
    distinct validity rules of that level."""
    level = min((row[0] for row in rows), key=lambda value: LEVEL_ORDER.index(ChiefLevel(value)))
    rules = tuple(dict.fromkeys(tuple(row[3:]) for row in rows if row[0] == level and row[3] is not None))
    return level, float(rows[0][1]), rows[0][2], rules


def _reach_info(reach_id: int | None, lake_id: int | None = None) -> ReachInfo:
    """The reach (or the lake) as the checks need it, for a stored patrol (its validity rules are
    looked up later)."""
    if lake_id is not None:
        code, surface = Lake.objects.filter(pk=lake_id).values_list("division__code", "geometry").get()
        return ReachInfo(id=lake_id, division_code=code, wkb=bytes(surface.wkb), is_lake=True)
    assert reach_id is not None  # noqa: S101 - a stored patrol is on a reach or a lake
    code, line = Reach.objects.filter(pk=reach_id).values_list("division__code", "geometry").get()
    return ReachInfo(id=reach_id, division_code=code, wkb=bytes(line.wkb))


def _check_header(*, started_at: dt.datetime, companions: int, mode: str, now: dt.datetime) -> None:
    if started_at > now + conf.future_tolerance():
        raise _invalid("started_at", _("The start is in the future."), code="future")
    if not 0 <= companions <= conf.max_companions():
        raise _invalid(
            "companions", _("Give 0 to %(max_companions)s companions.") % {"max_companions": conf.max_companions()}
        )
    if mode not in PatrolMode.values:
        raise _invalid("mode", _("One of %(values)s.") % {"values": ", ".join(PatrolMode.values)})


def _check_end(*, started_at: dt.datetime, ended_at: dt.datetime, now: dt.datetime) -> None:
    if ended_at < started_at:
        raise _invalid("ended_at", _("The end is before the start."), code="end_before_start")
    if ended_at > now + conf.future_tolerance():
        raise _invalid("ended_at", _("The end is in the future."), code="future")
    if ended_at - started_at > conf.max_duration():
        raise _invalid(
            "ended_at",
            _("A patrol lasts at most %(max_duration)s.") % {"max_duration": conf.max_duration()},
            code="too_long",
        )


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
        raise _invalid("times", _("[%(value)s]: the time is in the future.") % {"value": len(t_ms) - 1}, code="future")
    if first < started_at - tol or last > ended_at + tol:
        raise _invalid(
            "times",
            _(
                "The track's times (%(first)s to %(last)s) lie outside the patrol "
                "(%(start)s to %(end)s, ± %(seconds)s s)."
            )
            % {
                "first": first.isoformat(),
                "last": last.isoformat(),
                "start": started_at.isoformat(),
                "end": ended_at.isoformat(),
                "seconds": int(tol.total_seconds()),
            },
            code="outside_patrol",
        )
    return lon, lat, t_ms


def _content_hash(
    header: PatrolHeader, ended_at: dt.datetime, lon: np.ndarray, lat: np.ndarray, t_ms: np.ndarray
) -> str:
    return fingerprint(
        str(header.id),
        header.site_member,
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
        rows = PatrolValidityRule.objects.filter(level=level).values_list(
            "jurisdiction", "min_duration_s", "min_length_m", "min_gap_hours"
        )
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
    ended_at, valid, flags, review_status) each (patrols.sql: raw SQL, the ORM cost more than the
    threshold there), with a lower bound on the start as well: no stored patrol lasts longer than
    PATROL_MAX_DURATION_HOURS (every end is checked against it), so the (chief, started_at) index
    yields a handful of rows instead of every earlier patrol of the chief."""
    since = started_at - gap
    return patrols_sql.neighbours(
        chief_id=chief_id,
        status=PatrolStatus.COMPLETED.value,
        exclude=exclude,
        started_before=ended_at,
        started_after=since - conf.max_duration(),
        ended_after=since,
    )


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
    buffer_m = conf.lake_buffer_m() if reach.is_lake else limits.reach_buffer_m
    result = analyse(lon, lat, t_ms, reach=local_reach(reach.wkb, buffer_m=buffer_m), limits=limits)
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


def _insert_patrol_postgresql(patrol: Patrol, filled: _Filled, audit: dict[str, Any]) -> None:
    """The patrol and its audit row in one INSERT on PostgreSQL (patrols.sql)."""
    patrols_sql.patrol_insert_with_audit(patrol, raw_wkb=filled.raw_wkb, preview_wkb=filled.preview_wkb, audit=audit)


def _one_statement(filled: _Filled) -> bool:
    """Whether the new patrol is written by one statement that is atomic by itself, so that it needs
    no transaction of its own: on PostgreSQL the patrol and its audit row are one INSERT, and when
    the patrol overlaps no other (nothing else to flag) that is all that is written. Saves the BEGIN
    and COMMIT round trips, two of the six per post. Inside a caller's transaction a savepoint is
    still needed, so that a refused insert (an id already used) leaves that transaction usable."""
    db = core_sql.db()
    return db.vendor == "postgresql" and not filled.overlapping and not db.in_atomic_block


def _notify_flagged(patrol: Patrol) -> None:
    if patrol.flags:
        from patrols.services.notices import patrol_flagged

        patrol_flagged(patrol, at=patrol.updated_at)


def _save_new_patrol(patrol: Patrol, *, actor: Any, filled: _Filled) -> None:
    patrol.full_clean(exclude=_PATROL_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
    if core_sql.db().vendor != "postgresql":
        patrol.save(force_insert=True)
        _flag_overlapped(filled.overlapping, by=patrol, actor=actor)
        audit_record(
            actor=actor, action=AuditAction.CREATE, instance=patrol, after=_patrol_audit(patrol, raw_wkb=filled.raw_wkb)
        )
        _notify_flagged(patrol)
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
    _notify_flagged(patrol)
