"""Bearer tokens: `Authorization: Token <secret>` (SPEC) or `Bearer <secret>`."""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.choices import TokenKind
from accounts.models import ApiToken
from core.audit import audit_record
from core.choices import AuditAction

# Writing last_used_at on every request would turn each read into a write; a coarse value is enough
# to find tokens nobody uses.
LAST_USED_RESOLUTION = dt.timedelta(minutes=10)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _epoch_key(user_id: int) -> str:
    return f"hz:auth:epoch:{user_id}"


def _epoch_ttl() -> int:
    # The epoch must outlive every per-process entry made before it changed.
    return max(60, 2 * getattr(settings, "API_TOKEN_CACHE_SECONDS", 30))


def credentials_changed(user_id: int) -> None:
    """Tell every worker process that this user's cached tokens are stale: a new epoch in the shared
    cache (CACHE_URL, Redis in production), set after the transaction that revoked commits, so no
    process can re-read the old state and keep it under the new epoch."""

    def bump() -> None:
        cache.set(_epoch_key(user_id), secrets.token_hex(8), timeout=_epoch_ttl())

    transaction.on_commit(bump)


class _TokenCache:
    """Recently checked tokens, per process, for API_TOKEN_CACHE_SECONDS (default 30 s).

    Building and running the ORM query costs about 1.5 ms per request on this machine kind
    (benchmarks/auth_tokens.py), which would be the biggest cost of a 5,000-row ingest batch from a
    device. Revocation is not left to the entry's age (issue 14: a deleted token worked on another worker
    for 29.6 s): each entry remembers the user's revocation epoch, read from the shared cache before the
    token was read from the database, and a hit counts only while the shared epoch is still the same. One
    cache read per request instead of the ORM query; a revoke, password change or deactivation anywhere
    changes the epoch (credentials_changed) and every process re-reads the token at its next request.
    """

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, ApiToken, str | None]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> ApiToken | None:
        hit = self._data.get(key_hash)
        if hit is None or hit[0] < time.monotonic():
            return None
        _expires, token, epoch = hit
        if cache.get(_epoch_key(token.user_id)) != epoch:
            self.forget(key_hash)
            return None
        return token

    @staticmethod
    def epoch(user_id: int) -> str | None:
        return cache.get(_epoch_key(user_id))

    def put(self, key_hash: str, token: ApiToken, epoch: str | None) -> None:
        ttl = getattr(settings, "API_TOKEN_CACHE_SECONDS", 30)
        if ttl <= 0:
            return
        with self._lock:
            if len(self._data) >= self.MAX_ENTRIES:
                self._data.clear()
            self._data[key_hash] = (time.monotonic() + ttl, token, epoch)

    def forget(self, key_hash: str) -> None:
        with self._lock:
            self._data.pop(key_hash, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


token_cache = _TokenCache()


def _login_tokens_revoke(*, user_id: int, reason: str) -> int:
    """Revoke every live login token of a user (device tokens stay: they are bound to the device, and a
    disabled account stops them anyway) and tell every process."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            ApiToken.objects.filter(user_id=user_id, kind=TokenKind.LOGIN, revoked_at__isnull=True).values_list(
                "pk", flat=True
            )
        )
        if ids:
            ApiToken.objects.filter(pk__in=ids).update(revoked_at=now)
            audit_record(
                actor=None,
                action=AuditAction.UPDATE,
                entity="accounts.user",
                entity_id=str(user_id),
                reason=f"{len(ids)} login token(s) revoked: {reason}",
            )
        credentials_changed(user_id)
    return len(ids)


def token_changed(sender: Any, instance: ApiToken, **kwargs: Any) -> None:
    """post_save (a revoked_at set by token_revoke or in the admin) and post_delete of ApiToken: a revoked
    or deleted token must stop working in every process, not only in this one."""
    if kwargs.get("raw"):
        return
    if instance.revoked_at is not None or kwargs.get("signal") is post_delete:
        token_cache.forget(instance.key_hash)
        credentials_changed(instance.user_id)


def user_credentials_watch(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """pre_save of the user model: a new password or a deactivation revokes the user's login tokens.

    A receiver, not a service, on purpose: passwords change through Django's own paths too (the
    admin's password form, `manage.py changepassword`, password reset), and every one of them ends in
    User.save(); the rule "a token does not outlive the password it was obtained with" must hold on all.
    """
    if raw or instance.pk is None:
        return
    old = type(instance).objects.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    if old["password"] != instance.password:
        _login_tokens_revoke(user_id=instance.pk, reason="password changed")
    elif old["is_active"] and not instance.is_active:
        _login_tokens_revoke(user_id=instance.pk, reason="account deactivated")


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
        return self.authenticate_secret(secret)

    def authenticate_secret(self, secret: str) -> tuple[Any, ApiToken]:
        """The user and token of a token secret, or AuthenticationFailed."""
        key_hash = hash_token(secret)
        token = token_cache.get(key_hash)
        if token is None:
            token = ApiToken.objects.select_related("user").filter(key_hash=key_hash, revoked_at__isnull=True).first()
            if token is not None:
                # The epoch is read after the row: a revocation that commits in between changes the
                # epoch after this read, so the entry is dropped at its next use.
                token_cache.put(key_hash, token, token_cache.epoch(token.user_id))
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


class TokenBasicAuthentication(BearerTokenAuthentication):
    """HTTP Basic with an API token as the password, for GIS clients that can send nothing else.

    QGIS 3.22 (Debian 12) has no "API header" authentication method and ignores `http-header:` for OGC
    API layers, so its users reach /ogc/ with a Basic configuration: the username and, as the password,
    an API token (never the account password, which is not accepted here: a GIS project file stores its
    credentials, and a token can be revoked alone). The username must be the token's owner's.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"basic":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the header as 'Basic <base64 of username:token>'."))
        try:
            username, __, secret = base64.b64decode(header[1], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed(_("Invalid Basic credentials.")) from None
        if not username or not secret:
            raise exceptions.AuthenticationFailed(_("Give a username and an API token as the password."))
        user, token = self.authenticate_secret(secret)
        if not hmac.compare_digest(user.get_username().encode(), username.encode()):
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="Hezhang OGC API", charset="UTF-8"'
