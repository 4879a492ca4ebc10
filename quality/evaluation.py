"""Period evaluation of sections and the category shares (优良比例), as a plain module.

Works on month groups (the results of one item at one section in one Beijing month from one source,
summed), which the selectors get from the database in one aggregate query and group_observations()
builds from raw results, so the statistics can be tested exactly without a database:

1. a non-detect enters as half its detection limit (domain.md §1.4 step 2);
2. per section, item and calendar month (Beijing time), automatic-station values take priority over
   manual ones for the configured items (2020 rule); for the other items manual values take
   priority, automatic ones standing in only where no manual value exists. The month's value is the
   arithmetic mean of the chosen values;
3. the period value of an item is the arithmetic mean of its monthly values (annual means are means
   of monthly values, domain.md §6), so hourly automatic data do not outweigh a monthly lab sample;
4. the classifier (gb3838.classify) rounds each period mean and classes it.

Shares count sections, never samples, and are exact fractions; display rounding (half-up) happens
only in `percent_display`, and nothing compares a rounded share (domain.md §1.5, §6).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from core.periods import BEIJING
from quality import gb3838

AUTOMATIC = "automatic"
MANUAL = "manual"

GOOD, IV_V, WORSE_THAN_V = "I_III", "IV_V", "worse_than_V"
GROUPS = (GOOD, IV_V, WORSE_THAN_V)


@dataclass(frozen=True, slots=True)
class Observation:
    """One stored result, as the evaluation needs it."""

    section_id: int
    sampled_at: datetime
    source: str
    item: str
    value: Decimal | None
    below_detection_limit: bool = False
    detection_limit: Decimal | None = None

    @property
    def effective(self) -> Decimal:
        if self.below_detection_limit:
            if self.detection_limit is None:
                raise ValueError("a non-detect without its detection limit")
            return self.detection_limit / 2
        if self.value is None:
            raise ValueError("a result without a value")
        return self.value


@dataclass(slots=True)
class ItemPeriod:
    """How an item's period value came about, for the lab to retrace."""

    item: str
    value: Decimal  # mean of the monthly values
    months: int  # months with a value
    results: int  # results used (after the automatic/manual choice)
    non_detects: int  # of which below the detection limit (entered at half the limit)
    sources: tuple[str, ...]  # sources used


@dataclass(slots=True)
class SectionPeriod:
    """A section's period means per item."""

    section_id: int
    items: dict[str, ItemPeriod] = field(default_factory=dict)
    samples: int = 0  # distinct sampling events (time, source) in the period
    months: tuple[str, ...] = ()  # "2024-03" … months with any result

    @property
    def values(self) -> dict[str, Decimal]:
        return {code: ip.value for code, ip in self.items.items()}


def month_label(at: datetime) -> str:
    """The Beijing calendar month of an instant, "2024-03"."""
    local = at.astimezone(BEIJING)
    return f"{local.year:04d}-{local.month:02d}"


@dataclass(frozen=True, slots=True)
class MonthGroup:
    """The results of one item at one section in one month from one source, summed: what the
    database aggregates (selectors) or group_observations() computes from raw results."""

    section_id: int
    month: str
    item: str
    source: str
    count: int
    non_detects: int
    total: Decimal  # sum of the effective values (non-detects at half their limit)


def group_observations(observations: Iterable[Observation]) -> tuple[list[MonthGroup], dict[int, int]]:
    """Raw results → month groups, and the number of sampling events (time, source) per section."""
    sums: dict[tuple[int, str, str, str], list[Any]] = {}
    events: dict[int, set[tuple[datetime, str]]] = defaultdict(set)
    for obs in observations:
        key = (obs.section_id, month_label(obs.sampled_at), obs.item, obs.source)
        acc = sums.setdefault(key, [0, 0, Decimal(0)])
        acc[0] += 1
        acc[1] += 1 if obs.below_detection_limit else 0
        acc[2] += obs.effective
        events[obs.section_id].add((obs.sampled_at, obs.source))
    groups = [MonthGroup(k[0], k[1], k[2], k[3], a[0], a[1], a[2]) for k, a in sums.items()]
    return groups, {section: len(e) for section, e in events.items()}


def period_means(
    groups: Iterable[MonthGroup], *, automatic_priority: frozenset[str], samples: Mapping[int, int] | None = None
) -> dict[int, SectionPeriod]:
    """Period means per section and item from the month groups of one period."""
    # section → item → month → source → group
    nested: dict[int, dict[str, dict[str, dict[str, MonthGroup]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(dict))
    )
    months: dict[int, set[str]] = defaultdict(set)
    for g in groups:
        if g.count:
            nested[g.section_id][g.item][g.month][g.source] = g
            months[g.section_id].add(g.month)

    out: dict[int, SectionPeriod] = {}
    for section_id, items in nested.items():
        section = SectionPeriod(
            section_id, samples=(samples or {}).get(section_id, 0), months=tuple(sorted(months[section_id]))
        )
        for code, by_month in items.items():
            monthly: list[Decimal] = []
            used = non_detects = 0
            sources: set[str] = set()
            first, second = (AUTOMATIC, MANUAL) if code in automatic_priority else (MANUAL, AUTOMATIC)
            for by_source in by_month.values():
                chosen = by_source.get(first) or by_source[second]
                monthly.append(chosen.total / chosen.count)
                used += chosen.count
                non_detects += chosen.non_detects
                sources.add(chosen.source)
            section.items[code] = ItemPeriod(
                item=code,
                value=gb3838.mean(monthly),
                months=len(monthly),
                results=used,
                non_detects=non_detects,
                sources=tuple(sorted(sources)),
            )
        out[section_id] = section
    return out


def period_means_of(
    observations: Iterable[Observation], *, automatic_priority: frozenset[str]
) -> dict[int, SectionPeriod]:
    """period_means() straight from raw results (tests, small batches)."""
    groups, samples = group_observations(observations)
    return period_means(groups, automatic_priority=automatic_priority, samples=samples)


# --------------------------------------------------------------------------- shares


def class_group(cls: int) -> str:
    if cls <= 3:
        return GOOD
    if cls <= 5:
        return IV_V
    return WORSE_THAN_V


@dataclass(frozen=True, slots=True)
class Shares:
    """Counts of evaluated sections by class; shares are exact fractions of the counts."""

    by_class: Mapping[int, int]

    @classmethod
    def of(cls, classes: Iterable[int]) -> Shares:
        counts = dict.fromkeys(range(1, 7), 0)
        for c in classes:
            counts[c] += 1
        return cls(counts)

    @property
    def evaluated(self) -> int:
        return sum(self.by_class.values())

    @property
    def groups(self) -> dict[str, int]:
        out = dict.fromkeys(GROUPS, 0)
        for c, n in self.by_class.items():
            out[class_group(c)] += n
        return out

    def ratio(self, group: str) -> Fraction | None:
        """Share of `group` in the evaluated sections (None when none was evaluated)."""
        if not self.evaluated:
            return None
        return Fraction(self.groups[group], self.evaluated)

    @property
    def good_ratio(self) -> Fraction | None:
        return self.ratio(GOOD)


def percent_display(ratio: Fraction | None, decimals: int) -> str | None:
    """A share as a percentage string for display, rounded half-up ("77.78"). Exact: the fraction is
    never passed through a float. For display only; compare the fraction, not this."""
    if ratio is None:
        return None
    scaled = ratio * 100 * 10**decimals
    rounded = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)  # half-up, ≥ 0
    return f"{Decimal(rounded).scaleb(-decimals):.{decimals}f}"


def as_decimal(ratio: Fraction | None) -> Decimal | None:
    """A fraction as a Decimal (28 significant digits): for JSON, not for comparisons."""
    if ratio is None:
        return None
    return Decimal(ratio.numerator) / Decimal(ratio.denominator)


def share_status(shares: Shares, thresholds: Mapping[str, Fraction]) -> str | None:
    """Qualitative status of five or more sections by the section-class share method (§1.5).
    Compared on exact fractions: 74.96 % is "< 75 %" even though it displays as 75.0 %."""
    good = shares.ratio(GOOD)
    worse = shares.ratio(WORSE_THAN_V)
    if good is None or worse is None:
        return None
    if good >= thresholds["excellent_min_good"]:
        return "excellent"
    if good >= thresholds["good_min_good"]:
        return "good"
    if good < thresholds["heavy_max_good"] and worse >= thresholds["heavy_min_worse"]:
        return "heavy"
    if worse >= thresholds["moderate_min_worse"]:
        return "moderate"
    return "light"


def mean_concentration_classification(
    section_values: Iterable[Mapping[str, Decimal]], *, body: gb3838.Body | str, options: gb3838.Options
) -> gb3838.Classification | None:
    """Fewer than five sections (§1.5): average each item over the sections, then classify."""
    per_item: dict[str, list[Decimal]] = defaultdict(list)
    for values in section_values:
        for code, value in values.items():
            per_item[code].append(value)
    if not per_item:
        return None
    return gb3838.classify({code: gb3838.mean(v) for code, v in per_item.items()}, body=body, options=options)


STATUS_ZH = {"excellent": "优", "good": "良好", "light": "轻度污染", "moderate": "中度污染", "heavy": "重度污染"}
