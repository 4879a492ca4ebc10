from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Domain-free kernel: geodesy, periods, audit log, API conventions, idempotency."""

    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Every entry point (web, Celery, commands, the gateway) sets Django up: a misspelt rule
        # setting in the environment stops each of them, named, instead of being ignored.
        from core.appsettings import check_environment

        check_environment()
        # The OpenAPI extension that documents empty filter values (drf-spectacular finds it registered).
        import core.api.schema  # noqa: F401
