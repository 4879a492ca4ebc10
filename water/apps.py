from django.apps import AppConfig


class WaterConfig(AppConfig):
    """Water resources: intakes, meters, readings, volume engine, monitoring, plans and red lines; telemetry gateway."""

    name = "water"
    verbose_name = "水资源 Water resources"
