"""A report snapshot's page: the figures as the PDF has them (stored in the snapshot: the page never
rebuilds), drill-down links to the console ledgers filtered to the period and division, the PDF and
Excel files (the bytes the build stored, with the API's headers), the sign-off (reviewer/admin, a
built snapshot: `reports.services.snapshot_sign_off`, which re-checks and answers 409 when stale), the
versions of the same report and the difference between two of them (`reports.services.figures_diff`)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from console import formats as f
from console.views.actions import FormError, is_staff, run_action
from console.views.base import console_page, page, scope
from console.views.home import dashboard_figures, ledger_link
from console.views.reports.common import (
    BUILT,
    division_names,
    get_snapshot,
    period_text,
    progress_context,
    state_label,
    urls,
)
from console.views.reports.figures import figure_label, figure_value, reason_text, section_tables
from reports import selectors, services
from reports.api.views import file_response
from reports.choices import ReportFormat, SnapshotStatus
from reports.models import ReportSnapshot


def _crumbs() -> list[tuple[str, str]]:
    return [(_("Reports"), reverse("console:report_list"))]


def _versions(request: HttpRequest, snap: ReportSnapshot) -> list[ReportSnapshot]:
    return list(
        selectors.snapshot_list(scope=scope(request))
        .filter(period_start=snap.period_start, period_end=snap.period_end, division_code=snap.division_code)
        .order_by("-version")
    )


def _title(snap: ReportSnapshot, division: str) -> str:
    return _("Report %(period)s, %(division)s, version %(version)s") % {
        "period": period_text(snap),
        "division": division,
        "version": snap.version,
    }


def may_sign_off(request: HttpRequest, snap: ReportSnapshot) -> bool:
    """The service's own rule: a reviewer or an administrator, a built snapshot not signed off yet."""
    return is_staff(request) and snap.status == SnapshotStatus.READY


def _report_page(
    request: HttpRequest, snap: ReportSnapshot, form: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    division = division_names(request, {snap.division_code}).get(snap.division_code, snap.division_code)
    versions = _versions(request, snap)
    report = snap.figures if snap.status in BUILT and snap.figures else None
    groups = dashboard_figures(report) if report else []
    figures = [
        {"label": _("Period"), "value": f"{period_text(snap)}（{snap.period_start} – {snap.period_end}）"},
        {"label": _("Division"), "value": f"{division}（{snap.division_code}）"},
        {"label": _("Version"), "value": str(snap.version)},
        {"label": _("State"), "value": state_label(snap)},
        {"label": _("Requested"), "value": f"{snap.requested_label} · {f.when(snap.requested_at)}"},
        {"label": _("Built (Beijing)"), "value": f.when(snap.built_at)},
        {
            "label": pgettext("report", "Signed off"),
            "value": f"{snap.signed_off_by} · {f.when(snap.signed_off_at)}" if snap.signed_off_by_id else "—",
        },
    ]
    built_versions = [v for v in versions if v.status in BUILT]
    context = {
        **progress_context(snap),
        "figures": figures,
        "groups": groups,
        "tables": section_tables(report) if report else [],
        "division": division,
        "may_sign_off": may_sign_off(request, snap),
        "form": form or {},
        "may_build": is_staff(request),
        "reason": snap.reason,
        "versions": [
            {
                "id": v.pk,
                "version": v.version,
                "state": state_label(v),
                "current": v.pk == snap.pk,
                "url": reverse("console:report_detail", args=[v.pk]),
                "built": f.when(v.built_at),
                "requested": f"{v.requested_label} · {f.when(v.requested_at)}",
                "reason": v.reason or "—",
                "signed": f"{v.signed_off_by} · {f.when(v.signed_off_at)}" if v.signed_off_by_id else "—",
            }
            for v in versions
        ],
        "compare": [(v.pk, _("version %(n)s") % {"n": v.version}) for v in built_versions],
        "compare_against": next((v.pk for v in built_versions if v.version < snap.version), ""),
        "rebuild": {
            "start": snap.period_start.isoformat(),
            "end": snap.period_end.isoformat(),
            "division": snap.division_code,
        },
        "changed": len(snap.diff or []),
    }
    return page(
        request, "console/reports/report.html", context, title=_title(snap, division), crumbs=_crumbs(), status=status
    )


@require_GET
@console_page("console:report_list")
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _report_page(request, get_snapshot(request, pk))


@require_GET
@console_page("console:report_list")
def report_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The file the build stored, with the API's content type and file name (reports.api.views)."""
    if fmt not in (ReportFormat.PDF, ReportFormat.XLSX):
        raise Http404
    snap = get_snapshot(request, pk, files=True)
    content = snap.pdf if fmt == ReportFormat.PDF else snap.xlsx
    if snap.status not in BUILT or content is None:
        raise Http404(_("The report's files exist once it is built."))
    name = f"report-{snap.period_label.replace('/', '_')}-{snap.division_code}-v{snap.version}"
    return file_response(bytes(content), fmt, name)


@require_POST
@console_page("console:report_list")
def report_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    snap = get_snapshot(request, pk)

    def call() -> Any:
        seen = request.POST.get("version", "")
        if seen and seen != str(snap.version):
            raise FormError("version", _("The page showed another version; reload it."))
        return services.snapshot_sign_off(actor=request.user, snap=snap)

    back = reverse("console:report_detail", args=[snap.pk])

    def again(form: dict[str, Any], status: int) -> HttpResponse:
        return _report_page(request, get_snapshot(request, pk), form, status)

    return run_action(request, "sign_off", call, done=_("The report is signed off."), back=back, render=again)


@require_GET
@console_page("console:report_list")
def report_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """What changed between two built versions of the same report: figure, before, after (and the reason
    the ledgers give, with the drill-down), by `figures_diff` — the code that wrote the stored diff."""
    snap = get_snapshot(request, pk)
    versions = [v for v in _versions(request, snap) if v.status in BUILT]
    raw = request.GET.get("against", "")
    against = next((v for v in versions if str(v.pk) == raw), None)
    if against is None and raw:
        raise Http404
    if against is None:
        against = next((v for v in versions if v.version < snap.version), None)
    division = division_names(request, {snap.division_code}).get(snap.division_code, snap.division_code)
    rows: list[dict[str, str]] = []
    if against is not None and snap.status in BUILT:
        before = selectors.snapshot_get(scope=scope(request), snapshot_id=against.pk).figures or {}
        for d in services.figures_diff(before, snap.figures or {}):
            path = d["path"]
            rows.append(
                {
                    "path": path,
                    "label": figure_label(path),
                    "before": figure_value(path, d["before"]),
                    "after": figure_value(path, d["after"]),
                    "reason": reason_text(d["reason"]),
                    "link": ledger_link(d["link"]),
                }
            )
    context = {
        "snap": snap,
        "against": against,
        "rows": rows,
        "urls": urls(snap),
        "division": division,
        "choices": [(v.pk, _("version %(n)s") % {"n": v.version}) for v in versions if v.pk != snap.pk],
    }
    title = _("Changes in version %(n)s") % {"n": snap.version}
    crumbs = [*_crumbs(), (_title(snap, division), reverse("console:report_detail", args=[snap.pk]))]
    return page(request, "console/reports/diff.html", context, title=title, crumbs=crumbs)
