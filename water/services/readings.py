"""Writes of readings: correction and review, and the daily volumes rebuilt from them (water.rollups
keeps them current). The batch ingest is water.services.reading_batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput, NotFound
from water import locks, rollups
from water.choices import NOT_REPORTS, ReadingSource, Review
from water.models import DailyVolume, Meter, Reading
from water.services._common import _register

# The batch ingest lives in water.services.reading_batch (its stages); re-exported here.
from water.services.reading_batch import IngestResult, reading_ingest_batch

__all__ = ["IngestResult", "reading_ingest_batch"]

# --------------------------------------------------------------------------------------- readings


def _locked_reading(reading: Reading) -> tuple[Meter, Reading]:
    meter = Meter.objects.select_for_update().get(pk=reading.meter_id)
    fresh = Reading.objects.filter(meter_id=reading.meter_id, observed_at=reading.observed_at).first()
    if fresh is None:
        raise NotFound(_("No such reading."))
    return meter, fresh


@dataclass(frozen=True, slots=True)
class ReadingState:
    """What a caller saw of a reading (its register value and review) when it chose its action: a
    correction or decision made on a page opened before someone else's is refused (409) rather than
    silently undoing theirs. A repeat of the same action (a double submit) is no change, not a conflict."""

    cumulative_m3: Decimal
    review: str

    @classmethod
    def of(cls, reading: Reading) -> ReadingState:
        return cls(cumulative_m3=reading.cumulative_m3, review=str(reading.review))

    @property
    def token(self) -> str:
        return f"{self.cumulative_m3}|{self.review}"

    @classmethod
    def from_token(cls, token: str) -> ReadingState | None:
        value, sep, review = token.partition("|")
        try:
            return cls(cumulative_m3=Decimal(value), review=review) if sep else None
        except ArithmeticError:
            return None


def _check_seen(reading: Reading, seen: ReadingState | None) -> None:
    if seen is not None and ReadingState.of(reading) != seen:
        raise Conflict(
            _("The reading was changed by someone else after you opened it; nothing was written. Look again."),
            code="stale",
        )


def _reading_snapshot(reading: Reading) -> dict[str, Any]:
    return snapshot(reading, exclude=("raw_frame",))


@transaction.atomic
def reading_correct(
    *, reading: Reading, cumulative_m3: Decimal, reason: str, actor: Any, seen: ReadingState | None = None
) -> Reading:
    """Change a stored reading's register value (the one way to, SPEC "Readings"). The value first
    received is kept; the days it affects are recomputed and their volume becomes *corrected*. An
    installation or removal reading moves with its meter's record. `seen`: the reading as the caller
    saw it (a form's hidden state); when it has changed since, 409 and nothing written."""
    if not reason.strip():
        raise InvalidInput(_("Say why the reading is corrected."), fields={"reason": [_("Required.")]})
    meter, reading = _locked_reading(reading)
    value = _register(cumulative_m3)
    if value < 0 or (meter.register_max_m3 is not None and value >= meter.register_max_m3):
        raise InvalidInput(
            _("Outside the meter's register."), fields={"cumulative_m3": [_("Outside the register range.")]}
        )
    if value == reading.cumulative_m3:
        return reading
    _check_seen(reading, seen)
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
        actor=actor,
        action=AuditAction.CORRECT,
        entity="water.reading",
        entity_id=reading.key,
        before=before,
        after=_reading_snapshot(reading),
        reason=reason,
    )
    return reading


@transaction.atomic
def reading_review(
    *, reading: Reading, decision: Review | str, reason: str, actor: Any, seen: ReadingState | None = None
) -> Reading:
    """A reviewer's decision on a reading: accept it (its steps count, as *corrected*), reject it (it
    leaves the series, its neighbours are joined; it is kept), or clear an earlier decision ("").
    `seen` as for reading_correct."""
    if decision not in Review.values:
        raise InvalidInput(
            _("Unknown decision."),
            fields={"decision": [_("One of %(values)s.") % {"values": ", ".join(Review.values)}]},
        )
    if not reason.strip():
        raise InvalidInput(_("Say why."), fields={"reason": [_("Required.")]})
    meter, reading = _locked_reading(reading)
    if decision == Review.REJECTED and reading.source in NOT_REPORTS:
        raise InvalidInput(
            _("An installation or removal reading bounds the meter's series and cannot be rejected; correct it."),
            fields={"decision": [_("Not for installation or removal readings.")]},
        )
    if reading.review == decision:
        return reading
    _check_seen(reading, seen)
    before = _reading_snapshot(reading)
    late = {"after_lock": True} if locks.reading_locked(meter.pk, reading.observed_at) else {}
    Reading.objects.filter(meter_id=reading.meter_id, observed_at=reading.observed_at).update(review=decision, **late)
    reading.review = decision
    reading.after_lock = reading.after_lock or bool(late)
    rollups.recompute({meter.pk: (reading.observed_at, reading.observed_at)}, delete_missing=True)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        entity="water.reading",
        entity_id=reading.key,
        before=before,
        after=_reading_snapshot(reading),
        reason=reason,
    )
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
