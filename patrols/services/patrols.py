"""Patrols posted whole: submit (with resend replay), recompute, review."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from core.audit import audit_record
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput
from core.geo import InputCRS, parse_crs
from core.kernel import actor_user
from core.periods import BEIJING
from patrols import sql as patrols_sql
from patrols.choices import (
    PatrolStatus,
    ReviewStatus,
)
from patrols.models import (
    Patrol,
)
from patrols.services._common import _HEAVY, _invalid, _now, _one_site, _require_role
from patrols.services.patrol_fill import (
    PatrolHeader,
    _check_end,
    _check_header,
    _content_hash,
    _fill_patrol,
    _flag_overlapped,
    _level_on_site,
    _one_statement,
    _parse_points,
    _patrol_audit,
    _reach_info,
    _save_new_patrol,
)


def patrol_find_resend(*, chief: Any, body_sha256: str) -> Patrol | None:
    """A patrol of this chief posted with exactly this body: the cheap resend check, one indexed
    query before any parsing (patrols.sql: raw, as a first post misses it and the ORM's query building
    would cost that post more than the threshold there); the patrol itself only on a hit."""
    if not body_sha256:
        return None
    pk = patrols_sql.resend_id(chief_id=chief.pk, body_sha256=body_sha256)
    return None if pk is None else Patrol.objects.defer(*_HEAVY).get(pk=pk)


def _replay_or_conflict(existing: Patrol, *, chief: Any, content_sha256: str) -> Patrol:
    if existing.chief_id != chief.pk or existing.content_sha256 != content_sha256:
        raise Conflict(
            _("A patrol with id %(pk)s exists with different content.") % {"pk": existing.pk},
            code="patrol_id_conflict",
            fields={"id": [_("Already used for a different patrol.")]},
        )
    return existing


def _replay_stored(patrol_id: Any, *, chief: Any, content_sha256: str) -> Patrol | None:
    stored = Patrol.objects.defer(*_HEAVY).filter(pk=patrol_id).first()
    return None if stored is None else _replay_or_conflict(stored, chief=chief, content_sha256=content_sha256)


def patrol_submit(
    *,
    actor: Any,
    patrol_id: uuid.UUID,
    reach_id: int | None,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    companions: int,
    mode: str,
    crs: str | InputCRS | None,
    track: object,
    times: object,
    body_sha256: str = "",
    lake_id: int | None = None,
) -> tuple[Patrol, bool]:
    """Record a whole patrol posted at once, on a reach or (``lake_id``) a lake. Returns (patrol, created).

    The id is the phone's: the same content again returns the stored patrol (created False), other
    content under the same id is a Conflict. Distance, person-times, validity and flags are computed
    here from the track; figures the client sends are ignored.
    """
    _require_role(actor, {Role.CHIEF}, _("record patrols"))
    _one_site(reach_id, lake_id)
    now = _now()
    try:
        input_crs = parse_crs(crs)
    except ValueError as exc:
        raise _invalid("crs", str(exc)) from None
    header = PatrolHeader(patrol_id, reach_id, started_at, companions, mode, input_crs, lake_id)
    _check_header(started_at=started_at, companions=companions, mode=mode, now=now)
    _check_end(started_at=started_at, ended_at=ended_at, now=now)
    lon, lat, t_ms = _parse_points(
        track=track, times=times, crs=input_crs, started_at=started_at, ended_at=ended_at, now=now
    )
    content = _content_hash(header, ended_at, lon, lat, t_ms)
    try:
        reach, level = _level_on_site(
            chief=actor, reach_id=reach_id, lake_id=lake_id, on=started_at.astimezone(BEIJING).date()
        )
    except InvalidInput:
        # A resend of a stored patrol (in another JSON layout) after the appointment ended.
        stored = _replay_stored(patrol_id, chief=actor, content_sha256=content)
        if stored is None:
            raise
        return stored, False
    patrol = Patrol(
        id=patrol_id,
        chief_id=actor.pk,
        reach_id=None if reach.is_lake else reach.id,
        lake_id=reach.id if reach.is_lake else None,
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
    return list(patrol_recompute_changes(patrol_id=patrol_id, actor=actor, reason=reason, dry_run=dry_run))


def patrol_recompute_changes(
    *, patrol_id: uuid.UUID, actor: Any, reason: str, dry_run: bool = False
) -> dict[str, tuple[Any, Any]]:
    """`patrol_recompute`, returning each changed field's value before and after (the console's dry
    run shows them: validity, flags and review before → after)."""
    with transaction.atomic():
        patrol = Patrol.objects.select_for_update().get(pk=patrol_id)
        if patrol.status != PatrolStatus.COMPLETED or patrol.raw_track is None or patrol.ended_at is None:
            return {}
        coords = np.asarray(patrol.raw_track.coords, dtype=float)
        lon, lat = coords[:, 0].copy(), coords[:, 1].copy()
        t_ms = round(patrol.started_at.timestamp() * 1000) + np.asarray(patrol.raw_times_ms or [], dtype=np.int64)
        if len(t_ms) != len(lon):
            return {}
        reach = _reach_info(patrol.reach_id, patrol.lake_id)
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
        changes = {name: (old[name], getattr(patrol, name)) for name in changed}
        if not changed or dry_run:
            transaction.set_rollback(True)
            return changes
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
    return changes


@transaction.atomic
def patrol_review(
    *, patrol: Patrol, actor: Any, decision: str, note: str = "", if_unchanged_since: dt.datetime | None = None
) -> Patrol:
    """A reviewer accepts or rejects a patrol (a rejected patrol does not count as valid in the
    frequency ledger). A later review replaces an earlier one; both are audited.

    ``if_unchanged_since``: the patrol's ``updated_at`` when the reviewer's form was drawn (the
    console). If the patrol changed since (reviewed by someone else, recomputed, flagged), a Conflict
    and nothing written, unless the stored review is already this one by this reviewer (the same
    form sent twice): then the patrol as it is, nothing written."""
    _require_role(actor, {Role.ADMIN, Role.REVIEWER}, _("review patrols"))
    if decision not in (ReviewStatus.ACCEPTED, ReviewStatus.REJECTED):
        raise _invalid("decision", _("One of accepted, rejected."))
    if patrol.status != PatrolStatus.COMPLETED:
        raise Conflict(_("A patrol in progress cannot be reviewed."), code="patrol_in_progress")
    if decision == ReviewStatus.REJECTED and not note.strip():
        raise _invalid("note", _("Say why the patrol is rejected."))
    if if_unchanged_since is not None:
        current = (
            Patrol.objects.select_for_update()
            .only("updated_at", "review_status", "review_note", "reviewed_by_id")
            .get(pk=patrol.pk)
        )
        if current.updated_at != if_unchanged_since:
            if (current.review_status, current.review_note, current.reviewed_by_id) == (
                decision,
                note.strip(),
                getattr(actor_user(actor), "pk", None),
            ):
                return patrol
            raise Conflict(
                _("This patrol changed after you opened it (reviewed or recomputed meanwhile): look at it again."),
                code="patrol_changed",
            )
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
