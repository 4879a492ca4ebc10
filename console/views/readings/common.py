"""What the reading, entry and alert pages share: a reading's address in URLs, the scoped look-ups, the
roles of each action (the API views' own, read from them: no second permission system) and the chart
of a meter's readings around an instant."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import user_role
from accounts.scope import Scope
from core import periods
from water import selectors as water_selectors
from water.api.views import INGEST_ROLES, AlertViewSet, ReadingViewSet
from water.choices import Review
from water.models import Reading

# The API's roles for each action: the console offers and accepts exactly what the API does.
CORRECT_ROLES = ReadingViewSet.action_roles["correct"]
REVIEW_ROLES = ReadingViewSet.action_roles["review"]
ACKNOWLEDGE_ROLES = AlertViewSet.action_roles["acknowledge"]
ENTRY_ROLES = INGEST_ROLES

KIND_LABELS = {"jump": gettext_lazy("implausible jump"), "decrease": gettext_lazy("decrease")}
KIND_EXPLANATIONS = {
    "jump": gettext_lazy(
        "The register rose by %(step)s m³ since the reading before (%(previous)s): more than the intake's "
        "capacity could deliver in that time. Both intervals touching it (%(held)s m³) are held out of the "
        "volumes until a reviewer accepts, rejects or corrects it."
    ),
    "decrease": gettext_lazy(
        "The register fell by %(step)s m³ since the reading before (%(previous)s), and the fall is not a "
        "register rollover. Both intervals touching it (%(held)s m³) are held out of the volumes until a "
        "reviewer accepts, rejects or corrects it."
    ),
}
_STAMP = "%Y%m%dT%H%M%S"


def may(request: HttpRequest, roles: frozenset[Any]) -> bool:
    return user_role(request.user) in roles


def require(request: HttpRequest, roles: frozenset[Any]) -> None:
    if not may(request, roles):
        raise PermissionDenied


def stamp(at: dt.datetime) -> str:
    """A reading's instant in its URL: UTC, compact, exact to the microsecond ("20240308T061500Z")."""
    at = at.astimezone(dt.UTC)
    return at.strftime(_STAMP) + (f".{at.microsecond:06d}" if at.microsecond else "") + "Z"


def unstamp(text: str) -> dt.datetime:
    if not text.endswith("Z"):
        raise Http404
    body, __, micro = text[:-1].partition(".")
    try:
        at = dt.datetime.strptime(body, _STAMP).replace(tzinfo=dt.UTC)
        if micro:
            if len(micro) != 6 or not micro.isdigit():
                raise ValueError(micro)
            at = at.replace(microsecond=int(micro))
    except ValueError as exc:
        raise Http404 from exc
    return at


def reading_url(meter_id: int, at: dt.datetime) -> str:
    return reverse("console:reading_detail", args=[meter_id, stamp(at)])


def get_reading(sc: Scope, meter_id: int, at: dt.datetime) -> Reading:
    """The reading, in the caller's scope (outside it, or absent: 404, as the API's reading_get)."""
    reading = (
        water_selectors.reading_list(scope=sc)
        .select_related("meter__intake__division")
        .filter(meter_id=meter_id, observed_at=at)
        .first()
    )
    if reading is None:
        raise Http404
    return reading


def review_label(review: str) -> str:
    return str(Review(review).label) if review else str(Review.NONE.label)


def js_time(at: dt.datetime) -> int:
    """Milliseconds for the chart's time axis, shifted to Beijing wall time (the chart runs in UTC
    mode, so it shows Beijing time whatever the browser's zone)."""
    local = periods.to_beijing(at)
    return int((local.replace(tzinfo=dt.UTC)).timestamp() * 1000)


def reading_chart(sc: Scope, reading: Reading, days: int) -> dict[str, Any]:
    """The meter's readings within ±days of the reading: a line, the reading itself marked, rejected
    readings apart (they are out of the series)."""
    span = dt.timedelta(days=days)
    rows = (
        water_selectors.reading_list(scope=sc)
        .filter(meter_id=reading.meter_id, observed_at__range=(reading.observed_at - span, reading.observed_at + span))
        .order_by("observed_at")
        .values_list("observed_at", "cumulative_m3", "review")
    )
    series: list[list[float]] = []
    rejected: list[list[float]] = []
    for at, value, review in rows:
        point = [js_time(at), float(value)]
        (rejected if review == Review.REJECTED else series).append(point)
    return {
        "series": series,
        "rejected": rejected,
        "mark": [js_time(reading.observed_at), float(reading.cumulative_m3)],
        "names": {"series": _("Register (m³)"), "rejected": _("Rejected readings"), "mark": _("This reading")},
    }
