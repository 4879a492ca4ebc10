"""What the report pages share: the snapshot looked up in the caller's scope (outside it a 404, as in the
API), division names, the state of a snapshot in words, and the URLs of a snapshot's pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from console import formats as f
from console import periods as console_periods
from console.views.base import scope
from core.exceptions import NotFound
from places import selectors as places_selectors
from reports import selectors
from reports.choices import SnapshotStatus
from reports.models import ReportSnapshot
from reports.periods import canonical

BUILT = (SnapshotStatus.READY, SnapshotStatus.SIGNED_OFF)


def get_snapshot(request: HttpRequest, pk: int, *, files: bool = False) -> ReportSnapshot:
    try:
        return selectors.snapshot_get(scope=scope(request), snapshot_id=pk, files=files)
    except NotFound as exc:
        raise Http404 from exc


def division_names(request: HttpRequest, codes: set[str]) -> dict[str, str]:
    rows = places_selectors.division_list(scope=scope(request)).filter(code__in=codes).values_list("code", "name")
    return dict(rows)


def state_label(snap: ReportSnapshot) -> str:
    """building / built / failed / signed off: "ready" is said as people say it, built (awaiting sign-off)."""
    if snap.status == SnapshotStatus.READY:
        return _("built, awaiting sign-off")
    return str(SnapshotStatus(snap.status).label)


def period_text(snap: ReportSnapshot) -> str:
    return console_periods.spoken(canonical(snap.period_start, snap.period_end))


def urls(snap: ReportSnapshot) -> dict[str, str]:
    return {
        "report": reverse("console:report_detail", args=[snap.pk]),
        "progress": reverse("console:report_progress", args=[snap.pk]),
        "status": reverse("console:report_status", args=[snap.pk]),
        "pdf": reverse("console:report_file", args=[snap.pk, "pdf"]),
        "xlsx": reverse("console:report_file", args=[snap.pk, "xlsx"]),
        "sign_off": reverse("console:report_sign_off", args=[snap.pk]),
        "diff": reverse("console:report_diff", args=[snap.pk]),
    }


def progress_context(snap: ReportSnapshot) -> dict[str, Any]:
    """The progress box of a snapshot: htmx polls its status URL while it builds; once built it links to
    the report (and stops polling: the answer has no hx-trigger)."""
    return {
        "snap": snap,
        "building": snap.status == SnapshotStatus.BUILDING,
        "built": snap.status in BUILT,
        "failed": snap.status == SnapshotStatus.FAILED,
        "progress": snap.progress,
        "state": state_label(snap),
        "urls": urls(snap),
        "built_at": f.when(snap.built_at),
    }
