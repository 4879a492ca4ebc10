from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    """River-chief patrols, four-chaos cases, litter removal and patrol-frequency rules."""

    name = "patrols"
    verbose_name = "巡河 Patrols"
