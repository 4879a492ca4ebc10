"""Settings of the reuse app, each with its default here (config/settings does not need to name them).

Where domain.md leaves a rule open, or marks it as recalled rather than verified, the rule is a setting
so that the bureau can decide it without a code change. Override any of them in the settings module:

``REUSE_RATE_COUNT_ECOLOGICAL`` (bool, default ``True``)
    Whether reclaimed water released as ecological replenishment (生态补水, e.g. to a river) counts as
    "used" in the reuse rate. domain.md §5.2 and §7.5: targets generally count planned ecological
    replenishment [R], the wording of GB/T 51083-2015 was not read. The rate endpoint can also be asked
    for the other choice (``?ecological=excluded``); reports use this setting.

``REUSE_ECOLOGICAL_SUB_USES`` (iterable of SubUse values, default ``("ecological_replenishment",)``)
    Which sub-uses are "ecological replenishment" for the rule above. A city that also counts
    surface-source replenishment (补充地表水) as ecological discharge adds ``"surface_replenishment"``.

``REUSE_RATE_COUNT_INDUSTRIAL_PARK_PLANTS`` (bool, default ``True``)
    Whether industrial-park plants' treated and reused volumes enter the rate. domain.md §5.2: "the
    city's usual practice decides". The seed report counts the Midong chemical-park station and pipeline
    among the measures that raise the city's rate, so they count by default.

``REUSE_RATE_TARGET`` (Decimal fraction, default ``0.25``)
    The target the rate is measured against: 25 % for prefecture-level water-short cities by 2025
    (发改环资〔2021〕13号, domain.md §5.2 [V]); Urumqi is listed as water-short. Pilot cities use 0.35.

``REUSE_MAX_LOAD_FACTOR`` (Decimal, default ``2``)
    A plant's monthly treated (or produced, or delivered) volume above design capacity × days × this
    factor is refused as impossible. Between 1× and this factor the month is accepted and flagged
    ``over_design_capacity`` (plants do run overloaded; twice the hydraulic capacity is a typing error,
    e.g. a figure in m³ entered where 10⁴ m³ was meant is 10,000× off).

``REUSE_MAX_BATCH_ROWS`` (int, default ``10000``)
    Most rows accepted in one volume or delivery batch (JSON or CSV).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings

from reuse.choices import SubUse

DEFAULTS: dict[str, Any] = {
    "REUSE_RATE_COUNT_ECOLOGICAL": True,
    "REUSE_ECOLOGICAL_SUB_USES": (SubUse.ECOLOGICAL_REPLENISHMENT.value,),
    "REUSE_RATE_COUNT_INDUSTRIAL_PARK_PLANTS": True,
    "REUSE_RATE_TARGET": Decimal("0.25"),
    "REUSE_MAX_LOAD_FACTOR": Decimal("2"),
    "REUSE_MAX_BATCH_ROWS": 10_000,
}

# The names an environment variable may set (core.appsettings refuses others).
SETTINGS = frozenset(DEFAULTS)


def _get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def count_ecological() -> bool:
    return bool(_get("REUSE_RATE_COUNT_ECOLOGICAL"))


def ecological_sub_uses() -> frozenset[str]:
    value: Iterable[str] = _get("REUSE_ECOLOGICAL_SUB_USES")
    return frozenset(str(v) for v in value)


def count_industrial_park_plants() -> bool:
    return bool(_get("REUSE_RATE_COUNT_INDUSTRIAL_PARK_PLANTS"))


def rate_target() -> Decimal:
    return Decimal(str(_get("REUSE_RATE_TARGET")))


def max_load_factor() -> Decimal:
    return Decimal(str(_get("REUSE_MAX_LOAD_FACTOR")))


def max_batch_rows() -> int:
    return int(_get("REUSE_MAX_BATCH_ROWS"))
