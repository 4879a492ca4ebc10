"""The red-lines page (三条红线): a year's targets of a division and their state — year to date (at the
end of the period counted), target, forecast to the year's end, state in words — from the API's own
redline_summary, and the forms that set or change the targets (plan_services.redline_create /
redline_update) for the staff who may write them."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from console import formats as f
from console.views import actions
from console.views.base import console_page, page, scope
from console.views.plans.common import (
    INDICATOR_NAMES,
    SOURCES,
    STATES,
    last_year_with,
    pick,
    posted_division,
    with_general,
    writable,
    year_url,
)
from core.audit import snapshot
from core.exceptions import Conflict, NotFound
from places.models import Division
from water import plan_selectors, plan_services
from water.models import RedLineTarget

# (field, label, decimals) of the form; the entered actuals carry their source beside them.
NUMBERS = (
    ("total_use_cap_m3", gettext_lazy("Total use cap (m³)")),
    ("per_gdp_target", gettext_lazy("Use per 10⁴ yuan GDP, target (m³)")),
    ("per_iva_target", gettext_lazy("Use per 10⁴ yuan industrial value added, target (m³)")),
    ("irrigation_target", gettext_lazy("Irrigation coefficient, target (0–1)")),
    ("zone_compliance_target", gettext_lazy("Zone compliance rate, target (0–1)")),
)
ENTERED = (
    ("gdp_10k_yuan", gettext_lazy("GDP (10⁴ yuan)"), "gdp_source"),
    ("iva_10k_yuan", gettext_lazy("Industrial value added (10⁴ yuan)"), "iva_source"),
    ("irrigation_coefficient", gettext_lazy("Irrigation coefficient, actual (0–1)"), "irrigation_source"),
    ("zone_compliance", gettext_lazy("Zone compliance rate, actual (0–1)"), "zone_compliance_source"),
)
DECIMALS = [n for n, _l in NUMBERS] + [n for n, _l, _s in ENTERED]
TEXTS = [s for _n, _l, s in ENTERED] + ["notes"]


def seen_token(target: RedLineTarget) -> str:
    """What the form was filled from (the targets' values as stored): a change by someone else since
    makes the form stale. The row's updated_at is not it (it is set on insert only)."""
    data = json.dumps(snapshot(target), sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:24]


def _value(unit: str, value: Decimal | None) -> str:
    if unit == "m3":
        return f.number(value)
    if unit == "ratio":
        return f.percent(value)
    if unit == "1":
        return f.number(value, 3)
    return f.number(value, 2)


def _unit(unit: str) -> str:
    return {"m3": "m³", "m3/10^4 yuan": _("m³ per 10⁴ yuan"), "1": "", "ratio": "%"}.get(unit, unit)


def _form_fields(target: RedLineTarget | None, form: dict[str, Any], act: str) -> list[dict[str, Any]]:
    values = form.get("values") if form.get("action") == act else None
    errors = form.get("errors", {}) if form.get("action") == act else {}

    def val(name: str) -> str:
        if values is not None:
            return str(values.get(name, ""))
        current = getattr(target, name, None) if target is not None else None
        return "" if current is None else str(current)

    out = [
        {"name": n, "label": label, "value": val(n), "errors": errors.get(n, []), "source": None}
        for n, label in NUMBERS
    ]
    for n, label, src in ENTERED:
        out.append(
            {
                "name": n,
                "label": label,
                "value": val(n),
                "errors": errors.get(n, []),
                "source": {"name": src, "value": val(src), "errors": errors.get(src, [])},
            }
        )
    return out


def _page(
    request: HttpRequest,
    form: dict[str, Any] | None = None,
    status: int = 200,
    year: int | None = None,
    division: Division | None = None,
) -> HttpResponse:
    sc = scope(request)
    form = with_general(form or {}, {*DECIMALS, *TEXTS}, status)
    visible = plan_selectors.redline_list(scope=sc)
    seen = list(visible.values_list("year", flat=True).distinct())
    picked = pick(request, sc, year=year, division=division, default_year=lambda: last_year_with(seen), years_seen=seen)
    division, year = picked.division, picked.year
    summary = plan_selectors.redline_summary(scope=sc, year=year, division_code=division.code)
    rows = []
    for i in summary.indicators:
        rows.append(
            {
                "name": str(INDICATOR_NAMES.get(i.key, i.name_en)),
                "unit": _unit(i.unit),
                "target": _value(i.unit, i.target),
                "actual": _value(i.unit, i.actual),
                "forecast": _value(i.unit, i.forecast),
                "state": str(STATES.get(i.state or "", "—")),
                "state_key": i.state or "none",
                "source": str(SOURCES.get(i.source, i.source)),
                "note": i.note,
            }
        )
    target = visible.filter(year=year, division=division).first()
    may_write = writable(request, sc, division.code)
    base = reverse("console:redline_year")
    targets = [
        {
            "division": f"{t.division.code} {t.division.name}",
            "cap": f.number(t.total_use_cap_m3),
            "url": f"{base}?{urlencode({'year': str(t.year), 'division': t.division.code})}",
            "current": t.pk == (target.pk if target else None),
        }
        for t in visible.filter(year=year).order_by("division__code")
    ]
    as_of = summary.as_of
    context = {
        **picked.context(),
        "rows": rows,
        "targets": targets,
        "target": target,
        "form": form,
        "may_write": may_write,
        "year_over": summary.year_over,
        "as_of": f.day(as_of) if as_of and as_of.year == year else "—",
        "fields": _form_fields(target, form, "edit" if target else "create"),
        "create_url": reverse("console:redline_create"),
        "edit_url": reverse("console:redline_edit", args=[target.pk]) if target else "",
        "seen": seen_token(target) if target else "",
        "back": year_url("console:redline_year", year, division),
    }
    title = _("Red lines %(year)s · %(division)s") % {"year": year, "division": division.name}
    return page(
        request,
        "console/plans/redlines.html",
        context,
        title=title,
        crumbs=[(_("Water resources"), ""), (_("Red lines"), reverse("console:redline_list"))],
        status=status,
    )


@console_page("console:redline_list")
def redline_year(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _values(request: HttpRequest) -> dict[str, Any]:
    out: dict[str, Any] = {n: actions.form_decimal(request, n, required=False) for n in DECIMALS}
    out.update({n: actions.form_text(request, n, required=False) for n in TEXTS})
    return out


@require_POST
@console_page("console:redline_list")
def redline_create(request: HttpRequest) -> HttpResponse:
    sc = scope(request)
    division = posted_division(request, sc)
    raw_year = request.POST.get("year", "")
    if not raw_year.isdigit() or not 2000 <= int(raw_year) <= 2100:
        raise Http404
    year = int(raw_year)

    def call() -> Any:
        return plan_services.redline_create(
            actor=request.user, scope=sc, year=year, division=division, **_values(request)
        )

    back = year_url("console:redline_year", year, division)
    return actions.run_action(
        request,
        "create",
        call,
        done=_("The red-line targets are set."),
        back=back,
        render=lambda form, status: _page(request, form, status, year, division),
    )


@require_POST
@console_page("console:redline_list")
def redline_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sc = scope(request)
    try:
        target = plan_selectors.redline_get(scope=sc, target_id=pk)
    except NotFound:
        raise Http404 from None

    def call() -> Any:
        changes = _values(request)
        with transaction.atomic():
            current = RedLineTarget.objects.select_for_update().get(pk=target.pk)
            if request.POST.get("seen", "") != seen_token(current):
                raise Conflict(
                    _(
                        "The targets were changed meanwhile by someone else; nothing was written. "
                        "Look at the new values and change them again."
                    ),
                    code="stale",
                )
            return plan_services.redline_update(
                target=current,
                actor=request.user,
                scope=sc,
                changes=changes,
                reason=request.POST.get("reason", "").strip(),
            )

    back = year_url("console:redline_year", target.year, target.division)
    return actions.run_action(
        request,
        "edit",
        call,
        done=_("The red-line targets are changed."),
        back=back,
        render=lambda form, status: _page(request, form, status, target.year, target.division),
    )
