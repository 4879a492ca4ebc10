"""Closed sets of the accounts app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """SPEC section 4. One role per account; a person who is both chief and reviewer has two accounts,
    so that every action in the audit log is taken in one capacity."""

    ADMIN = "admin", _("administrator")
    REVIEWER = "reviewer", _("reviewer")
    CHIEF = "chief", _("river/lake chief")
    OPERATOR = "operator", _("intake operator")
    DEVICE = "device", _("telemetry device")
    # A member unit (成员单位: a bureau or a district government) acting on the oversight items handed
    # to it (SPEC §4, issue 16).
    UNIT = "unit", _("member unit")


class TokenKind(models.TextChoices):
    LOGIN = "login", _("login")
    DEVICE = "device", _("device")
