"""A URL map for the map's browser test: the project's, with one more console page that embeds the
detail-page map through its template tag (as any page may)."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import URLPattern, URLResolver, include, path

from config.urls import urlpatterns as project
from console.urls import urlpatterns as console_urls

DETAIL = """{% load console_map %}<!DOCTYPE html><html><head><title>detail</title>{% detail_map_assets %}
{% detail_map_scripts %}</head><body>{% detail_map kind pk %}</body></html>"""


def detail_page(request: HttpRequest, kind: str, pk: str) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(DETAIL).render({"kind": kind, "pk": pk}, request))


def _not_console(p: URLPattern | URLResolver) -> bool:
    return getattr(p, "namespace", None) != "console"


console = ([*console_urls, path("test/detail/<slug:kind>/<str:pk>/", detail_page, name="test_detail")], "console")
urlpatterns = [p for p in project if _not_console(p)] + [path("", include(console))]
