"""GB 3838-2002 as data: the class labels, the items of Table 1 and Table 2 with their limits, the evaluated set,
the default decimals and priorities, and item lookup by code or common name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

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
    Item(
        "w01010",
        "WT",
        gettext_lazy("water temperature"),
        UnitKind.CELSIUS,
        Direction.NONE,
        _R,
        decimals=1,
        aliases=("wt", "watertemperature", "temperature", "temp", "水温"),
    ),
    Item(
        "w01001", "pH", gettext_lazy("pH"), UnitKind.PH, Direction.RANGE, _B, _d("6", "9"), decimals=0, aliases=("ph",)
    ),
    # DO class I is "90 % saturation (or 7.5)"; saturation needs temperature, pressure and salinity,
    # which samples rarely carry, so the 7.5 mg/L alternative is used.
    Item(
        "w01009",
        "DO",
        gettext_lazy("dissolved oxygen"),
        _M,
        MIN,
        _B,
        _d("7.5", "6", "5", "3", "2"),
        decimals=1,
        aliases=("do", "dissolvedoxygen", "溶解氧"),
    ),
    Item(
        "w01019",
        "CODMn",
        gettext_lazy("permanganate index"),
        _M,
        MAX,
        _B,
        _d("2", "4", "6", "10", "15"),
        decimals=1,
        aliases=("codmn", "permanganateindex", "permanganate", "高锰酸盐指数"),
    ),
    Item(
        "w01018",
        "COD",
        gettext_lazy("chemical oxygen demand"),
        _M,
        MAX,
        _B,
        _d("15", "15", "20", "30", "40"),
        decimals=1,
        aliases=("cod", "codcr", "chemicaloxygendemand", "化学需氧量"),
    ),
    Item(
        "w01017",
        "BOD5",
        gettext_lazy("five-day biochemical oxygen demand"),
        _M,
        MAX,
        _B,
        _d("3", "3", "4", "6", "10"),
        decimals=1,
        aliases=("bod5", "bod", "五日生化需氧量", "生化需氧量"),
    ),
    Item(
        "w21003",
        "NH3-N",
        gettext_lazy("ammonia nitrogen"),
        _M,
        MAX,
        _B,
        _d("0.15", "0.5", "1.0", "1.5", "2.0"),
        decimals=2,
        aliases=("nh3n", "ammonianitrogen", "ammonia", "nh4n", "氨氮"),
    ),
    Item(
        "w21011",
        "TP",
        gettext_lazy("total phosphorus"),
        _M,
        MAX,
        _B,
        _d("0.02", "0.1", "0.2", "0.3", "0.4"),
        lake_limits=_d("0.01", "0.025", "0.05", "0.1", "0.2"),
        decimals=3,
        aliases=("tp", "totalphosphorus", "总磷"),
    ),
    Item(
        "w21001",
        "TN",
        gettext_lazy("total nitrogen"),
        _M,
        MAX,
        _R,
        _d("0.2", "0.5", "1.0", "1.5", "2.0"),
        river_applicable=False,
        decimals=2,
        aliases=("tn", "totalnitrogen", "总氮"),
    ),
    Item(
        "w20122",
        "Cu",
        gettext_lazy("copper"),
        _M,
        MAX,
        _B,
        _d("0.01", "1.0", "1.0", "1.0", "1.0"),
        unit_required=True,
        aliases=("cu", "copper", "铜"),
    ),
    Item(
        "w20123",
        "Zn",
        gettext_lazy("zinc"),
        _M,
        MAX,
        _B,
        _d("0.05", "1.0", "1.0", "2.0", "2.0"),
        unit_required=True,
        aliases=("zn", "zinc", "锌"),
    ),
    Item(
        "w21017",
        "F",
        gettext_lazy("fluoride"),
        _M,
        MAX,
        _B,
        _d("1.0", "1.0", "1.0", "1.5", "1.5"),
        aliases=("f", "fluoride", "fluorides", "氟化物"),
    ),
    Item(
        "w20128",
        "Se",
        gettext_lazy("selenium"),
        _M,
        MAX,
        _B,
        _d("0.01", "0.01", "0.01", "0.02", "0.02"),
        decimals=4,
        unit_required=True,
        aliases=("se", "selenium", "硒"),
    ),
    Item(
        "w20141",
        "As",
        gettext_lazy("arsenic"),
        _M,
        MAX,
        _B,
        _d("0.05", "0.05", "0.05", "0.1", "0.1"),
        decimals=4,
        unit_required=True,
        aliases=("as", "arsenic", "砷"),
    ),
    Item(
        "w20111",
        "Hg",
        gettext_lazy("mercury"),
        _M,
        MAX,
        _B,
        _d("0.00005", "0.00005", "0.0001", "0.001", "0.001"),
        decimals=5,
        unit_required=True,
        aliases=("hg", "mercury", "汞"),
    ),
    Item(
        "w20115",
        "Cd",
        gettext_lazy("cadmium"),
        _M,
        MAX,
        _B,
        _d("0.001", "0.005", "0.005", "0.005", "0.01"),
        decimals=5,
        unit_required=True,
        aliases=("cd", "cadmium", "镉"),
    ),
    Item(
        "w20117",
        "Cr6+",
        gettext_lazy("chromium (VI)"),
        _M,
        MAX,
        _B,
        _d("0.01", "0.05", "0.05", "0.05", "0.1"),
        unit_required=True,
        aliases=("cr6", "cr6+", "crvi", "chromiumvi", "chromium6", "hexavalentchromium", "六价铬", "铬六价"),
    ),
    Item(
        "w20120",
        "Pb",
        gettext_lazy("lead"),
        _M,
        MAX,
        _B,
        _d("0.01", "0.01", "0.05", "0.05", "0.1"),
        unit_required=True,
        aliases=("pb", "lead", "铅"),
    ),
    Item(
        "w21016",
        "CN",
        gettext_lazy("cyanide"),
        _M,
        MAX,
        _B,
        _d("0.005", "0.05", "0.2", "0.2", "0.2"),
        unit_required=True,
        aliases=("cn", "cyanide", "cyanides", "氰化物"),
    ),
    Item(
        "w23002",
        "VPhenol",
        gettext_lazy("volatile phenol"),
        _M,
        MAX,
        _B,
        _d("0.002", "0.002", "0.005", "0.01", "0.1"),
        decimals=4,
        unit_required=True,
        aliases=("vphenol", "volatilephenol", "volatilephenols", "phenol", "phenols", "挥发酚"),
    ),
    Item(
        "w22001",
        "Petroleum",
        gettext_lazy("petroleum"),
        _M,
        MAX,
        _B,
        _d("0.05", "0.05", "0.05", "0.5", "1.0"),
        decimals=2,
        aliases=("petroleum", "petroleumoil", "oil", "oils", "石油类"),
    ),
    Item(
        "w19002",
        "LAS",
        gettext_lazy("anionic surfactant"),
        _M,
        MAX,
        _B,
        _d("0.2", "0.2", "0.2", "0.3", "0.3"),
        decimals=2,
        aliases=("las", "anionicsurfactant", "anionicsurfactants", "阴离子表面活性剂"),
    ),
    Item(
        "w21019",
        "S2-",
        gettext_lazy("sulfide"),
        _M,
        MAX,
        _B,
        _d("0.05", "0.1", "0.2", "0.5", "1.0"),
        aliases=("s2", "s2-", "sulfide", "sulfides", "sulphide", "硫化物"),
    ),
    Item(
        "w02003",
        "FC",
        gettext_lazy("fecal coliform"),
        _C,
        MAX,
        _R,
        _d("200", "2000", "10000", "20000", "40000"),
        decimals=0,
        unit_required=True,
        aliases=("fc", "fecalcoliform", "fecalcoliforms", "faecalcoliform", "faecalcoliforms", "粪大肠菌群"),
    ),
    # Table 2: one limit each; judged within/over, not classed. HJ 212 codes as in domain.md's sources
    # (sm1lewc/Silence.SurfaceWater FactorInfo.cs) [I].
    Item(
        "w21038",
        "SO4",
        gettext_lazy("sulfate"),
        _M,
        MAX,
        _S,
        _d("250"),
        decimals=2,
        aliases=("so4", "so42", "so42-", "sulfate", "sulphate", "硫酸盐"),
    ),
    Item(
        "w21022",
        "Cl",
        gettext_lazy("chloride"),
        _M,
        MAX,
        _S,
        _d("250"),
        decimals=2,
        aliases=("cl", "cl-", "chloride", "氯化物"),
    ),
    Item(
        "w21007",
        "NO3-N",
        gettext_lazy("nitrate (as N)"),
        _M,
        MAX,
        _S,
        _d("10"),
        decimals=2,
        aliases=("no3", "no3n", "nitrate", "nitraten", "硝酸盐", "硝酸盐氮"),
    ),
    Item(
        "w20125",
        "Fe",
        gettext_lazy("iron"),
        _M,
        MAX,
        _S,
        _d("0.3"),
        decimals=3,
        unit_required=True,
        aliases=("fe", "iron", "铁"),
    ),
    Item(
        "w20124",
        "Mn",
        gettext_lazy("manganese"),
        _M,
        MAX,
        _S,
        _d("0.1"),
        decimals=4,
        unit_required=True,
        aliases=("mn", "manganese", "锰"),
    ),
)

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
