from django.apps import AppConfig


class WaterConfig(AppConfig):
    """Water resources: intakes, meters, readings, volume engine, monitoring, plans and red lines; telemetry gateway."""

    name = "water"
    verbose_name = "水资源 Water resources"

    def ready(self) -> None:
        from core.demo import register_demo
        from water.demo import load_water_demo

        register_demo("water", load_water_demo, order=20)
