"""Writes of water users and the resolution of their use class."""

from __future__ import annotations

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
    SUB_USE_CLASS,
    UseClass,
)
from reuse.models import WaterUser
from reuse.services._common import _division, _Ledger, _plant, _point

# --------------------------------------------------------------------------- users

_USER_FIELDS = frozenset(
    {"name", "division", "plant", "use_class", "sub_use", "contract_volume_m3", "metered", "location"}
)


def resolve_use(
    use_class: str | None, sub_use: str | None, *, errors: Errors, prefix: str = "", where: str = ""
) -> tuple[str, str]:
    """The (class, sub-use) pair of an input: the class may be left out when the sub-use implies it;
    a sub-use of another class is refused naming `sub_use`."""
    sub_use = sub_use or ""
    if sub_use and sub_use not in SUB_USE_CLASS:
        errors.add(
            f"{prefix}sub_use", _("Unknown sub-use %(sub_use)s%(where)s.") % {"sub_use": repr(sub_use), "where": where}
        )
        return "", ""
    if use_class and use_class not in UseClass.values:
        errors.add(
            f"{prefix}use_class",
            _("Unknown use class %(use_class)s; one of %(values)s%(where)s.")
            % {"use_class": repr(use_class), "values": ", ".join(UseClass.values), "where": where},
        )
        return "", ""
    if not use_class:
        if not sub_use:
            errors.add(f"{prefix}use_class", _("Give a use class (or a sub-use)%(where)s.") % {"where": where})
            return "", ""
        return SUB_USE_CLASS[sub_use], sub_use
    if sub_use and SUB_USE_CLASS[sub_use] != use_class:
        errors.add(
            f"{prefix}sub_use",
            _("%(sub_use)s belongs to the class %(sub_use_class)s, not %(use_class)s%(where)s.")
            % {
                "sub_use": repr(sub_use),
                "sub_use_class": repr(SUB_USE_CLASS[sub_use]),
                "use_class": repr(use_class),
                "where": where,
            },
        )
    return use_class, sub_use


def _apply_user(user: WaterUser, values: Mapping[str, Any], *, scope: Scope, errors: Errors) -> None:
    if "use_class" in values or "sub_use" in values:
        if "sub_use" in values:
            sub_use = values["sub_use"] or ""
            use_class = values.get("use_class") or (None if sub_use else user.use_class)
        else:
            use_class = values["use_class"]
            # A new class keeps the old sub-use only if it belongs to that class.
            sub_use = user.sub_use if SUB_USE_CLASS.get(user.sub_use) == use_class else ""
        user.use_class, user.sub_use = resolve_use(use_class, sub_use, errors=errors)
    for name, value in values.items():
        if name not in _USER_FIELDS:
            errors.add(name, _("Unknown field."))
        elif name == "division":
            division = _division(value, scope=scope, errors=errors)
            if division is not None:
                user.division = division
        elif name == "plant":
            user.plant = _plant(value, scope=scope, errors=errors) if value else None
        elif name == "location":
            user.location = _point(value, errors=errors)
        elif name not in ("use_class", "sub_use"):
            setattr(user, name, value)


def _check_user(user: WaterUser, errors: Errors) -> None:
    if user.contract_volume_m3 is not None and user.contract_volume_m3 < 0:
        errors.add("contract_volume_m3", _("Must not be negative."))
    if "use_class" not in errors.fields and "sub_use" not in errors.fields:
        resolve_use(user.use_class, user.sub_use, errors=errors)


_USERS = _Ledger(WaterUser, gettext_lazy("user"), _apply_user, _check_user)


@transaction.atomic
def water_user_create(
    *,
    actor: Any,
    code: str,
    name: str,
    division_code: str,
    use_class: str | None = None,
    sub_use: str = "",
    plant_code: str | None = None,
    contract_volume_m3: Decimal | None = None,
    metered: bool = True,
    location: GEOSGeometry | None = None,
    scope: Scope,
    reason: str = "",
) -> WaterUser:
    """Add a reclaimed-water user with its GB/T 18919 class (given, or implied by the sub-use)."""
    return _USERS.create(
        code=code,
        values={
            "name": name,
            "division": division_code,
            "use_class": use_class,
            "sub_use": sub_use,
            "plant": plant_code,
            "contract_volume_m3": contract_volume_m3,
            "metered": metered,
            "location": location,
        },
        actor=actor,
        scope=scope,
        reason=reason,
    )


@transaction.atomic
def water_user_update(
    *, user: WaterUser, actor: Any, changes: Mapping[str, Any], scope: Scope, reason: str = ""
) -> WaterUser:
    """Change a user's ledger fields. Deliveries already recorded keep the class they were written with."""
    return _USERS.update(user, changes=changes, actor=actor, scope=scope, reason=reason)
