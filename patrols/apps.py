from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    """River-chief patrols, four-chaos cases, litter removal and patrol-frequency rules."""

    name = "patrols"
    verbose_name = "巡河 Patrols"

    def ready(self) -> None:
        from core.demo import register_demo
        from patrols.demo import load_patrols_demo

        # After accounts (0) and places (10): the demo patrols walk the demo reaches.
        register_demo("patrols", load_patrols_demo, order=40)
