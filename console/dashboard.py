"""The dashboard's figures, kept warm.

The dashboard shows the report of a period for a jurisdiction (`reports.builders.build_report`, the
report JSON's one code path) and its monthly use. At the benchmark's scale (500 intakes × a year of
15-minute readings, 10,000 patrols) one build takes about a second, so the figures are built off the
request and kept, stale-while-revalidate:

* a build is kept `CONSOLE_DASHBOARD_KEEP_SECONDS` (a day) under (scope, period), numbers only (labels
  are formatted per request, in the request's language), with the time it was built — the page says
  "figures as built at …";
* a view of figures older than `CONSOLE_DASHBOARD_CACHE_SECONDS` (5 minutes) shows them and asks a
  worker to rebuild them (one rebuild at a time per key); without a broker (the embedded default, where
  Celery runs eagerly) the view rebuilds them itself, as before;
* the beat job `console.tasks.dashboard_warm` (every `CONSOLE_DASHBOARD_WARM_MINUTES`) rebuilds, for
  every jurisdiction of an active reviewer or admin, the periods a user opens: the year a newcomer is
  shown (the latest year with data), the month, quarter and year of its latest day, and every period
  somebody viewed within the keep time. So a user's first view of the day is a cache hit.

A period nobody has viewed (a custom range) is built on its first view, as before, and kept.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from celery import current_app, signature
from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Q
from django.utils import timezone

from accounts.choices import Role
from accounts.scope import Scope, division_prefix, is_division_code
from console.periods import from_text
from core import periods
from core.exceptions import InvalidInput
from core.periods import Period
from patrols import selectors as patrol_selectors
from reports.builders import build_report
from water import plan_selectors
from water import selectors as water_selectors

log = logging.getLogger(__name__)
# The rebuild task (console/tasks.py), queued by name.
REFRESH_TASK = "console.tasks.dashboard_refresh"

_VERSION = "v3"
_VIEWED = f"console:dashboard:{_VERSION}:viewed"  # {key: (everything, prefix, period label)} seen lately


@dataclass(frozen=True)
class Built:
    report: dict[str, Any]
    months: list[tuple[str, float]]
    built_at: dt.datetime


def _key(sc: Scope, period: Period) -> str:
    return f"console:dashboard:{_VERSION}:{int(sc.everything)}:{sc.prefix}:{period.label}"


def data_year(sc: Scope) -> int:
    """The latest year with patrols or water use in scope (a newcomer on old data sees data)."""
    latest = _latest_day(sc)
    today = periods.to_beijing(timezone.now()).date()
    return min(latest, today).year if latest else today.year


def _latest_day(sc: Scope) -> dt.date | None:
    from water.models import DailyVolume

    latest: list[dt.date] = []
    day = DailyVolume.objects.filter(water_selectors.intake_scope_q(sc, "meter__intake__")).aggregate(d=Max("day"))
    if day["d"]:
        latest.append(day["d"])
    started = patrol_selectors.patrol_list(scope=sc).aggregate(d=Max("started_at"))["d"]
    if started:
        latest.append(periods.to_beijing(started).date())
    return max(latest) if latest else None


def build(sc: Scope, period: Period) -> Built:
    """Build the figures now and keep them. The months are the report's own use (`month_use`, locked
    months as locked, so they add up to the use tile), summed from the month sums the report has read
    already (one shared read of the daily rows)."""
    with plan_selectors.shared_month_sums():
        report = build_report(scope=sc, period=period)
        months = [(f"{m.year}-{m.month:02d}", float(v)) for m, v in plan_selectors.month_use(scope=sc, period=period)]
    built = Built(report, months, timezone.now())
    cache.set(_key(sc, period), built, settings.CONSOLE_DASHBOARD_KEEP_SECONDS)
    return built


def figures(sc: Scope, period: Period) -> Built:
    """The figures of the period for this jurisdiction: kept ones (rebuilt behind the view when older
    than CONSOLE_DASHBOARD_CACHE_SECONDS), else built now."""
    _remember(sc, period)
    hit = cache.get(_key(sc, period))
    if not isinstance(hit, Built):
        return build(sc, period)
    age = (timezone.now() - hit.built_at).total_seconds()
    if age <= settings.CONSOLE_DASHBOARD_CACHE_SECONDS:
        return hit
    if current_app.conf.task_always_eager:  # no worker to hand it to: rebuild here, as before
        return build(sc, period)
    if cache.add(_key(sc, period) + ":rebuilding", 1, timeout=settings.CONSOLE_DASHBOARD_CACHE_SECONDS):
        try:
            # By name (a Celery signature): console.tasks imports this module, never the reverse.
            signature(REFRESH_TASK, args=(sc.everything, sc.prefix, period.label)).apply_async()
        except Exception:
            log.warning("dashboard rebuild not queued (broker unavailable); built in the request")
            cache.delete(_key(sc, period) + ":rebuilding")
            return build(sc, period)
    return hit


def rebuilt(sc: Scope, period: Period) -> None:
    """The rebuild a view asked for is over (done or failed): the next stale view may ask again."""
    cache.delete(_key(sc, period) + ":rebuilding")


def _remember(sc: Scope, period: Period) -> None:
    """Note the period as viewed, so the warm job keeps it (at most CONSOLE_DASHBOARD_WARM_MAX kept)."""
    viewed = cache.get(_VIEWED) or {}
    key = _key(sc, period)
    if key in viewed:
        return
    viewed[key] = (sc.everything, sc.prefix, period.label, timezone.now().timestamp())
    if len(viewed) > settings.CONSOLE_DASHBOARD_WARM_MAX:  # the oldest go first
        for old in sorted(viewed, key=lambda k: viewed[k][3])[: len(viewed) - settings.CONSOLE_DASHBOARD_WARM_MAX]:
            viewed.pop(old)
    cache.set(_VIEWED, viewed, settings.CONSOLE_DASHBOARD_KEEP_SECONDS)


def staff_scope(everything: bool, prefix: str | None) -> Scope:
    """The scope of a reviewer (prefix) or an admin (everything), for a build made by no request."""
    return Scope(user_id=None, role=Role.ADMIN if everything else Role.REVIEWER, everything=everything, prefix=prefix)


def warm_targets() -> list[tuple[Scope, Period]]:
    """What the warm job keeps built: per jurisdiction of an active reviewer or admin, the newcomer's
    year and the month, quarter and year of the latest day with data; and what was viewed lately."""
    from accounts.models import User

    scopes: dict[tuple[bool, str | None], Scope] = {}
    staff = (
        User.objects.filter(Q(role__in=[Role.ADMIN, Role.REVIEWER]) | Q(is_superuser=True), is_active=True)
        .values_list("role", "is_superuser", "jurisdiction")
        .distinct()
    )
    for role, superuser, code in staff:
        if superuser or role == Role.ADMIN:
            scopes[(True, None)] = staff_scope(True, None)
        elif code and is_division_code(code):
            prefix = division_prefix(code)
            scopes[(False, prefix)] = staff_scope(False, prefix)
    out: dict[str, tuple[Scope, Period]] = {}
    for sc in scopes.values():
        latest = _latest_day(sc)
        today = periods.to_beijing(timezone.now()).date()
        day = min(latest, today) if latest else today
        for period in (
            periods.year(day.year),
            periods.quarter(day.year, (day.month - 1) // 3 + 1),
            periods.month(day.year, day.month),
        ):
            out.setdefault(_key(sc, period), (sc, period))
    viewed = cache.get(_VIEWED) or {}
    for key, (everything, prefix, label, _at) in viewed.items():
        if key in out:
            continue
        try:
            period = from_text(label)
        except (InvalidInput, ValueError):
            continue
        out[key] = (staff_scope(everything, prefix), period)
    return list(out.values())
