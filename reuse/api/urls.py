"""API routes of the reuse app (filled in by its issue)."""

from django.urls import URLPattern, URLResolver

app_name = "reuse"
urlpatterns: list[URLPattern | URLResolver] = []
