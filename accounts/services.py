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

from accounts.authentication import credentials_changed, hash_token, token_cache
from accounts.choices import TokenKind
from accounts.lockout import LOCKED_MESSAGE
from accounts.models import ApiToken, User
from accounts.selectors import user_tokens
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import InvalidInput, ServiceError


class LockedOut(ServiceError):
    """Too many failed log-ins for this username from this address (accounts.lockout)."""

    status_code = 429
    default_code = "locked_out"


TOKEN_PREFIX = "hz_"  # noqa: S105 - a public marker that makes leaked tokens greppable, not a secret


# What an audit row of a token or an account never holds: the secret's hash and the password hash.
_TOKEN_AUDIT_EXCLUDE = ("key_hash",)
_USER_AUDIT_EXCLUDE = ("password",)
# Changes to an account that decide what its tokens may see: they invalidate the cached tokens.
_ACCESS_FIELDS = ("role", "jurisdiction", "is_active", "is_superuser")


def token_issue(
    *,
    user: User,
    kind: TokenKind = TokenKind.LOGIN,
    name: str = "",
    ttl_days: int | None = None,
    actor: Any = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret (which is not stored and cannot be shown again).
    Audited (the row names the token, never its secret or hash); `actor` defaults to the user.

    Login tokens expire after API_TOKEN_TTL_DAYS; device tokens do not expire unless `ttl_days` is
    given, since an RTU gateway cannot log in again by itself.
    """
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    if ttl_days is None and kind == TokenKind.LOGIN:
        ttl_days = settings.API_TOKEN_TTL_DAYS
    expires = timezone.now() + dt.timedelta(days=ttl_days) if ttl_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, kind=kind, name=name[:100], prefix=secret[:8], key_hash=hash_token(secret), expires_at=expires
        )
        audit_record(
            actor=user if actor is None else actor,
            action=AuditAction.CREATE,
            instance=token,
            after=snapshot(token, exclude=_TOKEN_AUDIT_EXCLUDE),
            reason="token issued",
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


def tokens_invalidate(*, user: User) -> None:
    """Make every worker check the account's tokens against the database again, after a change that
    decides what they may see (role, jurisdiction, active, revocation). This process forgets them at
    once; the others through the shared cache's epoch (accounts.authentication.credentials_changed).
    Runs after the commit, so a rolled-back change invalidates nothing it should not."""
    hashes = list(user_tokens(user=user).values_list("key_hash", flat=True))

    def forget() -> None:
        for key_hash in hashes:
            token_cache.forget(key_hash)

    transaction.on_commit(forget)
    credentials_changed(user.pk)  # every other worker, through the shared cache's epoch


@transaction.atomic
def token_save_from_admin(*, token: ApiToken, actor: Any) -> None:
    """The admin's edit of a token (name, expiry, revocation): saved, audited, and the cached token
    invalidated when it changed."""
    stored = ApiToken.objects.filter(pk=token.pk).first()
    before = None if stored is None else snapshot(stored, exclude=_TOKEN_AUDIT_EXCLUDE)
    token.full_clean()
    token.save()
    after = snapshot(ApiToken.objects.get(pk=token.pk), exclude=_TOKEN_AUDIT_EXCLUDE)
    if before == after:
        return
    transaction.on_commit(lambda: token_cache.forget(token.key_hash))
    audit_record(actor=actor, action=AuditAction.UPDATE, instance=token, before=before, after=after, reason="admin")


def token_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete tokens that expired or were revoked more than a week ago."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=7)
    deleted, __ = ApiToken.objects.filter(expires_at__lt=cutoff).delete()
    deleted_revoked, __ = ApiToken.objects.filter(revoked_at__lt=cutoff).delete()
    return deleted + deleted_revoked


@transaction.atomic
def user_save_from_admin(*, user: User, actor: Any) -> None:
    """The admin's create or edit of an account: saved and audited (the password hash never enters the
    audit row; a password change is recorded as such). A change of role, jurisdiction, active flag
    or superuser status decides what the account sees, so it invalidates the account's cached
    tokens, as does a new password."""
    stored = User.objects.filter(pk=user.pk).first() if user.pk else None
    before = None if stored is None else snapshot(stored, exclude=_USER_AUDIT_EXCLUDE)
    user.save()
    # As stored (times in UTC), so that a form's re-posted local time is no change.
    after = snapshot(User.objects.get(pk=user.pk), exclude=_USER_AUDIT_EXCLUDE)
    password_changed = stored is not None and stored.password != user.password
    if before == after and not password_changed:
        return
    reasons = ["admin"] + (["password changed"] if password_changed else [])
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if stored is None else AuditAction.UPDATE,
        instance=user,
        before=before,
        after=after,
        reason=", ".join(reasons),
    )
    if before is not None and (password_changed or any(before.get(f) != after.get(f) for f in _ACCESS_FIELDS)):
        tokens_invalidate(user=user)
