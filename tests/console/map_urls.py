"""A URL map for the card-link test: the project's, plus a console ledger page the map links to."""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as project

console = (
    [
        path("map/", include("console.map.urls")),
        path("ledger/intakes/<int:pk>/", lambda request, pk: HttpResponse(), name="intake_detail"),
    ],
    "console",
)
urlpatterns = [p for p in project if getattr(p, "pattern", None) and str(p.pattern) != ""] + [
    path("", include(console)),
]
