"""Bearer tokens: `Authorization: Token <secret>` (SPEC) or `Bearer <secret>`."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import threading
import time
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.models import ApiToken

# Writing last_used_at on every request would turn each read into a write; a coarse value is enough
# to find tokens nobody uses.
LAST_USED_RESOLUTION = dt.timedelta(minutes=10)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class _TokenCache:
    """Recently checked tokens, per process, for API_TOKEN_CACHE_SECONDS (default 30 s).

    Building and running the ORM query costs about 1.5 ms per request on this machine kind
    (benchmarks/auth_tokens.py), which would be the biggest cost of a 5,000-row ingest batch from a
    device. The price: in other processes a revoked token, or a disabled account, keeps working for
    at most that long; the revoking process forgets the token at once.
    """

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, ApiToken]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> ApiToken | None:
        hit = self._data.get(key_hash)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key_hash: str, token: ApiToken) -> None:
        ttl = getattr(settings, "API_TOKEN_CACHE_SECONDS", 30)
        if ttl <= 0:
            return
        with self._lock:
            if len(self._data) >= self.MAX_ENTRIES:
                self._data.clear()
            self._data[key_hash] = (time.monotonic() + ttl, token)

    def forget(self, key_hash: str) -> None:
        with self._lock:
            self._data.pop(key_hash, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


token_cache = _TokenCache()


class BearerTokenAuthentication(BaseAuthentication):
    keywords = (b"token", b"bearer")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the header as 'Token <key>'."))
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        key_hash = hash_token(secret)
        token = token_cache.get(key_hash)
        if token is None:
            token = ApiToken.objects.select_related("user").filter(key_hash=key_hash, revoked_at__isnull=True).first()
            if token is not None:
                token_cache.put(key_hash, token)
        now = timezone.now()
        if token is None or (token.expires_at is not None and token.expires_at <= now):
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        # A copy per request: views may annotate request.user, and the cached one is shared.
        return copy.copy(token.user), token

    def authenticate_header(self, request: Request) -> str:
        return "Token"
