"""Monthly plant volumes and deliveries, recorded in batches (all rows or none)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.audit import snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput
from core.kernel import Errors, audit_many, with_line
from reuse import conf
from reuse.choices import (
    VolumeSource,
)
from reuse.models import MonthlyDelivery, MonthlyPlantVolume, Plant, WaterUser
from reuse.selectors import plant_month_warnings
from reuse.services._common import V, _today, max_monthly_m3
from reuse.services.users import resolve_use

# --------------------------------------------------------------------------- monthly volumes


@dataclass(slots=True)
class BatchResult:
    """What a volume or delivery batch did, and the warnings it raised (never refusals)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _where(lines: Sequence[int] | None, i: int) -> str:
    """A CSV row's line, in the kernel's words (` (line 12)`); nothing for a JSON row."""
    return with_line("", lines[i]) if lines else ""


def _check_batch_size(rows: Sequence[Any], prefix: str) -> None:
    if not rows:
        raise InvalidInput(_("The batch is empty."), fields={prefix: [_("Give at least one row.")]})
    limit = conf.max_batch_rows()
    if len(rows) > limit:
        raise InvalidInput(
            _("At most %(limit)s rows per batch.") % {"limit": limit},
            fields={prefix: [_("%(rows)s rows; at most %(limit)s per batch.") % {"rows": len(rows), "limit": limit}]},
        )


def _check_month(month: dt.date, path: str, where: str, errors: Errors) -> None:
    if month.day != 1:
        errors.add(
            f"{path}.month",
            _("A month is stored as its first day, not %(isoformat)s%(where)s.")
            % {"isoformat": month.isoformat(), "where": where},
        )
    today = _today()
    if (month.year, month.month) > (today.year, today.month):
        errors.add(
            f"{path}.month", _("%(month)s has not begun%(where)s.") % {"month": format(month, "%Y-%m"), "where": where}
        )


@transaction.atomic
def plant_volumes_record(
    *,
    rows: Sequence[Mapping[str, Any]],
    actor: Any,
    source: str = VolumeSource.API,
    replace: bool = False,
    scope: Scope,
    prefix: str = "volumes",
    lines: Sequence[int] | None = None,
) -> BatchResult:
    """Record plants' monthly treated and produced volumes, all or nothing.

    Each row: `plant` (code), `month` (first day), `treated_m3`, `produced_m3`. Refused (400, row by
    row): unknown or out-of-scope plant, a month not yet begun, negative volumes, more produced than
    treated, more than the plant could treat (design × days × REUSE_MAX_LOAD_FACTOR), the same plant
    and month twice. A stored month with other figures is a 409 unless `replace` (an audited correction);
    the same figures again are a no-op. Over design capacity, and more delivered than produced, come back
    as warnings.
    """
    _check_batch_size(rows, prefix)
    errors = Errors()
    codes = {str(r.get("plant")) for r in rows if r.get("plant")}
    plants = {p.code: p for p in scope.filter(Plant.objects.filter(code__in=codes), "division__code")}
    seen: dict[tuple[int, dt.date], int] = {}
    keyed: list[tuple[int, Plant, Mapping[str, Any]]] = []
    for i, row in enumerate(rows):
        path, where = f"{prefix}[{i}]", _where(lines, i)
        plant = plants.get(str(row.get("plant")))
        if plant is None:
            errors.add(
                f"{path}.plant",
                _("No plant %(get)s in your jurisdiction%(where)s.") % {"get": repr(row.get("plant")), "where": where},
            )
            continue
        month, treated, produced = row["month"], row["treated_m3"], row["produced_m3"]
        _check_month(month, path, where, errors)
        for name, value in (("treated_m3", treated), ("produced_m3", produced)):
            if value < 0:
                errors.add(f"{path}.{name}", _("A volume cannot be negative%(where)s.") % {"where": where})
        if produced > treated:
            errors.add(
                f"{path}.produced_m3",
                _("More reclaimed water produced (%(produced)s) than treated (%(treated)s)%(where)s.")
                % {"produced": produced, "treated": treated, "where": where},
            )
        limit = max_monthly_m3(plant, month)
        if treated > limit:
            errors.add(
                f"{path}.treated_m3",
                _(
                    "%(treated)s m³ in %(month)s is impossible for a plant of %(design_capacity_m3d)s m³/d "
                    "(more than %(limit)s m³)%(where)s."
                )
                % {
                    "treated": treated,
                    "month": format(month, "%Y-%m"),
                    "design_capacity_m3d": plant.design_capacity_m3d,
                    "limit": limit,
                    "where": where,
                },
            )
        key = (plant.pk, month)
        if key in seen:
            errors.add(
                f"{path}.month",
                _("Row %(seen)s already gives %(code)s for %(month)s%(where)s.")
                % {"seen": seen[key], "code": plant.code, "month": format(month, "%Y-%m"), "where": where},
            )
        seen[key] = i
        keyed.append((i, plant, row))
    errors.raise_if_any(_("The batch was refused; nothing was written."))

    existing = {
        (v.plant_id, v.month): v
        for v in MonthlyPlantVolume.objects.select_for_update().filter(
            plant_id__in={p.pk for _i, p, _r in keyed}, month__in={r["month"] for _i, _p, r in keyed}
        )
    }
    conflicts = Errors()
    result = BatchResult()
    to_create: list[MonthlyPlantVolume] = []
    to_update: list[tuple[MonthlyPlantVolume, dict[str, Any]]] = []
    for i, plant, row in keyed:
        stored = existing.get((plant.pk, row["month"]))
        if stored is None:
            to_create.append(
                MonthlyPlantVolume(
                    plant=plant,
                    month=row["month"],
                    treated_m3=row["treated_m3"],
                    produced_m3=row["produced_m3"],
                    source=source,
                )
            )
            continue
        if stored.treated_m3 == row["treated_m3"] and stored.produced_m3 == row["produced_m3"]:
            result.unchanged += 1
            continue
        if not replace:
            for name in ("treated_m3", "produced_m3"):
                if getattr(stored, name) != row[name]:
                    conflicts.add(
                        f"{prefix}[{i}].{name}",
                        f"{plant.code} {row['month']:%Y-%m} is stored with {getattr(stored, name)}; "
                        f"send replace=true to correct it{_where(lines, i)}.",
                    )
            continue
        to_update.append((stored, snapshot(stored)))
        stored.treated_m3, stored.produced_m3, stored.source = row["treated_m3"], row["produced_m3"], source
    conflicts.raise_if_any(
        "Months already stored with other figures; nothing was written.", error=Conflict, code="volume_conflict"
    )
    _write(to_create, to_update, actor=actor, source=source, result=result)
    result.warnings = plant_month_warnings(pairs={(p.pk, r["month"]) for __, p, r in keyed})
    return result


def _write(
    to_create: Sequence[V],
    to_update: Sequence[tuple[V, dict[str, Any]]],
    *,
    actor: Any,
    source: str,
    result: BatchResult,
) -> None:
    now = timezone.now()
    try:
        with transaction.atomic():
            for obj in to_create:
                # Field checks (digits, choices) without the per-row foreign-key queries of full_clean:
                # the plant and user were resolved above, in scope, in one query each.
                obj.clean_fields(exclude=["plant", "user"])
            created = type(to_create[0])._default_manager.bulk_create(to_create, batch_size=500) if to_create else []
            for obj, _before in to_update:
                obj.clean_fields(exclude=["plant", "user"])
                obj.updated_at = now
                obj.save()  # a few corrections at a time: per-row saves keep the audit simple
    except IntegrityError as exc:
        raise Conflict(
            _("Another batch wrote some of these months at the same time; nothing was written. Retry."),
            code="volume_conflict",
        ) from exc
    audit_many(actor=actor, action=AuditAction.CREATE, changes=[(obj, None) for obj in created], reason=source)
    audit_many(actor=actor, action=AuditAction.CORRECT, changes=to_update, reason=source)
    result.created += len(created)
    result.updated += len(to_update)


@transaction.atomic
def deliveries_record(
    *,
    rows: Sequence[Mapping[str, Any]],
    actor: Any,
    source: str = VolumeSource.API,
    replace: bool = False,
    scope: Scope,
    prefix: str = "deliveries",
    lines: Sequence[int] | None = None,
) -> BatchResult:
    """Record reclaimed water delivered in a month, all or nothing.

    Each row: `month`, `volume_m3`, and either `user` (a metered user's code; its class is copied and
    its supplying plant is the default `plant`) or `use_class`/`sub_use` with `plant` for users who are
    not metered. Refused row by row: unknown plant or user, unknown use class, a sub-use of another
    class, a class that contradicts the user's, a month not yet begun, a negative or impossible volume,
    the same key twice. A stored row with another volume is a 409 unless `replace`. A plant month whose
    deliveries exceed what it produced is a warning, not a refusal.
    """
    _check_batch_size(rows, prefix)
    errors = Errors()
    user_codes = {str(r["user"]) for r in rows if r.get("user")}
    users = {
        u.code: u
        for u in scope.filter(WaterUser.objects.filter(code__in=user_codes), "division__code").select_related("plant")
    }
    # A metered user's supplying plant is the row's default plant.
    plant_codes = {str(r["plant"]) for r in rows if r.get("plant")} | {
        u.plant.code for u in users.values() if u.plant is not None
    }
    plants = {p.code: p for p in scope.filter(Plant.objects.filter(code__in=plant_codes), "division__code")}
    seen: dict[tuple[Any, ...], int] = {}
    prepared: list[tuple[int, MonthlyDelivery]] = []
    for i, row in enumerate(rows):
        path, where = f"{prefix}[{i}]", _where(lines, i)
        before_row = len(errors.fields)
        user = None
        if row.get("user"):
            user = users.get(str(row["user"]))
            if user is None:
                errors.add(
                    f"{path}.user",
                    _("No user %(user)s in your jurisdiction%(where)s.") % {"user": repr(row["user"]), "where": where},
                )
                continue
        plant_code = row.get("plant") or (user.plant.code if user is not None and user.plant else None)
        if not plant_code:
            errors.add(f"{path}.plant", _("Give the supplying plant%(where)s.") % {"where": where})
            continue
        plant = plants.get(str(plant_code))
        if plant is None:
            errors.add(
                f"{path}.plant",
                _("No plant %(plant_code)s in your jurisdiction%(where)s.")
                % {"plant_code": repr(plant_code), "where": where},
            )
            continue
        if user is not None:
            use_class, sub_use = user.use_class, user.sub_use
            if row.get("use_class") and row["use_class"] != use_class:
                errors.add(
                    f"{path}.use_class",
                    _("User %(code)s is in the class %(use_class)s%(where)s.")
                    % {"code": user.code, "use_class": repr(use_class), "where": where},
                )
            if row.get("sub_use") and row["sub_use"] != sub_use:
                errors.add(
                    f"{path}.sub_use",
                    _("User %(code)s has the sub-use %(sub_use)s%(where)s.")
                    % {"code": user.code, "sub_use": repr(sub_use), "where": where},
                )
        else:
            use_class, sub_use = resolve_use(
                row.get("use_class"), row.get("sub_use"), errors=errors, prefix=f"{path}.", where=where
            )
        month, volume = row["month"], row["volume_m3"]
        _check_month(month, path, where, errors)
        if volume < 0:
            errors.add(f"{path}.volume_m3", _("A volume cannot be negative%(where)s.") % {"where": where})
        elif volume > max_monthly_m3(plant, month):
            errors.add(
                f"{path}.volume_m3",
                _("%(volume)s m³ in %(month)s is impossible from a plant of %(design_capacity_m3d)s m³/d%(where)s.")
                % {
                    "volume": volume,
                    "month": format(month, "%Y-%m"),
                    "design_capacity_m3d": plant.design_capacity_m3d,
                    "where": where,
                },
            )
        if len(errors.fields) > before_row:
            continue
        key = (plant.pk, month, user.pk) if user is not None else (plant.pk, month, None, use_class, sub_use)
        if key in seen:
            errors.add(
                f"{path}.month",
                _("Row %(seen)s already gives this delivery for %(month)s%(where)s.")
                % {"seen": seen[key], "month": format(month, "%Y-%m"), "where": where},
            )
            continue
        seen[key] = i
        prepared.append(
            (
                i,
                MonthlyDelivery(
                    plant=plant,
                    month=month,
                    user=user,
                    use_class=use_class,
                    sub_use=sub_use,
                    volume_m3=volume,
                    source=source,
                ),
            )
        )
    errors.raise_if_any(_("The batch was refused; nothing was written."))

    existing: dict[tuple[Any, ...], MonthlyDelivery] = {}
    for d in MonthlyDelivery.objects.select_for_update().filter(
        plant_id__in={d.plant_id for __, d in prepared}, month__in={d.month for __, d in prepared}
    ):
        key = (d.plant_id, d.month, d.user_id) if d.user_id else (d.plant_id, d.month, None, d.use_class, d.sub_use)
        existing[key] = d
    conflicts = Errors()
    result = BatchResult()
    to_create: list[MonthlyDelivery] = []
    to_update: list[tuple[MonthlyDelivery, dict[str, Any]]] = []
    for i, new in prepared:
        key = (
            (new.plant_id, new.month, new.user_id)
            if new.user_id
            else (new.plant_id, new.month, None, new.use_class, new.sub_use)
        )
        stored = existing.get(key)
        if stored is None:
            to_create.append(new)
        elif stored.volume_m3 == new.volume_m3:
            result.unchanged += 1
        elif not replace:
            conflicts.add(
                f"{prefix}[{i}].volume_m3",
                f"Stored with {stored.volume_m3} m³; send replace=true to correct it{_where(lines, i)}.",
            )
        else:
            to_update.append((stored, snapshot(stored)))
            stored.volume_m3, stored.source = new.volume_m3, source
    conflicts.raise_if_any(
        "Deliveries already stored with other volumes; nothing was written.", error=Conflict, code="volume_conflict"
    )
    _write(to_create, to_update, actor=actor, source=source, result=result)
    result.warnings = plant_month_warnings(pairs={(d.plant_id, d.month) for __, d in prepared})
    return result
