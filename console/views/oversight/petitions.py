"""Petition pages: the petition with its result, files, place and history, its actions, the hand-over import
and the attachments' download."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from accounts.permissions import user_role
from console import formats as f
from console.ledgers.oversight import unit_name
from console.views.base import console_page, page, scope
from console.views.oversight.common import (
    STAFF,
    FormError,
    _attachments,
    _audit,
    _crumbs,
    _date,
    _field_errors,
    _figures,
    _is_staff,
    _req,
    _run,
    _today,
)
from core.exceptions import Forbidden, ServiceError
from core.geo import WGS84_SRID
from oversight import handover, selectors, services
from oversight.choices import (
    PetitionStatus,
    ReviewState,
    Substantiated,
)
from oversight.models import Attachment, InspectionRound, Petition
from patrols.choices import CaseCategory
from places.models import Reach


def _petition(request: HttpRequest, pk: int) -> Petition:
    petition = selectors.petition_list(scope=scope(request)).filter(pk=pk).first()
    if petition is None:
        raise Http404
    return petition


def petition_actions(request: HttpRequest, p: Petition) -> list[str]:
    out = []
    if p.status != PetitionStatus.CLOSED and p.review != ReviewState.SUBMITTED:
        out.append("submit")
    if _is_staff(request):
        if p.review == ReviewState.SUBMITTED:
            out += ["accept", "return"]
        if p.case_id is None:
            out.append("open_case")
    return out


def _petition_page(
    request: HttpRequest, p: Petition, form: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    figures = _figures(
        (_("Inspection round"), p.batch.round.name),
        (_("Batch"), _("No. %(n)s, received %(day)s") % {"n": p.batch.number, "day": f.day(p.batch.received_on)}),
        (_("Channel"), p.get_channel_display()),
        (_("Category"), p.get_category_display()),
        (_("Division"), p.division.name),
        (_("Unit"), unit_name(p.unit)),
        (pgettext("petition", "Deadline"), f.day(p.deadline)),
        (_("Status"), p.get_status_display()),
        (_("Review"), p.get_review_display()),
        (_("Substantiated"), p.get_substantiated_display() or "—"),
        (_("Closed on"), f.day(p.closed_on)),
        (_("Publicly disclosed"), f.yes_no(p.public)),
        (_("Reach"), f"{p.reach.code} {p.reach.name}" if p.reach is not None else "—"),
    )
    overdue = p.status != PetitionStatus.CLOSED and p.deadline < _today()
    # The map tag fetches the point (and its reach) from console:map_feature, scoped like every read.
    geo = p.location is not None
    case_url = ""
    if p.case_id and user_role(request.user) in STAFF:
        case_url = reverse("console:case_detail", args=[p.case_id])
    context = {
        "petition": p,
        "figures": figures,
        "overdue": overdue,
        "geo_json": geo,
        "map_include": "",
        "files": _attachments(p.attachments.all()),
        "history": _audit("oversight.petition", [p.pk]),
        "actions": petition_actions(request, p),
        "form": form or {},
        "today": _today().isoformat(),
        "case_url": case_url,
        "case_id": p.case_id,
        "substantiated_choices": Substantiated.choices,
        "status_choices": [
            (PetitionStatus.CLOSED, PetitionStatus.CLOSED.label),
            (PetitionStatus.STAGE_CLOSED, PetitionStatus.STAGE_CLOSED.label),
        ],
        "case_choices": CaseCategory.choices,
        "urls": {a: reverse("console:oversight_petition_action", args=[p.pk, a]) for a in PETITION_DONE},
    }
    return page(
        request,
        "console/oversight/petition.html",
        context,
        title=_("Petition %(n)s") % {"n": p.number},
        crumbs=_crumbs("console:oversight_petition_list", _("Petitions")),
        status=status,
    )


@console_page("console:oversight_petition_list")
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _petition_page(request, _petition(request, pk))


PETITION_DONE = {
    "submit": gettext_lazy("The result is submitted for the office's review."),
    "accept": gettext_lazy("The result is accepted."),
    "return": gettext_lazy("The result is returned to the unit."),
    "open_case": gettext_lazy("A four-chaos case is opened for the petition."),
}


@require_POST
@console_page("console:oversight_petition_list")
def petition_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in PETITION_DONE:
        raise Http404
    p = _petition(request, pk)
    user, post = request.user, request.POST

    def call() -> Any:
        if action == "submit":
            return services.petition_submit(
                actor=user,
                petition=p,
                result=post.get("result", ""),
                substantiated=post.get("substantiated", ""),
                measures=post.get("measures", ""),
                reply=post.get("reply", ""),
                status=post.get("status", ""),
                files=request.FILES.getlist("files"),
            )
        if action == "accept":
            return services.petition_accept(
                actor=user, petition=p, closed_on=_date(request, "closed_on", required=False), note=post.get("note", "")
            )
        if action == "return":
            return services.petition_return(actor=user, petition=p, reason=post.get("reason", ""))
        reach = None
        if post.get("reach", "").strip():
            reach = Reach.objects.filter(code=post["reach"].strip()).first()
            if reach is None:
                raise FormError("reach", _("No such reach."))
        location = None
        lon, lat = post.get("lon", "").strip(), post.get("lat", "").strip()
        if lon or lat:
            try:
                location = Point(float(lon), float(lat), srid=WGS84_SRID)
            except ValueError:
                raise FormError("lon", _("Give longitude and latitude together, in degrees.")) from None
        return services.petition_open_case(
            actor=user, petition=p, category=post.get("category", ""), reach=reach, location=location
        )

    back = reverse("console:oversight_petition_detail", args=[p.pk])
    return _run(
        request,
        action,
        call,
        done=PETITION_DONE[action],
        back=back,
        render=lambda form, status: _petition_page(request, _petition(request, pk), form, status),
    )


@console_page("console:oversight_petition_import")
def petition_import(request: HttpRequest) -> HttpResponse:
    """The hand-over sheet (XLSX, or CSV in UTF-8 or GB 18030): refused whole with every bad row named."""
    rounds = list(InspectionRound.objects.order_by("-started_on", "code"))
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            result = _import(request, rounds)
        except Forbidden as exc:
            raise PermissionDenied from exc
        except (ServiceError, FormError) as exc:
            status = int(getattr(exc, "status_code", 400))
            fields = _field_errors(exc)
            errors = [f"{k}: {' '.join(v)}" if k != "form" else " ".join(v) for k, v in fields.items()]
        else:
            messages.success(
                request,
                _("Batch %(batch)s: %(created)s petitions created, %(unchanged)s already stored unchanged.")
                % {"batch": result.batch.number, "created": result.created, "unchanged": result.unchanged},
            )
            return HttpResponseRedirect(
                reverse("console:oversight_petition_list")
                + f"?round={result.batch.round.code}&batch={result.batch.number}"
            )
    context = {
        "rounds": rounds,
        "errors": errors,
        "values": request.POST,
        "columns": handover.COLUMNS,
        "required": handover.REQUIRED,
    }
    return page(
        request,
        "console/oversight/import.html",
        context,
        title=_("Import a hand-over batch"),
        crumbs=_crumbs("console:oversight_petition_list", _("Petitions")),
        status=status,
    )


def _import(request: HttpRequest, rounds: list[InspectionRound]) -> services.ImportResult:
    post = request.POST
    rnd = next((r for r in rounds if r.code == post.get("round")), None)
    if rnd is None:
        raise FormError("round", _("Choose a round."))
    batch = post.get("batch", "").strip()
    if not batch.isdigit():
        raise FormError("batch", _("A batch number from 1."))
    received_on = _req(_date(request, "received_on"))
    upload = request.FILES.get("file")
    if upload is None:
        raise FormError("file", _("Choose the sheet (.xlsx or .csv)."))
    rows = handover.read_upload(upload.read(), filename=upload.name or "")
    return services.petition_import(
        actor=request.user, scope=scope(request), round=rnd, batch_number=int(batch), received_on=received_on, rows=rows
    )


@console_page("console:oversight_petition_list")
def attachment(request: HttpRequest, pk: int) -> Any:
    """An attachment of a progress report or a petition the caller may see (else 404)."""
    sc = scope(request)
    att = Attachment.objects.filter(pk=pk).first()
    if att is None:
        raise Http404
    if att.progress_id is not None:
        visible = selectors.progress_list(scope=sc).filter(pk=att.progress_id).exists()
    else:
        visible = selectors.petition_list(scope=sc).filter(pk=att.petition_id or 0).exists()
    if not visible:
        raise Http404
    return FileResponse(att.file.open("rb"), content_type=att.content_type, as_attachment=True, filename=att.name)
