"""The plan page (用水计划): one year's plan of a division with its versions and amendments (who, when,
why, what changed), use against plan per intake and month with the over-plan tiers and the forecast
to the year's end (the API's selectors: plan_summary, period_plan_use), and the amend form (values
and a reason → plan_services.plan_amend) for the staff who may write the plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console import formats as f
from console.views import actions
from console.views.base import console_page, page, scope
from console.views.plans.common import short_month, tier_word, with_general, writable
from core import periods
from core.divisions import division_prefix
from core.exceptions import Conflict, Forbidden, NotFound
from water import plan_selectors, plan_services
from water import selectors as water_selectors
from water.choices import WaterUse
from water.models import WaterPlan

LINES = 3  # lines an amendment form offers at once (an amendment changes one or a few lines)
ZERO = Decimal(0)


def _plan(request: HttpRequest, pk: int) -> WaterPlan:
    try:
        return plan_selectors.plan_get(scope=scope(request), plan_id=pk)
    except NotFound:
        raise Http404 from None


def _cell(use: Decimal, plan: Decimal | None) -> dict[str, str]:
    tier = plan_selectors.over_tier(use, plan)
    return {
        "use": f.number(use),
        "plan": f.number(plan),
        "tier": tier_word(tier),
        "cls": "" if tier == plan_selectors.WITHIN else "over",
    }


def _use_against_plan(request: HttpRequest, plan: WaterPlan, lines: list[Any]) -> dict[str, Any]:
    """Per intake of the plan and in total: each month's use against the month's plan with its tier,
    and the year's use, plan, ratio, tier and forecast (plan_summary: the figures of GET plans/usage/).
    An intake is in one plan a year, so its month's plan is this plan's line."""
    sc = scope(request)
    code = plan.division.code
    with plan_selectors.shared_month_sums():  # the year's daily rows read once for both
        year = plan_selectors.plan_summary(scope=sc, period=periods.year(plan.year), division_code=code)
        by_month = plan_selectors.month_use_by_intake(scope=sc, period=periods.year(plan.year), division_code=code)
    planned: dict[tuple[int, int], Decimal] = {}
    for a in lines:
        planned[(a.intake_id, a.month)] = planned.get((a.intake_id, a.month), ZERO) + a.volume_m3
    wanted = {a.intake_id for a in lines}
    rows = []
    tot_months = [[ZERO, ZERO] for _m in range(12)]
    tot = {"use": ZERO, "plan": ZERO, "forecast": ZERO}
    for r in year.intakes:
        if r.intake_id not in wanted:
            continue
        cells = []
        for m in range(1, 13):
            use = by_month.get((r.intake_id, dt.date(plan.year, m, 1)), (ZERO, ZERO))[0]
            mplan = planned.get((r.intake_id, m), ZERO)
            cells.append(_cell(use, mplan))
            tot_months[m - 1][0] += use
            tot_months[m - 1][1] += mplan
        tot["use"] += r.use_m3
        tot["plan"] += r.plan_m3 or ZERO
        tot["forecast"] += r.forecast_m3 or ZERO
        rows.append(
            {
                "code": r.code,
                "name": r.name,
                "months": cells,
                "use": f.number(r.use_m3),
                "plan": f.number(r.plan_m3),
                "ratio": f.percent(r.ratio),
                "tier": tier_word(r.tier),
                "over": r.tier != plan_selectors.WITHIN,
                "forecast": f.number(r.forecast_m3),
                "amend": f.number(r.amendments_after_lock_m3) if r.amendments_after_lock_m3 else "",
                "url": reverse("console:intake_detail", args=[r.intake_id]),
            }
        )
    total_tier = plan_selectors.over_tier(tot["use"], tot["plan"] if rows else None)
    total = {
        "months": [_cell(u, p) for u, p in tot_months],
        "use": f.number(tot["use"]),
        "plan": f.number(tot["plan"]),
        "ratio": f.percent(tot["use"] / tot["plan"] if tot["plan"] else None),
        "tier": tier_word(total_tier),
        "over": total_tier != plan_selectors.WITHIN,
        "forecast": f.number(tot["forecast"]),
    }
    return {"rows": rows, "total": total, "as_of": f.day(year.as_of)}


def _versions(request: HttpRequest, plan: WaterPlan) -> list[dict[str, Any]]:
    out = []
    for v in reversed(plan_selectors.plan_history(scope=scope(request), plan=plan)):
        changes = [
            _("%(code)s, month %(month)s: %(before)s → %(after)s m³")
            % {
                "code": c["code"],
                "month": c["month"],
                "before": f.number(c["before_m3"]),
                "after": f.number(c["after_m3"]),
            }
            for c in v["changes"]
        ]
        out.append(
            {
                "number": v["number"],
                "who": v["created_by"] or "—",
                "when": f.when(v["created_at"]),
                "reason": _("Issued") if v["number"] == 1 else v["reason"],
                "total": f.number(v["total_m3"]),
                "current": v["current"],
                "changes": changes,
            }
        )
    return out


def _line_rows(form: dict[str, Any]) -> list[dict[str, Any]]:
    """The amend form's lines: the POST names are the service's own field names (allocations[i].x), so
    its errors land beside the right input; the user's input is kept."""
    values = form.get("values") or {}
    errors = form.get("errors") or {}
    rows = []
    for i in range(LINES):
        names = {k: f"allocations[{i}].{k}" for k in ("intake", "month", "volume_m3", "use")}
        rows.append(
            {
                "names": names,
                "values": {k: values.get(n, "") for k, n in names.items()},
                "errors": {k: errors.get(n, []) for k, n in names.items()},
            }
        )
    return rows


def _plan_page(
    request: HttpRequest, plan: WaterPlan, form: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    sc = scope(request)
    lines = list(plan_selectors.plan_allocations(scope=sc, plan=plan))
    usage = _use_against_plan(request, plan, lines)
    may_amend = writable(request, sc, plan.division.code)
    names = {f"allocations[{i}].{k}" for i in range(LINES) for k in ("intake", "month", "volume_m3", "use")}
    form = with_general(form or {}, names | {"reason"}, status)
    intakes = []
    if may_amend:
        prefix = division_prefix(plan.division.code)
        rows = water_selectors.intake_list(scope=sc).select_related(None).prefetch_related(None)
        intakes = list(
            rows.filter(division__code__startswith=prefix).order_by("code").values_list("pk", "code", "name")
        )
    figures = actions.figures(
        (_("Year"), plan.year),
        (_("Division"), f"{plan.division.code} {plan.division.name}"),
        (_("Current version"), plan.version),
        (_("Plan of the year (m³)"), usage["total"]["plan"]),
        (_("Use so far (m³, locked months as locked)"), usage["total"]["use"]),
        (_("Use ÷ plan"), usage["total"]["ratio"]),
        (_("Over-plan tier"), usage["total"]["tier"]),
        (_("Forecast to the year's end (m³)"), usage["total"]["forecast"]),
    )
    context = {
        "plan": plan,
        "figures": figures,
        "usage": usage,
        "versions": _versions(request, plan),
        "months": [short_month(m) for m in range(1, 13)],
        "may_amend": may_amend,
        "form": form,
        "line_rows": _line_rows(form),
        "intakes": intakes,
        "use_choices": WaterUse.choices,
        "amend_url": reverse("console:plan_amend", args=[plan.pk]),
        # The version the page shows: after a 409 the user sees the new figures and may submit again.
        "version": plan.version,
    }
    title = plan.title if str(plan.year) in plan.title else f"{plan.year} {plan.title}"
    return page(
        request,
        "console/plans/plan.html",
        context,
        title=title,
        crumbs=[(_("Water resources"), ""), (_("Water plans"), reverse("console:plan_list"))],
        status=status,
    )


@console_page("console:plan_list")
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, _plan(request, pk))


def _amend_lines(request: HttpRequest, plan: WaterPlan) -> list[plan_services.AllocationLine]:
    sc = scope(request)
    post = request.POST
    prefix = division_prefix(plan.division.code)
    chosen = {}
    for i in range(LINES):
        raw = {k: post.get(f"allocations[{i}].{k}", "").strip() for k in ("intake", "month", "volume_m3")}
        if not any(raw.values()):
            continue
        chosen[i] = raw
    ids = {int(r["intake"]) for r in chosen.values() if r["intake"].isdigit() and len(r["intake"]) < 18}
    intakes = {
        i.pk: i
        for i in water_selectors.intake_list(scope=sc)
        .select_related(None)
        .prefetch_related(None)
        .select_related("division")
        .filter(pk__in=ids, division__code__startswith=prefix)
    }
    out = []
    for i, raw in chosen.items():
        name = f"allocations[{i}]"
        intake = intakes.get(int(raw["intake"])) if raw["intake"].isdigit() and len(raw["intake"]) < 18 else None
        if intake is None:
            raise actions.FormError(f"{name}.intake", _("Choose an intake of this plan's division."))
        if not raw["month"].isdigit() or not 1 <= int(raw["month"]) <= 12:
            raise actions.FormError(f"{name}.month", _("A month from 1 to 12."))
        volume = actions.form_decimal(request, f"{name}.volume_m3")
        use = post.get(f"{name}.use", "").strip()
        out.append(plan_services.AllocationLine(intake, int(raw["month"]), volume or ZERO, use))
    return out


@require_POST
@console_page("console:plan_list")
def plan_amend(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)

    def call() -> Any:
        if not writable(request, scope(request), plan.division.code):  # the service's rule, before reading lines
            raise Forbidden(_("You may not change the plans, targets or locks of this division."))
        allocations = _amend_lines(request, plan)
        with transaction.atomic():
            current = WaterPlan.objects.select_for_update().get(pk=plan.pk)
            seen = request.POST.get("version", "")
            if seen != str(current.version):
                raise Conflict(
                    _(
                        "The plan was amended meanwhile (it is now at version %(version)s); nothing was written. "
                        "Look at the new figures and amend again."
                    )
                    % {"version": current.version},
                    code="stale",
                )
            return plan_services.plan_amend(
                plan=current,
                actor=request.user,
                scope=scope(request),
                reason=request.POST.get("reason", ""),
                allocations=allocations,
            )

    back = reverse("console:plan_detail", args=[plan.pk]) + "#versions"
    return actions.run_action(
        request,
        "amend",
        call,
        done=_("The plan is amended: a new version is in force."),
        back=back,
        render=lambda form, status: _plan_page(request, _plan(request, pk), form, status),
    )
