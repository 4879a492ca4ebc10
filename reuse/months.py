"""Calendar months as the reuse ledger stores them: the first day of the month (Beijing calendar).
Pure functions, no database."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from django.utils.translation import gettext as _

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def days_in_month(month: dt.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def parse_month(value: str) -> dt.date:
    """ "2024-07" → date(2024, 7, 1). ValueError for anything else (a day, "2024-7", "2024/07")."""
    match = _MONTH_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(_("%(value)s is not a month; write it as YYYY-MM, e.g. 2024-07") % {"value": repr(value)})
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 1 <= year <= 9998:
        raise ValueError(_("%(value)s is not a month; write it as YYYY-MM, e.g. 2024-07") % {"value": repr(value)})
    return dt.date(year, month, 1)


def month_label(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"
