from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Domain-free kernel: geodesy, periods, audit log, API conventions, idempotency."""

    name = "core"
    verbose_name = _("Core")
