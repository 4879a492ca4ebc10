"""Helpers shared by the section builders: JSON-ready numbers, year-on-year changes, drill-down links."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from core.periods import Period


def num(value: Any, places: int | None = None) -> float | int | None:
    """A JSON number: Decimals and Fractions become floats (rounded to `places` when given); ints stay."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    out = float(value)
    return round(out, places) if places is not None else out


def ratio(numerator: Any, denominator: Any) -> float | None:
    """numerator ÷ denominator as a fraction, None when the denominator is zero (truly undefined)."""
    if denominator is None or numerator is None:
        return None
    d = Decimal(str(denominator))
    return float(Decimal(str(numerator)) / d) if d else None


def change(current: Any, previous: Any, *, share: bool = False) -> dict[str, Any]:
    """同比: the figure last year and the change. For shares (fractions 0–1) the change is in
    percentage points (`change_pp`); for quantities an absolute `change` and a relative `change_ratio`
    (None when last year's figure is zero or either is unknown)."""
    cur = num(current)
    prev = num(previous)
    if share:
        pp = None if cur is None or prev is None else round((cur - prev) * 100, 4)
        return {"previous": prev, "change_pp": pp}
    diff = None if cur is None or prev is None else cur - prev
    if isinstance(diff, float):
        diff = round(diff, 6)
    return {"previous": prev, "change": diff, "change_ratio": None if diff is None or not prev else diff / prev}


def period_params(period: Period, division_code: str | None) -> dict[str, str]:
    params = {"start": period.first_date.isoformat(), "end": period.last_date.isoformat()}
    if division_code:
        params["division"] = division_code
    return params


def link(view_name: str, /, *args: Any, **params: Any) -> str:
    """The API URL of a named route (`reverse(view_name, args=args)`, e.g. "patrols:case-list") with
    its query (parameters that are None are left out)."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return reverse(view_name, args=args or None) + (f"?{query}" if query else "")


def month_param(d: Any) -> str:
    return f"{d.year:04d}-{d.month:02d}"
