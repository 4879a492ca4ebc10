"""What the plan, red-line and month-lock pages share: the division and year a page is for, the
tier and state words, and the staff check the services make (region_writable)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.scope import Scope
from console.map.cards import TIER_LABELS
from console.views import actions
from places import selectors as places_selectors
from places.models import Division
from water import plan_selectors
from water.plan_selectors import WITHIN

TIERS: dict[str, Any] = {WITHIN: _("Within plan"), **TIER_LABELS}
# The red-line states of water.selectors.redlines.STATES, in the bureau's words.
STATES = {
    "on_track": _("On track"),
    "at_risk": _("At risk of exceeding"),
    "exceeded": _("Exceeded"),
    "met": _("Met"),
    "not_met": _("Not met"),
}
INDICATOR_NAMES = {
    "total_use": _("Total water use"),
    "per_gdp": _("Water use per 10⁴ yuan GDP"),
    "per_iva": _("Water use per 10⁴ yuan industrial value added"),
    "irrigation": _("Irrigation water efficiency coefficient"),
    "zone_compliance": _("Water-function-zone compliance rate"),
}
SOURCES = {
    "system": _("Metered by the system"),
    "entered": pgettext_lazy("red-line source", "Entered"),
    "missing": pgettext_lazy("red-line source", "Missing"),
    # Zone compliance: computed from the sections tied to each zone, from zones' declared compliance, or both.
    "sections": _("Computed from the monitoring sections"),
    "sections_and_declared": _("Computed from the monitoring sections and declared"),
    "declared": pgettext_lazy("red-line source", "Declared"),
}


def tier_word(tier: str) -> str:
    return str(TIERS.get(tier, tier))


def writable(request: HttpRequest, scope: Scope, code: str) -> bool:
    """Whether this user may write the plans, targets and locks of division `code` (the services'
    own rule: staff, inside the jurisdiction)."""
    return actions.is_staff(request) and plan_selectors.region_writable(scope, code)


def divisions(scope: Scope) -> list[Division]:
    """The county-level and wider divisions a staff user picks from (inside the jurisdiction)."""
    return [d for d in places_selectors.division_list(scope=scope).order_by("code") if len(d.code) == 6]


def pick_division(request: HttpRequest, scope: Scope, options: list[Division]) -> Division:
    """?division= among the options (404 outside them); default the widest one."""
    code = request.GET.get("division", "").strip()
    if not code:
        if not options:
            raise Http404
        return min(options, key=lambda d: (len(d.code.rstrip("0")), d.code))
    for d in options:
        if d.code == code:
            return d
    raise Http404


def pick_year(request: HttpRequest, default: int) -> int:
    raw = request.GET.get("year", "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise Http404
    return int(raw)


@dataclass(frozen=True)
class Picked:
    """The year and division a plans page is for (from ?year= and ?division=) and what its picker
    (templates console/plans/_picker.html) offers."""

    options: list[Division]
    division: Division
    year: int
    years: list[int]

    def context(self) -> dict[str, Any]:
        return {"options": self.options, "division": self.division, "year": self.year, "years": self.years}


def pick(
    request: HttpRequest,
    sc: Scope,
    *,
    default_year: Callable[[], int],
    years_seen: Iterable[int],
    year: int | None = None,
    division: Division | None = None,
) -> Picked:
    """The picker of the red-line and month-lock pages: the division among the staff's options (404
    outside them, the widest by default), the year asked for or `default_year()`, and the years offered
    (`years_seen` and the one shown)."""
    options = divisions(sc)
    division = division or pick_division(request, sc, options)
    year = year or pick_year(request, default_year())
    return Picked(options, division, year, sorted({year, *years_seen}, reverse=True))


def posted_division(request: HttpRequest, sc: Scope) -> Division:
    """The division a form posts (`division`), among the staff's options; 404 outside them."""
    code = request.POST.get("division", "")
    division = next((d for d in divisions(sc) if d.code == code), None)
    if division is None:
        raise Http404
    return division


def year_url(name: str, year: int, division: Division) -> str:
    """A picker page's URL for a year and a division (where an action goes back to)."""
    return f"{reverse(name)}?{urlencode({'year': str(year), 'division': division.code})}"


def last_year_with(dates: list[int]) -> int:
    """The latest year in `dates`, else the current one (Beijing)."""
    return max(dates) if dates else actions.today().year


def short_month(number: int) -> str:
    """A month's column header where the year is in the title (1月)."""
    return str(pgettext_lazy("month column", "M%(month)s")) % {"month": number}


def month_label(month: dt.date) -> str:
    return str(_("%(year)s-%(month)02d")) % {"year": month.year, "month": month.month}


def with_general(form: dict[str, Any], fields: set[str], status: int = 200) -> dict[str, Any]:
    """The form with the errors that have no field on the page (`general`, shown above the form) apart
    from those shown beside their field (`fields_wrong`). A 409 says what happened in words."""
    if not form:
        return form
    errors = form.get("errors") or {}
    general = [m for k, msgs in errors.items() if k not in fields for m in msgs]
    if status == 409 and not general:
        general = [str(_("This was changed meanwhile; nothing was written. The page shows how it stands now."))]
    return {**form, "general": general, "fields_wrong": any(k in fields for k in errors)}
