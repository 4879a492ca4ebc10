"""Patrols sent in parts: start, append a part, end, and the close of stale ones."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, Forbidden, InvalidInput
from core.geo import InputCRS, parse_crs
from core.periods import BEIJING
from patrols import conf
from patrols.choices import (
    PatrolFlag,
    PatrolStatus,
    ReviewStatus,
)
from patrols.models import (
    Patrol,
    PatrolChunk,
)
from patrols.services._common import _PATROL_CLEAN_EXCLUDE, _invalid, _now, _one_site, _require_role
from patrols.services.patrol_fill import (
    _PATROL_AUDIT_EXCLUDE,
    PatrolHeader,
    _check_end,
    _check_header,
    _content_hash,
    _fill_patrol,
    _flag_overlapped,
    _level_on_site,
    _notify_flagged,
    _parse_points,
    _patrol_audit,
    _reach_info,
)
from patrols.track import TrackError, fingerprint, parse_positions, parse_times


def patrol_start(
    *,
    actor: Any,
    patrol_id: uuid.UUID,
    reach_id: int | None,
    started_at: dt.datetime,
    companions: int,
    mode: str,
    crs: str | InputCRS | None,
    body_sha256: str = "",
    lake_id: int | None = None,
) -> tuple[Patrol, bool]:
    """Open a patrol whose points will come in parts (long patrols), on a reach or (``lake_id``) a
    lake. Returns (patrol, created)."""
    _require_role(actor, {Role.CHIEF}, _("record patrols"))
    _one_site(reach_id, lake_id)
    now = _now()
    try:
        input_crs = parse_crs(crs)
    except ValueError as exc:
        raise _invalid("crs", str(exc)) from None
    _check_header(started_at=started_at, companions=companions, mode=mode, now=now)
    start_hash = fingerprint(
        "start",
        str(patrol_id),
        reach_id if lake_id is None else f"lake:{lake_id}",
        started_at.timestamp(),
        companions,
        mode,
        input_crs.value,
    )
    existing = Patrol.objects.filter(pk=patrol_id).first()
    if existing is not None:
        return _start_resend(existing, actor=actor, start_hash=start_hash), False
    reach, level = _level_on_site(
        chief=actor, reach_id=reach_id, lake_id=lake_id, on=started_at.astimezone(BEIJING).date()
    )
    patrol = Patrol(
        id=patrol_id,
        chief_id=actor.pk,
        reach_id=None if reach.is_lake else reach.id,
        lake_id=reach.id if reach.is_lake else None,
        level=level,
        status=PatrolStatus.IN_PROGRESS,
        mode=mode,
        companions=companions,
        person_times=companions + 1,
        started_at=started_at,
        input_crs=input_crs.value,
        body_sha256=start_hash,
    )
    patrol.full_clean(exclude=_PATROL_CLEAN_EXCLUDE, validate_unique=False)
    try:
        with transaction.atomic():
            patrol.save(force_insert=True)
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                instance=patrol,
                after=snapshot(patrol, exclude=_PATROL_AUDIT_EXCLUDE),
            )
    except IntegrityError:
        # Identical resends racing (issue 14: 12 at once gave 7 × 500): the primary key lets one in;
        # the others compare their content with it and answer as a resend.
        stored = Patrol.objects.filter(pk=patrol_id).first()
        if stored is None:
            raise
        return _start_resend(stored, actor=actor, start_hash=start_hash), False
    return patrol, True


def _start_resend(stored: Patrol, *, actor: Any, start_hash: str) -> Patrol:
    if stored.chief_id != actor.pk or stored.body_sha256 != start_hash:
        raise Conflict(
            _("A patrol with id %(pk)s exists with different content.") % {"pk": stored.pk},
            code="patrol_id_conflict",
            fields={"id": [_("Already used for a different patrol.")]},
        )
    return stored


def _in_progress(patrol: Patrol) -> None:
    if patrol.status != PatrolStatus.IN_PROGRESS:
        raise Conflict(_("This patrol has already ended."), code="patrol_ended", fields={"status": [patrol.status]})


def patrol_append(*, patrol: Patrol, actor: Any, seq: int, coordinates: object, times: object) -> tuple[int, bool]:
    """Add a numbered batch of points to a patrol in progress. Batches may arrive in any order; the
    same batch again is a no-op, another batch under a used number is a Conflict.

    Returns (points received so far, created)."""
    _require_role(actor, {Role.CHIEF}, _("record patrols"))
    if patrol.chief_id != actor.pk:
        raise Forbidden(_("Only the patrol's chief may add points."))
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
        raise _invalid("times", _("[%(value)s]: the time is in the future.") % {"value": len(t_ms) - 1}, code="future")
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
                    _("Batch %(seq)s was already received with other points.") % {"seq": seq},
                    code="chunk_conflict",
                    fields={"seq": [_("Already used for other points.")]},
                )
            return received, False
        if received + len(t_ms) > conf.max_track_points():
            raise _invalid(
                "coordinates",
                _("The patrol would have %(value)s positions; at most %(max_track_points)s are accepted per patrol.")
                % {"value": received + len(t_ms), "max_track_points": conf.max_track_points()},
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
    _require_role(actor, {Role.CHIEF}, _("record patrols"))
    if patrol.chief_id != actor.pk:
        raise Forbidden(_("Only the patrol's chief may end it."))
    now = _now()
    with transaction.atomic():
        locked = Patrol.objects.select_for_update().get(pk=patrol.pk)
        if locked.status == PatrolStatus.COMPLETED:
            if locked.ended_at != ended_at:
                raise Conflict(
                    _("This patrol has already ended at another time."),
                    code="patrol_ended",
                    fields={
                        "ended_at": [
                            _("Already ended at %(value)s.")
                            % {"value": locked.ended_at.isoformat() if locked.ended_at else ""}
                        ]
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
                _("Batches must be numbered from 0 without gaps; missing: %(value)s.") % {"value": missing or [0]},
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
        locked.pk,
        locked.reach_id,
        locked.started_at,
        locked.companions,
        locked.mode,
        InputCRS(locked.input_crs),
        locked.lake_id,
    )
    lon, lat, t_ms = _parse_points(
        track={"type": "LineString", "coordinates": coordinates},
        times=times,
        crs=header.crs,
        started_at=locked.started_at,
        ended_at=ended_at,
        now=now,
    )
    reach = _reach_info(locked.reach_id, locked.lake_id)
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
    _notify_flagged(locked)
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
