"""The notification inbox (issue 17): the signed-in user's own notify inbox, newest first and paged,
with mark-read and mark-all-read (POST, CSRF) through notify's services; the topbar's bell shows the
unread count (console/templatetags/console_notify.py). Every role that signs in has an inbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.views.base import console_page, page
from notify import selectors, services
from notify.models import Notification

PAGE_SIZE = 20
# A subject with a console page → that page; any other opens its API link (JSON the session can read).
CONSOLE_PAGES = {
    "patrols.case": "console:case_detail",
    "patrols.patrol": "console:patrol_detail",
    "water.intake": "console:intake_detail",
}


@dataclass
class Row:
    pk: int
    title: str
    body: str
    link: str
    at: Any
    read: bool


def object_link(n: Notification) -> str:
    name = CONSOLE_PAGES.get(n.event.subject_type)
    if name:
        try:
            return reverse(name, args=[n.event.subject_id])
        except NoReverseMatch:
            pass
    return n.link


def _row(n: Notification) -> Row:
    # The text carries the row's full URL on its last line (for e-mail and robots); the page links it.
    body = n.body
    head, _sep, last = body.rpartition("\n")
    if head and last.endswith(n.link) and n.link:
        body = head
    return Row(n.pk, n.title, body, object_link(n), n.created_at, n.read_at is not None)


@console_page("console:notify_inbox")
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.inbox_list(user=request.user, unread=True if unread_only else None)
    pages = Paginator(qs, PAGE_SIZE)
    current = pages.get_page(request.GET.get("page"))
    return page(
        request,
        "console/notify/inbox.html",
        {
            "rows": [_row(n) for n in current.object_list],
            "page_obj": current,
            "unread_only": unread_only,
            "unread": selectors.inbox_unread_count(user=request.user),
        },
        title=_("Notifications"),
    )


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("console:notify_inbox")
    return HttpResponseRedirect(target)


@console_page("console:notify_inbox")
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.inbox_mark_read(user=request.user, ids=[pk])  # someone else's id changes nothing
    return _back(request)


@console_page("console:notify_inbox")
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.inbox_mark_read(user=request.user)
    return _back(request)
