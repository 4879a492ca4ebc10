"""The report list (报告台账), the build form (生成报告) and the build's progress.

The list reads `reports.selectors.snapshot_list` with the caller's scope (the API's own read); the form
posts to `reports.services.snapshot_request` (the API's POST), which queues the Celery build on commit;
the progress box is polled by htmx (vendored; no inline script under the CSP) from a small status URL
that is scoped like every read."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from console import formats as f
from console.nav import may_use
from console.views.actions import FormError, field_errors, form_date, form_text
from console.views.base import console_page, page, scope
from console.views.reports.common import division_names, get_snapshot, period_text, progress_context, state_label
from core import periods
from core.divisions import is_division_code
from core.exceptions import Forbidden, NotFound, ServiceError
from core.periods import Period
from places import selectors as places_selectors
from reports import selectors, services
from reports.choices import SnapshotStatus
from reports.periods import canonical

PAGE_SIZE = 50
MAX_DAYS = 366 * 5  # a longer run of days is no report anyone asked for (and would build for minutes)


def _crumbs() -> list[tuple[str, str]]:
    return [(_("Reports"), reverse("console:report_list"))]


# ------------------------------------------------------------------------------------------ list


@console_page("console:report_list")
def report_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.snapshot_list(scope=scope(request))
    status = request.GET.get("status", "")
    if status in SnapshotStatus.values:
        qs = qs.filter(status=status)
    division = request.GET.get("division", "").strip()
    if division:
        qs = qs.filter(division_code=division)
    paged = Paginator(qs.order_by("-period_start", "-period_end", "division_code", "-version"), PAGE_SIZE)
    pg = paged.get_page(request.GET.get("page"))
    snaps = list(pg.object_list)
    names = division_names(request, {s.division_code for s in snaps})
    rows = [
        {
            "url": reverse("console:report_detail", args=[s.pk]),
            "period": period_text(s),
            "label": s.period_label,
            "division": names.get(s.division_code, s.division_code),
            "code": s.division_code,
            "version": s.version,
            "status": s.status,
            "state": state_label(s),
            "progress": s.progress,
            "requested": f"{s.requested_label} · {f.when(s.requested_at)}",
            "built": f.when(s.built_at),
            "signed": f"{s.signed_off_by} · {f.when(s.signed_off_at)}" if s.signed_off_by_id else "—",
        }
        for s in snaps
    ]
    context = {
        "rows": rows,
        "page": pg,
        "status": status,
        "division": division,
        "statuses": [(v, SnapshotStatus(v).label) for v in SnapshotStatus.values],
        "may_build": may_use(request.user, "console:report_new"),
    }
    return page(request, "console/reports/list.html", context, title=_("Reports"))


# ------------------------------------------------------------------------------------------ build


def division_choices(request: HttpRequest) -> list[tuple[str, str]]:
    """The divisions a report may be built for: the caller's jurisdiction and the districts and counties
    in it (6-digit codes); townships and villages are left to the API."""
    sc = scope(request)
    own = getattr(request.user, "jurisdiction", "") or ""
    rows = places_selectors.division_list(scope=sc).order_by("code").values_list("code", "name")
    return [(code, f"{name}（{code}）") for code, name in rows if len(code) == 6 or code == own]


def _division(request: HttpRequest) -> str:
    code = form_text(request, "division")
    if not is_division_code(code):
        raise FormError("division", _("A 6-, 9- or 12-digit GB/T 2260 code."))
    if not places_selectors.division_list(scope=scope(request)).filter(code=code).exists():
        # Outside the jurisdiction is a message beside the field here (the page offered only divisions
        # inside it; the API answers 404), and nothing is written.
        raise FormError("division", _("Not a division in your jurisdiction."))
    return code


def _period(request: HttpRequest) -> Period:
    kind = request.POST.get("kind", "quarter")
    if kind == "quarter":
        text = form_text(request, "quarter")
        m = re.fullmatch(r"(\d{4})-?Q([1-4])", text.upper())
        if m is None or not 2000 <= int(m[1]) <= 2100:
            raise FormError("quarter", _("A quarter such as 2024-Q2."))
        return periods.quarter(int(m[1]), int(m[2]))
    if kind != "range":
        raise FormError("kind", _("Choose one."))
    start, end = form_date(request, "start"), form_date(request, "end")
    if start is None or end is None:  # required: form_date has raised already
        raise FormError("start", _("This field is required."))
    if end < start:
        raise FormError("end", _("The end is before the start."))
    if (end - start).days > MAX_DAYS:
        raise FormError("end", _("At most five years."))
    return canonical(start, end)


def _default_quarter() -> str:
    """The quarter just closed (the one an office reports on)."""
    p = periods.previous_quarter(dt.datetime.now(tz=periods.BEIJING))
    return f"{p.first_date.year}-Q{(p.first_date.month - 1) // 3 + 1}"


def _new_page(request: HttpRequest, form: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    values = (form or {}).get("values") or {}
    own = getattr(request.user, "jurisdiction", "") or ""
    context = {
        "form": form or {"action": "build", "errors": {}, "values": {}},
        "kind": values.get("kind", "quarter"),
        "quarter": values.get("quarter", _default_quarter()),
        "start": values.get("start", ""),
        "end": values.get("end", ""),
        "division": values.get("division", own),
        "reason": values.get("reason", ""),
        "divisions": division_choices(request),
    }
    return page(
        request, "console/reports/new.html", context, title=_("Build a report"), crumbs=_crumbs(), status=status
    )


@console_page("console:report_new")
def report_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _new_page(request)
    try:
        period, code = _period(request), _division(request)
        snap, created = services.snapshot_request(
            actor=request.user,
            scope=scope(request),
            period=period,
            division_code=code,
            reason=request.POST.get("reason", "").strip(),
        )
    except Forbidden as exc:
        raise PermissionDenied from exc
    except NotFound as exc:
        raise Http404 from exc
    except (ServiceError, FormError) as exc:
        form = {"action": "build", "errors": field_errors(exc), "values": request.POST}
        return _new_page(request, form, int(getattr(exc, "status_code", 400)))
    if created:
        messages.success(request, _("The report is being built."))
    else:
        messages.info(request, _("This report was already being built: here is its progress."))
    return HttpResponseRedirect(reverse("console:report_progress", args=[snap.pk]))


# ------------------------------------------------------------------------------------------ progress


@require_GET
@console_page("console:report_list")
def report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    snap = get_snapshot(request, pk)
    context = progress_context(snap)
    title = _("Building the report %(period)s") % {"period": period_text(snap)}
    names = division_names(request, {snap.division_code})
    context["division"] = names.get(snap.division_code, snap.division_code)
    return page(request, "console/reports/progress.html", context, title=title, crumbs=_crumbs())


@require_GET
@console_page("console:report_list")
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress box alone, for htmx's poll (a plain visit gets the whole progress page)."""
    if not request.headers.get("HX-Request"):
        return HttpResponseRedirect(reverse("console:report_progress", args=[pk]))
    snap = (
        selectors.snapshot_list(scope=scope(request))
        .select_related(None)
        .filter(pk=pk)
        .only("id", "status", "progress", "built_at", "division_code", "period_start", "period_end")
        .first()
    )
    if snap is None:
        snap = get_snapshot(request, pk)  # the 404
    response = render(request, "console/reports/_progress.html", progress_context(snap))
    response["Cache-Control"] = "no-store"
    return response
