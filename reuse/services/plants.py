"""Writes of reclaimed-water plants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scope import Scope
from core.kernel import Errors
from reuse.choices import (
    EffluentStandard,
    PlantKind,
)
from reuse.models import Plant
from reuse.services._common import _check_not_future, _division, _Ledger, _point

# --------------------------------------------------------------------------- plants

_PLANT_FIELDS = frozenset(
    {
        "name",
        "kind",
        "division",
        "location",
        "design_capacity_m3d",
        "actual_capacity_m3d",
        "effluent_standard",
        "commissioned_on",
        "operator_name",
    }
)


def _apply_plant(plant: Plant, values: Mapping[str, Any], *, scope: Scope, errors: Errors) -> None:
    for name, value in values.items():
        if name not in _PLANT_FIELDS:
            errors.add(name, _("Unknown field."))
        elif name == "division":
            division = _division(value, scope=scope, errors=errors)
            if division is not None:
                plant.division = division
        elif name == "location":
            if value is None:
                errors.add("location", _("A plant needs its location."))
            else:
                location = _point(value, errors=errors)
                if location is not None:
                    plant.location = location
        else:
            setattr(plant, name, value)


def _check_plant(plant: Plant, errors: Errors) -> None:
    if plant.kind not in PlantKind.values:
        errors.add("kind", _("One of %(values)s.") % {"values": ", ".join(PlantKind.values)})
    if plant.effluent_standard not in EffluentStandard.values:
        errors.add("effluent_standard", _("One of %(values)s.") % {"values": ", ".join(EffluentStandard.values)})
    if plant.design_capacity_m3d is None or plant.design_capacity_m3d <= 0:
        errors.add("design_capacity_m3d", _("Must be more than 0."))
    if plant.actual_capacity_m3d is not None and plant.actual_capacity_m3d < 0:
        errors.add("actual_capacity_m3d", _("Must not be negative."))
    _check_not_future(plant.commissioned_on, "commissioned_on", errors)
    if plant.location is None:
        errors.add("location", _("A plant needs its location."))


_PLANTS = _Ledger(Plant, gettext_lazy("plant"), _apply_plant, _check_plant)


@transaction.atomic
def plant_create(
    *,
    actor: Any,
    code: str,
    name: str,
    division_code: str,
    location: GEOSGeometry,
    design_capacity_m3d: Decimal,
    kind: str = PlantKind.MUNICIPAL,
    actual_capacity_m3d: Decimal | None = None,
    effluent_standard: str = EffluentStandard.GB18918_1A,
    commissioned_on: dt.date | None = None,
    operator_name: str = "",
    scope: Scope,
    reason: str = "",
) -> Plant:
    """Add a plant to the ledger."""
    return _PLANTS.create(
        code=code,
        values={
            "name": name,
            "kind": kind,
            "division": division_code,
            "location": location,
            "design_capacity_m3d": design_capacity_m3d,
            "actual_capacity_m3d": actual_capacity_m3d,
            "effluent_standard": effluent_standard,
            "commissioned_on": commissioned_on,
            "operator_name": operator_name,
        },
        actor=actor,
        scope=scope,
        reason=reason,
    )


@transaction.atomic
def plant_update(*, plant: Plant, actor: Any, changes: Mapping[str, Any], scope: Scope, reason: str = "") -> Plant:
    """Change a plant's ledger fields (`division` as a code). The code is its key and does not change."""
    return _PLANTS.update(plant, changes=changes, actor=actor, scope=scope, reason=reason)
