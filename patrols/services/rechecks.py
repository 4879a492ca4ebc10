"""Rechecks: a random sample of closed cases, and the recorded outcome."""

from __future__ import annotations

import datetime as dt
import random
import secrets
import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict
from core.periods import BEIJING
from patrols import conf
from patrols.choices import (
    CaseStatus,
    RecheckOutcome,
)
from patrols.models import (
    CaseRecheck,
)
from patrols.services._common import _invalid, _now, _require_role, _today
from patrols.services.cases import STAFF

# --------------------------------------------------------------------------- rechecks


def recheck_sample(
    *, actor: Any, cases: Any, count: int, seed: int | None = None, now: dt.datetime | None = None
) -> tuple[str, list[CaseRecheck]]:
    """Draw `count` closed cases at random from `cases` (a scoped queryset) for a recheck (回头看).
    Cases with a recheck still pending are not drawn again. The seed is part of the batch name, so a
    draw can be repeated and audited. Returns (batch, rechecks)."""
    _require_role(actor, STAFF, _("sample cases for a recheck"))
    if not 1 <= count <= conf.recheck_max_sample():
        raise _invalid(
            "count", _("Draw 1 to %(recheck_max_sample)s cases.") % {"recheck_max_sample": conf.recheck_max_sample()}
        )
    now = now or _now()
    seed = secrets.randbits(48) if seed is None else seed
    pending = CaseRecheck.objects.filter(outcome=RecheckOutcome.PENDING).values("case_id")
    pool = sorted(
        str(pk) for pk in cases.filter(status=CaseStatus.CLOSED).exclude(pk__in=pending).values_list("pk", flat=True)
    )
    if not pool:
        raise _invalid(
            "count", _("No closed case in your selection is waiting for a recheck."), code="nothing_to_sample"
        )
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
    _require_role(actor, STAFF, _("record rechecks"))
    if outcome not in (RecheckOutcome.CONFIRMED, RecheckOutcome.RELAPSED):
        raise _invalid("outcome", _("One of confirmed, relapsed."))
    if checked_on > _today():
        raise _invalid("checked_on", _("The date is in the future."), code="future")
    locked = CaseRecheck.objects.select_for_update().get(pk=recheck.pk)
    if locked.outcome != RecheckOutcome.PENDING:
        raise Conflict(
            _("This recheck is already recorded."),
            code="recheck_recorded",
            fields={"outcome": [_("Already %(outcome)s.") % {"outcome": RecheckOutcome(locked.outcome).label}]},
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
