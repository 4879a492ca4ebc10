"""GB 3838-2002 surface-water classification by the single-factor method (单因子评价法).

A plain module: no database, no Django. Everything the classifier decides is here, so a lab can check
a sample without storing it and tests can walk every limit without a database.

Sources (domain.md §1): the limits of Table 1 and Table 2 are [V]; the 21 evaluated items (Table 1
minus water temperature, total nitrogen and fecal coliform) are [V] (2011 evaluation method, 2020
statistics rule); the per-item decimals kept before comparison are [I] (one public implementation), so
they are defaults that `quality.conf` lets a deployment override; main-pollutant tie-breaks and the
cyanide/heavy-metal priority are [R] and likewise configurable.

Numbers are `Decimal` throughout: a limit such as 0.00005 mg/L or a half-even tie such as 1.005 must
compare exactly, which binary floats cannot promise.

Classes are the integers 1..6: 1–5 for Ⅰ–Ⅴ, 6 for 劣Ⅴ ("worse than V").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quality.choices import WaterClass

__all__ = [
    "BASIC_EVALUATED",
    "CLASS_LABELS",
    "DEFAULT_DECIMALS",
    "DEFAULT_MAIN_POLLUTANT_PRIORITY",
    "ITEMS",
    "WORSE_THAN_V",
    "Body",
    "Classification",
    "Direction",
    "Item",
    "ItemResult",
    "Measurement",
    "Options",
    "Role",
    "ValueRefused",
    "class_label",
    "classify",
    "exceedance_multiple",
    "is_code",
    "item_class",
    "lookup_item",
    "parse_measurement",
    "round_value",
]

WORSE_THAN_V = 6
CLASS_LABELS = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ"}
CLASS_LABELS_EN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "worse than V"}
# domain.md §1.1 (2011 evaluation method): the qualitative label of a class.
CLASS_STATUS = {1: "excellent", 2: "excellent", 3: "good", 4: "light", 5: "moderate", 6: "heavy"}
CLASS_STATUS_ZH = {1: "优", 2: "优", 3: "良好", 4: "轻度污染", 5: "中度污染", 6: "重度污染"}


class Direction(StrEnum):
    MAX = "max"  # the value must not exceed the limit (≤)
    MIN = "min"  # the value must not fall below the limit (≥): dissolved oxygen only
    RANGE = "range"  # pH: 6–9 for every class
    NONE = "none"  # no class limits (water temperature)


class Role(StrEnum):
    BASIC = "basic"  # Table 1, counted in the section's class (unless configured otherwise)
    REFERENCE = "reference"  # Table 1, reported but never counted (WT, TN, fecal coliform)
    SUPPLEMENTARY = "supplementary"  # Table 2, drinking-water sources, one limit each


class Body(StrEnum):
    """Which column of Table 1 applies: lakes and reservoirs (湖、库) have stricter TP limits."""

    RIVER = "river"
    LAKE = "lake"


class UnitKind(StrEnum):
    CONCENTRATION = "mg/L"
    COUNT = "count/L"
    CELSIUS = "°C"
    PH = "pH"


def _d(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


@dataclass(frozen=True, slots=True)
class Item:
    """One parameter of GB 3838-2002, keyed by its HJ 212 code (domain.md §1.2)."""

    code: str
    key: str  # short name used in messages and settings (e.g. "NH3-N")
    name: str | Promise  # gettext_lazy: English msgid, Chinese in quality's catalogue
    unit: UnitKind
    direction: Direction
    role: Role
    limits: tuple[Decimal, ...] = ()  # classes I..V (or the single Table-2 limit)
    lake_limits: tuple[Decimal, ...] | None = None  # a different column for lakes/reservoirs
    river_applicable: bool = True  # TN is a lake/reservoir item: no class for a river
    decimals: int = 3  # default decimals kept before comparison (§1.4, configurable)
    # A bare number is refused where labs report the item in more than one unit (metals in µg/L
    # from ICP-MS, coliforms per 100 mL): guessing mg/L would move a value by a factor of 1,000.
    unit_required: bool = False
    aliases: tuple[str, ...] = ()

    def limits_for(self, body: Body | str) -> tuple[Decimal, ...] | None:
        if body == Body.LAKE and self.lake_limits is not None:
            return self.lake_limits
        if body == Body.RIVER and not self.river_applicable:
            return None
        return self.limits or None

    @property
    def label(self) -> str:
        """The item's name in the active language."""
        return str(self.name)


_M, _C = UnitKind.CONCENTRATION, UnitKind.COUNT
_B, _R, _S = Role.BASIC, Role.REFERENCE, Role.SUPPLEMENTARY
MAX, MIN = Direction.MAX, Direction.MIN

# Table 1 (basic items) and Table 2 (supplementary items for drinking-water sources). Limits in mg/L
# unless the unit says otherwise; classes I, II, III, IV, V.
ITEMS: tuple[Item, ...] = (
    Item("w01010", "WT", gettext_lazy("water temperature"), UnitKind.CELSIUS, Direction.NONE, _R, decimals=1,
         aliases=("wt", "watertemperature", "temperature", "temp", "水温")),
    Item("w01001", "pH", gettext_lazy("pH"), UnitKind.PH, Direction.RANGE, _B, _d("6", "9"), decimals=0,
         aliases=("ph",)),
    # DO class I is "90 % saturation (or 7.5)"; saturation needs temperature, pressure and salinity,
    # which samples rarely carry, so the 7.5 mg/L alternative is used.
    Item("w01009", "DO", gettext_lazy("dissolved oxygen"), _M, MIN, _B, _d("7.5", "6", "5", "3", "2"), decimals=1,
         aliases=("do", "dissolvedoxygen", "溶解氧")),
    Item("w01019", "CODMn", gettext_lazy("permanganate index"), _M, MAX, _B, _d("2", "4", "6", "10", "15"),
         decimals=1, aliases=("codmn", "permanganateindex", "permanganate", "高锰酸盐指数")),
    Item("w01018", "COD", gettext_lazy("chemical oxygen demand"), _M, MAX, _B, _d("15", "15", "20", "30", "40"),
         decimals=1, aliases=("cod", "codcr", "chemicaloxygendemand", "化学需氧量")),
    Item("w01017", "BOD5", gettext_lazy("five-day biochemical oxygen demand"), _M, MAX, _B,
         _d("3", "3", "4", "6", "10"), decimals=1, aliases=("bod5", "bod", "五日生化需氧量", "生化需氧量")),
    Item("w21003", "NH3-N", gettext_lazy("ammonia nitrogen"), _M, MAX, _B, _d("0.15", "0.5", "1.0", "1.5", "2.0"),
         decimals=2, aliases=("nh3n", "ammonianitrogen", "ammonia", "nh4n", "氨氮")),
    Item("w21011", "TP", gettext_lazy("total phosphorus"), _M, MAX, _B, _d("0.02", "0.1", "0.2", "0.3", "0.4"),
         lake_limits=_d("0.01", "0.025", "0.05", "0.1", "0.2"), decimals=3,
         aliases=("tp", "totalphosphorus", "总磷")),
    Item("w21001", "TN", gettext_lazy("total nitrogen"), _M, MAX, _R, _d("0.2", "0.5", "1.0", "1.5", "2.0"),
         river_applicable=False, decimals=2, aliases=("tn", "totalnitrogen", "总氮")),
    Item("w20122", "Cu", gettext_lazy("copper"), _M, MAX, _B, _d("0.01", "1.0", "1.0", "1.0", "1.0"),
         unit_required=True, aliases=("cu", "copper", "铜")),
    Item("w20123", "Zn", gettext_lazy("zinc"), _M, MAX, _B, _d("0.05", "1.0", "1.0", "2.0", "2.0"),
         unit_required=True, aliases=("zn", "zinc", "锌")),
    Item("w21017", "F", gettext_lazy("fluoride"), _M, MAX, _B, _d("1.0", "1.0", "1.0", "1.5", "1.5"),
         aliases=("f", "fluoride", "fluorides", "氟化物")),
    Item("w20128", "Se", gettext_lazy("selenium"), _M, MAX, _B, _d("0.01", "0.01", "0.01", "0.02", "0.02"), decimals=4,
         unit_required=True, aliases=("se", "selenium", "硒")),
    Item("w20141", "As", gettext_lazy("arsenic"), _M, MAX, _B, _d("0.05", "0.05", "0.05", "0.1", "0.1"), decimals=4,
         unit_required=True, aliases=("as", "arsenic", "砷")),
    Item("w20111", "Hg", gettext_lazy("mercury"), _M, MAX, _B, _d("0.00005", "0.00005", "0.0001", "0.001", "0.001"),
         decimals=5, unit_required=True, aliases=("hg", "mercury", "汞")),
    Item("w20115", "Cd", gettext_lazy("cadmium"), _M, MAX, _B, _d("0.001", "0.005", "0.005", "0.005", "0.01"),
         decimals=5, unit_required=True, aliases=("cd", "cadmium", "镉")),
    Item("w20117", "Cr6+", gettext_lazy("chromium (VI)"), _M, MAX, _B, _d("0.01", "0.05", "0.05", "0.05", "0.1"),
         unit_required=True,
         aliases=("cr6", "cr6+", "crvi", "chromiumvi", "chromium6", "hexavalentchromium", "六价铬", "铬六价")),
    Item("w20120", "Pb", gettext_lazy("lead"), _M, MAX, _B, _d("0.01", "0.01", "0.05", "0.05", "0.1"),
         unit_required=True, aliases=("pb", "lead", "铅")),
    Item("w21016", "CN", gettext_lazy("cyanide"), _M, MAX, _B, _d("0.005", "0.05", "0.2", "0.2", "0.2"),
         unit_required=True, aliases=("cn", "cyanide", "cyanides", "氰化物")),
    Item("w23002", "VPhenol", gettext_lazy("volatile phenol"), _M, MAX, _B,
         _d("0.002", "0.002", "0.005", "0.01", "0.1"), decimals=4, unit_required=True,
         aliases=("vphenol", "volatilephenol", "volatilephenols", "phenol", "phenols", "挥发酚")),
    Item("w22001", "Petroleum", gettext_lazy("petroleum"), _M, MAX, _B, _d("0.05", "0.05", "0.05", "0.5", "1.0"),
         decimals=2, aliases=("petroleum", "petroleumoil", "oil", "oils", "石油类")),
    Item("w19002", "LAS", gettext_lazy("anionic surfactant"), _M, MAX, _B, _d("0.2", "0.2", "0.2", "0.3", "0.3"),
         decimals=2, aliases=("las", "anionicsurfactant", "anionicsurfactants", "阴离子表面活性剂")),
    Item("w21019", "S2-", gettext_lazy("sulfide"), _M, MAX, _B, _d("0.05", "0.1", "0.2", "0.5", "1.0"),
         aliases=("s2", "s2-", "sulfide", "sulfides", "sulphide", "硫化物")),
    Item("w02003", "FC", gettext_lazy("fecal coliform"), _C, MAX, _R, _d("200", "2000", "10000", "20000", "40000"),
         decimals=0, unit_required=True,
         aliases=("fc", "fecalcoliform", "fecalcoliforms", "faecalcoliform", "faecalcoliforms", "粪大肠菌群")),
    # Table 2: one limit each; judged within/over, not classed. HJ 212 codes as in domain.md's sources
    # (sm1lewc/Silence.SurfaceWater FactorInfo.cs) [I].
    Item("w21038", "SO4", gettext_lazy("sulfate"), _M, MAX, _S, _d("250"), decimals=2,
         aliases=("so4", "so42", "so42-", "sulfate", "sulphate", "硫酸盐")),
    Item("w21022", "Cl", gettext_lazy("chloride"), _M, MAX, _S, _d("250"), decimals=2,
         aliases=("cl", "cl-", "chloride", "氯化物")),
    Item("w21007", "NO3-N", gettext_lazy("nitrate (as N)"), _M, MAX, _S, _d("10"), decimals=2,
         aliases=("no3", "no3n", "nitrate", "nitraten", "硝酸盐", "硝酸盐氮")),
    Item("w20125", "Fe", gettext_lazy("iron"), _M, MAX, _S, _d("0.3"), decimals=3, unit_required=True,
         aliases=("fe", "iron", "铁")),
    Item("w20124", "Mn", gettext_lazy("manganese"), _M, MAX, _S, _d("0.1"), decimals=4, unit_required=True,
         aliases=("mn", "manganese", "锰")),
)  # fmt: skip

ITEMS_BY_CODE: dict[str, Item] = {item.code: item for item in ITEMS}
_ORDER: dict[str, int] = {item.code: n for n, item in enumerate(ITEMS)}
ITEM_CHOICES: list[tuple[str, str | Promise]] = [
    (item.code, format_lazy("{} ({})", item.name, item.key)) for item in ITEMS
]

# The 21 items of the 2011 method and the 2020 statistics rule: Table 1 minus WT, TN and FC.
BASIC_EVALUATED: frozenset[str] = frozenset(item.code for item in ITEMS if item.role == Role.BASIC)
DEFAULT_DECIMALS: dict[str, int] = {item.code: item.decimals for item in ITEMS}
# "当氰化物或铅、铬等重金属超标时，优先作为主要污染指标" [R]: cyanide and the toxic heavy metals.
DEFAULT_MAIN_POLLUTANT_PRIORITY: frozenset[str] = frozenset(
    {"w21016", "w20111", "w20115", "w20117", "w20120", "w20141"}
)
# Items where automatic-station data take priority over manual data (2020 rule, [V]).
DEFAULT_AUTOMATIC_PRIORITY: frozenset[str] = frozenset({"w01001", "w01009", "w01019", "w21003", "w21011", "w21001"})

_NORMALISE = re.compile(r"[\s_\-()（）.·,，]")


def _norm(text: str) -> str:
    return _NORMALISE.sub("", text.strip().lower())


_ALIASES: dict[str, str] = {}
for _item in ITEMS:
    for _name in (_item.code, _item.key, *_item.aliases):
        _ALIASES.setdefault(_norm(_name), _item.code)
# "Cr6+" and "S2-" lose their sign in normalisation; both spellings are listed above.


def lookup_item(name: str) -> Item | None:
    """The item for an HJ 212 code (w21003) or a common name (NH3-N, ammonia_nitrogen, 氨氮)."""
    if not isinstance(name, str):
        return None
    code = _ALIASES.get(_norm(name))
    return ITEMS_BY_CODE[code] if code else None


def is_code(name: str, item: Item) -> bool:
    """Whether `name` is the item's HJ 212 code (case and surrounding blanks aside), not an alias."""
    return isinstance(name, str) and name.strip().lower() == item.code


# --------------------------------------------------------------------------- options


@dataclass(frozen=True, slots=True)
class Options:
    """What a deployment may configure (quality.conf reads it from Django settings)."""

    decimals: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_DECIMALS))
    evaluated: frozenset[str] = BASIC_EVALUATED
    main_pollutant_priority: frozenset[str] = DEFAULT_MAIN_POLLUTANT_PRIORITY
    max_main_pollutants: int = 3
    # Drinking-water sources must meet class III for the basic items (domain.md §1.7, [V]).
    drinking_source_class: int = 3

    def decimals_for(self, code: str) -> int:
        return self.decimals.get(code, DEFAULT_DECIMALS[code])


DEFAULT_OPTIONS = Options()


# --------------------------------------------------------------------------- rounding and single items


def round_value(value: Decimal, decimals: int) -> Decimal:
    """GB/T 8170 rounding (四舍六入五成双): round half to even, to `decimals` places."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)


def class_label(cls: int | None) -> str | None:
    return None if cls is None else CLASS_LABELS[cls]


def item_class(item: Item, value: Decimal, *, body: Body | str = Body.RIVER) -> int | None:
    """The best class whose limit `value` meets (6 = 劣Ⅴ), or None where the item has no class
    (water temperature; TN on a river; Table 2 items). A value equal to a limit meets it, so a
    limit shared by two classes (COD 15/15) gives the better one. `value` is compared as given:
    round it first (round_value) when classifying a measurement."""
    if item.role == Role.SUPPLEMENTARY or item.direction == Direction.NONE:
        return None
    if item.direction == Direction.RANGE:
        low, high = item.limits
        return 1 if low <= value <= high else WORSE_THAN_V
    limits = item.limits_for(body)
    if limits is None:
        return None
    for cls, limit in enumerate(limits, start=1):
        if (value >= limit) if item.direction == Direction.MIN else (value <= limit):
            return cls
    return WORSE_THAN_V


def exceedance_multiple(item: Item, value: Decimal, *, cls: int, body: Body | str) -> Decimal | None:
    """超标倍数 (C − C_limit) / C_limit over the limit of class `cls`, for ≤ items above it.
    pH, DO and water temperature get none (domain.md §1.4 step 5)."""
    if item.direction != Direction.MAX:
        return None
    limits = item.limits_for(body)
    if not limits or len(limits) < cls:
        return None
    limit = limits[cls - 1]
    if value <= limit:
        return None
    return (value - limit) / limit


# --------------------------------------------------------------------------- measurements (input)


class ValueRefused(ValueError):
    """A measurement that cannot be accepted; `message` says why in terms a lab understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_UNITS: dict[UnitKind, dict[str, Decimal]] = {
    UnitKind.CONCENTRATION: {"mg/l": Decimal(1), "ug/l": Decimal("0.001"), "μg/l": Decimal("0.001"),
                             "µg/l": Decimal("0.001"), "g/m3": Decimal(1), "mg/dm3": Decimal(1)},
    UnitKind.COUNT: {"个/l": Decimal(1), "count/l": Decimal(1), "cfu/l": Decimal(1), "mpn/l": Decimal(1),
                     "个/100ml": Decimal(10), "cfu/100ml": Decimal(10), "mpn/100ml": Decimal(10)},
    UnitKind.CELSIUS: {"°c": Decimal(1), "℃": Decimal(1), "degc": Decimal(1), "c": Decimal(1), "celsius": Decimal(1)},
    UnitKind.PH: {"": Decimal(1), "ph": Decimal(1), "1": Decimal(1), "dimensionless": Decimal(1),
                  "无量纲": Decimal(1)},
}  # fmt: skip


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


# --------------------------------------------------------------------------- classification


@dataclass(frozen=True, slots=True)
class ItemResult:
    """How one item was judged: the value used, rounded as compared, its class and its limits."""

    item: Item
    value: Decimal  # as given (a mean, half-DL substituted), before rounding
    rounded: Decimal  # what was compared with the limits
    decimals: int
    cls: int | None  # None: no class for this item here (WT; TN on a river; Table 2)
    counted: bool  # whether it takes part in the section's class
    exceedance_iii: Decimal | None  # over the class III limit, for ≤ items worse than III
    within_limit: bool | None = None  # Table 2 items only
    body: Body = Body.RIVER

    @property
    def limits(self) -> tuple[Decimal, ...] | None:
        """The limits this value was compared with (classes I–V; the pH range; the Table-2 limit)."""
        if self.item.direction == Direction.RANGE or self.item.role == Role.SUPPLEMENTARY:
            return self.item.limits
        return self.item.limits_for(self.body)


@dataclass(frozen=True, slots=True)
class Compliance:
    """The class against a target (function-zone) class, with the items that miss it."""

    target: int
    compliant: bool
    failing: tuple[tuple[ItemResult, Decimal | None], ...]  # (item, exceedance over the target limit)


@dataclass(frozen=True, slots=True)
class Classification:
    """A section's (or sample's) result by the single-factor method."""

    body: Body
    cls: int | None  # the worst counted item's class; None when no counted item was measured
    items: tuple[ItemResult, ...]
    main_pollutants: tuple[ItemResult, ...]
    missing: tuple[str, ...]  # evaluated items not measured (never taken as "best class")
    options: Options = DEFAULT_OPTIONS

    @property
    def label(self) -> str | None:
        return class_label(self.cls)

    @property
    def description(self) -> str | None:
        """ "符合Ⅲ类" (meets class III) or "劣于Ⅴ类" (worse than class V), domain.md §1.4 step 4."""
        if self.cls is None:
            return None
        if self.cls == WORSE_THAN_V:
            return _("does not meet class V")
        return _("meets %(water_class)s") % {"water_class": WaterClass(self.cls).label}

    @property
    def status(self) -> str | None:
        return None if self.cls is None else CLASS_STATUS[self.cls]

    @property
    def good(self) -> bool:
        """Classes I–III (优良)."""
        return self.cls is not None and self.cls <= 3

    @property
    def supplementary(self) -> tuple[ItemResult, ...]:
        return tuple(r for r in self.items if r.item.role == Role.SUPPLEMENTARY)

    @property
    def supplementary_ok(self) -> bool:
        return all(r.within_limit for r in self.supplementary)

    @property
    def drinking_source_ok(self) -> bool:
        """A drinking-water source complies when its basic items meet class III (by default) and
        every measured Table-2 item is within its limit (domain.md §1.7)."""
        return self.cls is not None and self.cls <= self.options.drinking_source_class and self.supplementary_ok

    def compliance(self, target: int) -> Compliance | None:
        """GB 3838 §5: judge against the function zone's class and name the failing items with
        their exceedance over the target class's limit."""
        if self.cls is None:
            return None
        failing = tuple(
            (r, exceedance_multiple(r.item, r.rounded, cls=target, body=self.body))
            for r in self.items
            if r.counted and r.cls is not None and r.cls > target
        )
        return Compliance(target=target, compliant=self.cls <= target, failing=failing)


def _main_pollutant_key(result: ItemResult, priority: frozenset[str]) -> tuple[int, int, Decimal]:
    # Worst classes first; within a class the larger exceedance multiple first; cyanide and heavy
    # metals ahead of everything when they exceed class III (domain.md §1.4 step 5). Items without
    # a multiple (DO, pH) come after those with one in the same class.
    multiple = result.exceedance_iii if result.exceedance_iii is not None else Decimal(-1)
    return (0 if result.item.code in priority else 1, -(result.cls or 0), -multiple)


def classify(
    values: Mapping[str, Decimal],
    *,
    body: Body | str = Body.RIVER,
    options: Options = DEFAULT_OPTIONS,
) -> Classification:
    """Classify item values (HJ 212 code → value in the canonical unit, non-detects already at half
    their detection limit, period means already taken). Each value is rounded half-to-even to the
    item's decimals before it is compared; the class is the worst counted item's."""
    body = Body(body)
    results: list[ItemResult] = []
    for code, value in values.items():
        item = ITEMS_BY_CODE[code]
        decimals = options.decimals_for(code)
        rounded = round_value(value, decimals)
        within: bool | None = None
        if item.role == Role.SUPPLEMENTARY:
            within = rounded <= item.limits[0]
            cls = None
        else:
            cls = item_class(item, rounded, body=body)
        counted = cls is not None and code in options.evaluated
        exceed = exceedance_multiple(item, rounded, cls=3, body=body) if cls is not None and cls > 3 else None
        results.append(ItemResult(item, value, rounded, decimals, cls, counted, exceed, within, body))
    results.sort(key=lambda r: _ORDER[r.item.code])
    counted_classes = [r.cls for r in results if r.counted and r.cls is not None]
    section_class = max(counted_classes) if counted_classes else None
    main: tuple[ItemResult, ...] = ()
    if section_class is not None and section_class > 3:
        candidates = [r for r in results if r.counted and r.cls is not None and r.cls > 3]
        candidates.sort(key=lambda r: _main_pollutant_key(r, options.main_pollutant_priority))
        main = tuple(candidates[: options.max_main_pollutants])
    measured = {r.item.code for r in results}
    missing = tuple(i.code for i in ITEMS if i.code in options.evaluated and i.code not in measured)
    return Classification(body, section_class, tuple(results), main, missing, options)


def mean(values: Iterable[Decimal]) -> Decimal:
    """Arithmetic mean in Decimal (ValueError for none)."""
    values = list(values)
    if not values:
        raise ValueError("mean of no values")  # an invariant of the caller, never shown
    return sum(values, Decimal(0)) / len(values)


def display_round(value: Decimal, decimals: int) -> Decimal:
    """Half-up rounding for display of computed figures (exceedance multiples, shares)."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


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
                    item, raw.get("value"), unit=unit, below_detection_limit=below,
                    detection_limit=raw.get("detection_limit"), named_by_code=by_code,
                )  # fmt: skip
            elif isinstance(raw, (int, float, str, Decimal)) and not isinstance(raw, bool):
                out[item.code] = parse_measurement(item, raw, named_by_code=by_code)
            else:
                raise ValueRefused(
                    _("A number, a string such as '<0.01', or an object is required for %(key)s.") % {"key": item.key}
                )
        except ValueRefused as exc:
            errors[str(key)] = exc.message
    return out, errors
