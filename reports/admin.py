"""Snapshots in the admin: read-only (they are built by the task and signed off through the API)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reports.models import ReportSnapshot


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(admin.ModelAdmin):
    list_display = ("period_label", "division_code", "version", "status", "progress", "built_at", "signed_off_at")
    list_filter = ("status", "period_kind")
    search_fields = ("period_label", "division_code")
    exclude = ("xlsx", "pdf")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
