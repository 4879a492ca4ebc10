"""Writes of the accounts app."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.authentication import hash_token, token_cache
from accounts.choices import Role, TokenKind
from accounts.lockout import LOCKED_MESSAGE
from accounts.models import ApiToken, User
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import InvalidInput, ServiceError


class LockedOut(ServiceError):
    """Too many failed log-ins for this username from this address (accounts.lockout)."""

    status_code = 429
    default_code = "locked_out"


TOKEN_PREFIX = "hz_"  # noqa: S105 - a public marker that makes leaked tokens greppable, not a secret


def token_issue(
    *, user: User, kind: TokenKind = TokenKind.LOGIN, name: str = "", ttl_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret (which is not stored and cannot be shown again).

    Login tokens expire after API_TOKEN_TTL_DAYS; device tokens do not expire unless `ttl_days` is
    given, since an RTU gateway cannot log in again by itself.
    """
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    if ttl_days is None and kind == TokenKind.LOGIN:
        ttl_days = settings.API_TOKEN_TTL_DAYS
    expires = timezone.now() + dt.timedelta(days=ttl_days) if ttl_days else None
    token = ApiToken.objects.create(
        user=user, kind=kind, name=name[:100], prefix=secret[:8], key_hash=hash_token(secret), expires_at=expires
    )
    return token, secret


def token_login(*, username: str, password: str, request: HttpRequest | None = None) -> str:
    """Check a username and password and issue a login token. One message for every failure, so the
    answer does not tell which usernames exist. `request` is the HTTP request the credentials came in:
    the log-in lock-out (accounts.lockout) counts failures by username and its client address."""
    user = authenticate(request=request, username=username, password=password)
    if request is not None and getattr(request, "axes_locked_out", False):
        raise LockedOut(LOCKED_MESSAGE)
    if user is None or not user.is_active:
        raise InvalidInput(
            _("Unable to log in with the given username and password."),
            code="invalid_credentials",
            fields={"password": [_("Unable to log in with the given username and password.")]},
        )
    if not isinstance(user, User):  # a custom auth backend returned something else
        raise TypeError("authenticate() returned a non-User")
    with transaction.atomic():
        __, secret = token_issue(user=user, kind=TokenKind.LOGIN, name="login")
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        audit_record(actor=user, action=AuditAction.LOGIN, instance=user)
    return secret


def token_revoke(*, token: ApiToken, actor: Any) -> None:
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        token_cache.forget(token.key_hash)
        audit_record(actor=actor, action=AuditAction.UPDATE, instance=token, reason="token revoked")


def token_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete tokens that expired or were revoked more than a week ago."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=7)
    deleted, __ = ApiToken.objects.filter(expires_at__lt=cutoff).delete()
    deleted_revoked, __ = ApiToken.objects.filter(revoked_at__lt=cutoff).delete()
    return deleted + deleted_revoked


def user_create(
    *,
    username: str,
    role: Role,
    jurisdiction: str = "",
    password: str | None = None,
    display_name: str = "",
    actor: User | str | None = None,
) -> User:
    """Create an account. A device account gets no usable password unless one is given."""
    user = User(username=username, role=role, jurisdiction=jurisdiction, display_name=display_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    with transaction.atomic():
        user.save()
        audit_record(actor=actor, action=AuditAction.CREATE, instance=user, after=snapshot(user, exclude=("password",)))
    return user
