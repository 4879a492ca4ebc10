"""Writes of meters: create (with an opening reading), update, replace, delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.choices import Role
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput
from core.kernel import clean
from water import conf, rollups
from water.choices import Protocol, ReadingSource
from water.models import DailyVolume, Intake, Meter, Reading
from water.services._common import _register
from water.services.readings import _rebuild

# --------------------------------------------------------------------------------------- meters

METER_EDITABLE = (
    "serial",
    "device",
    "meter_type",
    "rtu_address",
    "rtu_password",
    "protocol",
    "decoding_profile",
    "register_max_m3",
    "multiplier",
    "expected_interval_s",
    "calibrated_on",
)
# Fields the volume arithmetic depends on: changing one recomputes the meter's days.
_RULE_FIELDS = ("register_max_m3", "expected_interval_s")


def _check_device(device: Any) -> None:
    if device is not None and getattr(device, "role", None) != Role.DEVICE:
        raise InvalidInput(_("The device must be a device account."), fields={"device": [_("Not a device account.")]})


def _put_reading(*, meter: Meter, at: dt.datetime, value: Decimal, source: ReadingSource, field: str) -> None:
    """Store one reading written by a meter service (installation or removal); the same value at the
    same instant is accepted as it is, another value is a conflict."""
    value = _register(value)
    existing = Reading.objects.filter(meter=meter, observed_at=at).values_list("cumulative_m3", flat=True).first()
    if existing is not None:
        if existing != value:
            raise Conflict(
                _("The meter already has another reading (%(existing)s m³) at this instant.") % {"existing": existing},
                fields={
                    field: [
                        _("A reading of %(existing)s m³ is stored at %(isoformat)s.")
                        % {"existing": existing, "isoformat": at.isoformat()}
                    ]
                },
            )
        return
    Reading.objects.create(meter=meter, observed_at=at, cumulative_m3=value, source=source)


@transaction.atomic
def meter_create(
    *,
    actor: Any,
    intake: Intake,
    serial: str,
    installed_at: dt.datetime,
    install_reading_m3: Decimal = Decimal(0),
    device: Any = None,
    protocol: str = Protocol.HTTPS,
    expected_interval_s: int | None = None,
    replaces: Meter | None = None,
    **optional: Any,
) -> Meter:
    """Install a meter on an intake, with the register at installation (stored as its first reading,
    so the volume from installation to the first report is not lost)."""
    unknown = set(optional) - set(METER_EDITABLE)
    if unknown:
        raise TypeError(f"unknown meter fields: {sorted(unknown)}")
    _check_device(device)
    register_max = optional.get("register_max_m3")
    if register_max is not None and _register(install_reading_m3) >= register_max:
        raise InvalidInput(
            _("The register at installation must be below the register maximum."),
            fields={
                "install_reading_m3": [
                    _("Must be below the register maximum (%(register_max)s m³).") % {"register_max": register_max}
                ]
            },
        )
    meter = Meter(
        intake=intake,
        serial=serial,
        installed_at=installed_at,
        install_reading_m3=_register(install_reading_m3),
        device=device,
        protocol=protocol,
        replaces=replaces,
        expected_interval_s=expected_interval_s or conf.default_report_interval_s(),
        **optional,
    )
    clean(meter)
    meter.save()
    _put_reading(
        meter=meter,
        at=installed_at,
        value=meter.install_reading_m3,
        source=ReadingSource.INSTALL,
        field="install_reading_m3",
    )
    audit_record(actor=actor, action=AuditAction.CREATE, instance=meter, after=snapshot(meter))
    return meter


@transaction.atomic
def meter_update(*, meter: Meter, actor: Any, changes: Mapping[str, Any], reason: str = "") -> Meter:
    """Change a meter's description, RTU or register rules. Its intake and installation are history:
    a meter moved or swapped is a replacement (meter_replace)."""
    unknown = set(changes) - set(METER_EDITABLE)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be changed; replace the meter instead."),
            fields={name: [_("Cannot be changed.")] for name in sorted(unknown)},
        )
    meter = Meter.objects.select_for_update().get(pk=meter.pk)
    before = snapshot(meter)
    if "device" in changes:
        _check_device(changes["device"])
    for name, value in changes.items():
        setattr(meter, name, value)
    clean(meter)
    if meter.register_max_m3 is not None:
        top = Reading.objects.filter(meter=meter).aggregate(m=Max("cumulative_m3"))["m"]
        if top is not None and top >= meter.register_max_m3:
            raise InvalidInput(
                _("The meter has readings at or above this register maximum."),
                fields={"register_max_m3": [_("Readings reach %(top)s m³.") % {"top": top}]},
            )
    after = snapshot(meter)
    if after == before:
        return meter
    meter.save()
    after = snapshot(meter)
    if any(before[f] != after[f] for f in _RULE_FIELDS):
        _rebuild([meter.pk])
    audit_record(actor=actor, action=AuditAction.UPDATE, instance=meter, before=before, after=after, reason=reason)
    return meter


@transaction.atomic
def meter_replace(
    *,
    meter: Meter,
    actor: Any,
    at: dt.datetime,
    removal_reading_m3: Decimal,
    new_serial: str,
    install_reading_m3: Decimal = Decimal(0),
    reason: str = "",
    **new_fields: Any,
) -> Meter:
    """Replace a meter at an instant: close it with its register then, open the next meter on the same
    intake with its register then. The old meter keeps its readings up to `at`; its removal reading
    ends its series and the new meter's installation reading starts the next, so the intake's volume
    is the sum of both and nothing is lost or counted twice. Fields of the new meter default to the
    old one's (`new_fields` overrides any of METER_EDITABLE except serial)."""
    old = Meter.objects.select_for_update().get(pk=meter.pk)
    if old.removed_at is not None:
        raise InvalidInput(
            _("This meter was already removed."),
            code="already_removed",
            fields={"at": [_("Removed at %(isoformat)s.") % {"isoformat": old.removed_at.isoformat()}]},
        )
    if at <= old.installed_at:
        raise InvalidInput(
            _("A meter is replaced after its installation."),
            fields={"at": [_("Must be after %(isoformat)s.") % {"isoformat": old.installed_at.isoformat()}]},
        )
    later = Reading.objects.filter(meter=old, observed_at__gt=at).aggregate(last=Max("observed_at"))["last"]
    if later is not None:
        raise InvalidInput(
            _("The meter has readings after this instant."),
            fields={
                "at": [
                    _("The meter reported until %(isoformat)s; replace it at or after that.")
                    % {"isoformat": later.isoformat()}
                ]
            },
        )
    removal = _register(removal_reading_m3)
    if old.register_max_m3 is not None and removal >= old.register_max_m3:
        raise InvalidInput(_("At or above the register maximum."), fields={"removal_reading_m3": [_("Too large.")]})
    before = snapshot(old)
    old.removed_at, old.removal_reading_m3 = at, removal
    clean(old)
    old.save(update_fields=["removed_at", "removal_reading_m3", "updated_at"])
    _put_reading(meter=old, at=at, value=removal, source=ReadingSource.REMOVAL, field="removal_reading_m3")
    rollups.recompute({old.pk: (at, at)})
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=old,
        before=before,
        after=snapshot(old),
        reason=reason or f"replaced by {new_serial}",
    )
    inherited = {name: getattr(old, name) for name in METER_EDITABLE if name != "serial"}
    inherited.update({k: v for k, v in new_fields.items() if k != "serial"})
    return meter_create(
        actor=actor,
        intake=old.intake,
        serial=new_serial,
        installed_at=at,
        install_reading_m3=install_reading_m3,
        replaces=old,
        **inherited,
    )


@transaction.atomic
def meter_delete(*, meter: Meter, actor: Any) -> None:
    """Remove a meter entered by mistake: only while it has no reading but its installation one."""
    meter = Meter.objects.select_for_update().get(pk=meter.pk)
    if (
        Reading.objects.filter(meter=meter).exclude(source=ReadingSource.INSTALL).exists()
        or meter.replaces_id is not None
        or Meter.objects.filter(replaces=meter).exists()
    ):
        raise Conflict(
            _("This meter has readings or a replacement; it is history and cannot be deleted."),
            code="in_use",
            fields={"id": [_("Has readings or a replacement.")]},
        )
    audit_record(actor=actor, action=AuditAction.DELETE, instance=meter, before=snapshot(meter))
    Reading.objects.filter(meter=meter).delete()
    DailyVolume.objects.filter(meter=meter).delete()
    meter.delete()
