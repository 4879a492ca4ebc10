"""Admin of the oversight ledger: read-only lists and details with filters. Every change goes through
the API's services, which check the workflow (transitions, units, dates) and write the audit rows;
attachments and signed circulars are immutable anyway."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from oversight.models import (
    Attachment,
    Circular,
    Finding,
    HandoverBatch,
    InspectionRound,
    Milestone,
    Petition,
    Progress,
    Recheck,
    SupervisionOrder,
    Task,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    can_delete = False
    fields = ("kind", "title", "due_on", "status", "done_on")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InspectionRound)
class RoundAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "started_on", "ended_on", "feedback_on", "document_no")
    list_filter = ("kind",)


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("code", "round", "category", "division")
    list_filter = ("round", "category")
    list_select_related = ("round", "division")
    search_fields = ("code", "text")


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ("code", "title", "lead_unit", "deadline", "status", "review", "completed_on", "reopened_count")
    list_filter = ("status", "review", "finding__round")
    list_select_related = ("lead_unit",)
    search_fields = ("code", "title")
    inlines = (MilestoneInline,)


@admin.register(Progress)
class ProgressAdmin(ReadOnlyAdmin):
    list_display = ("task", "milestone", "author", "at")
    list_select_related = ("task", "milestone", "author")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "sha256", "content_type", "size_bytes", "uploaded_by", "uploaded_at")


@admin.register(HandoverBatch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ("round", "number", "received_on")


@admin.register(Petition)
class PetitionAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "batch",
        "division",
        "category",
        "unit",
        "deadline",
        "status",
        "substantiated",
        "closed_on",
        "public",
    )
    list_filter = ("status", "review", "category", "channel", "substantiated", "public")
    list_select_related = ("batch__round", "division", "unit")
    search_fields = ("number", "complaint")


@admin.register(SupervisionOrder)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "subject", "unit", "issued_at", "reply_due", "replied_at")
    list_filter = ("subject",)


@admin.register(Circular)
class CircularAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "first_date", "last_date", "division_code", "status", "signed_at")
    list_filter = ("status",)
    exclude = ("pdf",)


@admin.register(Recheck)
class RecheckAdmin(ReadOnlyAdmin):
    list_display = ("batch", "item", "task", "petition", "outcome", "checked_on")
    list_filter = ("item", "outcome")
