"""What the oversight pages share: reading a form's dates, running a service and showing its errors beside
the form, the history from the audit log, the header figures and attachments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from accounts.permissions import user_role
from console import formats as f
from core.exceptions import Forbidden, NotFound, ServiceError
from core.models import AuditLog
from oversight.choices import (
    MilestoneStatus,
    PetitionStatus,
    TaskStatus,
)

STAFF = (Role.ADMIN, Role.REVIEWER)
Errors = dict[str, list[str]]


class FormError(Exception):
    """A form value the page itself cannot read (a date that is not one): named like a service error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.fields = {field: [message]}
        self.status_code = 400


def _today() -> dt.date:
    return timezone.localdate()


def _date(request: HttpRequest, name: str, *, required: bool = True) -> dt.date | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        if required:
            raise FormError(name, _("This field is required."))
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise FormError(name, _("A date such as 2024-03-08.")) from None


def _is_staff(request: HttpRequest) -> bool:
    return user_role(request.user) in STAFF


def _field_errors(exc: Any) -> Errors:
    fields = getattr(exc, "fields", None) or {}
    out: Errors = {}
    for key, value in fields.items():
        out[str(key)] = [str(m) for m in (value if isinstance(value, list | tuple) else [value])]
    if not out:
        out["form"] = [str(getattr(exc, "message", exc))]
    return out


def _run(request: HttpRequest, action: str, call: Callable[[], Any], *, done: Any, back: str,
         render: Callable[[dict[str, Any], int], HttpResponse]) -> HttpResponse:  # fmt: skip
    """Call the service; on success a message and back to the page (post/redirect/get), else the page
    again with the errors beside the action's form and the user's input kept."""
    try:
        call()
    except Forbidden as exc:
        raise PermissionDenied from exc
    except NotFound as exc:
        raise Http404 from exc
    except (ServiceError, FormError) as exc:
        form = {"action": action, "errors": _field_errors(exc), "values": request.POST}
        return render(form, int(getattr(exc, "status_code", 400)))
    messages.success(request, done)
    return HttpResponseRedirect(back)


# The reasons the services write when the user gives none (the action's name), in words.
ACTION_WORDS = {
    "start": gettext_lazy("started"), "first progress report": gettext_lazy("started by the first progress report"),
    "complete": gettext_lazy("reported completed"), "sign_off": gettext_lazy("signed off"),
    "result submitted": gettext_lazy("result submitted"), "accepted": gettext_lazy("accepted"),
}  # fmt: skip
STATUS_LABELS = {
    "oversight.task": dict(TaskStatus.choices), "oversight.milestone": dict(MilestoneStatus.choices),
    "oversight.petition": dict(PetitionStatus.choices),
}  # fmt: skip


def _audit(entity: str, ids: list[Any], names: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The audit rows of these items, oldest first: who, when, what (the status change in words, or the
    fields changed) and why. `names` labels the item of each row (a milestone's title)."""
    rows = AuditLog.objects.filter(entity=entity, entity_id__in=[str(i) for i in ids]).order_by("at", "id")
    labels = STATUS_LABELS.get(entity, {})
    out = []
    for a in rows:
        before, after = a.before if isinstance(a.before, dict) else {}, a.after if isinstance(a.after, dict) else {}
        what = ""
        if before and before.get("status") != after.get("status") and "status" in after:
            old, new = before.get("status"), after["status"]
            what = f"{labels.get(str(old), old)} → {labels.get(str(new), new)}"
        elif before:
            what = "、".join(sorted(k for k in set(before) | set(after)
                                   if before.get(k) != after.get(k) and k != "updated_at"))  # fmt: skip
        reason = str(ACTION_WORDS.get(a.reason, a.reason))
        out.append({"at": f.when(a.at), "who": a.actor_label, "action": a.get_action_display(), "what": what,
                    "item": (names or {}).get(a.entity_id, ""), "reason": reason})  # fmt: skip
    return out


def _figures(*pairs: tuple[Any, Any]) -> list[dict[str, str]]:
    return [{"label": str(label), "value": str(value)} for label, value in pairs]


def _attachments(rows: Any) -> list[dict[str, str]]:
    return [
        {"url": reverse("console:oversight_attachment", args=[a.pk]), "name": a.name, "sha": a.sha256[:12],
         "size": f.number(a.size_bytes)}
        for a in rows
    ]  # fmt: skip


def _crumbs(url_name: str, label: Any) -> list[tuple[Any, str]]:
    return [(_("Oversight"), ""), (label, reverse(url_name))]


def _req(value: dt.date | None) -> dt.date:
    assert value is not None  # noqa: S101 - _date(required=True) raised otherwise
    return value


def _int(raw: str, name: str) -> int:
    if not str(raw).isdigit():
        raise FormError(name, _("Choose one."))
    return int(raw)


def _geojson(geom: Any) -> Any:
    import json

    return json.loads(geom.json) if geom is not None else None
