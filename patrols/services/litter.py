"""Litter removals recorded on a patrol."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.permissions import user_role
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict
from core.periods import BEIJING
from patrols import conf
from patrols.models import (
    LitterRemoval,
    Patrol,
)
from patrols.services._common import _invalid, _now, _one_site, _require_role, _today
from patrols.services.cases import CHIEF_AND_STAFF
from places.models import Lake, Reach

# --------------------------------------------------------------------------- litter


@transaction.atomic
def litter_record(
    *,
    actor: Any,
    removed_on: dt.date,
    tonnes: Decimal,
    reach: Reach | None = None,
    lake: Lake | None = None,
    patrol: Patrol | None = None,
    note: str = "",
    client_id: uuid.UUID | None = None,
    resend_by_content: bool = True,
) -> tuple[LitterRemoval, bool]:
    """Record litter removed from a reach or a lake on a day. Returns (record, created).

    With the phone's ``client_id``: the same record again (same recorder, reach, day, tonnes, patrol
    and note) returns the stored one (created False), so a resend is never counted twice; other
    content under the id is a Conflict naming ``client_id``.

    Without one, and with ``resend_by_content`` (the caller sent no Idempotency-Key either): the same
    content from the same person within ``PATROL_LITTER_RESEND_MINUTES`` of the stored record is that
    record sent again after a lost reply (created False). Racing resends are serialised on the
    recorder's row, so one writes and the others find it."""
    _require_role(actor, CHIEF_AND_STAFF, _("record litter removal"))
    _one_site(reach.pk if reach is not None else None, lake.pk if lake is not None else None)
    if client_id is not None:
        stored = LitterRemoval.objects.filter(client_id=client_id).first()
        if stored is not None:
            return _litter_replay(
                stored,
                actor=actor,
                reach=reach,
                lake=lake,
                removed_on=removed_on,
                tonnes=tonnes,
                patrol=patrol,
                note=note,
            ), False
    elif resend_by_content and conf.litter_resend_window():
        # One writer per recorder at a time (FOR NO KEY UPDATE: foreign keys to the user still insert);
        # SQLite's IMMEDIATE transactions already serialise writers.
        list(get_user_model().objects.select_for_update(no_key=True).filter(pk=actor.pk).values_list("pk"))
        stored = (
            LitterRemoval.objects.filter(
                client_id__isnull=True,
                recorded_by_id=actor.pk,
                reach=reach,
                lake=lake,
                removed_on=removed_on,
                tonnes=tonnes,
                patrol=patrol,
                note=note,
                created_at__gte=_now() - conf.litter_resend_window(),
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if stored is not None:
            return stored, False
    maximum = conf.litter_max_tonnes()
    if not Decimal(0) < tonnes <= maximum:
        raise _invalid("tonnes", _("Give more than 0 and at most %(maximum)s t.") % {"maximum": maximum})
    if removed_on > _today():
        raise _invalid("removed_on", _("The date is in the future."), code="future")
    if patrol is not None:
        if user_role(actor) == Role.CHIEF and patrol.chief_id != actor.pk:
            raise _invalid("patrol", _("Not one of your patrols."))
        if (patrol.reach_id, patrol.lake_id) != (
            reach.pk if reach is not None else None,
            lake.pk if lake is not None else None,
        ):
            raise _invalid("patrol", _("The patrol was on another reach or lake."))
        first = patrol.started_at.astimezone(BEIJING).date()
        last = (patrol.ended_at or patrol.started_at).astimezone(BEIJING).date()
        if not first <= removed_on <= last:
            raise _invalid("removed_on", _("The patrol was on %(isoformat)s.") % {"isoformat": first.isoformat()})
    record = LitterRemoval(
        client_id=client_id,
        reach=reach,
        lake=lake,
        removed_on=removed_on,
        tonnes=tonnes,
        patrol=patrol,
        recorded_by=actor,
        note=note,
    )
    record.full_clean(exclude=["reach", "lake", "patrol", "recorded_by"], validate_unique=False)
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
            stored, actor=actor, reach=reach, lake=lake, removed_on=removed_on, tonnes=tonnes, patrol=patrol, note=note
        ), False
    return record, True


def _litter_replay(
    stored: LitterRemoval,
    *,
    actor: Any,
    reach: Reach | None,
    lake: Lake | None,
    removed_on: dt.date,
    tonnes: Decimal,
    patrol: Patrol | None,
    note: str,
) -> LitterRemoval:
    same = (
        stored.recorded_by_id == actor.pk
        and stored.reach_id == (reach.pk if reach is not None else None)
        and stored.lake_id == (lake.pk if lake is not None else None)
        and stored.removed_on == removed_on
        and stored.tonnes == tonnes
        and stored.patrol_id == (patrol.pk if patrol is not None else None)
        and stored.note == note
    )
    if not same:
        raise Conflict(
            _("A litter record with client id %(client_id)s exists with different content.")
            % {"client_id": stored.client_id},
            code="litter_id_conflict",
            fields={"client_id": [_("Already used for a different record.")]},
        )
    return stored
