"""The single-factor classifier: options, GB/T 8170 rounding, one item's class and exceedance, `classify` for a
sample (section class, main pollutants, drinking-source compliance).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from quality.choices import WaterClass
from quality.gb3838.tables import (
    _ORDER,
    BASIC_EVALUATED,
    CLASS_LABELS,
    CLASS_STATUS,
    DEFAULT_DECIMALS,
    DEFAULT_MAIN_POLLUTANT_PRIORITY,
    ITEMS,
    ITEMS_BY_CODE,
    WORSE_THAN_V,
    Body,
    Direction,
    Item,
    Role,
)


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
