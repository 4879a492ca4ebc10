"""Which divisions' plans, locks and red lines a caller sees: their jurisdiction and the divisions
that contain it."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.scope import Scope
from core.divisions import division_prefix, is_division_code, parent_code
from core.exceptions import InvalidInput, NotFound
from water.models import (
    Intake,
)
from water.selectors.plan_common import _NOTHING

# ------------------------------------------------------------------------------------------- scope


def ancestor_codes(code: str) -> list[str]:
    """The codes of the divisions containing `code` (not itself), nearest first, in the usual widths
    (a 9-digit township's county is "650102", its city "650100")."""
    out: list[str] = []
    current: str | None = code
    while current is not None and is_division_code(current):
        current = parent_code(current)
        if current is not None:
            out.append(current)
            if len(current) == 9:
                out.append(current + "000")  # a township's code is also written with 12 digits
    return out


def _prefix_code(prefix: str) -> str:
    """A division code from a jurisdiction prefix (the division the prefix stands for)."""
    return prefix.ljust(6, "0") if len(prefix) < 6 else prefix


def region_q(scope: Scope, lookup: str = "division__code") -> Q:
    """A Q on rows tied to a division (plans, red lines, locks) through `lookup`: those inside the
    caller's jurisdiction and those of the divisions containing it; for operators, those of the
    divisions of (or containing) their intakes."""
    if scope.everything:
        return Q()
    if scope.role == Role.OPERATOR and scope.user_id:
        codes = set(Intake.objects.filter(operators__id=scope.user_id).values_list("division__code", flat=True))
        around = {a for c in codes for a in ancestor_codes(c)} | codes
        return Q(**{f"{lookup}__in": sorted(around)}) if around else _NOTHING
    if scope.role in (Role.DEVICE, None) or not scope.prefix:
        return _NOTHING
    return scope.q(lookup) | Q(**{f"{lookup}__in": ancestor_codes(_prefix_code(scope.prefix))})


def region_writable(scope: Scope, code: str) -> bool:
    """Whether a reviewer (or admin) may write rows of division `code`: inside their jurisdiction."""
    return scope.everything or (scope.role == Role.REVIEWER and scope.covers_code(code))


def _division_q(division_code: str | None, lookup: str = "division__code") -> Q:
    if division_code is None:
        return Q()
    if not is_division_code(division_code):
        raise InvalidInput(_("Not a division code."), fields={"division": [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
    return Q(**{f"{lookup}__startswith": division_prefix(division_code)})


def _check_division_visible(scope: Scope, division_code: str | None) -> None:
    """A division asked for by a reviewer or chief must be inside or around their jurisdiction."""
    if division_code is None or scope.everything or scope.role == Role.OPERATOR:
        return
    if scope.covers_code(division_code):
        return
    if scope.prefix and division_code in ancestor_codes(_prefix_code(scope.prefix)):
        return
    raise NotFound(_("No such division in your jurisdiction."), fields={"division": [_("Not in your jurisdiction.")]})
