"""The patrol review queue and the review page (issue 15 item 2): the flagged patrols awaiting a
reviewer, filtered by flag, division, chief and period; a patrol's track over its reach with the
suspect points marked, each flag explained, the raw points at the suspect places, and the accept /
reject form posting to `patrols.services.patrol_review` (the API's service: the same roles, the same
audit row). The form carries the patrol's `updated_at` as drawn: if the patrol changed meanwhile the
service answers 409 and nothing is written; the same form sent twice records one review."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from console import formats as f
from console.ledgers.base import Column, Filter, Ledger, LedgerError, empty_page, ledger_page
from console.ledgers.definitions import GEOMETRY, LAKE, REACH, flag_words
from console.todo import todo_forget
from console.views import actions
from console.views.base import console_page, page, scope, to_json
from console.views.details import FLAG_EXPLANATIONS
from console.views.patrols.evidence import patrol_evidence
from core import periods
from patrols import selectors, services
from patrols.choices import PatrolFlag, PatrolStatus, ReviewStatus, ValidityReason
from patrols.filters import PatrolFilter
from patrols.models import Patrol

QUEUE = "console:patrol_review_queue"

REVIEW_QUEUE = Ledger(
    slug="patrol_review",
    title=gettext_lazy("Patrol review queue"),
    # Flagged patrols awaiting review: the 待办 count of console.todo, row for row.
    queryset=lambda sc: (
        selectors.patrol_list(scope=sc).filter(review_status=ReviewStatus.PENDING).defer("track_preview", *GEOMETRY)
    ),
    filterset=PatrolFilter,
    columns=(
        Column(gettext_lazy("Started (Beijing)"), lambda o: f.when(o.started_at), "started_at"),
        Column(gettext_lazy("Flags"), lambda o: flag_words(o.flags)),
        Column(gettext_lazy("Chief"), lambda o: str(o.chief), "chief__username"),
        Column(gettext_lazy("Reach"), lambda o: o.site.name, "reach__code"),
        Column(gettext_lazy("Division"), lambda o: o.site.division.name, "reach__division__code"),
        Column(gettext_lazy("Level"), lambda o: o.get_level_display(), "level"),
        Column(gettext_lazy("Distance (km)"), lambda o: f.number((o.distance_m or 0) / 1000, 2), "distance_m", True),
        Column(gettext_lazy("Valid"), lambda o: f.yes_no(o.valid), "valid"),
        Column(gettext_lazy("Status"), lambda o: o.get_status_display(), "status"),
    ),
    filters=(
        Filter("flag", gettext_lazy("Flag"), "choice"),
        Filter("division", gettext_lazy("Division code")),
        REACH,
        LAKE,
        Filter("chief", gettext_lazy("Chief"), "choice"),
        Filter("start", gettext_lazy("From"), "date"),
        Filter("end", gettext_lazy("To"), "date"),
    ),
    # Oldest first: a queue is worked from its head.
    default_sort=("started_at", "id"),
    detail=lambda o: reverse("console:patrol_review", args=[o.pk]),
)


def _chief_choices(request: HttpRequest) -> list[tuple[str, str]]:
    """The chiefs who have a patrol in the queue (in the user's scope): one small grouped query."""
    rows = (
        selectors.patrol_list(scope=scope(request))
        .filter(review_status=ReviewStatus.PENDING)
        .order_by()
        .values_list("chief_id", "chief__display_name", "chief__username")
        .distinct()
    )
    return sorted(((str(pk), name or username) for pk, name, username in rows), key=lambda c: c[1])


@console_page(QUEUE)
def review_queue(request: HttpRequest) -> HttpResponse:
    status = 200
    try:
        data = ledger_page(ledger=REVIEW_QUEUE, scope=scope(request), params=request.GET)
    except LedgerError as exc:
        data = empty_page(ledger=REVIEW_QUEUE, params=request.GET, errors=exc.messages, scope=scope(request))
        status = 400
    chiefs = _chief_choices(request)
    for flt in data.filters:
        if flt["name"] == "chief":
            flt["choices"] = chiefs
    context = {"ledger": REVIEW_QUEUE, "data": data, "list_url": request.path}
    template = "console/ledger/_table.html" if getattr(request, "htmx", False) else "console/ledger/list.html"
    return page(request, template, context, title=REVIEW_QUEUE.title, status=status)


# ------------------------------------------------------------------------------------------ the page


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Http404 from exc


def _patrol(request: HttpRequest, pk: str) -> Patrol:
    """The patrol with its per-point columns (the evidence is read from them), in the user's scope."""
    patrol = selectors.patrol_detail(scope=scope(request)).defer(*GEOMETRY[1:]).filter(pk=_uuid(pk)).first()
    if patrol is None:
        raise Http404
    return patrol


def may_review(request: HttpRequest, patrol: Patrol) -> bool:
    """The service's rule: admins and reviewers (the scope already holds the jurisdiction), a
    completed patrol (one in progress cannot be reviewed: 409)."""
    return actions.is_staff(request) and patrol.status == PatrolStatus.COMPLETED


def _flags(patrol: Patrol) -> list[dict[str, str]]:
    out = []
    for code in patrol.flags or []:
        try:
            flag = PatrolFlag(code)
        except ValueError:
            out.append({"code": code, "label": code, "why": ""})
            continue
        out.append({"code": code, "label": str(flag.label), "why": str(FLAG_EXPLANATIONS.get(flag, ""))})
    return out


def _overlaps(request: HttpRequest, patrol: Patrol) -> list[dict[str, str]]:
    if PatrolFlag.OVERLAP.value not in (patrol.flags or []) or patrol.ended_at is None:
        return []
    others = (
        selectors.patrol_list(scope=scope(request))
        .defer("track_preview", *GEOMETRY)
        .filter(
            chief_id=patrol.chief_id,
            status=PatrolStatus.COMPLETED,
            started_at__lt=patrol.ended_at,
            ended_at__gt=patrol.started_at,
        )
        .exclude(pk=patrol.pk)
        .order_by("started_at")
    )
    return [
        {
            "url": reverse("console:patrol_review", args=[o.pk]),
            "reach": o.site.name,
            "span": f"{f.when(o.started_at)} – {f.when(o.ended_at)}",
            "review": o.get_review_status_display(),
        }
        for o in others
    ]


def _review_page(
    request: HttpRequest, patrol: Patrol, form: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    evidence = patrol_evidence(patrol)
    reasons = []
    for code in patrol.invalid_reasons or []:
        try:
            reasons.append(str(ValidityReason(code).label))
        except ValueError:
            reasons.append(str(code))
    figures = actions.figures(
        (_("Chief"), str(patrol.chief)),
        (_("Reach"), f"{patrol.site.code} {patrol.site.name}"),
        (_("Division"), patrol.site.division.name),
        (_("Level"), patrol.get_level_display()),
        (_("Status"), patrol.get_status_display()),
        (_("Started (Beijing)"), f.when(patrol.started_at)),
        (_("Ended (Beijing)"), f.when(patrol.ended_at)),
        (_("Distance"), f.km(patrol.distance_m)),
        (_("Track points kept / received"), f"{f.number(patrol.points_kept)} / {f.number(patrol.points_received)}"),
        (_("Share inside the reach"), f.percent(patrol.inside_share)),
        (_("Valid"), f.yes_no(patrol.valid)),
        (_("Review"), patrol.get_review_status_display()),
    )
    reviewed = ""
    if patrol.reviewed_at is not None:
        reviewed = _("%(decision)s by %(who)s on %(at)s") % {
            "decision": patrol.get_review_status_display(),
            "who": str(patrol.reviewed_by),
            "at": f.when(patrol.reviewed_at),
        }
    context = {
        "patrol": patrol,
        "figures": figures,
        "flags": _flags(patrol),
        "reasons": reasons,
        "evidence": evidence,
        "marks_json": to_json(evidence.marks),
        "overlaps": _overlaps(request, patrol),
        "may_review": may_review(request, patrol),
        "in_progress": patrol.status != PatrolStatus.COMPLETED,
        "reviewed": reviewed,
        "form": form or {},
        "seen": patrol.updated_at.isoformat(),
        "decide_url": reverse("console:patrol_review_decide", args=[patrol.pk]),
        "detail_url": reverse("console:patrol_detail", args=[patrol.pk]),
        "history": actions.audit_rows(
            "patrols.patrol", [patrol.pk], status_labels=dict(ReviewStatus.choices), reason_words=REASON_WORDS
        ),
    }
    title = _("Review: patrol of %(reach)s on %(day)s") % {
        "reach": patrol.site.name,
        "day": periods.to_beijing(patrol.started_at).date().isoformat(),
    }
    return page(
        request,
        "console/patrols/review.html",
        context,
        title=title,
        crumbs=[(REVIEW_QUEUE.title, reverse(QUEUE))],
        status=status,
    )


NOTE_MAX = Patrol._meta.get_field("review_note").max_length or 500
REASON_WORDS = {"patrol review": gettext_lazy("review")}


@console_page(QUEUE)
def review_page(request: HttpRequest, pk: str) -> HttpResponse:
    return _review_page(request, _patrol(request, pk))


DONE: dict[str, Any] = {
    ReviewStatus.ACCEPTED.value: gettext_lazy("The patrol is accepted."),
    ReviewStatus.REJECTED.value: gettext_lazy("The patrol is rejected: it counts nowhere as valid."),
}


def _seen(request: HttpRequest) -> dt.datetime:
    raw = request.POST.get("seen", "")
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise actions.FormError("form", _("The form is incomplete: open the patrol again.")) from None
    if value.tzinfo is None:
        raise actions.FormError("form", _("The form is incomplete: open the patrol again."))
    return value


@require_POST
@console_page(QUEUE)
def review_decide(request: HttpRequest, pk: str) -> HttpResponse:
    patrol = _patrol(request, pk)
    decision = request.POST.get("decision", "")

    def call() -> Any:
        if len(request.POST.get("note", "").strip()) > NOTE_MAX:
            raise actions.FormError("note", _("At most %(n)s characters.") % {"n": NOTE_MAX})
        reviewed = services.patrol_review(
            patrol=patrol,
            actor=request.user,
            decision=decision,
            note=request.POST.get("note", ""),
            if_unchanged_since=_seen(request),
        )
        todo_forget(request.user)  # the reviewer's own 待办 count drops at once
        return reviewed

    # Back to the queue: the next flagged patrol is what the reviewer wants after a decision.
    return actions.run_action(
        request,
        "review",
        call,
        done=DONE.get(decision, ""),
        back=reverse(QUEUE),
        render=lambda form, status: _review_page(request, _patrol(request, pk), form, status),
    )
