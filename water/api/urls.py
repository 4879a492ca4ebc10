"""API routes of the water app (filled in by its issue)."""

from django.urls import URLPattern, URLResolver

app_name = "water"
urlpatterns: list[URLPattern | URLResolver] = []
