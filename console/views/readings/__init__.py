"""The readings pages (issue 15): the review queue and the reading page with its actions (review.py),
manual entry (entry.py) and the alert page (alerts.py). Every row is looked up through the water
selectors with the caller's scope (outside it: 404); every action posts to the service the API calls,
for the roles the API allows (common.py reads them from the API views)."""

from __future__ import annotations

from django.urls import path

from console.views.readings.alerts import alert_acknowledge, alert_detail
from console.views.readings.entry import reading_new
from console.views.readings.review import queue, reading_action, reading_detail

urlpatterns = [
    path("water/readings/review/", queue, name="reading_review_queue"),
    path("water/readings/new/", reading_new, name="reading_new"),
    path("water/readings/<int:meter_id>/<str:at>/", reading_detail, name="reading_detail"),
    path("water/readings/<int:meter_id>/<str:at>/<str:action>/", reading_action, name="reading_action"),
    path("water/alerts/<int:pk>/", alert_detail, name="alert_detail"),
    path("water/alerts/<int:pk>/acknowledge/", alert_acknowledge, name="alert_acknowledge"),
]
