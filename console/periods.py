"""The dashboard's period: chosen on the page (month, quarter, half, year or any range), remembered in
the session, and read as the reports API reads it (reports.periods), so the figures are the report's."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import gettext as _

from core import periods
from core.exceptions import InvalidInput
from core.periods import Period
from reports.periods import canonical, from_label

SESSION_KEY = "console_period"
KINDS = ("month", "quarter", "half", "year", "range")


@dataclass
class PeriodChoice:
    period: Period
    kind: str
    year: int
    n: int
    start: str
    end: str


def from_text(label: str) -> Period:
    """A stored label back to its period (a month is "2024-03"; others as the reports API writes them)."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})", label):
        return periods.month(int(m[1]), int(m[2]))
    return from_label(label)


def parse(params: QueryDict) -> Period | None:
    """The period the page asks for, None when it asks for none. Raises InvalidInput naming the field."""
    kind = params.get("kind", "")
    if not kind:
        return None
    if kind not in KINDS:
        raise InvalidInput("Unknown period kind.", fields={"kind": [_("month, quarter, half, year or range")]})
    if kind == "range":
        try:
            first = dt.date.fromisoformat(params.get("start", ""))
            last = dt.date.fromisoformat(params.get("end", ""))
        except ValueError as exc:
            raise InvalidInput("Bad date.", fields={"start": [_("Dates as 2024-01-31.")]}) from exc
        if last < first:
            raise InvalidInput("End before start.", fields={"end": [_("The end is before the start.")]})
        return canonical(first, last)
    raw_year, raw_n = params.get("year", ""), params.get("n", "1") or "1"
    if not (raw_year.isdigit() and 2000 <= int(raw_year) <= 2100):
        raise InvalidInput("Bad year.", fields={"year": [_("A year such as 2024.")]})
    limits = {"month": 12, "quarter": 4, "half": 2, "year": 1}
    if not (raw_n.isdigit() and 1 <= int(raw_n) <= limits[kind]):
        raise InvalidInput("Bad number.", fields={"n": [_("No such month, quarter or half.")]})
    year, n = int(raw_year), int(raw_n)
    if kind == "month":
        return periods.month(year, n)
    if kind == "quarter":
        return periods.quarter(year, n)
    if kind == "half":
        return periods.half_year(year, n)
    return periods.year(year)


def choice_of(period: Period) -> PeriodChoice:
    first = period.first_date
    kind = period.kind if period.kind in KINDS else "range"
    n = {"month": first.month, "quarter": (first.month - 1) // 3 + 1, "half": 1 if first.month < 7 else 2}.get(kind, 1)
    return PeriodChoice(period, kind, first.year, n, first.isoformat(), period.last_date.isoformat())


def spoken(period: Period) -> str:
    """The period as people say it: 2024年第一季度, 2024年上半年, 2024年3月."""
    first, last = period.first_date, period.last_date
    kind = period.kind
    if kind == "month":
        return _("%(year)s-%(month)s (month)") % {"year": first.year, "month": first.month}
    if kind == "quarter":
        return _("Q%(q)s %(year)s") % {"year": first.year, "q": (first.month - 1) // 3 + 1}
    if kind == "half":
        return (_("first half of %(year)s") if first.month < 7 else _("second half of %(year)s")) % {"year": first.year}
    if kind == "year":
        return _("year %(year)s") % {"year": first.year}
    return f"{first.isoformat()} – {last.isoformat()}"
