"""API routes of the patrols app, under /api/v1/patrols/ (config/urls.py)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from patrols.api.views import (
    CaseViewSet,
    ChiefsView,
    ComplianceView,
    FrequencyRuleView,
    LitterViewSet,
    PatrolViewSet,
    RecheckViewSet,
    ValidityRuleView,
)

app_name = "patrols"

router = SimpleRouter()
# The named ledgers first: the patrols themselves sit at the app's root, keyed by UUID.
router.register("cases", CaseViewSet, basename="case")
router.register("litter", LitterViewSet, basename="litter")
router.register("rechecks", RecheckViewSet, basename="recheck")
router.register("", PatrolViewSet, basename="patrol")

urlpatterns: list[URLPattern | URLResolver] = [
    path("chiefs/", ChiefsView.as_view(), name="chiefs"),
    path("compliance/", ComplianceView.as_view(), name="compliance"),
    path("rules/validity/", ValidityRuleView.as_view(), name="validity-rules"),
    path("rules/frequency/", FrequencyRuleView.as_view(), name="frequency-rules"),
    *router.urls,
]
