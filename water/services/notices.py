"""What the water app tells people through notify (issue 17): a meter offline and back online, a
reading held for review, use at 80 % and 100 % of plan. Raised when the alert job opens (or, for an
offline meter, resolves) an alert, in the same transaction. Own people: the intake's operators."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from notify.choices import EventType
from notify.services import event_raise
from water.choices import AlertKind
from water.models import Alert, Intake

_ON_RAISE: dict[str, EventType] = {
    AlertKind.METER_OFFLINE: EventType.METER_OFFLINE,
    AlertKind.FLAGGED_READING: EventType.READING_FLAGGED,
    AlertKind.PLAN_80: EventType.PLAN_80,
    AlertKind.PLAN_100: EventType.PLAN_100,
}


def _intake(intake_id: int) -> tuple[str, str, list[int]]:
    code, name = Intake.objects.filter(pk=intake_id).values_list("division__code", "name").get()
    operators = list(Intake.operators.through.objects.filter(intake_id=intake_id).values_list("user_id", flat=True))
    return code, name, operators


def _figures(alert: Alert, intake_name: str) -> dict[str, Any]:
    d = alert.details or {}
    figures: dict[str, Any] = {"intake": intake_name, "meter": d.get("serial", "")}
    if alert.kind == AlertKind.METER_OFFLINE:
        figures["silent_hours"] = round(float(d.get("silent_s") or 0) / 3600, 1)
        figures["last_observed_at"] = d.get("last_observed_at") or ""
    elif alert.kind == AlertKind.FLAGGED_READING:
        figures.update(observed_at=d.get("observed_at", ""), step_m3=d.get("step_m3", ""), kind=d.get("kind", ""))
    else:
        use, plan = Decimal(str(d.get("use_m3", "0"))), Decimal(str(d.get("plan_m3", "0")))
        figures.update(
            year=d.get("year"),
            use_m3=f"{use:,.0f}",
            plan_m3=f"{plan:,.0f}",
            percent=f"{use / plan * 100:.1f}" if plan > 0 else "—",
        )
    return figures


def alert_raised(alert: Alert) -> None:
    code, name, operators = _intake(alert.intake_id)
    event_raise(
        type=_ON_RAISE[alert.kind],
        division_code=code,
        subject_type="water.alert",
        subject_id=alert.pk,
        figures=_figures(alert, name),
        people=operators,
        link=f"/api/v1/water/alerts/{alert.pk}/",
        key=f"alert:{alert.pk}",
        at=alert.raised_at,
    )


def alert_resolved(alert: Alert, *, at: dt.datetime) -> None:
    if alert.kind != AlertKind.METER_OFFLINE:
        return
    code, name, operators = _intake(alert.intake_id)
    event_raise(
        type=EventType.METER_ONLINE,
        division_code=code,
        subject_type="water.alert",
        subject_id=alert.pk,
        figures=_figures(alert, name),
        people=operators,
        link=f"/api/v1/water/alerts/{alert.pk}/",
        key=f"alert_resolved:{alert.pk}",
        at=at,
    )


def redlines_check(*, now: dt.datetime) -> int:
    """A red line at risk for the (Beijing) year of `now`, per division with targets: an indicator
    that misses its target, or a "max" indicator (total use, intensities) already at
    WATER_PLAN_WARN_SHARE of its cap. Raised once per division, year and indicator. Returns how many
    were raised by this run."""
    from django.db import transaction

    from accounts.choices import Role
    from accounts.scope import Scope
    from core import periods
    from notify.models import Event
    from water import conf, selectors
    from water.models import RedLineTarget

    year = periods.to_beijing(now).date().year
    warn = conf.plan_warn_share()
    everything = Scope(user_id=None, role=Role.ADMIN, everything=True)
    raised = 0
    for code in (
        RedLineTarget.objects.filter(year=year).values_list("division__code", flat=True).order_by("division__code")
    ):
        summary = selectors.redline_summary(scope=everything, year=year, division_code=code)
        for ind in summary.indicators:
            if ind.actual is None or ind.target is None:
                continue
            at_risk = ind.met is False or (
                ind.direction == "max" and ind.target > 0 and ind.actual >= warn * ind.target
            )
            key = f"redline:{code}:{year}:{ind.key}"
            if not at_risk or Event.objects.filter(key=key).exists():
                continue
            with transaction.atomic():
                event_raise(
                    type=EventType.REDLINE_AT_RISK,
                    division_code=code,
                    subject_type="water.redlinetarget",
                    subject_id=f"{code}:{year}",
                    key=key,
                    at=now,
                    link=f"/api/v1/water/redlines/?year={year}",
                    figures={
                        "indicator": ind.name_zh,
                        "year": year,
                        "actual": f"{ind.actual:,.2f}",
                        "target": f"{ind.target:,.2f}",
                    },
                )
            raised += 1
    return raised
