from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The bureau's web console: server-rendered pages over the apps' selectors and services."""

    name = "console"
    verbose_name = "控制台 Console"
