"""API routes of the reports app, under /api/v1/reports/ (config/urls.py)."""

from django.urls import URLPattern, URLResolver, path, re_path

from core.api.views import ID_REGEX
from reports.api.views import (
    QuarterlyView,
    RowsView,
    SnapshotDetailView,
    SnapshotListView,
    SnapshotSignOffView,
    SummaryView,
)

app_name = "reports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("summary/", SummaryView.as_view(), name="summary"),
    path("quarterly/<int:year>/<int:q>/", QuarterlyView.as_view(), name="quarterly"),
    path("rows/", RowsView.as_view(), name="rows"),
    path("snapshots/", SnapshotListView.as_view(), name="snapshots"),
    re_path(rf"^snapshots/(?P<pk>{ID_REGEX})/$", SnapshotDetailView.as_view(), name="snapshot"),
    re_path(rf"^snapshots/(?P<pk>{ID_REGEX})/sign-off/$", SnapshotSignOffView.as_view(), name="snapshot-sign-off"),
]
