"""The report pages (指标报告): the list of report snapshots in the caller's jurisdiction, the build form
with its progress (the Celery build polled by htmx), each report's page with its figures, files,
sign-off, versions and the difference between two versions.

Every snapshot is read through reports.selectors with the caller's scope (outside it a 404, as in the
API); the build and the sign-off post (CSRF) to the reports services the API calls, so the roles, the
409 of a stale sign-off and the audit rows are theirs."""

from __future__ import annotations

from django.urls import path

from console.views.reports.pages import report_list, report_new, report_progress, report_status
from console.views.reports.report import report_detail, report_diff, report_file, report_sign_off

urlpatterns = [
    path("reports/", report_list, name="report_list"),
    path("reports/new/", report_new, name="report_new"),
    path("reports/<int:pk>/", report_detail, name="report_detail"),
    path("reports/<int:pk>/progress/", report_progress, name="report_progress"),
    path("reports/<int:pk>/status/", report_status, name="report_status"),
    path("reports/<int:pk>/file/<str:fmt>/", report_file, name="report_file"),
    path("reports/<int:pk>/sign-off/", report_sign_off, name="report_sign_off"),
    path("reports/<int:pk>/diff/", report_diff, name="report_diff"),
]
