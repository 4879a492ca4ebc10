"""API routes of the water app, under /api/v1/water/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from water.api.telemetry_views import TelemetryStationViewSet
from water.api.views import IntakeViewSet, MeterViewSet, ReadingViewSet, VolumeViewSet

app_name = "water"
router = SimpleRouter()
router.register("monitoring/stations", TelemetryStationViewSet, basename="telemetry-station")  # before monitoring/
router.register("intakes", IntakeViewSet, basename="intake")
router.register("meters", MeterViewSet, basename="meter")
router.register("readings", ReadingViewSet, basename="reading")
router.register("volumes", VolumeViewSet, basename="volume")
urlpatterns: list[URLPattern | URLResolver] = router.urls
