"""A URL map for the map tests: the project's, plus a console ledger page the map's cards link to
and a detail page that embeds the detail-page map (as the console's ledger pages do)."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from config.urls import urlpatterns as project

DETAIL = """{% load console_map %}<!DOCTYPE html><html><head><title>detail</title>{% detail_map_assets %}</head>
<body>{% detail_map kind pk %}{% detail_map_scripts %}</body></html>"""


def detail_page(request: HttpRequest, kind: str, pk: str) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(DETAIL).render({"kind": kind, "pk": pk}, request))


console = (
    [
        path("map/", include("console.map.urls")),
        path("ledger/intakes/<int:pk>/", lambda request, pk: HttpResponse(), name="intake_detail"),
        path("detail/<slug:kind>/<str:pk>/", detail_page, name="test_detail"),
    ],
    "console",
)
urlpatterns = [p for p in project if str(getattr(p, "pattern", "")) != ""] + [path("", include(console))]
