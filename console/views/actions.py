"""What every console page that writes shares (ARCHITECTURE rule 17: pages call the services the API
views call): reading a form's values, running a service and showing its errors beside the form with the
user's input kept, the history of a row from the audit log, and a header card's figures.

A refused action re-renders the page with the service's messages beside its form (400/409/413), writes
nothing, and is never a 500; a Forbidden is a 403 and a NotFound a 404, as in the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.permissions import user_role
from console import formats as f
from core.exceptions import Forbidden, NotFound, ServiceError
from core.models import AuditLog

STAFF = (Role.ADMIN, Role.REVIEWER)
Errors = dict[str, list[str]]
Render = Callable[[dict[str, Any], int], HttpResponse]


class FormError(Exception):
    """A form value the page itself cannot read (a date that is not one): named like a service error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.fields = {field: [message]}
        self.status_code = 400


def today() -> dt.date:
    return timezone.localdate()


def form_date(request: HttpRequest, name: str, *, required: bool = True) -> dt.date | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        if required:
            raise FormError(name, _("This field is required."))
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise FormError(name, _("A date such as 2024-03-08.")) from None


def form_int(request: HttpRequest, name: str, *, required: bool = True) -> int | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        if required:
            raise FormError(name, _("Choose one."))
        return None
    if not raw.isdigit():
        raise FormError(name, _("Choose one."))
    return int(raw)


def form_decimal(request: HttpRequest, name: str, *, required: bool = True) -> Decimal | None:
    raw = request.POST.get(name, "").strip().replace(",", "")
    if not raw:
        if required:
            raise FormError(name, _("This field is required."))
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise FormError(name, _("A number such as 1234.5.")) from None
    if not value.is_finite():
        raise FormError(name, _("A number such as 1234.5."))
    return value


def form_text(request: HttpRequest, name: str, *, required: bool = True) -> str:
    raw = request.POST.get(name, "").strip()
    if required and not raw:
        raise FormError(name, _("This field is required."))
    return raw


def is_staff(request: HttpRequest) -> bool:
    return user_role(request.user) in STAFF


def field_errors(exc: Any) -> Errors:
    """A service error's fields as lists of strings; an error without fields is the form's own."""
    fields = getattr(exc, "fields", None) or {}
    out: Errors = {}
    for key, value in fields.items():
        out[str(key)] = [str(m) for m in (value if isinstance(value, list | tuple) else [value])]
    if not out:
        out["form"] = [str(getattr(exc, "message", exc))]
    return out


def run_action(
    request: HttpRequest, action: str, call: Callable[[], Any], *, done: Any, back: str, render: Render
) -> HttpResponse:
    """Call the service; on success a message and back to the page (post/redirect/get), else the page
    again with the errors beside the action's form and the user's input kept (`form` in the context:
    {"action", "errors", "values"})."""
    try:
        call()
    except Forbidden as exc:
        raise PermissionDenied from exc
    except NotFound as exc:
        raise Http404 from exc
    except (ServiceError, FormError) as exc:
        form = {"action": action, "errors": field_errors(exc), "values": request.POST}
        return render(form, int(getattr(exc, "status_code", 400)))
    messages.success(request, done)
    return HttpResponseRedirect(back)


def audit_rows(
    entity: str,
    ids: list[Any],
    *,
    status_labels: Mapping[str, Any] | None = None,
    reason_words: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[dict[str, str]]:
    """The audit rows of these items, oldest first: who, when, what (the status change in words, or the
    fields changed) and why. `names` labels the item of each row (a milestone's title)."""
    rows = AuditLog.objects.filter(entity=entity, entity_id__in=[str(i) for i in ids]).order_by("at", "id")
    labels = status_labels or {}
    words = reason_words or {}
    out = []
    for a in rows:
        before, after = a.before if isinstance(a.before, dict) else {}, a.after if isinstance(a.after, dict) else {}
        what = ""
        if before and before.get("status") != after.get("status") and "status" in after:
            old, new = before.get("status"), after["status"]
            what = f"{labels.get(str(old), old)} → {labels.get(str(new), new)}"
        elif before:
            what = "、".join(
                sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k) and k != "updated_at")
            )
        reason = str(words.get(a.reason, a.reason))
        out.append(
            {
                "at": f.when(a.at),
                "who": a.actor_label,
                "action": a.get_action_display(),
                "what": what,
                "item": (names or {}).get(a.entity_id, ""),
                "reason": reason,
            }
        )
    return out


def figures(*pairs: tuple[Any, Any]) -> list[dict[str, str]]:
    return [{"label": str(label), "value": str(value)} for label, value in pairs]
