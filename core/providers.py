"""Figures an app needs from an app it may not import: a registry of providers by name.

The import layers (pyproject.toml, import-linter) keep apps of one layer apart: water may not import
quality. Where one's figure needs the other's computation — the red-line zone-compliance rate
(water) from the sections tied to each water-function zone (quality) — the computing app registers a
provider here in its AppConfig.ready(), and the reading app asks for it by name, with a fallback when
none is registered (the app is not installed, or a script runs without Django's app registry).
core imports no app, so the layers hold; the name and the call's contract are written down here,
where both sides read them.

Providers:

* ``ZONE_COMPLIANCE`` — ``(*, scope, period: core.periods.Period, division_code: str | None)`` →
  ``ZoneComplianceFigure`` or None when no zone was judged (registered by quality).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZONE_COMPLIANCE = "zone_compliance"

Provider = Callable[..., Any]

_REGISTRY: dict[str, Provider] = {}


@dataclass(frozen=True, slots=True)
class ZoneComplianceFigure:
    """The key water-function zones judged over a period: ``complying`` of ``judged`` zones,
    ``from_sections`` of them judged from their sections' samples, ``declared`` from a compliance
    declared for the zone (no section evaluated in the period)."""

    rate: Decimal
    complying: int
    judged: int
    from_sections: int
    declared: int

    @property
    def source(self) -> str:
        """ "sections", "declared", or "sections_and_declared" when the zones were judged both ways."""
        if self.from_sections and self.declared:
            return "sections_and_declared"
        return "sections" if self.from_sections else "declared"


def register_provider(name: str, provider: Provider) -> None:
    """Register (or replace: a test may) the provider of `name`."""
    _REGISTRY[name] = provider


def provider(name: str) -> Provider | None:
    """The provider registered under `name`, or None: the caller falls back to what it has."""
    return _REGISTRY.get(name)
