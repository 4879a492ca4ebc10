"""The desk report (登记问题): office staff enter a case phoned in by a chief, a complaint, an inspection or
a remote-sensing find, through case_report exactly as the API's POST does (the reach one in the caller's
jurisdiction on the found date, the id chosen when the form is drawn so a double submit is a resend, an
optional photo through case_photo_add with the API's checks, all or nothing).

Decision (patrols/README.md): the API lets staff report; the person who records the case is its reporter,
as for the API and the demo's complaint entered by the reviewer. A case found on a patrol names the
patrol and only its own chief may report it, so the desk offers the other sources; the chief who phoned
is named in the description. The case then runs through the office's own steps."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any, cast

from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from console.views import actions
from console.views.base import console_page, page, scope
from core.geo import WGS84_SRID
from core.periods import BEIJING
from patrols import selectors, services
from patrols.choices import CaseCategory, CaseSource
from places.selectors import reach_list

DESK_SOURCES = [(v, label) for v, label in CaseSource.choices if v != CaseSource.PATROL]


def _number(request: HttpRequest, name: str, low: float, high: float) -> float:
    raw = request.POST.get(name, "").strip().replace("，", ".")
    if not raw:
        raise actions.FormError(name, _("This field is required."))
    try:
        value = float(raw)
    except ValueError:
        raise actions.FormError(name, _("A number such as 87.61234.")) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise actions.FormError(name, _("Between %(low)s and %(high)s.") % {"low": low, "high": high})
    return value


def _found_at(request: HttpRequest) -> dt.datetime:
    raw = request.POST.get("found_at", "").strip()
    if not raw:
        raise actions.FormError("found_at", _("This field is required."))
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise actions.FormError("found_at", _("A Beijing time such as 2024-03-08 09:30.")) from None
    return value.replace(tzinfo=BEIJING) if value.tzinfo is None else value


def _report_page(request: HttpRequest, form: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    reaches = reach_list(scope=scope(request)).defer("geometry", "division__boundary", "river__geometry")
    values = (form or {}).get("values") or {}
    context = {
        "form": form or {"action": "", "errors": {}, "values": {}},
        "case_id": values.get("id") or str(uuid.uuid4()),
        "categories": CaseCategory.choices,
        "sources": DESK_SOURCES,
        "reaches": [(str(r.pk), f"{r.code} {r.name}（{r.division.name}）") for r in reaches.order_by("code")],
        "now": timezone.now().astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M"),
        "action_url": reverse("console:case_report"),
        "reaches_url": reverse("console:map_layer", args=["reaches"]) + "?zoom=13",
    }
    return page(
        request,
        "console/cases/report.html",
        context,
        title=_("Report a case"),
        crumbs=[(_("River and lake chiefs"), ""), (_("Cases"), reverse("console:case_list"))],
        status=status,
    )


@console_page("console:case_report")
def case_report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _report_page(request)
    post = request.POST
    made: dict[str, Any] = {}

    def call() -> Any:
        case_id = uuid.UUID(post.get("id", "")) if _is_uuid(post.get("id", "")) else None
        if case_id is None:
            raise actions.FormError("form", _("The form is incomplete; open it again."))
        reach_raw = post.get("reach", "")
        if not reach_raw.isdigit():
            raise actions.FormError("reach", _("Choose one."))
        found_at = _found_at(request)
        lon = _number(request, "lon", -180.0, 180.0)
        lat = _number(request, "lat", -90.0, 90.0)
        description = actions.form_text(request, "description")
        sc = scope(request)
        reach = selectors.reach_for_write(scope=sc, reach_id=int(reach_raw), on=found_at.astimezone(BEIJING).date())
        with transaction.atomic():
            case, created = services.case_report(
                actor=request.user,
                case_id=case_id,
                category=post.get("category", ""),
                source=post.get("source", ""),
                reach=reach,
                location=Point(lon, lat, srid=WGS84_SRID),
                description=description,
                found_at=found_at,
                legal_basis=post.get("legal_basis", "").strip(),
            )
            photo = request.FILES.get("photo")
            if photo is not None:
                services.case_photo_add(case=case, actor=request.user, upload=cast(UploadedFile, photo))
        made.update(case=case, created=created)
        return case

    response = actions.run_action(
        request,
        "report",
        call,
        done=_("The case is recorded."),
        back="",
        render=lambda form, status: _report_page(request, form, status),
    )
    if "case" in made:
        response["Location"] = reverse("console:case_detail", args=[made["case"].pk])
    return response


def _is_uuid(raw: str) -> bool:
    try:
        uuid.UUID(raw)
    except ValueError:
        return False
    return True
