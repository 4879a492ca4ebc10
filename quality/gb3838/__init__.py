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

The package: `tables` (the standard's items and limits), `measurements` (input), `classifier`. The names below
are its public vocabulary, used as ``gb3838.classify``, ``gb3838.ITEMS_BY_CODE``, ….
"""

from quality.gb3838.classifier import (
    DEFAULT_OPTIONS,
    Classification,
    Compliance,
    ItemResult,
    Options,
    class_label,
    classify,
    display_round,
    exceedance_multiple,
    item_class,
    mean,
    round_value,
)
from quality.gb3838.measurements import (
    Measurement,
    ValueRefused,
    parse_measurement,
    parse_values,
    to_decimal,
    unit_factor,
)
from quality.gb3838.tables import (
    BASIC_EVALUATED,
    CLASS_LABELS,
    CLASS_LABELS_EN,
    CLASS_STATUS,
    CLASS_STATUS_ZH,
    DEFAULT_AUTOMATIC_PRIORITY,
    DEFAULT_DECIMALS,
    DEFAULT_MAIN_POLLUTANT_PRIORITY,
    ITEM_CHOICES,
    ITEMS,
    ITEMS_BY_CODE,
    WORSE_THAN_V,
    Body,
    Direction,
    Item,
    Role,
    UnitKind,
    is_code,
    lookup_item,
)

__all__ = [
    "BASIC_EVALUATED",
    "CLASS_LABELS",
    "CLASS_LABELS_EN",
    "CLASS_STATUS",
    "CLASS_STATUS_ZH",
    "DEFAULT_AUTOMATIC_PRIORITY",
    "DEFAULT_DECIMALS",
    "DEFAULT_MAIN_POLLUTANT_PRIORITY",
    "DEFAULT_OPTIONS",
    "ITEMS",
    "ITEMS_BY_CODE",
    "ITEM_CHOICES",
    "WORSE_THAN_V",
    "Body",
    "Classification",
    "Compliance",
    "Direction",
    "Item",
    "ItemResult",
    "Measurement",
    "Options",
    "Role",
    "UnitKind",
    "ValueRefused",
    "class_label",
    "classify",
    "display_round",
    "exceedance_multiple",
    "is_code",
    "item_class",
    "lookup_item",
    "mean",
    "parse_measurement",
    "parse_values",
    "round_value",
    "to_decimal",
    "unit_factor",
]
