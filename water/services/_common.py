"""Helpers the water services share: the register quantum and full_clean as a 400."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

REGISTER_QUANTUM = Decimal("0.001")
CORRECTION_HINT = "a stored reading changes only through a correction (POST /api/v1/water/readings/correct/)"


def _register(value: float | int | Decimal) -> Decimal:
    """A register value as stored: numeric(15, 3), rounded half away from zero as PostgreSQL does."""
    if isinstance(value, Decimal):
        return value.quantize(REGISTER_QUANTUM, ROUND_HALF_UP)
    return Decimal(repr(value)).quantize(REGISTER_QUANTUM, ROUND_HALF_UP)
