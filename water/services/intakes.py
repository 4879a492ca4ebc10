"""Writes of the intake ledger: create, update, delete, each audited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput
from core.kernel import clean
from water.models import Intake
from water.services.readings import _rebuild

# --------------------------------------------------------------------------------------- intakes

INTAKE_FIELDS = (
    "code",
    "name",
    "source_type",
    "water_body_name",
    "river",
    "lake",
    "location",
    "division",
    "main_use",
    "withdrawal_mode",
    "capacity_m3s",
    "permit_number",
    "permit_holder",
    "permitted_annual_m3",
    "permit_valid_from",
    "permit_valid_until",
    "notes",
)


def _check_operators(operators: Iterable[Any]) -> list[Any]:
    operators = list(operators)
    bad = [str(u.pk) for u in operators if getattr(u, "role", None) != Role.OPERATOR]
    if bad:
        raise InvalidInput(
            _("Only operator accounts can operate an intake."),
            fields={"operators": [_("Not operator accounts: %(values)s.") % {"values": ", ".join(bad)}]},
        )
    return operators


def _intake_snapshot(intake: Intake) -> dict[str, Any]:
    data = snapshot(intake)
    data["operators"] = sorted(intake.operators.values_list("pk", flat=True)) if intake.pk else []
    return data


@transaction.atomic
def intake_create(
    *,
    actor: Any,
    code: str,
    name: str,
    source_type: str,
    location: Point,
    division: Any,
    main_use: str,
    operators: Iterable[Any] = (),
    **optional: Any,
) -> Intake:
    """Add an intake to the ledger. `optional`: any other field of INTAKE_FIELDS."""
    unknown = set(optional) - set(INTAKE_FIELDS)
    if unknown:
        raise TypeError(f"unknown intake fields: {sorted(unknown)}")
    intake = Intake(
        code=code,
        name=name,
        source_type=source_type,
        location=location,
        division=division,
        main_use=main_use,
        **optional,
    )
    clean(intake)
    ops = _check_operators(operators)
    intake.save()
    intake.operators.set(ops)
    audit_record(actor=actor, action=AuditAction.CREATE, instance=intake, after=_intake_snapshot(intake))
    return intake


@transaction.atomic
def intake_update(*, intake: Intake, actor: Any, changes: Mapping[str, Any], reason: str = "") -> Intake:
    """Change fields of an intake (and its operators, under "operators"). A new capacity changes which
    steps are jumps, so the daily volumes of its meters are recomputed."""
    unknown = set(changes) - set(INTAKE_FIELDS) - {"operators"}
    if unknown:
        raise TypeError(f"unknown intake fields: {sorted(unknown)}")
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    before = _intake_snapshot(intake)
    for name, value in changes.items():
        if name != "operators":
            setattr(intake, name, value)
    clean(intake, validate_unique=True)
    if "operators" in changes:
        intake.operators.set(_check_operators(changes["operators"]))
    after = _intake_snapshot(intake)
    if after == before:
        return intake
    intake.save()
    after = _intake_snapshot(intake)
    if before["capacity_m3s"] != after["capacity_m3s"]:
        _rebuild(list(intake.meters.values_list("pk", flat=True)))
    audit_record(actor=actor, action=AuditAction.UPDATE, instance=intake, before=before, after=after, reason=reason)
    return intake


@transaction.atomic
def intake_delete(*, intake: Intake, actor: Any) -> None:
    """Remove an intake entered by mistake. One with meters stays: its history is the ledger."""
    if intake.meters.exists():
        raise Conflict(
            _("This intake has meters; it cannot be deleted."), code="in_use", fields={"id": [_("Has meters.")]}
        )
    if intake.plan_allocations.exists():
        raise Conflict(
            _("This intake is in a water plan; it cannot be deleted."), code="in_use", fields={"id": [_("In a plan.")]}
        )
    before = _intake_snapshot(intake)
    audit_record(actor=actor, action=AuditAction.DELETE, instance=intake, before=before)
    intake.delete()
