"""Closed sets of the kernel."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    TRANSITION = "transition", _("transition")
    CORRECT = "correct", _("correction")
    IMPORT = "import", _("import")
    LOGIN = "login", _("login")
