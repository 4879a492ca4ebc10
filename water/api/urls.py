"""API routes of the water app, under /api/v1/water/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from water.api.views import (
    AlertViewSet,
    IntakeViewSet,
    MeterViewSet,
    MonitoringMeterViewSet,
    MonitoringViewSet,
    ReadingViewSet,
    VolumeViewSet,
)

app_name = "water"
router = SimpleRouter()
router.register("intakes", IntakeViewSet, basename="intake")
router.register("meters", MeterViewSet, basename="meter")
router.register("readings", ReadingViewSet, basename="reading")
router.register("volumes", VolumeViewSet, basename="volume")
router.register("monitoring/meters", MonitoringMeterViewSet, basename="monitoring-meter")
router.register("monitoring", MonitoringViewSet, basename="monitoring")
router.register("alerts", AlertViewSet, basename="alert")
urlpatterns: list[URLPattern | URLResolver] = router.urls
