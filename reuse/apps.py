from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReuseConfig(AppConfig):
    """Reclaimed water: plants, projects, pipelines, users and volumes."""

    name = "reuse"
    verbose_name = _("Reclaimed water")

    def ready(self) -> None:
        from core.demo import register_demo
        from reuse.demo import load_reuse_demo

        register_demo("reuse", load_reuse_demo, order=40)
