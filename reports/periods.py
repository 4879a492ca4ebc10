"""Report periods from API input: dates (both included) or labels ("2024-Q1", "2024-H1", "2024",
"2024-01-01/2024-06-30"). A date range that is exactly a calendar quarter, half or year becomes that
period, so its label reads "2024-H1" and its 同比 is the same kind of period a year earlier."""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

from core import periods
from core.exceptions import InvalidInput
from core.periods import Period


def canonical(first: dt.date, last: dt.date) -> Period:
    rng = periods.date_range(first, last)
    for kind in ("quarter", "half", "year"):
        p = periods.period_containing(rng.start, kind)
        if p.start == rng.start and p.end == rng.end:
            return p
    return rng


def from_label(label: str, *, field: str = "period") -> Period:
    """A period from its label; a malformed one is a 400 naming `field`."""
    text = (label or "").strip()
    try:
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
            return periods.quarter(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4})-H([12])", text):
            return periods.half_year(int(m[1]), int(m[2]))
        if re.fullmatch(r"\d{4}", text):
            return periods.year(int(text))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})", text):
            first, last = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
            if last < first:
                raise InvalidInput(_("The period ends before it starts."), fields={field: [_("End before start.")]})
            return canonical(first, last)
    except ValueError as exc:
        raise InvalidInput(str(exc), fields={field: [str(exc)]}) from exc
    raise InvalidInput(
        _("Unknown period %(text)s.") % {"text": repr(text)},
        fields={field: [_("A quarter 2024-Q1, a half 2024-H1, a year 2024 or a range 2024-01-01/2024-03-31.")]},
    )
