from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Inspection rounds, findings, rectification tasks, petitions, supervision orders and circulars."""

    name = "oversight"
    verbose_name = "督察整改 Oversight"
