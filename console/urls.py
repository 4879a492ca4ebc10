"""The console's URLs (namespace "console")."""

from django.urls import include, path

app_name = "console"

urlpatterns = [
    path("map/", include("console.map.urls")),
]
