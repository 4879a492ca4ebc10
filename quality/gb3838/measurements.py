"""Measurements as a lab gives them: units, below-detection-limit values, plausibility; `parse_values` for a
sample's results keyed by code or name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from quality.gb3838.tables import Item, UnitKind, is_code, lookup_item


class ValueRefused(ValueError):
    """A measurement that cannot be accepted; `message` says why in terms a lab understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_UNITS: dict[UnitKind, dict[str, Decimal]] = {
    UnitKind.CONCENTRATION: {
        "mg/l": Decimal(1),
        "ug/l": Decimal("0.001"),
        "μg/l": Decimal("0.001"),
        "µg/l": Decimal("0.001"),
        "g/m3": Decimal(1),
        "mg/dm3": Decimal(1),
    },
    UnitKind.COUNT: {
        "个/l": Decimal(1),
        "count/l": Decimal(1),
        "cfu/l": Decimal(1),
        "mpn/l": Decimal(1),
        "个/100ml": Decimal(10),
        "cfu/100ml": Decimal(10),
        "mpn/100ml": Decimal(10),
    },
    UnitKind.CELSIUS: {"°c": Decimal(1), "℃": Decimal(1), "degc": Decimal(1), "c": Decimal(1), "celsius": Decimal(1)},
    UnitKind.PH: {"": Decimal(1), "ph": Decimal(1), "1": Decimal(1), "dimensionless": Decimal(1), "无量纲": Decimal(1)},
}


def unit_factor(item: Item, unit: str | None, *, named_by_code: bool = False) -> Decimal:
    """Factor from `unit` to the item's canonical unit. A missing unit is the canonical one, except
    where the item's unit is ambiguous in practice (Item.unit_required) and the item was named by a
    free-text name: an HJ 212 code names its unit (HJ 212-2017 data dictionary, domain.md §1.2), so a
    value under the code without a unit is in the code's unit, which is the unit Table 1 uses."""
    if unit is None or not str(unit).strip():
        if item.unit_required and not named_by_code:
            raise ValueRefused(
                _("Give the unit of %(key)s (%(unit)s or µg/L…): labs report it in more than one unit.")
                % {"key": item.key, "unit": item.unit}
                if item.unit == UnitKind.CONCENTRATION
                else _("Give the unit of %(key)s (count/L or MPN/100mL): labs report it in more than one unit.")
                % {"key": item.key}
            )
        return Decimal(1)
    table = _UNITS[item.unit]
    factor = table.get(str(unit).strip().lower().replace(" ", ""))
    if factor is None:
        raise ValueRefused(
            _("Unknown unit %(unit)s for %(key)s; use %(unit2)s.")
            % {"unit": repr(unit), "key": item.key, "unit2": item.unit}
        )
    return factor


_BELOW_DL = re.compile(r"^\s*(?:<\s*(?P<lt>[0-9.eE+-]+)|(?P<l>[0-9.eE+-]+)\s*[Ll])\s*$")


def to_decimal(raw: Any) -> Decimal:
    """A finite Decimal from a JSON number or a numeric string (floats through their shortest repr,
    so 0.15 stays 0.15)."""
    if isinstance(raw, bool) or raw is None:
        raise ValueRefused(_("A number is required."))
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueRefused(_("A finite number is required."))
        raw = repr(raw)
    try:
        value = Decimal(str(raw).strip()) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise ValueRefused(_("%(raw)s is not a number.") % {"raw": repr(raw)}) from None
    if not value.is_finite():
        raise ValueRefused(_("A finite number is required."))
    return value


@dataclass(frozen=True, slots=True)
class Measurement:
    """One result in the item's canonical unit: a value, or a non-detect with its detection limit."""

    item: Item
    value: Decimal | None
    below_detection_limit: bool = False
    detection_limit: Decimal | None = None
    reported_unit: str = ""

    @property
    def effective(self) -> Decimal:
        """The value that enters statistics: half the detection limit for a non-detect (STAT2020
        point 7; SL 219-2013 §12.2.5)."""
        if self.below_detection_limit:
            assert self.detection_limit is not None  # noqa: S101 - guaranteed by parse_measurement
            return self.detection_limit / 2
        assert self.value is not None  # noqa: S101 - guaranteed by parse_measurement
        return self.value


_PLAUSIBLE_CELSIUS = (Decimal(-5), Decimal(60))


def parse_measurement(
    item: Item,
    raw: Any,
    *,
    unit: str | None = None,
    below_detection_limit: bool | None = None,
    detection_limit: Any = None,
    named_by_code: bool = False,
) -> Measurement:
    """Check one reported result and convert it to the canonical unit.

    `raw` is a number, a numeric string, or a non-detect written "<0.01" or "0.01L" (the L flag of
    Chinese lab reports); a non-detect may also be given as below_detection_limit=True with
    detection_limit. Refuses negative concentrations, pH outside 0–14, ambiguous missing units
    (`named_by_code`: the caller named the item by its HJ 212 code, which carries its unit).
    """
    factor = unit_factor(item, unit, named_by_code=named_by_code)
    below = bool(below_detection_limit)
    dl: Decimal | None = None
    value: Decimal | None = None
    if isinstance(raw, str) and (match := _BELOW_DL.match(raw)):
        below = True
        dl = to_decimal(match.group("lt") or match.group("l"))
        if detection_limit not in (None, "") and to_decimal(detection_limit) != dl:
            raise ValueRefused(
                _("%(raw)s and the detection limit %(detection_limit)s of %(key)s disagree.")
                % {"raw": repr(raw), "detection_limit": detection_limit, "key": item.key}
            )
    elif below:
        # A non-detect may be written as the detection limit with the flag (the "L" convention), or
        # with the limit in its own field; both at once must agree.
        given = [to_decimal(v) for v in (raw, detection_limit) if v not in (None, "")]
        if not given:
            raise ValueRefused(_("A non-detect of %(key)s needs its detection limit.") % {"key": item.key})
        if len(set(given)) > 1:
            raise ValueRefused(
                _("The value and the detection limit of a non-detect of %(key)s disagree.") % {"key": item.key}
            )
        dl = given[0]
    else:
        if raw is None or raw == "":
            raise ValueRefused(_("A value of %(key)s is required.") % {"key": item.key})
        value = to_decimal(raw)
        if detection_limit not in (None, ""):
            raise ValueRefused(_("A detection limit is only given for a non-detect of %(key)s.") % {"key": item.key})
    if below:
        if item.unit in (UnitKind.PH, UnitKind.CELSIUS):
            raise ValueRefused(_("%(key)s has no detection limit.") % {"key": item.key})
        assert dl is not None  # noqa: S101
        if dl <= 0:
            raise ValueRefused(_("The detection limit of %(key)s must be positive.") % {"key": item.key})
        return Measurement(item, None, True, dl * factor, (unit or "").strip())
    assert value is not None  # noqa: S101
    if item.unit == UnitKind.PH:
        if not Decimal(0) <= value <= Decimal(14):
            raise ValueRefused(_("pH must lie between 0 and 14, got %(value)s.") % {"value": value})
    elif item.unit == UnitKind.CELSIUS:
        low, high = _PLAUSIBLE_CELSIUS
        if not low <= value <= high:
            raise ValueRefused(_("A water temperature of %(value)s °C is not plausible.") % {"value": value})
    elif value < 0:
        raise ValueRefused(
            _("A concentration cannot be negative (%(key)s = %(value)s).") % {"key": item.key, "value": value}
        )
    return Measurement(item, value * factor, False, None, (unit or "").strip())


_OBJECT_KEYS = frozenset({"value", "unit", "below_detection_limit", "detection_limit"})


def parse_values(values: Mapping[str, Any]) -> tuple[dict[str, Measurement], dict[str, str]]:
    """Results keyed by item code or alias → (measurements by HJ 212 code, errors by the key given).

    A result is a number, a string ("0.52", "<0.01", "0.01L") or an object
    {"value", "unit", "below_detection_limit", "detection_limit"}. The same item under two names
    (w21003 and NH3-N) is refused rather than one silently winning.
    """
    out: dict[str, Measurement] = {}
    given_as: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        item = lookup_item(key)
        if item is None:
            errors[str(key)] = _("Unknown item %(key)s: use an HJ 212 code (e.g. w21003) or a common name (NH3-N).") % {
                "key": repr(key)
            }
            continue
        if item.code in given_as:
            errors[str(key)] = _("%(key)s is given twice (also as %(given_as)s).") % {
                "key": item.key,
                "given_as": repr(given_as[item.code]),
            }
            continue
        given_as[item.code] = str(key)
        by_code = is_code(key, item)
        try:
            if isinstance(raw, Mapping):
                unknown = sorted(set(raw) - _OBJECT_KEYS)
                if unknown:
                    raise ValueRefused(
                        _("Unknown member(s) %(values)s; use %(values2)s.")
                        % {"values": ", ".join(unknown), "values2": ", ".join(sorted(_OBJECT_KEYS))}
                    )
                below = raw.get("below_detection_limit", False)
                if not isinstance(below, bool):
                    raise ValueRefused(_("below_detection_limit must be true or false."))
                unit = raw.get("unit")
                if unit is not None and not isinstance(unit, str):
                    raise ValueRefused(_("unit must be a string such as mg/L."))
                out[item.code] = parse_measurement(
                    item,
                    raw.get("value"),
                    unit=unit,
                    below_detection_limit=below,
                    detection_limit=raw.get("detection_limit"),
                    named_by_code=by_code,
                )
            elif isinstance(raw, (int, float, str, Decimal)) and not isinstance(raw, bool):
                out[item.code] = parse_measurement(item, raw, named_by_code=by_code)
            else:
                raise ValueRefused(
                    _("A number, a string such as '<0.01', or an object is required for %(key)s.") % {"key": item.key}
                )
        except ValueRefused as exc:
            errors[str(key)] = exc.message
    return out, errors
