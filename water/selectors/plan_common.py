"""Constants and rounding the plan and red-line reads share."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

ZERO = Decimal(0)
M3 = Decimal("0.001")  # figures are given to the litre
RATE = Decimal("0.0001")
WITHIN = "within"
_NOTHING = Q(pk__in=[])


def _q3(value: Decimal) -> Decimal:
    return value.quantize(M3, ROUND_HALF_UP)
