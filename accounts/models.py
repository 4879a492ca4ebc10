"""Accounts: the user model and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role, TokenKind

division_code_validator = RegexValidator(r"^\d{6}(\d{3}(\d{3})?)?$", _("A 6-, 9- or 12-digit GB/T 2260 division code."))


class User(AbstractUser):
    """A person or a device that calls the system, with one role and one jurisdiction.

    The jurisdiction is a GB/T 2260 division code rather than a foreign key: accounts sits below
    places in the import order, and codes are hierarchical, so scoping is a prefix match
    (core.divisions). A reviewer of 650102 sees Tianshan District and everything below it.
    """

    role = models.CharField(
        max_length=16, choices=Role.choices, default=Role.CHIEF, db_index=True, verbose_name=_("role")
    )
    jurisdiction = models.CharField(
        max_length=12,
        blank=True,
        validators=[division_code_validator],
        help_text="GB/T 2260 code of the division this account may see (empty: none, unless admin).",
        verbose_name=_("jurisdiction"),
    )
    display_name = models.CharField(max_length=100, blank=True, verbose_name=_("display name"))
    phone = models.CharField(max_length=32, blank=True, verbose_name=_("phone"))

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class ApiToken(models.Model):
    """A bearer token. Only a SHA-256 of the secret is stored: the secret has 256 bits of entropy, so a
    fast hash is safe and the check costs microseconds (a password hash per request cut a peer's
    ingest to 4,300 rows/s, stack-notes). The secret is shown once, when it is issued."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    kind = models.CharField(max_length=16, choices=TokenKind.choices, default=TokenKind.LOGIN, verbose_name=_("kind"))
    name = models.CharField(max_length=100, blank=True, verbose_name=_("name"))
    prefix = models.CharField(
        max_length=8, help_text="first characters, to tell tokens apart", verbose_name=_("prefix")
    )
    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("key hash"))
    created_at = models.DateTimeField(db_default=Now(), verbose_name=_("created at"))
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="empty: does not expire", verbose_name=_("expires at")
    )
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user}, {self.kind})"
