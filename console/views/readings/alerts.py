"""The alert page (告警): what the alert is about, with links to its intake and meter (and, for a flagged
reading, the reading), its state, who acknowledged it and when, and the acknowledge action for the roles
the API allows (water.services.alert_acknowledge: audited; again changes nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from console import formats as f
from console.views import actions
from console.views.base import console_page, page, scope
from console.views.readings.common import ACKNOWLEDGE_ROLES, KIND_LABELS, may, reading_url, require
from water import selectors as water_selectors
from water import services as water_services
from water.choices import AlertKind, AlertState
from water.models import Alert

DONE = gettext_lazy("The alert is acknowledged.")


def get_alert(request: HttpRequest, pk: int) -> Alert:
    alert = water_selectors.alert_list(scope=scope(request)).filter(pk=pk).first()
    if alert is None:
        raise Http404
    return alert


def alert_url(alert: Alert) -> str:
    return reverse("console:alert_detail", args=[alert.pk])


def _reading_link(alert: Alert) -> str:
    """A flagged-reading alert's key names the reading: "flagged_reading:<meter>@<UTC instant>"."""
    if alert.kind != AlertKind.FLAGGED_READING or alert.meter_id is None:
        return ""
    __, __, instant = alert.key.partition("@")
    try:
        at = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return reading_url(alert.meter_id, at) if at.tzinfo is not None else ""


DETAIL_LABELS = {
    "serial": gettext_lazy("Meter"),
    "observed_at": gettext_lazy("Observed (Beijing)"),
    "previous_at": gettext_lazy("Reading before (Beijing)"),
    "kind": gettext_lazy("Flag"),
    "step_m3": gettext_lazy("Step (m³)"),
    "held_m3": gettext_lazy("Held (m³)"),
    "last_observed_at": gettext_lazy("Last report (Beijing)"),
    "last_received_at": gettext_lazy("Last received (Beijing)"),
    "silent_s": gettext_lazy("Silent for (hours)"),
    "interval_s": gettext_lazy("Reporting interval (s)"),
    "offline_after_s": gettext_lazy("Offline after (s)"),
    "year": gettext_lazy("Year"),
    "use_m3": gettext_lazy("Use (m³)"),
    "plan_m3": gettext_lazy("Plan (m³)"),
    "share": gettext_lazy("Use against plan"),
    "threshold": gettext_lazy("Threshold"),
    "resolution": gettext_lazy("Resolved because"),
}


def _detail_value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if key.endswith("_at"):
        try:
            return f.when(dt.datetime.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if key.endswith("_m3"):
        return f.number(value, 3)
    if key in ("share", "threshold"):
        return f.percent(value)
    if key == "silent_s":
        return f.number(float(value) / 3600, 1)
    if key == "kind":
        return str(KIND_LABELS.get(str(value), value))
    return str(value)


def _details(alert: Alert) -> list[dict[str, str]]:
    """The job's details in words, in the order of DETAIL_LABELS (the key is the job's, not for people)."""
    details = alert.details if isinstance(alert.details, dict) else {}
    return [
        {"label": str(label), "value": _detail_value(key, details[key])}
        for key, label in DETAIL_LABELS.items()
        if key in details
    ]


def _history(alert: Alert) -> list[dict[str, str]]:
    rows = actions.audit_rows("water.alert", [alert.pk], reason_words=REASONS)
    for row in rows:
        row["what"] = ""  # the reason says it (raised, acknowledged, resolved); the fields are the job's
    return rows


def _alert_page(
    request: HttpRequest, alert: Alert, form: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    figures = actions.figures(
        (_("Kind"), alert.get_kind_display()),
        (_("Intake"), f"{alert.intake.code} {alert.intake.name}"),
        (_("Meter"), alert.meter.serial if alert.meter is not None else "—"),
        (_("State"), AlertState.OPEN.label if alert.is_open else AlertState.RESOLVED.label),
        (_("Raised (Beijing)"), f.when(alert.raised_at)),
        (_("Last seen (Beijing)"), f.when(alert.last_seen_at)),
        (_("Resolved (Beijing)"), f.when(alert.resolved_at)),
        (_("Acknowledged by"), str(alert.acknowledged_by) if alert.acknowledged_by_id else "—"),
        (_("Acknowledged (Beijing)"), f.when(alert.acknowledged_at)),
    )
    context = {
        "alert": alert,
        "figures": figures,
        "details": _details(alert),
        "form": form or {},
        "may_acknowledge": may(request, ACKNOWLEDGE_ROLES) and alert.acknowledged_at is None,
        "acknowledge_url": reverse("console:alert_acknowledge", args=[alert.pk]),
        "intake_url": reverse("console:intake_detail", args=[alert.intake_id]),
        "meter_url": reverse("console:reading_list") + f"?meter={alert.meter_id}" if alert.meter_id else "",
        "reading_url": _reading_link(alert),
        "history": _history(alert),
    }
    title = f"{alert.get_kind_display()} · {alert.intake.name}"
    return page(
        request,
        "console/readings/alert.html",
        context,
        title=title,
        crumbs=[(_("Water resources"), ""), (_("Alerts"), reverse("console:alert_list"))],
        status=status,
    )


REASONS = {"acknowledged": gettext_lazy("acknowledged")}


@console_page("console:alert_list")
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_page(request, get_alert(request, pk))


@require_POST
@console_page("console:alert_list")
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, ACKNOWLEDGE_ROLES)
    alert = get_alert(request, pk)
    return actions.run_action(
        request,
        "acknowledge",
        lambda: water_services.alert_acknowledge(alert=alert, actor=request.user),
        done=DONE,
        back=alert_url(alert),
        render=lambda form, status: _alert_page(request, get_alert(request, pk), form, status),
    )
