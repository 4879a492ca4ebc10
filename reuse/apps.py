from django.apps import AppConfig


class ReuseConfig(AppConfig):
    """Reclaimed water: plants, projects, pipelines, users and volumes."""

    name = "reuse"
    verbose_name = "再生水 Reclaimed water"

    def ready(self) -> None:
        from core.demo import register_demo
        from reuse.demo import load_reuse_demo

        register_demo("reuse", load_reuse_demo, order=40)
