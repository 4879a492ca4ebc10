"""Recompute patrols under the current rules (issue 15 item 3): the page over
`patrols.services.patrol_recompute_changes`, the service `manage.py patrols_recompute` calls.

A dry run lists the patrols of the period (and division) whose validity, flags or review would change,
before → after, and writes nothing; "apply" runs the same selection and saves and audits each change
with the reason. Synchronous, as the command is: each patrol costs about 5–15 ms (its raw track is
cleaned and checked again), so a run is bounded to MAX_PATROLS patrols (a few seconds); a wider
selection is refused with a message asking for a shorter period or a division, or the command. Apply
is idempotent (a second run finds nothing to change), so a double submit changes nothing twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from console import formats as f
from console.ledgers.base import LedgerError, check_division
from console.ledgers.definitions import GEOMETRY, flag_words
from console.views import actions
from console.views.base import console_page, page, scope
from core.divisions import division_prefix, is_division_code
from core.periods import BEIJING
from patrols import selectors, services
from patrols.choices import PatrolStatus, ReviewStatus, ValidityReason
from patrols.filters import beijing_midnight

PAGE = "console:patrol_recompute"
MAX_PATROLS = 500
MAX_DAYS = 366
SHOWN = ("valid", "flags", "invalid_reasons", "review_status", "distance_m", "coverage", "inside_share")


def _reasons(codes: Any) -> str:
    words = []
    for code in codes or []:
        try:
            words.append(str(ValidityReason(code).label))
        except ValueError:
            words.append(str(code))
    return "、".join(words) or "—"


def _show(name: str, value: Any) -> str:
    if name == "valid":
        return f.yes_no(value)
    if name == "flags":
        return flag_words(value)
    if name == "invalid_reasons":
        return _reasons(value)
    if name == "review_status":
        try:
            return str(ReviewStatus(value).label)
        except ValueError:
            return str(value)
    if name == "distance_m":
        return f.km(value)
    if name in ("coverage", "inside_share"):
        return f.percent(value)
    return str(value)


LABELS = {
    "valid": gettext_lazy("Valid"),
    "flags": gettext_lazy("Flags"),
    "invalid_reasons": gettext_lazy("Invalid because"),
    "review_status": gettext_lazy("Review"),
    "distance_m": gettext_lazy("Distance"),
    "coverage": gettext_lazy("Coverage of the reach"),
    "inside_share": gettext_lazy("Share inside the reach"),
}


def _label(name: str) -> str:
    return str(LABELS[name])


def _params(request: HttpRequest) -> dict[str, Any]:
    """The period and division of the form; FormError naming the field."""
    start = actions.form_date(request, "start")
    end = actions.form_date(request, "end")
    if start is None or end is None:  # form_date(required=True) raised already
        raise actions.FormError("start", _("This field is required."))
    if end < start:
        raise actions.FormError("end", _("Must be on or after the first day."))
    if (end - start).days >= MAX_DAYS:
        raise actions.FormError("end", _("At most %(n)s days at a time.") % {"n": MAX_DAYS})
    division = request.POST.get("division", "").strip()
    if division:
        if not is_division_code(division):
            raise actions.FormError("division", _("A 6-, 9- or 12-digit GB/T 2260 code."))
        try:
            check_division(scope(request), request.POST)
        except LedgerError:
            raise actions.FormError("division", _("Outside your jurisdiction.")) from None
    return {"start": start, "end": end, "division": division, "reason": request.POST.get("reason", "").strip()[:200]}


def _selection(request: HttpRequest, p: dict[str, Any]) -> list[Any]:
    qs = selectors.patrol_list(scope=scope(request)).filter(
        status=PatrolStatus.COMPLETED,
        started_at__gte=beijing_midnight(p["start"]),
        started_at__lt=beijing_midnight(p["end"] + dt.timedelta(days=1)),
    )
    if p["division"]:
        qs = qs.filter(reach__division__code__startswith=division_prefix(p["division"]))
    ids = list(qs.order_by("started_at", "id").values_list("pk", flat=True)[: MAX_PATROLS + 1])
    if len(ids) > MAX_PATROLS:
        raise actions.FormError(
            "form",
            _(
                "More than %(n)s patrols in this period: choose a shorter period or a division (or run "
                "manage.py patrols_recompute)."
            )
            % {"n": MAX_PATROLS},
        )
    return ids


def _run(request: HttpRequest, p: dict[str, Any], *, dry_run: bool) -> tuple[int, list[dict[str, Any]]]:
    ids = _selection(request, p)
    reason = p["reason"] or _("recomputed under the rules of %(day)s (console)") % {
        "day": dt.datetime.now(tz=BEIJING).date().isoformat()
    }
    changed: dict[Any, dict[str, tuple[Any, Any]]] = {}
    for pk in ids:
        diff = services.patrol_recompute_changes(patrol_id=pk, actor=request.user, reason=reason, dry_run=dry_run)
        if diff:
            changed[pk] = diff
    rows = []
    if changed:
        patrols = selectors.patrol_list(scope=scope(request)).defer("track_preview", *GEOMETRY).in_bulk(list(changed))
        for pk, diff in changed.items():
            patrol = patrols.get(pk)
            if patrol is None:
                continue
            rows.append(
                {
                    "url": reverse("console:patrol_review", args=[pk]),
                    "started": f.when(patrol.started_at),
                    "chief": str(patrol.chief),
                    "reach": patrol.site.name,
                    "changes": [
                        {"label": _label(k), "before": _show(k, old), "after": _show(k, new)}
                        for k, (old, new) in diff.items()
                        if k in SHOWN
                    ],
                    "other": "、".join(sorted(k for k in diff if k not in SHOWN)),
                }
            )
    return len(ids), rows


@require_http_methods(["GET", "POST"])
@console_page(PAGE)
def recompute_page(request: HttpRequest) -> HttpResponse:
    form: dict[str, Any] = {"values": request.GET}
    result: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        form = {"action": "recompute", "values": request.POST, "errors": {}}
        try:
            p = _params(request)
            dry_run = request.POST.get("do") != "apply"
            read, rows = _run(request, p, dry_run=dry_run)
        except actions.FormError as exc:
            form["errors"] = exc.fields
            status = 400
        else:
            if not dry_run:
                messages.success(
                    request, _("%(read)s patrols read, %(n)s changed and audited.") % {"read": read, "n": len(rows)}
                )
                query = urlencode(
                    {
                        "start": p["start"].isoformat(),
                        "end": p["end"].isoformat(),
                        "division": p["division"],
                        "reason": p["reason"],
                    }
                )
                return HttpResponseRedirect(f"{reverse(PAGE)}?{query}")
            result = {"read": read, "rows": rows}
    context = {"form": form, "result": result, "max_patrols": MAX_PATROLS, "url": reverse(PAGE)}
    return page(
        request,
        "console/patrols/recompute.html",
        context,
        title=_("Recompute patrols under the current rules"),
        status=status,
    )
