"""Log-in lock-out (django-axes) glue: the backend every log-in path goes through, and the 429 answer.

Every log-in that calls `django.contrib.auth.authenticate(request=..., username=..., password=...)` is
counted by username and client address together (AXES_LOCKOUT_PARAMETERS): the admin's log-in, the API's
token endpoint, and the console's log-in page with no code of its own. After LOGIN_FAILURE_LIMIT failures
that pair is refused, even with the right password, for LOGIN_LOCKOUT_MINUTES. Keyed on the pair, so an
attacker guessing from one address neither unlocks himself by rotating usernames nor locks a user out
who logs in from elsewhere; the address comes from core.api.client_ip.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest, HttpResponse, JsonResponse

from core.api.exceptions import error_body

LOCKED_MESSAGE = "登录失败次数过多，请稍后再试。Too many failed log-ins; try again later."


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check, first in AUTHENTICATION_BACKENDS. A call without a request is not an HTTP log-in
    (a shell, the test client's login()), so there is no address to count it under: it is passed on to
    the next backend. Every HTTP log-in path passes its request; tests/accounts/test_lockout.py checks
    each one."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """429 in the API's error shape for the API, plain text elsewhere (admin, console)."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("locked_out", LOCKED_MESSAGE), status=429)
    return HttpResponse(LOCKED_MESSAGE, status=429, content_type="text/plain; charset=utf-8")
