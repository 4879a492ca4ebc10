"""待办: what awaits the signed-in user, as counts beside the menu items (console.md "Information
architecture"). Each count reads the same selector, with the same scope, as the ledger it links to,
and links to that ledger filtered to exactly the rows counted:

- reviewers and administrators: flagged patrols awaiting review (the review queue), cases submitted for check and
  open cases past their deadline (问题), open alerts (告警);
- river chiefs: their open cases past their deadline (their case scope: the cases they reported);
- operators: open alerts on their intakes.

At most three small counting queries (one per table), kept per user for CONSOLE_TODO_CACHE_SECONDS
(an action shows in the counts within that time; the ledgers themselves are never cached)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.permissions import user_role
from accounts.scope import Scope, scope_for
from patrols import selectors as patrol_selectors
from patrols.choices import CaseStatus, ReviewStatus
from water import selectors as water_selectors

OVERDUE = Q(overdue_at__isnull=False) & ~Q(status=CaseStatus.CLOSED)
# The ledger's filter for the same rows: flagged overdue, in any state but closed.
OVERDUE_QUERY = "?overdue=true&" + "&".join(f"status={s.value}" for s in CaseStatus if s != CaseStatus.CLOSED)


@dataclass(frozen=True)
class Todo:
    """One count beside a menu item: how many, what they are (the badge's title), the rows behind it."""

    count: int
    label: str
    url: str
    urgent: bool = False  # past a deadline (drawn in the warning colour)


def _patrols_pending(sc: Scope) -> int:
    return patrol_selectors.patrol_list(scope=sc).filter(review_status=ReviewStatus.PENDING).order_by().count()


def _cases(sc: Scope) -> dict[str, int]:
    return (
        patrol_selectors.case_list(scope=sc)
        .order_by()
        .aggregate(submitted=Count("pk", filter=Q(status=CaseStatus.SUBMITTED)), overdue=Count("pk", filter=OVERDUE))
    )


def _alerts_open(sc: Scope) -> int:
    return water_selectors.alert_list(scope=sc).filter(resolved_at__isnull=True).order_by().count()


def _counts(user: Any) -> dict[str, dict[str, int]]:
    """The raw numbers per menu item (URL name) for this user: one query per table."""
    role = user_role(user)
    sc = scope_for(user)
    out: dict[str, dict[str, int]] = {}
    if role in (Role.ADMIN, Role.REVIEWER):
        out["console:patrol_review_queue"] = {"pending": _patrols_pending(sc)}
        out["console:case_list"] = _cases(sc)
        out["console:alert_list"] = {"open": _alerts_open(sc)}
    elif role == Role.CHIEF:
        out["console:case_list"] = {"overdue": patrol_selectors.case_list(scope=sc).filter(OVERDUE).order_by().count()}
    elif role == Role.OPERATOR:
        out["console:alert_list"] = {"open": _alerts_open(sc)}
    return out


def _badges(counts: dict[str, dict[str, int]]) -> dict[str, list[Todo]]:
    """The badges people read, in the request's language (only the numbers are cached)."""
    out: dict[str, list[Todo]] = {}

    def add(url_name: str, n: int | None, label: str, query: str, urgent: bool = False) -> None:
        if n:
            out.setdefault(url_name, []).append(Todo(n, label, reverse(url_name) + query, urgent))

    patrols, cases, alerts = (
        counts.get(k, {}) for k in ("console:patrol_review_queue", "console:case_list", "console:alert_list")
    )
    # The review queue lists exactly the patrols counted (pending review), with no filter.
    add("console:patrol_review_queue", patrols.get("pending"), _("flagged patrols awaiting review"), "")
    add("console:case_list", cases.get("submitted"), _("cases submitted for check"), "?status=submitted")
    add("console:case_list", cases.get("overdue"), _("open cases past their deadline"), OVERDUE_QUERY, urgent=True)
    add("console:alert_list", alerts.get("open"), _("open alerts"), "?state=open", urgent=True)
    return out


def _key(user: Any) -> str:
    return f"console:todo:v2:{user.pk}"


def todo_forget(user: Any) -> None:
    """Count again on this user's next page: after an action of theirs that empties a count (a review)."""
    cache.delete(_key(user))


def todo_for(user: Any) -> dict[str, list[Todo]]:
    """{menu item URL name: its badges} for this user, counted at most every CONSOLE_TODO_CACHE_SECONDS."""
    if not getattr(user, "is_authenticated", False):
        return {}
    key = _key(user)
    counts = cache.get(key)
    if counts is None:
        counts = _counts(user)
        cache.set(key, counts, settings.CONSOLE_TODO_CACHE_SECONDS)
    return _badges(counts)
