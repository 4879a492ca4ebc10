"""`{% notify_bell %}`: the topbar's bell with the signed-in user's unread count (notify's selector)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from notify.selectors import inbox_unread_count

register = template.Library()


@register.inclusion_tag("console/notify/_bell.html", takes_context=True)
def notify_bell(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {"show": True, "unread": inbox_unread_count(user=user), "url": reverse("console:notify_inbox")}
