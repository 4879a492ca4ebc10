"""What every console page shares: sign-in required, the role's menu, the title and breadcrumbs."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise

from accounts.choices import Role
from accounts.permissions import user_role
from accounts.scope import Scope, scope_for
from console.nav import ROLE_LABELS, may_use, nav_for
from console.todo import todo_for

View = Callable[..., HttpResponse]


def console_page(url_name: str) -> Callable[[View], View]:
    """Signed in (else the log-in page), and a role the page is for (the menu shows nothing else, so
    this refusal is only met by typing a URL)."""

    def wrap(view: View) -> View:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not may_use(request.user, url_name):
                raise PermissionDenied
            request.console_page = url_name  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return login_required(inner)

    return wrap


def scope(request: HttpRequest) -> Scope:
    return scope_for(request.user)


def to_json(data: Any) -> str:
    """JSON for a data-* attribute (read by the page's static JS; no inline script under the CSP)."""
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    title: str | Promise,
    crumbs: Sequence[tuple[str | Promise, str]] = (),
    status: int = 200,
) -> HttpResponse:
    current = getattr(request, "console_page", "")
    base = {
        "title": title,
        "crumbs": list(crumbs),
        "nav": nav_for(request.user, current, todo_for(request.user)),
        "role": user_role(request.user),
        "role_label": ROLE_LABELS.get(Role(role), "") if (role := user_role(request.user)) else "",
    }
    return render(request, template, {**base, **context}, status=status)
