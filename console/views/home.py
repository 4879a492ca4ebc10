"""`/`: each role's home. Reviewers and admins get the dashboard (the period's figures from the report
builders, the one code path of the report JSON); operators their intakes; chiefs their reaches,
patrols and cases."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Max
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.choices import Role
from accounts.permissions import user_role
from accounts.scope import Scope
from console import dashboard as console_dashboard
from console import formats as f
from console import periods as console_periods
from console.views.base import console_page, page, scope, to_json
from core import periods
from core.exceptions import InvalidInput
from core.periods import Period
from patrols import selectors as patrol_selectors
from patrols.choices import CaseStatus, ReviewStatus
from places import selectors as places_selectors
from places.choices import ChiefLevel
from water import plan_selectors
from water import selectors as water_selectors

# A report's drill-down link (an API list) → the console ledger showing the same rows with the same
# query string. Links without a ledger here stay on the API (JSON), which the session can read.
API_TO_LEDGER = (
    ("/api/v1/patrols/cases/", "console:case_list"),
    ("/api/v1/patrols/litter/", "console:litter_list"),
    ("/api/v1/patrols/", "console:patrol_list"),
    ("/api/v1/water/intakes/", "console:intake_list"),
    ("/api/v1/water/readings/", "console:reading_list"),
    ("/api/v1/water/plans/", "console:plan_list"),
    ("/api/v1/water/redlines/", "console:redline_list"),
    ("/api/v1/quality/sections/", "console:section_list"),
    ("/api/v1/oversight/tasks/", "console:oversight_task_list"),
    ("/api/v1/oversight/petitions/", "console:oversight_petition_list"),
)


def ledger_link(api_link: str | None) -> str:
    if not api_link:
        return ""
    parts = urlsplit(api_link)
    for prefix, name in API_TO_LEDGER:
        if parts.path == prefix:
            return reverse(name) + (f"?{parts.query}" if parts.query else "")
    return api_link


@console_page("console:home")
def home(request: HttpRequest) -> HttpResponse:
    role = user_role(request.user)
    if role in (Role.ADMIN, Role.REVIEWER):
        return dashboard(request)
    if role == Role.OPERATOR:
        return operator_home(request)
    if role == Role.UNIT:  # a member unit's home is its inbox (督察整改待办)
        return HttpResponseRedirect(reverse("console:oversight_inbox"))
    return chief_home(request)


# ------------------------------------------------------------------------------------------ dashboard


def _data_year(sc: Scope) -> int:
    """The latest year with patrols or water use in scope (a newcomer on old data sees data)."""
    return console_dashboard.data_year(sc)


def _period(request: HttpRequest, sc: Scope) -> tuple[Period, list[str]]:
    try:
        chosen = console_periods.parse(request.GET)
    except InvalidInput as exc:
        errors = [f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.fields.items()]
        chosen = None
    else:
        errors = []
    if chosen is not None:
        request.session[console_periods.SESSION_KEY] = chosen.label
        return chosen, errors
    stored = request.session.get(console_periods.SESSION_KEY)
    if stored:
        try:
            return console_periods.from_text(stored), errors
        except InvalidInput:
            request.session.pop(console_periods.SESSION_KEY, None)
    return periods.year(_data_year(sc)), errors


def _tile(label: str, value: str, link: str | tuple[str, str] = "", change: str = "", note: str = "") -> dict[str, str]:
    """One figure. `link` is a URL, or (report path, drill-down URL) for a figure of the report JSON: the
    page marks the tile with that path (data-key), so a reader (and the browser test) can tell which
    report figure it shows."""
    key, url = link if isinstance(link, tuple) else ("", link)
    return {"label": label, "value": value, "link": ledger_link(url), "change": change, "note": note, "key": key}


def _change(yoy: dict[str, Any] | None, *, share: bool = False) -> str:
    """同比 as people write it: a ratio's change in percentage points, a quantity's in %."""
    if not yoy:
        return ""
    if share:
        pp = yoy.get("change_pp")
        return "" if pp is None else _("YoY %(sign)s%(pp).1f pp") % {"sign": "+" if pp >= 0 else "", "pp": pp}
    ratio = yoy.get("change_ratio")
    if ratio is None:
        return ""
    return _("YoY %(sign)s%(pct).1f%%") % {"sign": "+" if ratio >= 0 else "", "pct": ratio * 100}


def dashboard_figures(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The tiles, grouped, each the report's own number formatted with its unit and its drill-down."""
    w, r, p, q, links = report["water"], report["reuse"], report["patrols"], report["quality"], report["links"]
    mon = w.get("monitoring") or {}
    wy, py, ry, qy = w.get("yoy", {}), p.get("yoy", {}), r.get("yoy", {}), q.get("yoy", {})
    valid_share = (p["valid"] / p["patrols"]) if p.get("patrols") else None
    compliance = p.get("compliance") or {}

    def ref(key: str) -> tuple[str, str]:
        return key, links.get(key, "")

    groups = [
        {
            "title": _("Water use and monitoring"),
            "tiles": [
                _tile(
                    _("Water use"), f.wan_m3(w.get("use_m3")), links.get("water.use_m3", ""), _change(wy.get("use_m3"))
                ),
                _tile(_("Plan"), f.wan_m3(w.get("plan_m3")), links.get("water.plan_m3", "")),
                _tile(
                    _("Use against plan"),
                    f.percent(w.get("ratio")),
                    links.get("water.plan_m3", ""),
                    _change(wy.get("ratio"), share=True),
                ),
                _tile(_("Forecast to year end"), f.wan_m3(w.get("forecast_m3"))),
                _tile(
                    _("Meters online / offline"),
                    f"{mon.get('online', '—')} / {mon.get('offline', '—')}",
                    reverse("console:meter_list"),
                ),
                _tile(
                    _("Arrival rate"),
                    f.percent(w.get("arrival_rate")),
                    ref("water.arrival_rate"),
                    _change(wy.get("arrival_rate"), share=True),
                ),
            ],
        },
        {
            "title": _("Patrols"),
            "tiles": [
                _tile(_("Patrols"), f.number(p.get("patrols")), ref("patrols.patrols"), _change(py.get("patrols"))),
                _tile(
                    _("Person-times"),
                    f.number(p.get("person_times")),
                    ref("patrols.person_times"),
                    _change(py.get("person_times")),
                ),
                _tile(_("Patrol distance"), f"{f.number(p.get('km'), 1)} km", ref("patrols.km"), _change(py.get("km"))),
                _tile(_("Valid share"), f.percent(valid_share), ref("patrols.valid")),
                _tile(
                    _("Frequency compliance"),
                    f.percent(compliance.get("rate")),
                    ref("patrols.compliance"),
                    _change(py.get("compliance_rate"), share=True),
                ),
                _tile(_("Litter removed"), f.tonnes(p.get("litter_tonnes")), ref("patrols.litter_tonnes")),
            ],
        },
        {
            "title": _("Cases"),
            "tiles": [
                _tile(
                    _("Cases found"),
                    f.number(p.get("cases_found")),
                    ref("patrols.cases_found"),
                    _change(py.get("cases_found")),
                ),
                _tile(_("Closed"), f.number(p.get("cases_closed")), ref("patrols.cases_closed")),
                _tile(
                    _("Cleared on the spot"),
                    f.number(p.get("cases_cleared_on_spot")),
                    ref("patrols.cases_cleared_on_spot"),
                ),
                _tile(_("Overdue"), f.number(p.get("cases_overdue")), ref("patrols.cases_overdue")),
            ],
        },
        {
            "title": _("Reclaimed water and water quality"),
            "tiles": [
                _tile(
                    _("Reclaimed water used"),
                    f.wan_m3(r.get("used_m3")),
                    links.get("reuse.used_m3", ""),
                    _change(ry.get("used_m3")),
                ),
                _tile(
                    _("Reuse rate"),
                    f.percent(r.get("rate")),
                    ref("reuse.rate"),
                    _change(ry.get("rate"), share=True),
                    note=_("target %(t)s") % {"t": f.percent(r.get("target"))} if r.get("target") is not None else "",
                ),
                _tile(
                    _("Good water, rivers"),
                    f.percent((q.get("rivers") or {}).get("good_ratio")),
                    ref("quality.rivers.good_ratio"),
                    _change((qy.get("rivers") or {}).get("good_ratio"), share=True),
                ),
                _tile(
                    _("Good water, lakes"),
                    f.percent((q.get("lakes") or {}).get("good_ratio")),
                    ref("quality.lakes.good_ratio"),
                    _change((qy.get("lakes") or {}).get("good_ratio"), share=True),
                ),
                _tile(
                    _("Drinking-water sources up to standard"),
                    f.percent((q.get("drinking_sources") or {}).get("good_ratio")),
                    ref("quality.drinking_sources.good_ratio"),
                ),
            ],
        },
    ]
    return groups


def _charts(report: dict[str, Any], month_use: list[tuple[str, float]]) -> dict[str, Any]:
    w, p = report["water"], report["patrols"]
    intakes = sorted(w.get("intakes") or [], key=lambda i: -(i.get("use_m3") or 0))[:15]
    months = dict(month_use)
    states = p.get("case_states") or []
    return {
        "intakes": {
            "labels": [i["name"] for i in intakes],
            "use": [round((i.get("use_m3") or 0) / 10_000, 2) for i in intakes],
            "plan": [round(i["plan_m3"] / 10_000, 2) if i.get("plan_m3") is not None else None for i in intakes],
            "names": {"use": _("Use (10k m³)"), "plan": _("Plan (10k m³)")},
        },
        "monthly": {
            "labels": list(months),
            "use": [round(v / 10_000, 2) for v in months.values()],
            "names": {"use": _("Use (10k m³)")},
        },
        "cases": {
            "categories": [str(c["label"]) for c in p.get("cases_by_state") or []],
            "series": [
                {"name": str(s["label"]), "data": [c.get(s["state"], 0) for c in p.get("cases_by_state") or []]}
                for s in states
            ],
        },
    }


def _needs_action(sc: Scope) -> dict[str, list[dict[str, str]]]:
    overdue = (
        patrol_selectors.case_list(scope=sc)
        .filter(overdue_at__isnull=False)
        .exclude(status=CaseStatus.CLOSED)
        .defer("description")
        .order_by("deadline")[:8]
    )
    flagged = patrol_selectors.patrol_list(scope=sc).filter(review_status=ReviewStatus.PENDING).order_by("-started_at")
    alerts = water_selectors.alert_list(scope=sc).filter(resolved_at__isnull=True).select_related("intake")
    return {
        "overdue": [
            {
                "url": reverse("console:case_detail", args=[c.pk]),
                "text": f"{c.get_category_display()} · {c.site.name}",
                "when": _("deadline %(d)s") % {"d": f.day(c.deadline)},
            }
            for c in overdue
        ],
        "flagged": [
            {
                "url": reverse("console:patrol_detail", args=[x.pk]),
                "text": f"{x.chief} · {x.site.name}",
                "when": f.when(x.started_at),
            }
            for x in flagged[:8]
        ],
        "alerts": [
            {
                "url": reverse("console:alert_detail", args=[a.pk]),
                "text": f"{a.get_kind_display()} · " + (a.intake.name if a.intake_id else "—"),
                "when": f.when(a.raised_at),
            }
            for a in alerts.order_by("-raised_at")[:8]
        ],
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    sc = scope(request)
    period, errors = _period(request, sc)
    built = console_dashboard.figures(sc, period)
    report, months, built_at = built.report, built.months, built.built_at
    open_alerts = water_selectors.alert_list(scope=sc).filter(resolved_at__isnull=True).count()
    groups = dashboard_figures(report)
    groups[0]["tiles"].append(
        _tile(_("Open alerts"), f.number(open_alerts), reverse("console:alert_list") + "?state=open")
    )
    context = {
        "groups": groups,
        "period_text": console_periods.spoken(period),
        "choice": console_periods.choice_of(period),
        "errors": errors,
        "charts_json": to_json(_charts(report, months)),
        "actions": _needs_action(sc),
        "built_at": f.when(built_at),
        "kinds": [
            ("month", _("Month")),
            ("quarter", _("Quarter")),
            ("half", _("Half year")),
            ("year", _("Year")),
            ("range", _("Range")),
        ],
        "report_url": reverse("reports:summary") + f"?start={period.first_date}&end={period.last_date}",
    }
    return page(request, "console/dashboard.html", context, title=_("Dashboard"), status=400 if errors else 200)


# ------------------------------------------------------------------------------------------ operators


def _operator_day(sc: Scope) -> dt.date:
    """The day the operator's home is about: today, or the last day with use when that is earlier (the
    demo's data, an intake whose meter has been silent)."""
    from water.models import DailyVolume

    today = periods.to_beijing(timezone.now()).date()
    last = DailyVolume.objects.filter(water_selectors.intake_scope_q(sc, "meter__intake__")).aggregate(d=Max("day"))
    return min(last["d"], today) if last["d"] else today


def _tier_words(tier: str) -> str:
    return _("within plan") if tier == water_selectors.WITHIN else _("over plan by %(tier)s%%") % {"tier": tier}


def operator_home(request: HttpRequest) -> HttpResponse:
    """The operator's intakes with use against plan this month and this year (plan_summary, the code
    path of the API's plans/usage), their latest readings, their open alerts, and manual entry."""
    from console.views.readings.alerts import alert_url
    from console.views.readings.common import ENTRY_ROLES, may, reading_url, review_label

    sc = scope(request)
    day = _operator_day(sc)
    # The year: plan_summary (the API's plans/usage, with the forecast); the month: the same figures over
    # the month alone (period_plan_use, one pass over its daily rows, no year to date or forecast).
    year = plan_selectors.plan_summary(scope=sc, period=periods.year(day.year), today=day)
    month = plan_selectors.period_plan_use(scope=sc, period=periods.month(day.year, day.month))
    rows = []
    for y in year.intakes:
        m = month.get(y.intake_id)
        rows.append(
            {
                "url": reverse("console:intake_detail", args=[y.intake_id]),
                "code": y.code,
                "name": y.name,
                "month_use": f.m3(m.use_m3 if m else None),
                "month_plan": f.m3(m.plan_m3 if m else None),
                "month_ratio": f.percent(m.ratio if m else None),
                "year_use": f.m3(y.use_m3),
                "year_plan": f.m3(y.plan_m3),
                "year_ratio": f.percent(y.ratio),
                "forecast": f.m3(y.forecast_m3),
                "tier": _tier_words(y.tier),
                "over": y.tier != water_selectors.WITHIN,
                "held": f.m3(y.held_m3) if y.held_m3 else "",
            }
        )
    meter_ids = list(
        water_selectors.meter_list(scope=sc).order_by("intake__code", "serial").values_list("pk", flat=True)[:20]
    )
    latest = []
    for mid in meter_ids:  # each meter's newest readings walk its key backwards: no sort of all its readings
        latest += list(water_selectors.reading_list(scope=sc).filter(meter_id=mid).order_by("-observed_at")[:10])
    latest.sort(key=lambda r: r.observed_at, reverse=True)
    readings = [
        {
            "url": reading_url(r.meter_id, r.observed_at),
            "meter": r.meter.serial,
            "observed": f.when(r.observed_at),
            "value": f.number(r.cumulative_m3, 3),
            "source": r.get_source_display(),
            "review": review_label(r.review),
        }
        for r in latest[:10]
    ]
    open_alerts = water_selectors.alert_list(scope=sc).filter(resolved_at__isnull=True)
    alerts = [
        {
            "url": alert_url(a),
            "kind": a.get_kind_display(),
            "intake": a.intake.name,
            "raised": f.when(a.raised_at),
            "acknowledged": f.when(a.acknowledged_at) if a.acknowledged_at else "",
        }
        for a in open_alerts[:10]
    ]
    context = {
        "rows": rows,
        "month_label": console_periods.spoken(periods.month(day.year, day.month)),
        "year_label": console_periods.spoken(periods.year(day.year)),
        "as_of": f.day(day),
        "alerts": alerts,
        "open_alerts": open_alerts.count(),
        "readings": readings,
        "alerts_url": reverse("console:alert_list") + "?state=open",
        "entry_url": reverse("console:reading_new") if may(request, ENTRY_ROLES) else "",
    }
    return page(request, "console/home_operator.html", context, title=_("My intakes"))


# ------------------------------------------------------------------------------------------ chiefs


def chief_home(request: HttpRequest) -> HttpResponse:
    sc = scope(request)
    me = int(request.user.pk or 0)
    today = periods.to_beijing(timezone.now()).date()
    reaches = [
        {
            "code": r.code,
            "name": r.name,
            "length": f.km(r.length_m),
            "patrols_url": reverse("console:patrol_list") + f"?reach={r.pk}",
        }
        for r in places_selectors.reaches_of_chief(chief_id=me, on=today).order_by("code")
    ] + [
        {
            "code": lake.code,
            "name": lake.name,
            "length": "—",
            "patrols_url": reverse("console:patrol_list") + f"?lake={lake.pk}",
        }
        for lake in places_selectors.lakes_of_chief(chief_id=me, on=today).order_by("code")
    ]
    patrols = [
        {
            "url": reverse("console:patrol_detail", args=[x.pk]),
            "reach": x.site.name,
            "started": f.when(x.started_at),
            "km": f.km(x.distance_m),
            "valid": f.yes_no(x.valid),
            "flags": x.flags,
        }
        for x in patrol_selectors.patrol_list(scope=sc).filter(chief_id=me).order_by("-started_at")[:10]
    ]
    cases = [
        {
            "url": reverse("console:case_detail", args=[c.pk]),
            "category": c.get_category_display(),
            "status": c.get_status_display(),
            "reach": c.site.name,
            "deadline": f.day(c.deadline),
            "overdue": c.overdue_at is not None,
        }
        for c in patrol_selectors.case_list(scope=sc)
        .filter(reporter_id=me)
        .exclude(status=CaseStatus.CLOSED)
        .defer("description")
        .order_by("deadline")[:20]
    ]
    context = {
        "reaches": reaches,
        "patrols": patrols,
        "cases": cases,
        "compliance": _chief_compliance(sc, me, today),
        "patrols_url": reverse("console:patrol_list"),
        "cases_url": reverse("console:case_list"),
        "map_url": reverse("console:map"),
    }
    return page(request, "console/home_chief.html", context, title=_("My reaches"))


# A frequency rule in the reader's words (patrols.selectors.RuleTerm; FrequencyPeriod values).
PER_PERIOD = {
    "week": gettext_lazy("at least %(n)s a week"),
    "ten_day": gettext_lazy("at least %(n)s every ten days"),
    "month": gettext_lazy("at least %(n)s a month"),
    "quarter": gettext_lazy("at least %(n)s a quarter"),
    "half": gettext_lazy("at least %(n)s a half year"),
    "year": gettext_lazy("at least %(n)s a year"),
}


def rule_words(terms: list[patrol_selectors.RuleTerm]) -> str:
    """The rules a chief is held to, as the office says them (每月至少1次（3–12月）)."""
    out = []
    for t in terms:
        words = str(PER_PERIOD.get(t.period, "%(n)s / " + t.period)) % {"n": t.required_count}
        if (t.season_start_month, t.season_end_month) != (1, 12):
            words = _("%(rule)s (months %(first)s–%(last)s)") % {
                "rule": words,
                "first": t.season_start_month,
                "last": t.season_end_month,
            }
        out.append(words)
    return pgettext("list separator", "; ").join(out)


def _chief_compliance(sc: Scope, me: int, today: dt.date) -> dict[str, Any]:
    """The chief's patrol frequency (patrols.selectors.compliance, the API's figures) for the month and
    the year of their latest patrol (this month and year when they have patrolled lately)."""
    last = patrol_selectors.patrol_list(scope=sc).filter(chief_id=me).aggregate(d=Max("started_at"))["d"]
    day = min(periods.to_beijing(last).date(), today) if last else today
    spans = (
        (_("Month %(m)s") % {"m": f"{day.year}-{day.month:02d}"}, periods.month(day.year, day.month)),
        (_("Year %(y)s") % {"y": day.year}, periods.year(day.year)),
    )
    rows = []
    for label, period in spans:
        last_day = min(period.last_date, today)
        for row in patrol_selectors.compliance(scope=sc, start=period.first_date, end=last_day, chief_id=me):
            level = ChiefLevel(row.level).label if row.level in ChiefLevel.values else row.level
            rows.append(
                {
                    "span": label,
                    "level": level,
                    "rule": rule_words(row.terms),
                    "required": f.number(row.required),
                    "done": f.number(row.done),
                    "person_times": f.number(row.person_times),
                    "valid": f.number(row.valid),
                    "missing": f.number(row.missing),
                    "state": _("met") if row.compliant else _("short by %(n)s") % {"n": row.missing},
                    "compliant": row.compliant,
                }
            )
    return {"rows": rows, "url": reverse("console:patrol_list") + f"?chief={me}"}
