"""Monitoring alerts, raised and resolved by the periodic jobs (water.tasks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import SYSTEM_SCOPE
from core import periods
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.kernel import Errors, clean
from water import conf, monitoring, plan_selectors, selectors
from water.choices import AlertKind, MeterState
from water.models import Alert, DailyVolume, Intake, Meter
from water.services import notices

# ------------------------------------------------------------------------------- monitoring alerts
# Raised and resolved by the periodic jobs (water.tasks); at most one open alert per condition key
# (a partial unique constraint). Running a job twice at the same instant changes nothing; an alert
# resolves when its condition clears; the condition coming back later opens a new alert.


@dataclass(frozen=True, slots=True)
class AlertRun:
    """What one run of an alert job did."""

    raised: int = 0
    refreshed: int = 0
    resolved: int = 0
    open: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"raised": self.raised, "refreshed": self.refreshed, "resolved": self.resolved, "open": self.open}


@dataclass(frozen=True, slots=True)
class PlanUsage:
    """An intake's use against its plan for a year (m³), as the plan selectors compute it."""

    intake_id: int
    year: int
    use_m3: Decimal
    plan_m3: Decimal


def _alert_snapshot(alert: Alert) -> dict[str, Any]:
    return snapshot(alert)


def alert_raise_or_refresh(
    *,
    kind: AlertKind | str,
    key: str,
    intake_id: int,
    meter_id: int | None = None,
    details: Mapping[str, Any] | None = None,
    at: dt.datetime,
    actor: Any,
) -> tuple[Alert, bool]:
    """The open alert for `key`, refreshed (last seen at `at`, details updated; nothing written when
    both are unchanged), or a new one raised at `at` (audited). Returns (alert, raised)."""
    details = dict(details or {})
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(key=key, resolved_at__isnull=True).first()
        if alert is not None:
            seen = max(alert.last_seen_at, at)
            if seen != alert.last_seen_at or alert.details != details:
                alert.last_seen_at, alert.details = seen, details
                alert.save(update_fields=["last_seen_at", "details"])
            return alert, False
        alert = Alert(
            kind=str(kind),
            key=key,
            intake_id=intake_id,
            meter_id=meter_id,
            raised_at=at,
            last_seen_at=at,
            details=details,
        )
        clean(alert, validate_constraints=False)
        try:
            # A savepoint: a concurrent run that raised the same alert first wins, and this one refreshes it.
            with transaction.atomic():
                alert.save()
        except IntegrityError:
            alert = Alert.objects.select_for_update().get(key=key, resolved_at__isnull=True)
            return alert, False
        audit_record(actor=actor, action=AuditAction.CREATE, instance=alert, after=_alert_snapshot(alert))
        notices.alert_raised(alert)
        return alert, True


def alert_resolve(*, alert: Alert, at: dt.datetime, actor: Any, reason: str = "") -> Alert:
    """Close an open alert at `at` (its condition cleared); an already resolved alert is left as it is."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.resolved_at is not None:
            return alert
        before = _alert_snapshot(alert)
        alert.resolved_at = max(at, alert.raised_at)
        alert.details = {**alert.details, "resolution": reason} if reason else alert.details
        alert.save(update_fields=["resolved_at", "details"])
        audit_record(
            actor=actor,
            action=AuditAction.TRANSITION,
            instance=alert,
            before=before,
            after=_alert_snapshot(alert),
            reason=reason,
        )
        notices.alert_resolved(alert, at=alert.resolved_at)
        return alert


def alert_acknowledge(*, alert: Alert, actor: Any) -> Alert:
    """A reviewer notes that someone is on it (audited). Acknowledging again changes nothing."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            return alert
        before = _alert_snapshot(alert)
        alert.acknowledged_by, alert.acknowledged_at = actor, timezone.now()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
        audit_record(
            actor=actor,
            action=AuditAction.TRANSITION,
            instance=alert,
            before=before,
            after=_alert_snapshot(alert),
            reason="acknowledged",
        )
        return alert


def _sync(
    *,
    kind: AlertKind,
    wanted: Mapping[str, tuple[int, int | None, dict[str, Any]]],
    at: dt.datetime,
    actor: Any,
    resolvable: Any = None,
    reason: str,
) -> AlertRun:
    """Make the open alerts of `kind` (those matching `resolvable`, a Q, when given) exactly `wanted`
    ({key: (intake id, meter id, details)}): raise or refresh each, resolve the others."""
    raised = refreshed = resolved = 0
    with transaction.atomic():
        for key in sorted(wanted):
            intake_id, meter_id, details = wanted[key]
            __, new = alert_raise_or_refresh(
                kind=kind, key=key, intake_id=intake_id, meter_id=meter_id, details=details, at=at, actor=actor
            )
            raised += new
            refreshed += not new
        stale = Alert.objects.filter(kind=kind, resolved_at__isnull=True).exclude(key__in=list(wanted))
        if resolvable is not None:
            stale = stale.filter(resolvable)
        for alert in stale.order_by("pk"):
            alert_resolve(alert=alert, at=at, actor=actor, reason=reason)
            resolved += 1
        still_open = Alert.objects.filter(kind=kind, resolved_at__isnull=True).count()
    return AlertRun(raised=raised, refreshed=refreshed, resolved=resolved, open=still_open)


def alerts_check_offline(*, now: dt.datetime | None = None, actor: Any = "beat:water.alerts_check_offline") -> AlertRun:
    """Raise an alert for every installed meter with no report within WATER_OFFLINE_FACTOR × its
    interval at `now` (default: now); resolve those that reported again or were removed."""
    now = now or timezone.now()
    factor = conf.offline_factor()
    meters = list(
        Meter.objects.filter(installed_at__lte=now)
        .exclude(removed_at__lte=now)
        .values_list("id", "serial", "intake_id", "installed_at", "removed_at", "expected_interval_s")
    )
    last = selectors.last_reports([m[0] for m in meters], now)
    wanted: dict[str, tuple[int, int | None, dict[str, Any]]] = {}
    for mid, serial, intake_id, installed, removed, interval_s in meters:
        obs, rec = last.get(mid, (None, None))
        state, silent = monitoring.meter_state(
            installed_at=installed, removed_at=removed, last_report_at=obs, interval_s=interval_s, at=now, factor=factor
        )
        if state == MeterState.OFFLINE:
            wanted[f"{AlertKind.METER_OFFLINE.value}:{mid}"] = (
                intake_id,
                mid,
                {
                    "serial": serial,
                    "last_observed_at": obs.isoformat() if obs else None,
                    "last_received_at": rec.isoformat() if rec else None,
                    "silent_s": round(silent or 0.0, 3),
                    "interval_s": interval_s,
                    "offline_after_s": factor * interval_s,
                },
            )
    return _sync(kind=AlertKind.METER_OFFLINE, wanted=wanted, at=now, actor=actor, reason="reporting again or removed")


def alerts_check_flagged(*, now: dt.datetime | None = None, actor: Any = "beat:water.alerts_check_flagged") -> AlertRun:
    """Raise an alert for every reading held for review (a jump or a decrease not yet accepted or
    rejected), found from the daily rows' counts; resolve those reviewed or corrected since."""
    now = now or timezone.now()
    span = DailyVolume.objects.filter(n_flagged__gt=0).aggregate(lo=Min("day"), hi=Max("day"))
    wanted: dict[str, tuple[int, int | None, dict[str, Any]]] = {}
    if span["lo"] is not None:
        flagged = selectors.flagged_readings(scope=SYSTEM_SCOPE, first=span["lo"], last=span["hi"])
        intakes = dict(Meter.objects.filter(pk__in={f["meter_id"] for f in flagged}).values_list("pk", "intake_id"))
        for f in flagged:
            key = f"{AlertKind.FLAGGED_READING.value}:{f['meter_id']}@{f['observed_at'].astimezone(dt.UTC).isoformat()}"
            wanted[key] = (
                intakes[f["meter_id"]],
                f["meter_id"],
                {
                    "serial": f["meter"],
                    "observed_at": f["observed_at"].isoformat(),
                    "kind": f["kind"],
                    "previous_at": f["previous_at"].isoformat(),
                    "step_m3": str(f["step_m3"]),
                    "held_m3": str(f["held_m3"]),
                },
            )
    return _sync(kind=AlertKind.FLAGGED_READING, wanted=wanted, at=now, actor=actor, reason="reviewed or corrected")


def alert_sync_plan_usage(
    *,
    usage: Iterable[PlanUsage],
    now: dt.datetime | None = None,
    complete: bool = False,
    actor: Any = "beat:water.alert_sync_plan_usage",
) -> dict[str, AlertRun]:
    """plan_80 open while an intake's use for a year is at or above WATER_PLAN_WARN_SHARE of its
    plan, plan_100 while at or above WATER_PLAN_OVER_SHARE; each resolves when the use falls below
    (a plan amended upwards). Only the (intake, year) pairs given are touched, unless `complete`
    says `usage` holds every planned intake of its years: then the open plan alerts of those years
    for intakes not in it (a plan withdrawn) are resolved too. A plan of 0 m³ with any use is over."""
    warn = conf.plan_warn_share()
    over = conf.plan_over_share()
    now = now or timezone.now()
    items = list(usage)
    errors = Errors()
    for i, u in enumerate(items):
        if u.use_m3 < 0:
            errors.row(i, "use_m3", _("Must not be negative."), path="usage")
        if u.plan_m3 < 0:
            errors.row(i, "plan_m3", _("Must not be negative."), path="usage")
    known = set(Intake.objects.filter(pk__in={u.intake_id for u in items}).values_list("pk", flat=True))
    for i, u in enumerate(items):
        if u.intake_id not in known:
            errors.row(i, "intake_id", _("No such intake."), path="usage")
    errors.raise_if_any(_("Invalid plan usage."))
    runs = {}
    years = {u.year for u in items}
    for kind, threshold in ((AlertKind.PLAN_80, warn), (AlertKind.PLAN_100, over)):
        wanted: dict[str, tuple[int, int | None, dict[str, Any]]] = {}
        touched = []
        for u in items:
            key = f"{kind.value}:{u.intake_id}:{u.year}"
            touched.append(key)
            share = u.use_m3 / u.plan_m3 if u.plan_m3 > 0 else (Decimal("Infinity") if u.use_m3 > 0 else Decimal(0))
            if share >= threshold:
                wanted[key] = (
                    u.intake_id,
                    None,
                    {
                        "year": u.year,
                        "use_m3": str(u.use_m3),
                        "plan_m3": str(u.plan_m3),
                        "share": float(round(share, 6)) if share.is_finite() else None,
                        "threshold": float(threshold),
                    },
                )
        if complete:
            scope_q = Q(key__regex=rf"^{kind.value}:\d+:({'|'.join(str(y) for y in sorted(years))})$")
        else:
            scope_q = Q(key__in=touched)
        runs[kind.value] = _sync(
            kind=kind,
            wanted=wanted,
            at=now,
            actor=actor,
            resolvable=scope_q if years else Q(pk__in=[]),
            reason="use below the threshold",
        )
    return runs


def alerts_check_plan(
    *, now: dt.datetime | None = None, actor: Any = "beat:water.alerts_check_plan"
) -> dict[str, AlertRun]:
    """plan_80 / plan_100 for every intake with a plan line this (Beijing) year: its metered use so
    far against the year's allocation as the plan selectors compute it (locked figures, the plan
    version now in force). Intakes whose plan was withdrawn have their open plan alerts resolved."""
    now = now or timezone.now()
    today = periods.to_beijing(now).date()
    summary = plan_selectors.plan_summary(scope=SYSTEM_SCOPE, period=periods.year(today.year), today=today)
    usage = [
        PlanUsage(intake_id=i.intake_id, year=today.year, use_m3=i.use_m3, plan_m3=i.plan_m3)
        for i in summary.intakes
        if i.plan_m3 is not None
    ]
    runs = alert_sync_plan_usage(usage=usage, now=now, complete=True, actor=actor)
    # The red lines move with the same use: checked in the same hourly job (issue 17).
    notices.redlines_check(now=now)
    return runs
