"""API routes of the water app, under /api/v1/water/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from water.api.plan_views import LedgerLockViewSet, PlanUsageViewSet, PlanViewSet, RedLineViewSet
from water.api.telemetry_views import StationCommandViewSet, TelemetryStationViewSet
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
router.register("monitoring/stations", TelemetryStationViewSet, basename="telemetry-station")  # before monitoring/
router.register("monitoring/commands", StationCommandViewSet, basename="station-command")  # issue 18 downlink
router.register("intakes", IntakeViewSet, basename="intake")
router.register("meters", MeterViewSet, basename="meter")
router.register("readings", ReadingViewSet, basename="reading")
router.register("volumes", VolumeViewSet, basename="volume")
# Plans, red lines and the ledger lock (issue 3 items 5 and 6).
router.register("plans/usage", PlanUsageViewSet, basename="plan-usage")
router.register("plans", PlanViewSet, basename="plan")
router.register("redlines", RedLineViewSet, basename="redline")
router.register("ledger/locks", LedgerLockViewSet, basename="ledger-lock")
router.register("monitoring/meters", MonitoringMeterViewSet, basename="monitoring-meter")
router.register("monitoring", MonitoringViewSet, basename="monitoring")
router.register("alerts", AlertViewSet, basename="alert")
urlpatterns: list[URLPattern | URLResolver] = router.urls
