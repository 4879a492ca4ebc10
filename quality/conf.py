"""Settings of the quality app, read here and nowhere else.

Where domain.md marks a fact as recalled or inferred rather than verified (§1.4, §1.5, §7 items 1–2),
the rule is a setting with the documented default below; a deployment overrides it in its settings
module (or environment-driven settings) without a code change. Every setting is optional.

| setting | default | why it is a setting |
|---|---|---|
| QUALITY_ROUNDING_DECIMALS | `{}`: item (code or name) → decimals, over gb3838.DEFAULT_DECIMALS | [I], one library |
| QUALITY_EVALUATED_ITEMS | the 21 items of the 2011 method | the national set is moving ("9+X", §1.5) |
| QUALITY_AUTOMATIC_PRIORITY_ITEMS | pH, DO, CODMn, NH3-N, TP, TN | 2020 rule [V]; kept configurable with the others |
| QUALITY_MAIN_POLLUTANT_PRIORITY_ITEMS | CN, Hg, Cd, Cr6+, Pb, As | the priority rule is [R] |
| QUALITY_MAX_MAIN_POLLUTANTS | 3 | [V] |
| QUALITY_DRINKING_SOURCE_CLASS | 3 | class a source's basic items must meet [V] |
| QUALITY_SHARE_METHOD_MIN_SECTIONS | 5 | "≥ 5 (inclusive)" is [R] |
| QUALITY_STATUS_THRESHOLDS | method-text values (below) | the heavy-pollution row differs between sources |
| QUALITY_SHARE_DISPLAY_DECIMALS | 2 | Urumqi's report uses 2 dp, national bulletins 1 |
| QUALITY_FUTURE_TOLERANCE_SECONDS | 300 | clock skew of automatic stations |
| QUALITY_ZONE_COMPLIANCE_RULE | `"all_sections"` | zones of several sections: domain.md §2.4 names several methods |
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from quality import gb3838

# domain.md §1.5, the 2011 method text: good-water share (I–III) and worse-than-V share thresholds.
DEFAULT_STATUS_THRESHOLDS: dict[str, str] = {
    "excellent_min_good": "0.90",  # I–III ≥ 90 % → 优
    "good_min_good": "0.75",  # 75 % ≤ I–III < 90 % → 良好
    "moderate_min_worse": "0.20",  # I–III < 75 % and 20 % ≤ 劣Ⅴ < 40 % → 中度污染
    "heavy_min_worse": "0.40",  # I–III < 60 % and 劣Ⅴ ≥ 40 % → 重度污染
    "heavy_max_good": "0.60",  # (Shenzhen's page prints 75 % here; the method text 60 % [R])
}


# The names an environment variable may set (core.appsettings refuses others).
SETTINGS = frozenset(
    {
        "QUALITY_AUTOMATIC_PRIORITY_ITEMS",
        "QUALITY_DRINKING_SOURCE_CLASS",
        "QUALITY_EVALUATED_ITEMS",
        "QUALITY_FUTURE_TOLERANCE_SECONDS",
        "QUALITY_MAIN_POLLUTANT_PRIORITY_ITEMS",
        "QUALITY_MAX_MAIN_POLLUTANTS",
        "QUALITY_ROUNDING_DECIMALS",
        "QUALITY_SHARE_DISPLAY_DECIMALS",
        "QUALITY_SHARE_METHOD_MIN_SECTIONS",
        "QUALITY_STATUS_THRESHOLDS",
        "QUALITY_ZONE_COMPLIANCE_RULE",
    }
)

# How a water-function zone with sections is judged for a period (quality/README.md):
# "all_sections": every evaluated section of the zone meets the zone's target class;
# "mean_concentration": the zone's sections' period means, averaged item by item, meet it.
ZONE_COMPLIANCE_RULES = ("all_sections", "mean_concentration")


def _codes(setting: str, default: frozenset[str]) -> frozenset[str]:
    raw = getattr(settings, setting, None)
    if raw is None:
        return default
    codes = set()
    for name in raw:
        item = gb3838.lookup_item(name)
        if item is None:
            raise ImproperlyConfigured(f"{setting}: unknown water-quality item {name!r}")
        codes.add(item.code)
    return frozenset(codes)


def classifier_options() -> gb3838.Options:
    """The classifier's options from settings (checked, so a typo fails loudly, not silently)."""
    decimals = dict(gb3838.DEFAULT_DECIMALS)
    for name, places in (getattr(settings, "QUALITY_ROUNDING_DECIMALS", None) or {}).items():
        item = gb3838.lookup_item(name)
        if item is None:
            raise ImproperlyConfigured(f"QUALITY_ROUNDING_DECIMALS: unknown water-quality item {name!r}")
        if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 8:
            raise ImproperlyConfigured(f"QUALITY_ROUNDING_DECIMALS[{name!r}] must be an integer 0–8")
        decimals[item.code] = places
    max_main = getattr(settings, "QUALITY_MAX_MAIN_POLLUTANTS", 3)
    drinking = getattr(settings, "QUALITY_DRINKING_SOURCE_CLASS", 3)
    if not isinstance(drinking, int) or not 1 <= drinking <= 5:
        raise ImproperlyConfigured("QUALITY_DRINKING_SOURCE_CLASS must be 1–5")
    return gb3838.Options(
        decimals=decimals,
        evaluated=_codes("QUALITY_EVALUATED_ITEMS", gb3838.BASIC_EVALUATED),
        main_pollutant_priority=_codes("QUALITY_MAIN_POLLUTANT_PRIORITY_ITEMS", gb3838.DEFAULT_MAIN_POLLUTANT_PRIORITY),
        max_main_pollutants=int(max_main),
        drinking_source_class=drinking,
    )


def automatic_priority_items() -> frozenset[str]:
    return _codes("QUALITY_AUTOMATIC_PRIORITY_ITEMS", gb3838.DEFAULT_AUTOMATIC_PRIORITY)


def share_method_min_sections() -> int:
    return int(getattr(settings, "QUALITY_SHARE_METHOD_MIN_SECTIONS", 5))


def status_thresholds() -> dict[str, Fraction]:
    """Thresholds as exact fractions: shares are compared exactly, never after display rounding."""
    merged: dict[str, Any] = {
        **DEFAULT_STATUS_THRESHOLDS,
        **(getattr(settings, "QUALITY_STATUS_THRESHOLDS", None) or {}),
    }
    unknown = set(merged) - set(DEFAULT_STATUS_THRESHOLDS)
    if unknown:
        raise ImproperlyConfigured(f"QUALITY_STATUS_THRESHOLDS: unknown keys {sorted(unknown)}")
    return {key: Fraction(Decimal(str(value))) for key, value in merged.items()}


def share_display_decimals() -> int:
    return int(getattr(settings, "QUALITY_SHARE_DISPLAY_DECIMALS", 2))


def future_tolerance_seconds() -> int:
    return int(getattr(settings, "QUALITY_FUTURE_TOLERANCE_SECONDS", 300))


def zone_compliance_rule() -> str:
    rule = getattr(settings, "QUALITY_ZONE_COMPLIANCE_RULE", None) or "all_sections"
    if rule not in ZONE_COMPLIANCE_RULES:
        raise ImproperlyConfigured(f"QUALITY_ZONE_COMPLIANCE_RULE must be one of {', '.join(ZONE_COMPLIANCE_RULES)}")
    return str(rule)
