"""Manual reading entry (人工录入): an operator enters a reading of one of their intakes' meters, a reviewer
or admin one of their jurisdiction's. The form becomes the API's batch of one row and goes through the
same parser (water.ingest.parse_json_batch, with the API's limits: no future time, no time before 2000,
a register in range) and the same service call (reading_ingest_batch, source manual) as
`POST /api/v1/water/readings/` from an operator; a meter the user may not write is refused as there.

One check more than the API's default, because a person types these: a value below the meter's reading
before (or above the one after) is refused beside the field unless the user confirms it (a register that
really went back; the reading is then stored and held for review as the volume engine flags it). The
service makes the check (reading_ingest_batch(check_order=True), under the meter lock); the page words it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console import formats as f
from console.views import actions
from console.views.base import console_page, page, scope
from console.views.readings.common import ENTRY_ROLES, reading_url, require, review_label
from core import periods
from core.exceptions import NotFound, ServiceError
from water import conf, ingest
from water import selectors as water_selectors
from water import services as water_services
from water.choices import ReadingSource
from water.models import Meter
from water.services import RegisterOrderError

DONE = gettext_lazy("The reading is stored.")
CONFIRM = gettext_lazy("The figure is right: store it and hold it for review.")


class EntryError(actions.FormError):
    """A refusal shown beside one field of the entry form, with the status the API would answer."""

    def __init__(self, field: str, message: str, status: int = 400, *, confirm: Any = "") -> None:
        super().__init__(field, message)
        self.status_code = status
        if confirm:  # the form then offers a confirmation box, named by this key
            self.fields["confirm_order"] = [str(confirm)]


def writable_meters(request: HttpRequest) -> list[Meter]:
    """The meters whose readings this user may write (the ingest's own rule), in service."""
    sc = scope(request)
    return list(
        water_selectors.meter_list(scope=sc)
        .filter(water_selectors.meter_writable_q(sc), removed_at__isnull=True)
        .order_by("intake__code", "serial")
    )


def _observed_at(request: HttpRequest) -> str:
    """The form's Beijing wall time as the ISO text with offset the API takes."""
    raw = request.POST.get("observed_at", "").strip()
    if not raw:
        raise EntryError("observed_at", _("This field is required."))
    try:
        naive = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise EntryError("observed_at", _("A time such as 2024-03-08 14:00.")) from None
    if naive.tzinfo is not None:
        raise EntryError("observed_at", _("A time such as 2024-03-08 14:00."))
    return naive.replace(tzinfo=periods.BEIJING).isoformat()


def _order_error(exc: RegisterOrderError) -> EntryError:
    """The service's refusal of a value below the reading before, or above the one after (most likely
    a typing error), beside the field with the confirmation box."""
    side, at, value = next(iter(exc.neighbours.values()))
    if side == "before":
        message = _(
            "Lower than the reading before (%(value)s m³ at %(at)s): the register does not run backwards. Check the "
            "figure; if the register really went back, tick the confirmation and it will be held for review."
        ) % {"value": f.number(value, 3), "at": f.when(at)}
    else:
        message = _(
            "Higher than the reading after (%(value)s m³ at %(at)s). Check the figure; if it is right, tick the "
            "confirmation and the later reading will be held for review."
        ) % {"value": f.number(value, 3), "at": f.when(at)}
    return EntryError("cumulative_m3", message, confirm=CONFIRM)


def _row_field(key: str) -> str:
    """`readings[0].observed_at` (the ingest's names) → `observed_at` (the form's)."""
    return key.split(".", 1)[1] if key.startswith("readings[") and "." in key else key


def enter(request: HttpRequest, meters: list[Meter]) -> Any:
    """Read the form and store the reading through the API's parser and service."""
    raw_meter = request.POST.get("meter", "").strip()
    meter = next((m for m in meters if str(m.pk) == raw_meter), None)
    if meter is None:
        # Not among the meters this user may write: the API's answer for it (404, unknown_meter).
        raise EntryError("meter", _("No such meter among those you may write."), 404 if raw_meter else 400)
    observed_at = _observed_at(request)
    value = actions.form_decimal(request, "cumulative_m3")
    note = actions.form_text(request, "note", required=False)
    body = {"readings": [{"meter": meter.serial, "observed_at": observed_at, "cumulative_m3": value}]}
    try:
        rows = ingest.parse_json_batch(
            body,
            now=timezone.now(),
            future_tolerance_s=conf.future_tolerance_s(),
            max_rows=conf.ingest_max_rows(),
        )
        result = water_services.reading_ingest_batch(
            rows=rows,
            scope=scope(request),
            source=ReadingSource.MANUAL,
            actor=request.user,
            note=note,
            check_order=request.POST.get("confirm_order") != "yes",
        )
    except RegisterOrderError as exc:
        raise _order_error(exc) from exc
    except NotFound as exc:
        raise EntryError("meter", str(exc.message), 404) from exc
    except ServiceError as exc:
        exc.fields = {_row_field(k): v for k, v in (exc.fields or {}).items()}
        raise
    if not result.created:
        raise EntryError("observed_at", _("This reading is stored already (same meter, time and value)."), 409)
    return meter, rows[0].at


def _recent(request: HttpRequest, meters: list[Meter], chosen: str) -> list[dict[str, str]]:
    """The latest readings of the chosen meter (or of the first one), so the user sees what is stored."""
    meter = next((m for m in meters if str(m.pk) == chosen), meters[0] if meters else None)
    if meter is None:
        return []
    qs = water_selectors.reading_list(scope=scope(request)).filter(meter_id=meter.pk).order_by("-observed_at")[:10]
    return [
        {
            "url": reading_url(r.meter_id, r.observed_at),
            "meter": meter.serial,
            "observed": f.when(r.observed_at),
            "value": f.number(r.cumulative_m3, 3),
            "source": r.get_source_display(),
            "review": review_label(r.review),
        }
        for r in qs
    ]


def _page(
    request: HttpRequest, meters: list[Meter], form: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    form = form or {}
    values = form.get("values") or {}
    chosen = str(values.get("meter") or request.GET.get("meter", ""))
    now = periods.to_beijing(timezone.now()).replace(second=0, microsecond=0, tzinfo=None)
    errors = form.get("errors") or {}
    context = {
        "meters": [(str(m.pk), f"{m.serial} · {m.intake.code} {m.intake.name}") for m in meters],
        "chosen": chosen,
        "form": form,
        "now": now.isoformat(timespec="minutes"),
        "values": values,
        "recent": _recent(request, meters, chosen),
        "confirm_order": errors.get("confirm_order", [""])[0],
        "action_url": reverse("console:reading_new"),
    }
    return page(
        request,
        "console/readings/new.html",
        context,
        title=_("Enter a reading"),
        crumbs=[(_("Water resources"), ""), (_("Readings"), reverse("console:reading_list"))],
        status=status,
    )


@console_page("console:reading_new")
def reading_new(request: HttpRequest) -> HttpResponse:
    require(request, ENTRY_ROLES)
    meters = writable_meters(request)
    if request.method != "POST":
        return _page(request, meters)
    stored: dict[str, Any] = {}

    def call() -> None:
        stored["meter"], stored["at"] = enter(request, meters)

    def render(form: dict[str, Any], status: int) -> HttpResponse:
        return _page(request, meters, form, status)

    back = reverse("console:reading_new")
    response = actions.run_action(request, "new", call, done=DONE, back=back, render=render)
    if stored:
        response["Location"] = f"{back}?meter={stored['meter'].pk}"
    return response
