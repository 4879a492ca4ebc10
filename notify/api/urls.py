"""API routes of the notify app, under /api/v1/notify/ (config/urls.py)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from notify.api.views import EscalationView, NotificationViewSet, PreferenceView, RuleViewSet

app_name = "notify"

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
router.register("rules", RuleViewSet, basename="rule")

urlpatterns: list[URLPattern | URLResolver] = [
    path("preferences/", PreferenceView.as_view(), name="preferences"),
    path("escalations/", EscalationView.as_view(), name="escalations"),
    *router.urls,
]
