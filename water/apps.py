from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaterConfig(AppConfig):
    """Water resources: intakes, meters, readings, volume engine, monitoring, plans and red lines; telemetry gateway."""

    name = "water"
    verbose_name = _("Water resources")

    def ready(self) -> None:
        from core.demo import register_demo
        from water.demo import load_water_demo

        register_demo("water", load_water_demo, order=20)
