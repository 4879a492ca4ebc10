"""The month-lock calendar (台账锁定): per division, the year's twelve months — locked (with the frozen
figure, who and when, and the amendments after lock: what arrived or was corrected later for that
month, beside it), covered by a wider division's lock, open, or not over yet — and the lock and unlock
forms over plan_services.ledger_lock / ledger_unlock (the services' own rules: staff lock inside their
jurisdiction, only an administrator unlocks, with a reason)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from accounts.choices import Role
from accounts.permissions import user_role
from console import formats as f
from console.views import actions
from console.views.base import console_page, page, scope
from console.views.plans.common import (
    last_year_with,
    month_label,
    pick,
    posted_division,
    with_general,
    writable,
    year_url,
)
from core import periods
from core.divisions import division_prefix
from core.exceptions import NotFound
from places.models import Division
from water import plan_selectors, plan_services
from water import selectors as water_selectors
from water.models import LedgerLock

ZERO = Decimal(0)
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
AFTER_LOCK_ROWS = 50  # the newest amendments after lock listed; the readings ledger has them all


def _after_lock(request: HttpRequest, division: Division, year: int) -> tuple[dict[dt.date, int], list[Any]]:
    """The readings of the division's meters flagged as amendments after lock in `year`: a count per
    month and the newest rows. Only months a lock was ever taken for can hold them, so the readings
    are read by meter and those months (the readings' key), never over the year."""
    sc = scope(request)
    months = sorted(set(plan_selectors.lock_list(scope=sc).filter(month__year=year).values_list("month", flat=True)))
    if not months:
        return {}, []
    meters = (
        water_selectors.meter_list(scope=sc)
        .filter(intake__division__code__startswith=division_prefix(division.code))
        .values_list("id", flat=True)
    )
    spans = Q()
    for first in months:
        p = periods.month(first.year, first.month)
        spans |= Q(observed_at__gte=p.start, observed_at__lt=p.end)
    rows = water_selectors.reading_list(scope=sc).filter(spans, meter_id__in=list(meters), after_lock=True)
    # One pass: the flagged readings are few (what arrived late for a closed month); counted here and
    # the newest shown.
    flagged = list(rows.select_related("meter__intake").order_by("-received_at"))
    counts: dict[dt.date, int] = {}
    for r in flagged:
        first = periods.to_beijing(r.observed_at).date().replace(day=1)
        counts[first] = counts.get(first, 0) + 1
    return counts, flagged[:AFTER_LOCK_ROWS]


def _page(
    request: HttpRequest,
    form: dict[str, Any] | None = None,
    status: int = 200,
    year: int | None = None,
    division: Division | None = None,
) -> HttpResponse:
    sc = scope(request)
    form = with_general(form or {}, {"month", "reason"}, status)
    locks_seen = plan_selectors.lock_list(scope=sc)
    today = actions.today()
    newest = locks_seen.filter(unlocked_at__isnull=True).order_by("-month").values_list("month", flat=True)[:1]
    seen = [today.year, *[m.year for m in locks_seen.values_list("month", flat=True).distinct()]]
    default = lambda: last_year_with([m.year for m in newest])  # noqa: E731 - read only when ?year= is absent
    picked = pick(request, sc, year=year, division=division, default_year=default, years_seen=seen)
    division, year = picked.division, picked.year
    around = [division.code, *plan_selectors.ancestor_codes(division.code)]
    locks = list(locks_seen.filter(month__year=year, division__code__in=around).order_by("month", "-locked_at"))
    by_intake = plan_selectors.month_use_by_intake(scope=sc, period=periods.year(year), division_code=division.code)
    sums = {dt.date(year, m, 1): [ZERO, ZERO] for m in range(1, 13)}
    for (_iid, month), (use, amend) in by_intake.items():
        sums[month][0] += use
        sums[month][1] += amend
    figures = [(month, use, amend) for month, (use, amend) in sorted(sums.items())]
    counts, latest = _after_lock(request, division, year)
    may_lock = writable(request, sc, division.code)
    may_unlock = user_role(request.user) == Role.ADMIN and sc.everything
    readings = reverse("console:reading_list")
    cells = []
    open_months = []
    for month, use, amend in figures:
        active = [lk for lk in locks if lk.month == month and lk.unlocked_at is None]
        own = next((lk for lk in active if lk.division_id == division.pk), None)
        wider = next((lk for lk in active if lk.division_id != division.pk), None)
        lock = own or wider
        over = periods.month(month.year, month.month).last_date < today
        state = "locked" if own else "covered" if wider else "open" if over else "future"
        if state == "open":
            open_months.append(month)
        end = periods.month(month.year, month.month).last_date
        tags = {
            "locked": _("Locked"),
            "open": pgettext("month lock", "Open"),
            "future": _("Not over"),
            "covered": _("Locked by %(division)s") % {"division": wider.division.name if wider else ""},
        }
        cells.append(
            {
                "label": month_label(month),
                "key": month.strftime("%Y-%m"),
                "state": state,
                "tag": tags[state],
                "use": f.number(use),
                "amend": f.number(amend) if lock and amend else "",
                "who": lock.locked_by_label if lock else "",
                "when": f.when(lock.locked_at) if lock else "",
                "note": lock.note if lock else "",
                "lock_id": own.pk if own else None,
                "late": counts.get(month, 0),
                "late_url": f"{readings}?{urlencode({'after_lock': 'true', 'start': str(month), 'end': str(end)})}",
            }
        )
    history = [
        {
            "month": month_label(lk.month),
            "division": lk.division.name,
            "who": lk.locked_by_label,
            "when": f.when(lk.locked_at),
            "note": lk.note,
            "unlocked": f.when(lk.unlocked_at),
            "unlocked_by": (lk.unlocked_by.get_full_name() or lk.unlocked_by.get_username()) if lk.unlocked_by else "",
            "reason": lk.unlock_reason,
        }
        for lk in locks
        if lk.unlocked_at is not None
    ]
    amendments = [
        {
            "month": month_label(periods.to_beijing(r.observed_at).date()),
            "intake": r.meter.intake.code,
            "meter": r.meter.serial,
            "at": f.when(r.observed_at),
            "received": f.when(r.received_at),
            "value": f.number(r.cumulative_m3, 2),
            "corrected": f.yes_no(r.corrected),
        }
        for r in latest
    ]
    context = {
        **picked.context(),
        "cells": cells,
        "history": history,
        "amendments": amendments,
        "form": form,
        "may_lock": may_lock and bool(open_months),
        "may_unlock": may_unlock and any(c["lock_id"] for c in cells),
        "unlock_choices": [(c["lock_id"], c["label"]) for c in cells if c["lock_id"]],
        "default_month": (form.get("values") or {}).get("month")
        if form.get("action") == "lock"
        else (open_months[0].strftime("%Y-%m") if open_months else ""),
        "lock_url": reverse("console:lock_create"),
        "unlock_url": reverse("console:lock_unlock"),
        "after_lock_url": f"{readings}?{urlencode({'after_lock': 'true'})}",
        "back": year_url("console:lock_grid", year, division),
    }
    title = _("Month locks %(year)s · %(division)s") % {"year": year, "division": division.name}
    return page(
        request,
        "console/plans/locks.html",
        context,
        title=title,
        crumbs=[(_("Water resources"), ""), (_("Month locks"), reverse("console:lock_list"))],
        status=status,
    )


@console_page("console:lock_list")
def lock_grid(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _month(request: HttpRequest) -> dt.date:
    raw = request.POST.get("month", "").strip()
    match = MONTH.match(raw)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise actions.FormError("month", _("A month as YYYY-MM, such as 2024-03."))
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def _year_of(request: HttpRequest) -> int:
    match = MONTH.match(request.POST.get("month", "").strip())
    raw = request.POST.get("year", "")
    if match and 2000 <= int(match.group(1)) <= 2100:
        return int(match.group(1))
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else actions.today().year


@require_POST
@console_page("console:lock_list")
def lock_create(request: HttpRequest) -> HttpResponse:
    division = posted_division(request, scope(request))
    year = _year_of(request)

    def call() -> Any:
        return plan_services.ledger_lock(
            actor=request.user,
            scope=scope(request),
            division=division,
            month=_month(request),
            note=request.POST.get("note", "").strip(),
        )

    return actions.run_action(
        request,
        "lock",
        call,
        done=_("The month is locked: its figures are frozen."),
        back=year_url("console:lock_grid", year, division),
        render=lambda form, status: _page(request, form, status, year, division),
    )


@require_POST
@console_page("console:lock_list")
def lock_unlock(request: HttpRequest) -> HttpResponse:
    division = posted_division(request, scope(request))
    raw = request.POST.get("lock", "")
    if not raw.isdigit() or len(raw) > 18:
        raise Http404
    try:
        lock = plan_selectors.lock_get(scope=scope(request), lock_id=int(raw))
    except NotFound:
        raise Http404 from None
    if lock.division_id != division.pk:
        raise Http404

    def call() -> LedgerLock:
        return plan_services.ledger_unlock(
            lock=lock, actor=request.user, scope=scope(request), reason=request.POST.get("reason", "").strip()
        )

    return actions.run_action(
        request,
        "unlock",
        call,
        done=_("The month is unlocked: it reports its current figures."),
        back=year_url("console:lock_grid", lock.month.year, division),
        render=lambda form, status: _page(request, form, status, lock.month.year, division),
    )
