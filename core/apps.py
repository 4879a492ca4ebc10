from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Domain-free kernel: geodesy, periods, audit log, API conventions, idempotency."""

    name = "core"
    verbose_name = "核心 Core"
