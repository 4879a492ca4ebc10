"""What the case pages share: the case looked up in the caller's scope, the steps this user may take on it
now (the service's own transition table), the state words and the overdue mark."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.permissions import user_role
from console.ledgers.definitions import GEOMETRY
from console.views.base import scope
from patrols import selectors
from patrols.choices import CaseStatus
from patrols.models import Case
from patrols.services.cases import CHIEF_AND_STAFF, TRANSITIONS

# The steps in the order the workflow takes them (the case page shows its buttons in this order).
STEPS = ("assign", "rectify", "submit", "verify", "reject", "close", "clear")
OPEN = [s for s in CaseStatus if s != CaseStatus.CLOSED]
# A case still being worked on past its deadline: what the overdue mark and the "overdue only" filter mean
# (the beat flags it within the hour; a flag stays as history after the case moves on).
LATE = frozenset({CaseStatus.ASSIGNED, CaseStatus.RECTIFYING})

# The audit rows' reasons ("assign: reported → assigned (note)") in the office's words.
STEP_WORDS = {
    "assign": pgettext_lazy("case step", "assigned"),
    "rectify": pgettext_lazy("case step", "rectification started"),
    "submit": pgettext_lazy("case step", "submitted for check"),
    "verify": pgettext_lazy("case step", "verified"),
    "reject": pgettext_lazy("case step", "sent back"),
    "close": pgettext_lazy("case step", "closed"),
    "clear": pgettext_lazy("case step", "cleared on the spot"),
}

DONE = {
    "assign": gettext_lazy("The case is assigned."),
    "rectify": gettext_lazy("Rectification has started."),
    "submit": gettext_lazy("The rectification is submitted for check."),
    "verify": gettext_lazy("The rectification is verified."),
    "reject": gettext_lazy("The rectification is sent back."),
    "close": gettext_lazy("The case is closed."),
    "clear": gettext_lazy("The case is cleared on the spot and closed."),
    "photo": gettext_lazy("The photo is added."),
}


def parse_id(raw: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def readable(request: HttpRequest, pk: uuid.UUID) -> Case:
    """The case if the caller may read it (else 404, as in the API)."""
    case = selectors.case_list(scope=scope(request)).defer(*GEOMETRY).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def writable(request: HttpRequest, pk: uuid.UUID) -> Case:
    """The case if the caller may act on it: a chief only the cases they reported (another chief's case
    is a 404 even on a shared reach), staff those in their jurisdiction (selectors.case_writable)."""
    case = selectors.case_writable(scope=scope(request)).defer(*GEOMETRY).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def may_step(user: Any, action: str) -> bool:
    """Whether the user's role may ever take this step (TRANSITIONS: the service's own table)."""
    return user_role(user) in TRANSITIONS[action][2]


def may_add_photo(user: Any) -> bool:
    return user_role(user) in CHIEF_AND_STAFF


def case_actions(request: HttpRequest, case: Case, *, can_write: bool) -> list[str]:
    """The steps this user may take on the case now: the role and the state as the service checks them,
    on a case the user may act on."""
    if not can_write:
        return []
    out = [a for a in STEPS if case.status in TRANSITIONS[a][0] and may_step(request.user, a)]
    if case.status != CaseStatus.CLOSED and may_add_photo(request.user):
        out.append("photo")
    return out


def is_overdue(case: Case, today: dt.date) -> bool:
    """Past its deadline and still being worked on (assigned or rectifying), flagged by the beat or not."""
    if case.status not in LATE:
        return False
    return case.overdue_at is not None or (case.deadline is not None and case.deadline < today)


def status_word(status: str) -> str:
    try:
        return str(CaseStatus(status).label)
    except ValueError:
        return status


def stale_message(case: Case, shown: str) -> str:
    return _(
        "The case changed while you were looking at it: it was %(shown)s and is now %(now)s. Nothing was "
        "recorded; look at the case again before you act."
    ) % {"shown": status_word(shown), "now": status_word(case.status)}
