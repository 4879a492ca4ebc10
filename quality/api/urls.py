"""API routes of the quality app (filled in by its issue)."""

from django.urls import URLPattern, URLResolver

app_name = "quality"
urlpatterns: list[URLPattern | URLResolver] = []
