"""Helpers the water services share: the register quantum and full_clean as a 400."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput

REGISTER_QUANTUM = Decimal("0.001")
CORRECTION_HINT = "a stored reading changes only through a correction (POST /api/v1/water/readings/correct/)"


def _register(value: float | int | Decimal) -> Decimal:
    """A register value as stored: numeric(15, 3), rounded half away from zero as PostgreSQL does."""
    if isinstance(value, Decimal):
        return value.quantize(REGISTER_QUANTUM, ROUND_HALF_UP)
    return Decimal(repr(value)).quantize(REGISTER_QUANTUM, ROUND_HALF_UP)


def _full_clean(instance: Any, **kwargs: Any) -> None:
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        raise InvalidInput(
            _("Invalid input."), fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        ) from exc
