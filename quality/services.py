"""Writes of the quality app: sections and samples. Each write validates, saves and audits in one
transaction; a batch (an API sample, a CSV file, the demo) is all or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import actor_label, audit_record, audit_record_many, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput
from core.geo import WGS84_SRID
from core.kernel import Errors, audited_save
from places.models import Division, Lake, Reach
from quality import conf, gb3838
from quality.choices import SampleSource, SectionCategory, WaterBody, WaterClass
from quality.models import FunctionZone, Measurement, Sample, Section, SectionExclusion

REFUSED = "Refused, nothing written:"
MAX_ERRORS = 100  # complaints listed; more are counted, not listed

# --------------------------------------------------------------------------- sections

_SECTION_FIELDS = (
    "name",
    "category",
    "reach",
    "lake",
    "division",
    "location",
    "target_class",
    "counts_in_statistics",
    "note",
    "function_zone",
)


def _as_point(location: GEOSGeometry | None) -> Point:
    if location is None or location.geom_type != "Point":
        got = "nothing" if location is None else f"a {location.geom_type}"
        raise InvalidInput(
            _("A section's location is a Point, got %(got)s.") % {"got": got}, fields={"location": [_("A Point.")]}
        )
    if location.srid is None:
        location.srid = WGS84_SRID
    elif location.srid != WGS84_SRID:
        location = location.transform(WGS84_SRID, clone=True)
    assert isinstance(location, Point)  # noqa: S101 - checked above
    return location


def _check_water_body(category: str, reach: Reach | None, lake: Lake | None) -> str:
    if category not in SectionCategory.values:
        raise InvalidInput(
            _("Unknown category %(category)s.") % {"category": repr(category)},
            fields={"category": [_("One of %(values)s.") % {"values": ", ".join(SectionCategory.values)}]},
        )
    if (reach is None) == (lake is None):
        raise InvalidInput(_("Give a reach or a lake, not both."), fields={"reach": [_("Give a reach or a lake.")]})
    if category == SectionCategory.RIVER and reach is None:
        raise InvalidInput(
            _("A river section lies on a reach."), fields={"reach": [_("A river section needs a reach.")]}
        )
    if category == SectionCategory.LAKE and lake is None:
        raise InvalidInput(
            _("A lake point lies on a lake."), fields={"lake": [_("A lake/reservoir point needs a lake.")]}
        )
    return WaterBody.RIVER if reach is not None else WaterBody.LAKE


def _section_save(
    instance: Section, *, actor: Any, fields: Mapping[str, Any], reason: str = ""
) -> tuple[Section, bool]:
    created = instance.pk is None
    before = None if created else snapshot(instance)
    if "location" in fields:
        # Checked before assignment: a PointField refuses another geometry type with a TypeError.
        fields = {**fields, "location": _as_point(fields["location"])}
    for name, value in fields.items():
        setattr(instance, name, value)
    reach, lake = instance.reach, instance.lake
    instance.water_body = _check_water_body(instance.category, reach, lake)
    if instance.division_id is None:
        instance.division = reach.division if reach is not None else lake.division  # one of them is set (checked above)
    if instance.target_class not in WaterClass.values[:5]:
        raise InvalidInput(_("The target class is Ⅰ–Ⅴ."), fields={"target_class": [_("An integer 1 to 5.")]})
    instance.full_clean(validate_unique=created, validate_constraints=True)
    after = snapshot(instance)
    if not created and after == before:
        return instance, False
    instance.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        instance=instance,
        before=before,
        after=snapshot(instance),
        reason=reason,
    )
    return instance, True


@transaction.atomic
def section_create(
    *,
    code: str,
    name: str,
    category: SectionCategory | str,
    location: GEOSGeometry,
    target_class: int,
    actor: Any,
    reach: Reach | None = None,
    lake: Lake | None = None,
    division: Division | None = None,
    counts_in_statistics: bool = True,
    note: str = "",
) -> Section:
    """Register a section. Its division defaults to the reach's or lake's."""
    if Section.objects.filter(code=code).exists():
        raise Conflict(
            _("A section with code %(code)s exists.") % {"code": repr(code)}, fields={"code": [_("Already in use.")]}
        )
    section, __ = _section_save(
        Section(code=code),
        actor=actor,
        fields={
            "name": name,
            "category": category,
            "reach": reach,
            "lake": lake,
            "division": division,
            "location": location,
            "target_class": target_class,
            "counts_in_statistics": counts_in_statistics,
            "note": note,
        },
    )
    return section


@transaction.atomic
def section_update(*, section: Section, actor: Any, reason: str = "", **changes: Any) -> Section:
    """Change a section's name, target class, statistics flag, note, location or function zone
    (audited). Its code, category and water body are fixed: its samples were taken there."""
    unknown = set(changes) - {"name", "target_class", "counts_in_statistics", "note", "location", "function_zone"}
    if unknown:
        raise InvalidInput(
            _("These fields cannot change."), fields={k: [_("Cannot be changed.")] for k in sorted(unknown)}
        )
    locked = Section.objects.select_for_update().get(pk=section.pk)
    updated, __ = _section_save(locked, actor=actor, fields=changes, reason=reason)
    return updated


@transaction.atomic
def section_upsert(
    *,
    code: str,
    name: str,
    category: SectionCategory | str,
    location: GEOSGeometry,
    target_class: int,
    actor: Any,
    reach: Reach | None = None,
    lake: Lake | None = None,
    division: Division | None = None,
    counts_in_statistics: bool = True,
    note: str = "",
    reason: str = "",
    function_zone: FunctionZone | None = None,
) -> tuple[Section, bool]:
    """Create or update a section by code (demo loads and the admin); returns (section, changed)."""
    instance = Section.objects.filter(code=code).first() or Section(code=code)
    return _section_save(
        instance,
        actor=actor,
        reason=reason,
        fields={
            "name": name,
            "category": category,
            "reach": reach,
            "lake": lake,
            "division": division or (reach.division if reach else lake.division if lake else None),
            "location": location,
            "target_class": target_class,
            "counts_in_statistics": counts_in_statistics,
            "note": note,
            "function_zone": function_zone,
        },
    )


@transaction.atomic
def function_zone_upsert(
    *,
    code: str,
    name: str,
    division: Division,
    target_class: int,
    actor: Any,
    key_zone: bool = True,
    declared_compliant: bool | None = None,
    declared_source: str = "",
    note: str = "",
    reason: str = "",
) -> tuple[FunctionZone, bool]:
    """Create or update a water-function zone by code (demo loads, the admin); returns (zone, changed).
    A declared compliance needs its source."""
    if target_class not in WaterClass.values[:5]:
        raise InvalidInput(_("The target class is Ⅰ–Ⅴ."), fields={"target_class": [_("An integer 1 to 5.")]})
    if declared_compliant is not None and not declared_source.strip():
        raise InvalidInput(
            _("A declared compliance needs its source."), fields={"declared_source": [_("Say where it comes from.")]}
        )
    instance = FunctionZone.objects.select_for_update().filter(code=code).first()
    before = None if instance is None else snapshot(instance)
    instance = instance or FunctionZone(code=code)
    fields = {
        "name": name,
        "division": division,
        "target_class": target_class,
        "key_zone": key_zone,
        "declared_compliant": declared_compliant,
        "declared_source": declared_source,
        "note": note,
    }
    for field_name, value in fields.items():
        setattr(instance, field_name, value)
    changed = audited_save(instance, actor=actor, before=before, reason=reason)
    return instance, changed


def section_save_from_admin(*, instance: Section, actor: Any) -> Section:
    """The admin's save, through the same checks and audit as the API."""
    fields = {name: getattr(instance, name) for name in _SECTION_FIELDS}
    with transaction.atomic():
        if instance.pk is None:
            return _section_save(instance, actor=actor, fields=fields, reason="admin")[0]
        current = Section.objects.select_for_update().get(pk=instance.pk)
        return _section_save(current, actor=actor, fields=fields, reason="admin")[0]


# --------------------------------------------------------------------------- samples


@dataclass(frozen=True, slots=True)
class SampleInput:
    """A checked sample ready to be written. `path` says where it came from in the request
    ("" for a single sample, "rows[12]" for a CSV sample starting on data row 12) so errors can name it."""

    section: Section
    sampled_at: dt.datetime
    source: str
    measurements: tuple[gb3838.Measurement, ...]
    note: str = ""
    path: str = ""

    @property
    def key(self) -> tuple[int, dt.datetime, str]:
        return (self.section.pk, self.sampled_at, self.source)

    def signature(self) -> frozenset[tuple[str, Decimal | None, bool, Decimal | None]]:
        return frozenset((m.item.code, m.value, m.below_detection_limit, m.detection_limit) for m in self.measurements)

    def results(self) -> dict[str, tuple[Decimal | None, bool, Decimal | None]]:
        return {m.item.code: (m.value, m.below_detection_limit, m.detection_limit) for m in self.measurements}


@dataclass(slots=True)
class RecordResult:
    """What a batch wrote: new samples, resends found already stored, and the results written."""

    created: list[Sample] = field(default_factory=list)
    duplicates: list[Sample] = field(default_factory=list)
    amended: list[Sample] = field(default_factory=list)  # stored samples that received new items
    measurements_created: int = 0


def _field(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _stored_results(sample: Sample) -> dict[str, tuple[Decimal | None, bool, Decimal | None]]:
    return {m.item: (m.value, m.below_detection_limit, m.detection_limit) for m in sample.measurements.all()}


def check_sample_time(at: dt.datetime, *, field_name: str, now: dt.datetime | None = None) -> None:
    """Refuse naive and future sample times (beyond the clock-skew tolerance)."""
    if timezone.is_naive(at):
        raise InvalidInput(_("Give the time with its UTC offset."), fields={field_name: [_("Naive time refused.")]})
    now = now or timezone.now()
    if at > now + dt.timedelta(seconds=conf.future_tolerance_seconds()):
        raise InvalidInput(
            _("A sample cannot be taken in the future (%(isoformat)s).") % {"isoformat": at.isoformat()},
            fields={field_name: [_("In the future.")]},
        )


def _measurement_rows(sample: Sample, measurements: Sequence[gb3838.Measurement]) -> list[Measurement]:
    return [
        Measurement(
            sample=sample,
            item=m.item.code,
            value=m.value,
            below_detection_limit=m.below_detection_limit,
            detection_limit=m.detection_limit,
            reported_unit=m.reported_unit[:16],
        )
        for m in measurements
    ]


def _audit_after(sample: Sample, rows: Sequence[Measurement]) -> dict[str, Any]:
    return {**snapshot(sample), "measurements": [snapshot(r, exclude=("id", "sample")) for r in rows]}


@transaction.atomic
def samples_record(
    *,
    samples: Sequence[SampleInput],
    actor: Any,
    action: AuditAction = AuditAction.CREATE,
    reason: str = "",
) -> RecordResult:
    """Write samples with their results, all or nothing.

    A sample already stored with the same (section, time, source) is matched item by item:
    * the same results again: a duplicate (a resend), nothing written;
    * the same results plus items it did not have: those items are added (a lab often reports field
      parameters first and metals weeks later for the same sampling), audited as an update;
    * any item with another result: a conflict (409) naming it. A stored result is never
      overwritten; correcting one is a delete and a new sample, both audited.
    """
    errors = Errors(limit=MAX_ERRORS)
    now = timezone.now()
    by_key: dict[tuple[int, dt.datetime, str], SampleInput] = {}
    for s in samples:
        try:
            check_sample_time(s.sampled_at, field_name=_field(s.path, "sampled_at"), now=now)
        except InvalidInput as exc:
            errors.merge(exc.fields)
        if s.source not in SampleSource.values:
            errors.add(_field(s.path, "source"), _("One of %(values)s.") % {"values": ", ".join(SampleSource.values)})
        if not s.measurements:
            errors.add(_field(s.path, "values"), _("A sample needs at least one result."))
        previous = by_key.get(s.key)
        if previous is not None and previous.signature() != s.signature():
            errors.add(
                _field(s.path, "sampled_at"),
                _("The same section, time and source appear again with other results (%(value)s).")
                % {"value": previous.path or "above"},
            )
        by_key.setdefault(s.key, s)
    errors.raise_if_any(REFUSED)

    result = RecordResult()
    if not by_key:
        return result
    existing = _existing_samples(list(by_key))
    conflicts = Errors(limit=MAX_ERRORS)
    new: list[SampleInput] = []
    additions: list[tuple[Sample, list[gb3838.Measurement]]] = []
    for key, s in by_key.items():
        stored = existing.get(key)
        if stored is None:
            new.append(s)
            continue
        have = _stored_results(stored)
        for code, got in s.results().items():
            if code in have and have[code] != got:
                item = gb3838.ITEMS_BY_CODE[code]
                conflicts.add(
                    _field(s.path, f"values.{item.key}"),
                    f"Sample {stored.pk} at this section, time and source holds another {item.key} result; "
                    "delete the sample to correct it.",
                )
        extra = [m for m in s.measurements if m.item.code not in have]
        if extra:
            additions.append((stored, extra))
        else:
            result.duplicates.append(stored)
    conflicts.raise_if_any(REFUSED, error=Conflict, code="sample_conflict")
    for stored, extra in additions:
        before = _audit_after(stored, list(stored.measurements.all()))
        added = _measurement_rows(stored, extra)
        for result_row in added:
            result_row.full_clean(exclude=["sample"], validate_unique=False, validate_constraints=False)
        Measurement.objects.bulk_create(added)
        after = _audit_after(stored, [*stored.measurements.all(), *added])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=stored,
            before=before,
            after=after,
            reason=reason or "results added",
        )
        result.amended.append(stored)
        result.measurements_created += len(added)

    rows = [Sample(section=s.section, sampled_at=s.sampled_at, source=s.source, note=s.note[:200]) for s in new]
    for row in rows:
        # Field checks only: uniqueness was checked above for the whole batch in one query, and the
        # database constraints stay the backstop (a per-row validate_unique costs a query each).
        row.full_clean(exclude=["section"], validate_unique=False, validate_constraints=False)
    Sample.objects.bulk_create(rows)
    measurement_rows: list[Measurement] = []
    per_sample: list[list[Measurement]] = []
    for row, s in zip(rows, new, strict=True):
        ms = _measurement_rows(row, s.measurements)
        per_sample.append(ms)
        measurement_rows.extend(ms)
    Measurement.objects.bulk_create(measurement_rows, batch_size=2000)
    # One INSERT for the batch's audit rows (an import is thousands of samples).
    audit_record_many(
        actor=actor,
        action=action,
        items=[(row, None, _audit_after(row, ms)) for row, ms in zip(rows, per_sample, strict=True)],
        reason=reason,
    )
    result.created.extend(rows)
    result.measurements_created += len(measurement_rows)
    return result


def _existing_samples(keys: Sequence[tuple[int, dt.datetime, str]]) -> dict[tuple[int, dt.datetime, str], Sample]:
    """Stored samples with these keys: keys first (narrow), then the matching samples' results."""
    wanted = set(keys)
    times = [k[1] for k in keys]
    candidates = Sample.objects.filter(
        section_id__in={k[0] for k in keys}, sampled_at__gte=min(times), sampled_at__lte=max(times)
    ).values_list("pk", "section_id", "sampled_at", "source")
    matched = [pk for pk, section_id, at, source in candidates if (section_id, at, source) in wanted]
    if not matched:
        return {}
    return {
        (s.section_id, s.sampled_at, s.source): s
        for s in Sample.objects.filter(pk__in=matched).prefetch_related("measurements")
    }


@transaction.atomic
def sample_delete(*, sample: Sample, actor: Any, reason: str = "") -> None:
    """Delete a sample and its results (a wrong sample; a correction is a delete and a new one)."""
    rows = list(sample.measurements.all())
    before = _audit_after(sample, rows)
    pk = sample.pk
    sample.delete()
    audit_record(
        actor=actor, action=AuditAction.DELETE, entity="quality.sample", entity_id=pk, before=before, reason=reason
    )


# --------------------------------------------------------------------------- exclusions


@transaction.atomic
def section_exclusion_create(
    *, section: Section, first_month: dt.date, last_month: dt.date, reason: str, actor: Any
) -> SectionExclusion:
    """Leave a section out of the statistics for whole months, with the reason (audited). The months
    are given by any day in them. Overlapping an exclusion of the same section is refused, naming it:
    one stated reason per month."""
    first, last = first_month.replace(day=1), last_month.replace(day=1)
    if last < first:
        raise InvalidInput(
            _("The last month is before the first."), fields={"last_month": [_("Not before first_month.")]}
        )
    if not reason.strip():
        raise InvalidInput(_("Say why the section is left out."), fields={"reason": [_("This field is required.")]})
    Section.objects.select_for_update().get(pk=section.pk)  # one writer per section: the overlap check holds
    clash = (
        SectionExclusion.objects.filter(section=section, first_month__lte=last, last_month__gte=first)
        .order_by("first_month")
        .first()
    )
    if clash is not None:
        a, b = clash.months()
        raise InvalidInput(
            _("The section is already left out from %(first)s to %(last)s (%(reason)s).")
            % {"first": a, "last": b, "reason": clash.reason},
            fields={"first_month": [_("Overlaps an exclusion of this section.")]},
        )
    exclusion = SectionExclusion(
        section=section, first_month=first, last_month=last, reason=reason.strip(), created_by=actor_label(actor)
    )
    audited_save(exclusion, actor=actor, before=None)
    return exclusion


@transaction.atomic
def section_exclusion_delete(*, exclusion: SectionExclusion, actor: Any, reason: str = "") -> None:
    """Count the months again (audited)."""
    before = snapshot(exclusion)
    pk = exclusion.pk
    exclusion.delete()
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        entity="quality.sectionexclusion",
        entity_id=pk,
        before=before,
        reason=reason,
    )
