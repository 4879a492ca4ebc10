"""The case page: the header card, the location map, the photos (with the upload), the workflow steps
and the audit history, and only the steps this user may take on the case in its state now.

Every step posts (CSRF) to the same service the API calls. The form carries the state the case was shown
in (`state`): a case that moved meanwhile (another reviewer acted) is a 409 message and nothing is
written; the same step sent twice by the same person (a double submit) records one step and says so."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from console import formats as f
from console.views import actions
from console.views.base import console_page, page, scope
from console.views.cases.common import (
    DONE,
    STEP_WORDS,
    STEPS,
    case_actions,
    is_overdue,
    may_add_photo,
    may_step,
    readable,
    stale_message,
    writable,
)
from console.views.cases.forms import step_forms
from core.exceptions import Conflict
from core.models import AuditLog
from patrols import selectors, services
from patrols.choices import CaseStatus, PhotoFlag
from patrols.models import Case, CaseEvent, CasePhoto
from patrols.services.cases import TRANSITIONS

AUDIT_WORDS = {"deadline passed": gettext_lazy("deadline passed")}


def _photo_rows(case: Case) -> list[dict[str, Any]]:
    out = []
    for p in case.photos.order_by("uploaded_at", "id"):
        flags = []
        for code in p.flags or []:
            try:
                flags.append(str(PhotoFlag(code).label))
            except ValueError:
                flags.append(code)
        out.append(
            {
                "url": reverse("patrols:case-photo-file", args=[case.pk, p.pk]),
                "stage": p.get_stage_display(),
                "taken": f.when(p.taken_at),
                "uploaded": f.when(p.uploaded_at),
                "size": f.number(p.size_bytes),
                "who": str(p.uploaded_by) if p.uploaded_by_id else "—",
                "flags": "、".join(flags),
            }
        )
    return out


REASON = re.compile(r"^(?P<step>[a-z]+): [a-z_]+ → [a-z_]+(?: \((?P<note>.*)\))?$", re.DOTALL)


def _history(case: Case) -> list[dict[str, str]]:
    """The audit rows of the case and of its photos, in the order they were written, the reasons in words."""
    photo_ids = [str(p) for p in CasePhoto.objects.filter(case=case).values_list("pk", flat=True)]
    parts = [
        ("patrols.case", [str(case.pk)], {}),
        ("patrols.casephoto", photo_ids, dict.fromkeys(photo_ids, _("photo"))),
    ]
    merged = []
    for entity, ids, names in parts:
        rows = actions.audit_rows(
            entity, ids, status_labels=dict(CaseStatus.choices), reason_words=AUDIT_WORDS, names=names
        )
        # audit_rows orders by (at, id): the same keys, read once more, merge the two lists in writing order.
        keys = AuditLog.objects.filter(entity=entity, entity_id__in=ids).order_by("at", "id").values_list("at", "id")
        merged += list(zip(keys, rows, strict=True))
    out = []
    for _key, row in sorted(merged, key=lambda pair: pair[0]):
        m = REASON.match(row["reason"])
        if m and m["step"] in STEP_WORDS:
            word = str(STEP_WORDS[m["step"]])
            row["reason"] = f"{word}（{m['note']}）" if m["note"] else word
        out.append(row)
    return out


def _case_page(request: HttpRequest, case: Case, form: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    can_write = selectors.case_writable(scope=scope(request)).filter(pk=case.pk).exists()
    acts = case_actions(request, case, can_write=can_write)
    today = actions.today()
    events = [
        {
            "at": f.when(e.at),
            "who": e.actor_label,
            "from": e.get_from_status_display() or "—",
            "to": e.get_to_status_display(),
            "note": e.note,
        }
        for e in CaseEvent.objects.filter(case=case).order_by("at", "id")
    ]
    photos = _photo_rows(case)
    history = _history(case)
    overdue = is_overdue(case, today)
    figures = actions.figures(
        (_("Category"), case.get_category_display()),
        (_("Status"), case.get_status_display()),
        (_("Source"), case.get_source_display()),
        (_("Reach"), f"{case.site.name}（{case.site.division.name}）"),
        (_("Found (Beijing)"), f.when(case.found_at)),
        (_("Reporter"), str(case.reporter) if case.reporter_id else "—"),
        (_("Responsible unit"), f.text(case.responsible_unit)),
        (_("Deadline"), f.day(case.deadline)),
        (_("Overdue"), _("yes") if overdue else (_("flagged before") if case.overdue_at else _("no"))),
        (_("Closed (Beijing)"), f.when(case.closed_at)),
    )
    location = type(case).objects.filter(pk=case.pk).values_list("location", flat=True).first()
    position = f"{location.x:.5f}, {location.y:.5f}" if location is not None else "—"
    steps = [a for a in acts if a != "photo"]
    urls = {a: reverse("console:case_action", args=[case.pk, a]) for a in DONE}
    context = {
        "case": case,
        "figures": figures,
        "events": events,
        "history": history,
        "photos": photos,
        "position": position,
        "overdue": overdue,
        "actions": acts,
        "form": form or {},
        "today": today.isoformat(),
        "state": case.status,
        "patrol_url": reverse("console:patrol_detail", args=[case.patrol_id]) if case.patrol_id else "",
        "urls": urls,
        "steps": steps,
        "step_forms": step_forms(steps, form or {}, urls),
    }
    title = _("Case: %(category)s on %(reach)s") % {"category": case.get_category_display(), "reach": case.site.name}
    return page(
        request,
        "console/cases/case.html",
        context,
        title=title,
        crumbs=[(_("River and lake chiefs"), ""), (_("Cases"), reverse("console:case_list"))],
        status=status,
    )


@console_page("console:case_list")
def case_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    return _case_page(request, readable(request, pk))


def _resent(case: Case, *, action: str, shown: str, user: Any) -> bool:
    """The step this form asks for is the case's last step, taken by this user from the state the form
    was shown in: the same form sent twice (the service would record nothing either)."""
    if action not in TRANSITIONS or case.status != TRANSITIONS[action][1]:
        return False
    last = CaseEvent.objects.filter(case_id=case.pk).order_by("-pk").first()
    return last is not None and last.actor_id == user.pk and last.from_status == shown


@require_POST
@console_page("console:case_list")
def case_action(request: HttpRequest, pk: uuid.UUID, action: str) -> HttpResponse:
    if action not in DONE:
        raise Http404
    # The role first (the service's table): a chief who posts "assign" is refused, whatever the state.
    if action in TRANSITIONS and not may_step(request.user, action):
        raise PermissionDenied
    if action == "photo" and not may_add_photo(request.user):
        raise PermissionDenied
    case = writable(request, pk)
    user, post = request.user, request.POST
    back = reverse("console:case_detail", args=[case.pk])
    shown = post.get("state", "")
    done: Any = DONE[action]

    def call() -> Any:
        if action == "photo":
            return _photo(request, case)
        if shown not in CaseStatus.values:
            raise actions.FormError("state", _("The form is incomplete; open the case again."))
        if shown != case.status:
            raise Conflict(stale_message(case, shown), code="invalid_transition")
        with transaction.atomic():
            if action == "assign":
                deadline = actions.form_date(request, "deadline")
                assert deadline is not None  # noqa: S101 - form_date(required=True) raised otherwise
                return services.case_assign(
                    case=case,
                    actor=user,
                    responsible_unit=post.get("responsible_unit", ""),
                    deadline=deadline,
                    note=post.get("note", "").strip(),
                )
            if action in ("submit", "clear") and request.FILES.get("photo") is not None:
                _photo(request, case)  # the evidence first; a refused photo writes nothing
            step: dict[str, Callable[..., Case]] = {
                "rectify": services.case_rectify,
                "submit": services.case_submit,
                "verify": services.case_verify,
                "reject": services.case_reject,
                "close": services.case_close,
                "clear": services.case_clear_on_spot,
            }
            return step[action](case=case, actor=user, note=post.get("note", "").strip())

    run: Any = call
    if action in STEPS and shown and shown != case.status and _resent(case, action=action, shown=shown, user=user):
        # The same form sent twice: answered as the first was, nothing recorded again.
        done, run = _("This step was already recorded; nothing was recorded twice."), lambda: None

    def again(form: dict[str, Any], status: int) -> HttpResponse:
        return _case_page(request, readable(request, pk), form, status)

    return actions.run_action(request, action, run, done=done, back=back, render=again)


def _photo(request: HttpRequest, case: Case) -> Any:
    upload = request.FILES.get("photo")
    if upload is None:
        raise actions.FormError("photo", _("Choose a photo (JPEG, PNG or WebP)."))
    return services.case_photo_add(case=case, actor=request.user, upload=upload)
