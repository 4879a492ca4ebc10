"""URL map. Each app's API lives under /api/v1/<app>/; schema at /api/schema/, docs at /api/docs/; the OGC API –
Features for GIS clients at /ogc/ (its own OpenAPI document at /ogc/api); Django's set_language view
at /i18n/setlang/ (POST language=zh-hans|en, next=…) for the console's language switch."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from core.api.health import health
from core.api.root import ApiRootView, SchemaView

api_v1: list[URLPattern | URLResolver] = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("auth/", include("accounts.api.urls")),
    path("places/", include("places.api.urls")),
    path("water/", include("water.api.urls")),
    path("patrols/", include("patrols.api.urls")),
    path("reuse/", include("reuse.api.urls")),
    path("quality/", include("quality.api.urls")),
    path("reports/", include("reports.api.urls")),
    path("oversight/", include("oversight.api.urls")),
    path("notify/", include("notify.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so no inline script is needed (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("ogc/", include("ogc.urls")),
    path("healthz", health, name="health"),
    # The web console owns / (its log-in, home, ledgers); the API's handlers below still answer /api/.
    path("", include("console.urls")),
]

handler400 = "core.api.exceptions.api_bad_request"
handler404 = "core.api.exceptions.api_not_found"
handler500 = "core.api.exceptions.api_server_error"
