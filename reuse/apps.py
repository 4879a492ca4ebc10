from django.apps import AppConfig


class ReuseConfig(AppConfig):
    """Reclaimed water: plants, projects, pipelines, users and volumes."""

    name = "reuse"
    verbose_name = "再生水 Reclaimed water"
