"""API routes of the oversight app, under /api/v1/oversight/."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from oversight.api import views

app_name = "oversight"
router = SimpleRouter()
router.register("rounds", views.RoundViewSet, basename="round")
router.register("findings", views.FindingViewSet, basename="finding")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("progress", views.ProgressViewSet, basename="progress")
router.register("petitions", views.PetitionViewSet, basename="petition")
router.register("orders", views.OrderViewSet, basename="order")
router.register("circulars", views.CircularViewSet, basename="circular")
router.register("rechecks", views.RecheckViewSet, basename="recheck")
urlpatterns: list[URLPattern | URLResolver] = [
    path("figures/", views.FiguresView.as_view(), name="figures"),
    *router.urls,
]
