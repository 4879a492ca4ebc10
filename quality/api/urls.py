"""API routes of the quality app (under /api/v1/quality/)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from quality.api.views import ClassifyView, SampleViewSet, SectionViewSet, SummaryView

app_name = "quality"
router = SimpleRouter()
router.register("sections", SectionViewSet, basename="section")
router.register("samples", SampleViewSet, basename="sample")
urlpatterns: list[URLPattern | URLResolver] = [
    path("classify/", ClassifyView.as_view(), name="classify"),
    path("summary/", SummaryView.as_view(), name="summary"),
    *router.urls,
]
