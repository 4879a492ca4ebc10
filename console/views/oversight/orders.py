"""Supervision order and circular pages: the order and its reply; drafting, reading and signing a circular."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console import formats as f
from console.ledgers.oversight import order_item, unit_name
from console.views.base import console_page, page, scope
from console.views.oversight.common import (
    Errors,
    FormError,
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
from oversight import selectors, services
from oversight.models import SupervisionOrder


def _order(request: HttpRequest, pk: int) -> SupervisionOrder:
    order = selectors.order_list(scope=scope(request)).filter(pk=pk).first()
    if order is None:
        raise Http404
    return order


def _order_page(
    request: HttpRequest, o: SupervisionOrder, form: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    item_url = ""
    if o.task_id:
        item_url = reverse("console:oversight_task_detail", args=[o.task_id])
    elif o.milestone is not None:
        item_url = reverse("console:oversight_task_detail", args=[o.milestone.task_id])
    elif o.petition_id:
        item_url = reverse("console:oversight_petition_detail", args=[o.petition_id])
    figures = _figures(
        (_("Subject"), o.get_subject_display()),
        (_("Item"), order_item(o)),
        (_("Unit"), unit_name(o.unit)),
        (_("Division"), o.division.name),
        (_("Issued (Beijing)"), f.when(o.issued_at)),
        (_("Reply due"), f.day(o.reply_due)),
        (_("Replied (Beijing)"), f.when(o.replied_at)),
    )
    context = {
        "order": o,
        "figures": figures,
        "item_url": item_url,
        "form": form or {},
        "may_reply": o.replied_at is None,
        "history": _audit("oversight.supervisionorder", [o.pk]),
        "overdue": o.replied_at is None and o.reply_due < _today(),
    }
    return page(
        request,
        "console/oversight/order.html",
        context,
        title=_("Supervision order %(n)s") % {"n": o.number},
        crumbs=_crumbs("console:oversight_order_list", _("Supervision orders")),
        status=status,
    )


@console_page("console:oversight_order_list")
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_page(request, _order(request, pk))


@require_POST
@console_page("console:oversight_order_list")
def order_reply(request: HttpRequest, pk: int) -> HttpResponse:
    o = _order(request, pk)
    return _run(
        request,
        "reply",
        lambda: services.order_reply(actor=request.user, order=o, reply=request.POST.get("reply", "")),
        done=_("The reply is sent."),
        back=reverse("console:oversight_order_detail", args=[o.pk]),
        render=lambda form, status: _order_page(request, _order(request, pk), form, status),
    )


def _circular(request: HttpRequest, pk: int) -> Any:
    c = selectors.circular_list(scope=scope(request)).filter(pk=pk).first()
    if c is None:
        raise Http404
    return c


def _circular_page(request: HttpRequest, c: Any, form: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    content = c.figures or {}
    units = content.get("units") if isinstance(content, dict) else None
    figures = _figures(
        (_("Period start"), f.day(c.first_date)),
        (_("Period end"), f.day(c.last_date)),
        (_("Division"), c.division_code or "—"),
        (_("Status"), c.get_status_display()),
        (_("Signed (Beijing)"), f.when(c.signed_at)),
        (_("SHA-256 of the PDF"), c.pdf_sha256[:16] + "…"),
    )
    rows = [
        {
            "name": u.get("name") or u.get("unit"),
            "tasks": len(u.get("tasks", [])),
            "milestones": len(u.get("milestones", [])),
            "petitions": len(u.get("petitions", [])),
            "total": u.get("total", 0),
        }
        for u in units or []
    ]
    context = {
        "circular": c,
        "figures": figures,
        "rows": rows,
        "form": form or {},
        "pdf_url": reverse("oversight:circular-pdf", args=[c.pk]),
        "may_sign": c.status == "draft" and _is_staff(request),
    }
    return page(
        request,
        "console/oversight/circular.html",
        context,
        title=c.title or c.number,
        crumbs=_crumbs("console:oversight_circular_list", _("Circulars")),
        status=status,
    )


@console_page("console:oversight_circular_list")
def circular_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _circular_page(request, _circular(request, pk))


@require_POST
@console_page("console:oversight_circular_list")
def circular_sign(request: HttpRequest, pk: int) -> HttpResponse:
    c = _circular(request, pk)
    return _run(
        request,
        "sign",
        lambda: services.circular_sign(actor=request.user, circular=c),
        done=_("The circular is signed; it can no longer change."),
        back=reverse("console:oversight_circular_detail", args=[c.pk]),
        render=lambda form, status: _circular_page(request, _circular(request, pk), form, status),
    )


@console_page("console:oversight_circular_new")
def circular_new(request: HttpRequest) -> HttpResponse:
    """Generate a circular (通报) of the overdue items by unit for a period, as a PDF draft."""
    errors: Errors = {}
    status = 200
    if request.method == "POST":
        created: list[Any] = []

        def call() -> None:
            created.append(
                services.circular_create(
                    actor=request.user,
                    scope=scope(request),
                    first_date=_req(_date(request, "start")),
                    last_date=_req(_date(request, "end")),
                    division_code=request.POST.get("division", "").strip(),
                    title=request.POST.get("title", "").strip(),
                )
            )

        try:
            call()
        except Forbidden as exc:
            raise PermissionDenied from exc
        except (ServiceError, FormError) as exc:
            errors, status = _field_errors(exc), int(getattr(exc, "status_code", 400))
        else:
            messages.success(request, _("The circular is drafted; read it, then sign it."))
            return HttpResponseRedirect(reverse("console:oversight_circular_detail", args=[created[0].pk]))
    return page(
        request,
        "console/oversight/circular_new.html",
        {"errors": errors, "values": request.POST},
        title=_("New circular"),
        crumbs=_crumbs("console:oversight_circular_list", _("Circulars")),
        status=status,
    )
