"""API routes of the reuse app, under /api/v1/reuse/."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from reuse.api.views import (
    DeliveryViewSet,
    PipelineViewSet,
    PlantViewSet,
    PlantVolumeViewSet,
    ProjectViewSet,
    RateView,
    StationViewSet,
    WaterUserViewSet,
)

app_name = "reuse"
router = SimpleRouter()
router.register("plants", PlantViewSet, basename="plant")
router.register("projects", ProjectViewSet, basename="project")
router.register("stations", StationViewSet, basename="station")
router.register("pipelines", PipelineViewSet, basename="pipeline")
router.register("users", WaterUserViewSet, basename="user")
router.register("volumes", PlantVolumeViewSet, basename="volume")
router.register("deliveries", DeliveryViewSet, basename="delivery")
urlpatterns: list[URLPattern | URLResolver] = [
    path("rate/", RateView.as_view(), name="rate"),
    *router.urls,
]
