"""The readings review desk (读数审核): the queue of flagged readings awaiting review and the reading page
with the meter's chart around it, the flag explained, and the reviewer's actions (accept, reject, clear
a decision, correct), each through the service the API's review and correct endpoints call.

A form carries the reading as it was shown (`seen`): when someone else has changed it since, the service
refuses (409, nothing written) and the page says so; the same action sent twice is no change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from console import formats as f
from console.views import actions
from console.views.base import console_page, page, scope, to_json
from console.views.readings.common import (
    CORRECT_ROLES,
    KIND_EXPLANATIONS,
    KIND_LABELS,
    REVIEW_ROLES,
    get_reading,
    may,
    reading_chart,
    reading_url,
    require,
    review_label,
    stamp,
    unstamp,
)
from core import periods
from core.divisions import division_prefix, is_division_code
from core.models import AuditLog
from water import selectors as water_selectors
from water import services as water_services
from water.choices import NOT_REPORTS, ReadingSource, Review
from water.models import DailyVolume, Reading
from water.services import ReadingState

PAGE_SIZE = 50
CHART_DAYS = (1, 3, 7, 14, 30)
DEFAULT_DAYS = 3

# ------------------------------------------------------------------------------------------ the queue


def _latest_day(sc: Any) -> dt.date:
    """Today in Beijing, or the last day with data in scope when that is earlier (demo data, a newcomer)."""
    today = periods.to_beijing(dt.datetime.now(tz=dt.UTC)).date()
    last = (
        DailyVolume.objects.filter(water_selectors.intake_scope_q(sc, "meter__intake__"))
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    return min(last, today) if last else today


def _date_param(params: Any, name: str, errors: list[str]) -> dt.date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(_("%(field)s: a date such as 2024-03-08.") % {"field": name})
        return None


def queue_rows(sc: Any, params: Any) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """The flagged readings awaiting review that the filters pick, newest first, and the filter values."""
    errors: list[str] = []
    last_day = _latest_day(sc)
    start = _date_param(params, "start", errors) or dt.date(last_day.year, 1, 1)
    end = _date_param(params, "end", errors) or last_day
    if end < start:
        errors.append(_("end: before the start."))
    kind = params.get("kind", "")
    if kind and kind not in KIND_LABELS:
        errors.append(_("kind: not a flag."))
    division = params.get("division", "").strip()
    if division and not is_division_code(division):
        errors.append(_("division: not a division code."))
    raw_intake = params.get("intake", "").strip()
    if raw_intake and not raw_intake.isdigit():
        errors.append(_("intake: choose one."))
    serial = params.get("meter", "").strip()
    values = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "kind": kind,
        "division": division,
        "intake": raw_intake,
        "meter": serial,
    }
    if errors:
        return [], values, errors
    meter_id = None
    if serial:
        meter_id = water_selectors.meter_list(scope=sc).filter(serial=serial).values_list("pk", flat=True).first()
        if meter_id is None:
            return [], values, errors
    flagged = water_selectors.flagged_readings(scope=sc, first=start, last=end, meter_id=meter_id)
    meters = {m.pk: m for m in water_selectors.meter_list(scope=sc).filter(pk__in={r["meter_id"] for r in flagged})}
    locked = {
        (mid, at)
        for mid, at in Reading.objects.filter(
            meter_id__in=list(meters), observed_at__in=[r["observed_at"] for r in flagged], after_lock=True
        ).values_list("meter_id", "observed_at")
    }
    rows = []
    for r in flagged:
        m = meters.get(r["meter_id"])
        if m is None or (kind and r["kind"] != kind):
            continue
        if raw_intake and m.intake_id != int(raw_intake):
            continue
        if division and not m.intake.division.code.startswith(division_prefix(division)):
            continue
        rows.append(
            {
                "url": reading_url(m.pk, r["observed_at"]),
                "meter": m.serial,
                "at": r["observed_at"],
                "observed": f.when(r["observed_at"]),
                "intake": f"{m.intake.code} {m.intake.name}",
                "division": m.intake.division.name,
                "kind": str(KIND_LABELS.get(r["kind"], r["kind"])),
                "step": f.number(r["step_m3"], 3),
                "held": f.number(r["held_m3"], 3),
                "previous": f.when(r["previous_at"]),
                "after_lock": (m.pk, r["observed_at"]) in locked,
            }
        )
    rows.sort(key=lambda x: x["at"], reverse=True)
    return rows, values, errors


@console_page("console:reading_review_queue")
def queue(request: HttpRequest) -> HttpResponse:
    sc = scope(request)
    rows, values, errors = queue_rows(sc, request.GET)
    paginator = Paginator(rows, PAGE_SIZE)
    raw_page = request.GET.get("page", "1")
    try:
        current = paginator.page(int(raw_page) if raw_page.isdigit() else 0)
    except EmptyPage:
        errors.append(_("page: no such page."))
        current = paginator.page(1)
    intakes = water_selectors.intake_list(scope=sc).select_related(None).prefetch_related(None)
    params = request.GET.copy()
    params.pop("page", None)
    base = "?" + (params.urlencode() + "&" if params else "")
    context = {
        "rows": current.object_list,
        "count": paginator.count,
        "values": values,
        "errors": errors,
        "kinds": list(KIND_LABELS.items()),
        "intakes": [(i.pk, f"{i.code} {i.name}") for i in intakes.only("pk", "code", "name").order_by("code")],
        "prev_url": f"{base}page={current.number - 1}" if current.has_previous() else "",
        "next_url": f"{base}page={current.number + 1}" if current.has_next() else "",
        "number": current.number,
        "pages": paginator.num_pages,
    }
    return page(
        request, "console/readings/queue.html", context, title=_("Readings review"), status=400 if errors else 200
    )


# ------------------------------------------------------------------------------------------ the reading


def reading_actions(request: HttpRequest, reading: Reading) -> list[str]:
    """What this user may do to the reading now: the API's roles, the service's decisions."""
    out = []
    if may(request, REVIEW_ROLES):
        if reading.review != Review.ACCEPTED:
            out.append("accept")
        if reading.review != Review.REJECTED and reading.source not in NOT_REPORTS:
            out.append("reject")
        if reading.review != Review.NONE:
            out.append("clear")
    if may(request, CORRECT_ROLES):
        out.append("correct")
    return out


def _flag(sc: Any, reading: Reading) -> dict[str, str] | None:
    """The flag that holds the reading, explained (None when it holds nothing now)."""
    day = periods.to_beijing(reading.observed_at).date()
    for r in water_selectors.flagged_readings(scope=sc, first=day, last=day, meter_id=reading.meter_id):
        if r["observed_at"] == reading.observed_at:
            text = KIND_EXPLANATIONS[r["kind"]] % {
                "step": f.number(abs(r["step_m3"]), 3),
                "previous": f.when(r["previous_at"]),
                "held": f.number(r["held_m3"], 3),
            }
            return {
                "kind": str(KIND_LABELS[r["kind"]]),
                "text": text,
                "previous_url": reading_url(reading.meter_id, r["previous_at"]),
            }
    return None


def _history(reading: Reading) -> list[dict[str, str]]:
    """The reading's own audit rows (corrections, decisions) and the batch that brought it, when it was
    entered by hand or sent (the batch row's note is its reason)."""
    rows = [
        _audit_row(a)
        for a in AuditLog.objects.filter(entity="water.reading", entity_id=reading.key).order_by("at", "id")
    ]
    if reading.source in (ReadingSource.MANUAL, ReadingSource.API, ReadingSource.CSV):
        near = (reading.received_at - dt.timedelta(minutes=1), reading.received_at + dt.timedelta(minutes=1))
        for a in AuditLog.objects.filter(entity="water.readingbatch", at__range=near).order_by("at", "id"):
            after = a.after if isinstance(a.after, dict) else {}
            if after.get("source") == reading.source and _covers(after, reading.observed_at):
                rows.insert(
                    0,
                    {
                        "at": f.when(a.at),
                        "who": a.actor_label,
                        "action": a.get_action_display(),
                        "what": _("received (%(source)s)") % {"source": reading.get_source_display()},
                        "item": "",
                        "reason": a.reason,
                    },
                )
    return rows


def _covers(after: dict[str, Any], at: dt.datetime) -> bool:
    try:
        lo = dt.datetime.fromisoformat(str(after["from"]).replace("Z", "+00:00"))
        hi = dt.datetime.fromisoformat(str(after["to"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return False
    return lo - dt.timedelta(milliseconds=1) <= at <= hi + dt.timedelta(milliseconds=1)


def _m3(value: Any) -> str:
    try:
        return f.number(Decimal(str(value)), 3)
    except ArithmeticError:
        return str(value)


def _audit_row(a: AuditLog) -> dict[str, str]:
    """A correction or decision in words: the register's change in m³, the review's in its labels."""
    before = a.before if isinstance(a.before, dict) else {}
    after = a.after if isinstance(a.after, dict) else {}
    what = []
    if before.get("cumulative_m3") != after.get("cumulative_m3"):
        what.append(
            _("register %(old)s → %(new)s m³")
            % {"old": _m3(before.get("cumulative_m3")), "new": _m3(after.get("cumulative_m3"))}
        )
    if before.get("review") != after.get("review"):
        old, new = review_label(before.get("review") or ""), review_label(after.get("review") or "")
        what.append(_("review %(old)s → %(new)s") % {"old": old, "new": new})
    return {
        "at": f.when(a.at),
        "who": a.actor_label,
        "action": a.get_action_display(),
        "what": "；".join(what),
        "item": "",
        "reason": a.reason,
    }


def _chart_days(request: HttpRequest) -> int:
    raw = request.GET.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in CHART_DAYS else DEFAULT_DAYS


def _reading_page(
    request: HttpRequest, reading: Reading, form: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    sc = scope(request)
    meter, intake = reading.meter, reading.meter.intake
    days = _chart_days(request)
    figures = actions.figures(
        (_("Meter"), meter.serial),
        (_("Intake"), f"{intake.code} {intake.name}"),
        (_("Observed (Beijing)"), f.when(reading.observed_at)),
        (_("Register (m³)"), f.number(reading.cumulative_m3, 3)),
        (_("Value first received (m³)"), f.number(reading.original_cumulative_m3, 3) if reading.corrected else "—"),
        (_("Source"), reading.get_source_display()),
        (_("Received (Beijing)"), f.when(reading.received_at)),
        (_("Review"), review_label(reading.review)),
        (_("After month lock"), f.yes_no(reading.after_lock)),
    )
    neighbours = [
        {
            "url": reading_url(r.meter_id, r.observed_at),
            "observed": f.when(r.observed_at),
            "value": f.number(r.cumulative_m3, 3),
            "review": review_label(r.review),
            "source": r.get_source_display(),
            "this": r.observed_at == reading.observed_at,
        }
        for r in _around(sc, reading)
    ]
    key = stamp(reading.observed_at)
    context = {
        "reading": reading,
        "figures": figures,
        "flag": _flag(sc, reading),
        "actions": reading_actions(request, reading),
        "form": form or {},
        "seen": ReadingState.of(reading).token,
        "history": _history(reading),
        "chart_json": to_json(reading_chart(sc, reading, days)),
        "days": days,
        "day_choices": CHART_DAYS,
        "neighbours": neighbours,
        "intake_url": reverse("console:intake_detail", args=[intake.pk]),
        "meter_readings_url": reverse("console:reading_list") + f"?meter={meter.pk}",
        "urls": {a: reverse("console:reading_action", args=[meter.pk, key, a]) for a in DONE},
        "value": f"{reading.cumulative_m3}",
    }
    title = _("Reading of %(meter)s at %(at)s") % {"meter": meter.serial, "at": f.when(reading.observed_at)}
    crumbs = [(_("Water resources"), "")]
    if may(request, REVIEW_ROLES):
        crumbs.append((_("Readings review"), reverse("console:reading_review_queue")))
    else:
        crumbs.append((_("Readings"), reverse("console:reading_list")))
    return page(request, "console/readings/reading.html", context, title=title, crumbs=crumbs, status=status)


def _around(sc: Any, reading: Reading, n: int = 3) -> list[Reading]:
    qs = water_selectors.reading_list(scope=sc).filter(meter_id=reading.meter_id)
    before = list(qs.filter(observed_at__lt=reading.observed_at).order_by("-observed_at")[:n])
    after = list(qs.filter(observed_at__gt=reading.observed_at).order_by("observed_at")[:n])
    return [*reversed(before), reading, *after]


@console_page("console:reading_list")
def reading_detail(request: HttpRequest, meter_id: int, at: str) -> HttpResponse:
    return _reading_page(request, get_reading(scope(request), meter_id, unstamp(at)))


DONE = {
    "accept": gettext_lazy("The reading is accepted: its steps count again, as corrected volume."),
    "reject": gettext_lazy("The reading is rejected: it leaves the series and its neighbours are joined."),
    "clear": gettext_lazy("The decision is cleared: the reading is held for review again."),
    "correct": gettext_lazy("The reading is corrected; the value first received is kept."),
}
DECISIONS = {"accept": Review.ACCEPTED, "reject": Review.REJECTED, "clear": Review.NONE}


@require_POST
@console_page("console:reading_list")
def reading_action(request: HttpRequest, meter_id: int, at: str, action: str) -> HttpResponse:
    if action not in DONE:
        raise Http404
    require(request, CORRECT_ROLES if action == "correct" else REVIEW_ROLES)
    sc = scope(request)
    when = unstamp(at)
    reading = get_reading(sc, meter_id, when)
    seen = ReadingState.from_token(request.POST.get("seen", ""))

    def call() -> Any:
        if seen is None:
            raise actions.FormError("form", _("The form is incomplete; open the reading again."))
        reason = actions.form_text(request, "reason")
        if action == "correct":
            value = actions.form_decimal(request, "cumulative_m3")
            assert value is not None  # noqa: S101 - required=True raised otherwise
            return water_services.reading_correct(
                reading=reading, cumulative_m3=value, reason=reason, actor=request.user, seen=seen
            )
        return water_services.reading_review(
            reading=reading, decision=DECISIONS[action], reason=reason, actor=request.user, seen=seen
        )

    return actions.run_action(
        request,
        action,
        call,
        done=DONE[action],
        back=reading_url(meter_id, when),
        render=lambda form, status: _reading_page(request, get_reading(sc, meter_id, when), form, status),
    )
