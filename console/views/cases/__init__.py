"""The case pages (问题台账/督办, issue 15): the board (cases by state, the API's filters, overdue marked,
bulk assignment), the case page with the steps the user may take now, photos and history, and the
office's desk report. Every row is read through patrols.selectors with the caller's scope (outside it:
404) and every write goes through the service the API calls, so roles, states and 409s are the services'.
"""

from __future__ import annotations

from django.urls import path

from console.views.cases.board import case_board, case_bulk_assign
from console.views.cases.detail import case_action, case_detail
from console.views.cases.report import case_report

urlpatterns = [
    path("river/cases/", case_board, name="case_list"),
    path("river/cases/assign/", case_bulk_assign, name="case_bulk_assign"),
    path("river/cases/new/", case_report, name="case_report"),
    path("river/cases/<uuid:pk>/", case_detail, name="case_detail"),
    path("river/cases/<uuid:pk>/<str:action>/", case_action, name="case_action"),
]
