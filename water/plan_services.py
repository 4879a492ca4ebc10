"""Writes of plans, red lines and ledger locks (issue 3 items 5 and 6). Each validates, writes its
audit row in the same transaction, and names the field (or line, `allocations[i].field`) that was
wrong; nothing is partly written.

The caller resolves ids to rows it may use (the API refuses intakes outside the caller's scope);
these services check the rules that hold whoever calls: lines are for intakes inside the plan's
division, one line per (intake, month, use), an intake is in at most one plan of a year (so no
volume is planned twice when a city and a district both issue plans).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core import periods
from core.audit import actor_label, audit_record, snapshot
from core.choices import AuditAction
from core.divisions import division_prefix
from core.exceptions import Conflict, Forbidden, InvalidInput
from core.kernel import Errors, actor_user, clean
from places.models import Division
from water import sql as water_sql
from water.choices import WaterUse
from water.models import (
    PLAN_VOLUME_DECIMALS,
    PLAN_VOLUME_DIGITS,
    DailyVolume,
    Intake,
    LedgerLock,
    LockedDailyVolume,
    Meter,
    PlanAllocation,
    PlanVersion,
    RedLineTarget,
    WaterPlan,
)
from water.plan_selectors import ancestor_codes, region_writable

_MAX_VOLUME = Decimal(10) ** (PLAN_VOLUME_DIGITS - PLAN_VOLUME_DECIMALS)
_QUANTUM = Decimal(1).scaleb(-PLAN_VOLUME_DECIMALS)


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """One plan line as given: volume (m³) for an intake in a month (1–12), optionally for one use."""

    intake: Intake
    month: int
    volume_m3: Decimal
    use: str = ""


def _check_writable(scope: Scope, division: Division, field: str = "division") -> None:
    if not region_writable(scope, division.code):
        raise Forbidden(
            _("You may not change the plans, targets or locks of this division."),
            fields={field: [_("Outside your jurisdiction.")]},
        )


def _check_lines(plan: WaterPlan, lines: Sequence[AllocationLine], *, field: str = "allocations") -> None:
    """Every rule a set of lines must meet, all bad lines named at once."""
    errors = Errors()
    seen: dict[tuple[int, int, str], int] = {}
    prefix = division_prefix(plan.division.code)
    for i, line in enumerate(lines):
        path = f"{field}[{i}]"
        if not isinstance(line.month, int) or isinstance(line.month, bool) or not 1 <= line.month <= 12:
            errors.add(f"{path}.month", _("A month from 1 to 12."))
        try:
            volume = Decimal(line.volume_m3)
            ok = volume.is_finite() and 0 <= volume < _MAX_VOLUME and volume == volume.quantize(_QUANTUM)
        except (InvalidOperation, TypeError, ValueError):
            ok = False
        if not ok:
            errors.add(
                f"{path}.volume_m3",
                _("A volume in m³, zero or more, below %(max_volume)s, with at most %(plan_volume_decimals)s decimals.")
                % {"max_volume": _MAX_VOLUME, "plan_volume_decimals": PLAN_VOLUME_DECIMALS},
            )
        if line.use not in ("", *WaterUse.values):
            errors.add(
                f"{path}.use",
                _("One of %(values)s, or empty for the intake's main use.") % {"values": ", ".join(WaterUse.values)},
            )
        if not line.intake.division.code.startswith(prefix):
            errors.add(
                f"{path}.intake", _("Intake %(code)s lies outside the plan's division.") % {"code": line.intake.code}
            )
        key = (line.intake.pk, line.month, line.use)
        if key in seen:
            errors.add(
                f"{path}.month", _("Line %(seen)s already allocates this intake, month and use.") % {"seen": seen[key]}
            )
        else:
            seen[key] = i
    errors.raise_if_any(_("Invalid allocations; nothing was written."))
    # An intake belongs to one plan a year (its volume would otherwise be planned twice).
    others = dict(
        PlanAllocation.objects.filter(
            version__plan__year=plan.year,
            version__number=F("version__plan__version"),
            intake_id__in={line.intake.pk for line in lines},
        )
        .exclude(version__plan_id=plan.pk)
        .values_list("intake_id", "version__plan__title")
    )
    clash = {
        f"{field}[{i}].intake": [f"Intake {line.intake.code} is already in the plan {others[line.intake.pk]!r}."]
        for i, line in enumerate(lines)
        if line.intake.pk in others
    }
    if clash:
        raise Conflict(_("An intake is in another plan of the same year."), code="planned_elsewhere", fields=clash)


def _version_snapshot(version: PlanVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "allocations": [
            {"intake": a, "month": m, "use": u, "volume_m3": str(v)}
            for a, m, u, v in version.allocations.order_by("intake_id", "month", "use").values_list(
                "intake_id", "month", "use", "volume_m3"
            )
        ],
    }


def _new_version(
    plan: WaterPlan, number: int, reason: str, actor: Any, lines: Mapping[tuple[int, int, str], Decimal]
) -> PlanVersion:
    version = PlanVersion.objects.create(
        plan=plan,
        number=number,
        reason=reason,
        created_by=actor_user(actor),
        created_by_label=actor_label(actor)[:150],
        created_at=timezone.now(),
    )
    PlanAllocation.objects.bulk_create(
        [
            PlanAllocation(version=version, intake_id=iid, month=month, use=use, volume_m3=volume)
            for (iid, month, use), volume in sorted(lines.items())
        ],
        batch_size=1000,
    )
    return version


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    scope: Scope,
    year: int,
    division: Division,
    title: str,
    notes: str = "",
    allocations: Sequence[AllocationLine] = (),
) -> WaterPlan:
    """Issue the plan of a division for a year: version 1 with its lines."""
    _check_writable(scope, division)
    if WaterPlan.objects.filter(year=year, division=division).exists():
        raise Conflict(
            _("This division already has a plan for this year; amend it instead."),
            code="plan_exists",
            fields={"year": [_("%(code)s has a plan for %(year)s.") % {"code": division.code, "year": year}]},
        )
    plan = WaterPlan(year=year, division=division, title=title, notes=notes, version=1)
    clean(plan)
    _check_lines(plan, allocations)
    plan.save()
    lines = {(line.intake.pk, line.month, line.use): Decimal(line.volume_m3) for line in allocations}
    version = _new_version(plan, 1, "issued", actor, lines)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=plan,
        after={**snapshot(plan), **_version_snapshot(version)},
    )
    return plan


@transaction.atomic
def plan_update(
    *, plan: WaterPlan, actor: Any, scope: Scope, changes: Mapping[str, Any], reason: str = ""
) -> WaterPlan:
    """Change a plan's title or notes (its figures change only by amendment)."""
    unknown = set(changes) - {"title", "notes"}
    if unknown:
        raise InvalidInput(
            _("Only the title and notes change here; figures change by amendment."),
            fields={name: [_("Cannot be changed here.")] for name in sorted(unknown)},
        )
    plan = WaterPlan.objects.select_for_update().select_related("division").get(pk=plan.pk)
    _check_writable(scope, plan.division)
    before = snapshot(plan)
    for name, value in changes.items():
        setattr(plan, name, value)
    clean(plan)
    if snapshot(plan) == before:
        return plan
    plan.save()
    audit_record(
        actor=actor, action=AuditAction.UPDATE, instance=plan, before=before, after=snapshot(plan), reason=reason
    )
    return plan


@transaction.atomic
def plan_amend(
    *, plan: WaterPlan, actor: Any, scope: Scope, reason: str, allocations: Sequence[AllocationLine]
) -> PlanVersion:
    """Amend a plan (调整): a new version holding the current lines with the given ones set (added
    when new; a volume of zero keeps the line at zero). The earlier versions stay as they were, so
    the plan at any past moment is the version then in force (plan_selectors.plan_version_at)."""
    if not reason.strip():
        raise InvalidInput(_("Say why the plan is amended."), fields={"reason": [_("Required.")]})
    if not allocations:
        raise InvalidInput(_("An amendment changes at least one line."), fields={"allocations": [_("Required.")]})
    plan = WaterPlan.objects.select_for_update().select_related("division").get(pk=plan.pk)
    _check_writable(scope, plan.division)
    _check_lines(plan, allocations)
    current = PlanVersion.objects.get(plan=plan, number=plan.version)
    before = _version_snapshot(current)
    lines = {
        (a.intake_id, a.month, a.use): a.volume_m3
        for a in PlanAllocation.objects.filter(version=current).only("intake_id", "month", "use", "volume_m3")
    }
    changed = {(line.intake.pk, line.month, line.use): Decimal(line.volume_m3) for line in allocations}
    if all(lines.get(k) == v for k, v in changed.items()):
        raise InvalidInput(
            _("The amendment changes nothing."), fields={"allocations": [_("Same as the current lines.")]}
        )
    lines.update(changed)
    version = _new_version(plan, plan.version + 1, reason, actor, lines)
    plan.version = version.number
    plan.save(update_fields=["version", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=plan,
        before=before,
        after=_version_snapshot(version),
        reason=reason,
    )
    return version


# --------------------------------------------------------------------------------------- red lines

REDLINE_FIELDS = (
    "total_use_cap_m3",
    "per_gdp_target",
    "per_iva_target",
    "irrigation_target",
    "zone_compliance_target",
    "gdp_10k_yuan",
    "gdp_source",
    "iva_10k_yuan",
    "iva_source",
    "irrigation_coefficient",
    "irrigation_source",
    "zone_compliance",
    "zone_compliance_source",
    "notes",
)
# An entered actual carries its source (domain.md §2.3: actuals record provenance).
_SOURCES = {
    "gdp_10k_yuan": "gdp_source",
    "iva_10k_yuan": "iva_source",
    "irrigation_coefficient": "irrigation_source",
    "zone_compliance": "zone_compliance_source",
}


def _check_sources(target: RedLineTarget) -> None:
    missing = {
        src: ["Say where the entered value comes from."]
        for value, src in _SOURCES.items()
        if getattr(target, value) is not None and not getattr(target, src).strip()
    }
    if missing:
        raise InvalidInput(_("Entered values need their source."), fields=missing)


@transaction.atomic
def redline_create(*, actor: Any, scope: Scope, year: int, division: Division, **values: Any) -> RedLineTarget:
    """Set the red-line targets (and entered actuals) of a division for a year."""
    unknown = set(values) - set(REDLINE_FIELDS)
    if unknown:
        raise TypeError(f"unknown red-line fields: {sorted(unknown)}")
    _check_writable(scope, division)
    if RedLineTarget.objects.filter(year=year, division=division).exists():
        raise Conflict(
            _("This division already has red-line targets for this year; change them instead."),
            code="targets_exist",
            fields={"year": [_("%(code)s has targets for %(year)s.") % {"code": division.code, "year": year}]},
        )
    target = RedLineTarget(year=year, division=division, **values)
    clean(target)
    _check_sources(target)
    target.save()
    audit_record(actor=actor, action=AuditAction.CREATE, instance=target, after=snapshot(target))
    return target


@transaction.atomic
def redline_update(
    *, target: RedLineTarget, actor: Any, scope: Scope, changes: Mapping[str, Any], reason: str = ""
) -> RedLineTarget:
    """Change targets or entered actuals (audited, before and after)."""
    unknown = set(changes) - set(REDLINE_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed."), fields={k: [_("Cannot be changed.")] for k in unknown})
    target = RedLineTarget.objects.select_for_update().select_related("division").get(pk=target.pk)
    _check_writable(scope, target.division)
    before = snapshot(target)
    for name, value in changes.items():
        setattr(target, name, value)
    clean(target)
    _check_sources(target)
    if snapshot(target) == before:
        return target
    target.save()
    audit_record(
        actor=actor, action=AuditAction.UPDATE, instance=target, before=before, after=snapshot(target), reason=reason
    )
    return target


# ------------------------------------------------------------------------------------------- locks


def _month_first(month: dt.date) -> dt.date:
    if isinstance(month, dt.datetime) or not isinstance(month, dt.date):
        raise InvalidInput(_("A month."), fields={"month": [_("A month as YYYY-MM.")]})
    return month.replace(day=1)


@transaction.atomic
def ledger_lock(*, actor: Any, scope: Scope, division: Division, month: dt.date, note: str = "") -> LedgerLock:
    """Review and lock a month of a division's intake ledger: the daily volumes of its meters that
    month are frozen as they stand (LockedDailyVolume), and what arrives later for the month is an
    amendment after lock. Only a month that is over can be locked; a month already locked for this
    division (or for a division containing it) is a conflict. A district already locked inside a
    city keeps its own figures when the city is locked."""
    first = _month_first(month)
    _check_writable(scope, division)
    period = periods.month(first.year, first.month)
    if period.end > timezone.now():
        raise InvalidInput(_("Only a month that is over can be locked."), fields={"month": [_("Not over yet.")]})
    covering = (
        LedgerLock.objects.filter(unlocked_at__isnull=True, month=first)
        .filter(Q(division=division) | Q(division__code__in=ancestor_codes(division.code)))
        .select_related("division")
        .first()
    )
    if covering is not None:
        raise Conflict(
            _("%(first)s is already locked for %(code)s.")
            % {"first": format(first, "%Y-%m"), "code": covering.division.code},
            code="already_locked",
            fields={"month": [_("Locked on %(isoformat)s.") % {"isoformat": covering.locked_at.isoformat()}]},
        )
    prefix = division_prefix(division.code)
    # The meters' ingest takes them FOR NO KEY UPDATE; taking them FOR UPDATE here waits for batches in
    # flight and makes later ones see this lock, so every reading stored after it is flagged.
    meter_ids = list(
        Meter.objects.filter(intake__division__code__startswith=prefix)
        .select_for_update(of=("self",))
        .order_by("id")
        .values_list("id", flat=True)
    )
    lock = LedgerLock.objects.create(
        division=division,
        month=first,
        locked_by=actor_user(actor),
        locked_by_label=actor_label(actor)[:150],
        locked_at=timezone.now(),
        note=note,
    )
    _snapshot_volumes(lock, meter_ids, first, period.last_date)
    audit_record(actor=actor, action=AuditAction.TRANSITION, instance=lock, after=snapshot(lock), reason=note)
    return lock


def _snapshot_volumes(lock: LedgerLock, meter_ids: list[int], first: dt.date, last: dt.date) -> None:
    """Copy the month's daily rows of these meters (those not frozen already by a narrower lock) in
    one INSERT … SELECT."""
    if not meter_ids:
        return
    rows = DailyVolume.objects.filter(meter_id__in=meter_ids, day__range=(first, last)).exclude(
        meter_id__in=LockedDailyVolume.objects.filter(day__range=(first, last)).values("meter_id")
    )
    if connection.vendor == "postgresql":
        sql, params = rows.values(
            "meter_id", "day", "measured_m3", "estimated_m3", "corrected_m3", "held_m3"
        ).query.sql_with_params()
        water_sql.locked_volumes_insert(lock.pk, sql, params)
        return
    LockedDailyVolume.objects.bulk_create(
        [
            LockedDailyVolume(
                lock=lock, meter_id=m, day=d, measured_m3=me, estimated_m3=es, corrected_m3=co, held_m3=he
            )
            for m, d, me, es, co, he in rows.values_list(
                "meter_id", "day", "measured_m3", "estimated_m3", "corrected_m3", "held_m3"
            )
        ],
        batch_size=1000,
    )


@transaction.atomic
def ledger_unlock(*, lock: LedgerLock, actor: Any, scope: Scope, reason: str) -> LedgerLock:
    """Unlock a month (admins only; a reason is required). Its frozen figures are dropped: the month
    reports its current figures again. The lock row stays, marked, and the readings flagged as
    amendments after lock keep their flag (it is history)."""
    if not scope.everything:
        raise Forbidden(_("Only an administrator unlocks a month."))
    if not reason.strip():
        raise InvalidInput(_("Say why the month is unlocked."), fields={"reason": [_("Required.")]})
    lock = LedgerLock.objects.select_for_update().select_related("division").get(pk=lock.pk)
    if lock.unlocked_at is not None:
        raise Conflict(_("This lock was already lifted."), code="not_locked", fields={"id": [_("Already unlocked.")]})
    wider = (
        LedgerLock.objects.filter(
            unlocked_at__isnull=True, month=lock.month, division__code__in=ancestor_codes(lock.division.code)
        )
        .select_related("division")
        .first()
    )
    if wider is not None:
        raise Conflict(
            _("%(month)s is also locked for %(code)s; unlock that first.")
            % {"month": format(lock.month, "%Y-%m"), "code": wider.division.code},
            code="locked_above",
            fields={"id": [_("Lock %(pk)s covers this one.") % {"pk": wider.pk}]},
        )
    before = snapshot(lock)
    LockedDailyVolume.objects.filter(lock=lock).delete()
    lock.unlocked_at = timezone.now()
    lock.unlocked_by = actor_user(actor)
    lock.unlock_reason = reason
    lock.save(update_fields=["unlocked_at", "unlocked_by", "unlock_reason"])
    audit_record(
        actor=actor, action=AuditAction.TRANSITION, instance=lock, before=before, after=snapshot(lock), reason=reason
    )
    return lock
