"""API routes of the patrols app (filled in by its issue)."""

from django.urls import URLPattern, URLResolver

app_name = "patrols"
urlpatterns: list[URLPattern | URLResolver] = []
