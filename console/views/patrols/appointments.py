"""Chief appointments (河湖长 and their appointments, issue 15 item 8): every reach and lake in the
user's jurisdiction with the chiefs in office today, a form to appoint a chief (user, level, reach or
lake, from a date: `places.services.chief_assign`) and, beside each appointment, a form to end it on a
date (`places.services.assignment_end`): the services the API's /places/assignments/ calls, audited.

The end form carries the appointment's `updated_at` as drawn: if it changed meanwhile (ended by
someone else) the page answers 409 and writes nothing, unless it was ended on the very date asked
(the same form sent twice: nothing written, the same success). Appointing twice is one appointment
(`chief_assign` returns the stored one)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.choices import Role
from accounts.selectors import account_choices
from console import formats as f
from console.views import actions
from console.views.base import console_page, page, scope
from console.views.patrols.rules import Invalid
from core.divisions import division_prefix, is_division_code
from core.exceptions import Conflict
from places import selectors, services
from places.choices import ChiefLevel

PAGE = "console:chief_appointments"
PAGE_SIZE = 50
LEVEL_ORDER = {level: n for n, level in enumerate(ChiefLevel.values)}


def _today() -> dt.date:
    return actions.today()


def _waters(request: HttpRequest, division: str) -> list[dict[str, Any]]:
    reaches = selectors.reach_list(scope=scope(request)).defer("geometry", "division__boundary", "river__geometry")
    lakes = selectors.lake_list(scope=scope(request)).defer("geometry", "division__boundary")
    if division:
        reaches = reaches.filter(division__code__startswith=division_prefix(division))
        lakes = lakes.filter(division__code__startswith=division_prefix(division))
    out = [
        {
            "kind": "reach",
            "pk": r.pk,
            "code": r.code,
            "name": r.name,
            "division": r.division.name,
            "what": _("reach of %(river)s") % {"river": r.river.name},
        }
        for r in reaches.order_by("code")
    ]
    out += [
        {
            "kind": "lake",
            "pk": lk.pk,
            "code": lk.code,
            "name": lk.name,
            "division": lk.division.name,
            "what": lk.get_kind_display(),
        }
        for lk in lakes.order_by("code")
    ]
    return out


def _current(request: HttpRequest, waters: list[dict[str, Any]]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    reach_ids = [w["pk"] for w in waters if w["kind"] == "reach"]
    lake_ids = [w["pk"] for w in waters if w["kind"] == "lake"]
    qs = (
        selectors.assignment_list(scope=scope(request), on=_today())
        .defer("reach__geometry", "lake__geometry")
        .filter(Q(reach_id__in=reach_ids) | Q(lake_id__in=lake_ids))
    )
    out: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for a in sorted(qs, key=lambda a: (LEVEL_ORDER.get(a.level, 9), a.valid_from, a.pk)):
        key = ("reach", a.reach_id) if a.reach_id else ("lake", a.lake_id or 0)
        out[key].append(
            {
                "pk": a.pk,
                "chief": str(a.chief),
                "level": a.get_level_display(),
                "since": f.day(a.valid_from),
                "until": f.day(a.valid_until) if a.valid_until else "",
                "seen": a.updated_at.isoformat(),
                "end_url": reverse("console:chief_appointment_end", args=[a.pk]),
            }
        )
    return out


def _list_page(request: HttpRequest, form: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    errors: list[str] = []
    division = request.GET.get("division", "").strip()
    if division and not is_division_code(division):
        errors.append(_("division: a 6-, 9- or 12-digit GB/T 2260 code."))
        division = ""
    waters = _waters(request, division)
    paginator = Paginator(waters, PAGE_SIZE)
    try:
        current_page = paginator.page(request.GET.get("page", "1"))
    except (PageNotAnInteger, EmptyPage):
        errors.append(_("page: no such page."))
        current_page = paginator.page(1)
    shown = list(current_page.object_list)
    chiefs = _current(request, shown)
    failed = (form or {}).get("action", "")
    for w in shown:
        w["chiefs"] = chiefs.get((w["kind"], w["pk"]), [])
        for a in w["chiefs"]:
            # The refused end of this appointment: its messages beside its form.
            if failed == f"end-{a['pk']}":
                a["errors"] = [m for msgs in (form or {}).get("errors", {}).values() for m in msgs]
    query = f"division={division}&" if division else ""
    context = {
        "waters": shown,
        "count": paginator.count,
        "number": current_page.number,
        "division": division,
        "prev_url": f"?{query}page={current_page.number - 1}" if current_page.has_previous() else "",
        "next_url": f"?{query}page={current_page.number + 1}" if current_page.has_next() else "",
        "errors": errors,
        "form": form or {},
        "today": _today().isoformat(),
        "levels": ChiefLevel.choices,
        "new_url": reverse("console:chief_appointment_new"),
        "chief_choices": [
            (u.pk, str(u)) for u in account_choices(role=Role.CHIEF).order_by("display_name", "username")
        ],
        "water_choices": [(f"{w['kind']}:{w['pk']}", f"{w['code']} {w['name']}", w["kind"]) for w in waters],
    }
    return page(
        request,
        "console/patrols/appointments.html",
        context,
        title=_("Chiefs and appointments"),
        status=400 if errors and status == 200 else status,
    )


@console_page(PAGE)
def appointment_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


def _from_model(exc: ValidationError) -> Invalid:
    fields: dict[str, list[str]] = {}
    for name, msgs in exc.message_dict.items():
        fields.setdefault("form" if name == NON_FIELD_ERRORS else name, []).extend(str(m) for m in msgs)
    return Invalid(fields)


APPOINTED = gettext_lazy("The chief is appointed.")
ENDED = gettext_lazy("The appointment is ended.")


@require_POST
@console_page(PAGE)
def appointment_new(request: HttpRequest) -> HttpResponse:
    post = request.POST

    def call() -> Any:
        chief_id = actions.form_int(request, "chief") or 0
        chief = account_choices(role=Role.CHIEF).filter(pk=chief_id).first()
        if chief is None:
            raise actions.FormError("chief", _("Not an active chief account."))
        level = post.get("level", "")
        if level not in ChiefLevel.values:
            raise actions.FormError("level", _("Choose one."))
        kind, __, raw = post.get("water", "").partition(":")
        if kind not in ("reach", "lake") or not raw.isdigit():
            raise actions.FormError("water", _("Choose a reach or a lake."))
        reach = selectors.reach_list(scope=scope(request)).filter(pk=int(raw)).first() if kind == "reach" else None
        lake = selectors.lake_list(scope=scope(request)).filter(pk=int(raw)).first() if kind == "lake" else None
        if reach is None and lake is None:
            raise actions.FormError("water", _("No such reach or lake in your jurisdiction."))
        valid_from = actions.form_date(request, "valid_from")
        valid_until = actions.form_date(request, "valid_until", required=False)
        if valid_until is not None and valid_from is not None and valid_until < valid_from:
            raise actions.FormError("valid_until", _("Must be on or after the first day in office."))
        try:
            return services.chief_assign(
                chief=chief,
                level=level,
                actor=request.user,
                valid_from=valid_from,
                valid_until=valid_until,
                reach=reach,
                lake=lake,
            )
        except ValidationError as exc:
            raise _from_model(exc) from None

    return actions.run_action(
        request,
        "appoint",
        call,
        done=APPOINTED,
        back=reverse(PAGE),
        render=lambda form, status: _list_page(request, form, status),
    )


@require_POST
@console_page(PAGE)
def appointment_end(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.assignment_list(scope=scope(request)).filter(pk=pk).exists():
        raise Http404

    def call() -> Any:
        until = actions.form_date(request, "valid_until")
        with transaction.atomic():
            assignment = (
                selectors.assignment_list(scope=scope(request)).select_for_update(of=("self",)).filter(pk=pk).first()
            )
            if assignment is None:
                raise Http404
            if assignment.updated_at.isoformat() != request.POST.get("seen", ""):
                if assignment.valid_until == until:
                    return assignment  # the same form sent twice: already done
                raise Conflict(
                    _("This appointment changed after you opened the page: look at it again."),
                    code="assignment_changed",
                )
            return services.assignment_end(assignment=assignment, valid_until=until, actor=request.user)

    return actions.run_action(
        request,
        f"end-{pk}",
        call,
        done=ENDED,
        back=reverse(PAGE),
        render=lambda form, status: _list_page(request, form, status),
    )
