from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    """River-chief patrols, four-chaos cases, litter removal and patrol-frequency rules."""

    name = "patrols"
    verbose_name = _("Patrols")

    def ready(self) -> None:
        from core.demo import register_demo
        from patrols.demo import load_patrols_demo

        # After accounts (0) and places (10): the demo patrols walk the demo reaches.
        register_demo("patrols", load_patrols_demo, order=40)
