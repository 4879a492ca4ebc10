"""Numbers, dates and units as the bureau writes them (console.md "Numbers, dates and units"): computed in
views, so templates only print strings. Times are shown in Beijing time (core.periods), never UTC."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.periods import to_beijing

DASH = "—"


def number(value: Any, places: int = 0) -> str:
    """Thousands separators, fixed decimals; empty for None."""
    if value is None or value == "":
        return DASH
    return f"{Decimal(str(value)):,.{places}f}"


def m3(value: Any, places: int = 0) -> str:
    return DASH if value is None else f"{number(value, places)} m³"


def wan_m3(value: Any) -> str:
    """1 万m³ = 10,000 m³, two decimals (summaries)."""
    if value is None:
        return DASH
    unit = _("10k m³")
    return f"{Decimal(str(value)) / Decimal(10_000):,.2f} {unit}"


def wan(value: Any) -> str:
    """m³ as 万m³ (number only, for a column whose header carries the unit)."""
    return DASH if value is None else f"{Decimal(str(value)) / Decimal(10_000):,.2f}"


def percent(ratio: Any, places: int = 1) -> str:
    """A fraction 0–1 as a percentage."""
    return DASH if ratio is None else f"{Decimal(str(ratio)) * 100:,.{places}f}%"


def tonnes(value: Any) -> str:
    return DASH if value is None else f"{number(value, 3)} t"


def km(metres: Any, places: int = 2) -> str:
    return DASH if metres is None else f"{Decimal(str(metres)) / 1000:,.{places}f} km"


def when(value: dt.datetime | None) -> str:
    """A stored (UTC) time in Beijing time, as tables show it."""
    return DASH if value is None else to_beijing(value).strftime("%Y-%m-%d %H:%M")


def day(value: dt.date | None) -> str:
    return DASH if value is None else value.isoformat()


def yes_no(value: bool | None) -> str:
    if value is None:
        return DASH
    return _("yes") if value else _("no")


def text(value: Any) -> str:
    return DASH if value is None or value == "" else str(value)
