"""Admin pages. Patrols, cases, photos and litter come from the API (phones and the office) and are
read-only here; the rule tables can be edited here by administrators, saved through the services
(validated, audited). Reviewers edit the rules in the console (巡河规则, console/views/patrols/rules.py),
the same services: the admin site is the administrators' tool (its model permissions answer 403 to a
reviewer), so the console is where the rules are kept."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from core.exceptions import InvalidInput
from patrols import services
from patrols.models import (
    Case,
    CaseEvent,
    CasePhoto,
    CaseRecheck,
    LitterRemoval,
    Patrol,
    PatrolFrequencyRule,
    PatrolValidityRule,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the API: visible, not editable or deletable (history must not change)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "chief",
        "reach",
        "level",
        "mode",
        "distance_m",
        "person_times",
        "valid",
        "review_status",
        "status",
    )
    list_filter = ("status", "level", "mode", "valid", "review_status")
    list_select_related = ("chief", "reach")
    search_fields = ("id", "chief__username", "reach__code", "reach__name")
    date_hierarchy = "started_at"
    # The per-point columns (thousands of positions) are left out of the page; the API serves them.
    exclude = ("raw_track", "raw_times_ms", "dropped_points", "part_starts")


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor_label", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CasePhotoInline(admin.TabularInline):
    model = CasePhoto
    extra = 0
    can_delete = False
    fields = ("uploaded_at", "stage", "sha256", "content_type", "size_bytes", "taken_at", "flags")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("found_at", "category", "status", "reach", "reporter", "deadline", "closed_via", "overdue_at")
    list_filter = ("status", "category", "source", "closed_via")
    list_select_related = ("reach", "reporter")
    search_fields = ("id", "description", "responsible_unit", "reach__code")
    date_hierarchy = "found_at"
    inlines = (CaseEventInline, CasePhotoInline)


@admin.register(CaseRecheck)
class CaseRecheckAdmin(ReadOnlyAdmin):
    list_display = ("batch", "case", "outcome", "sampled_at", "checked_on")
    list_filter = ("outcome",)


@admin.register(LitterRemoval)
class LitterRemovalAdmin(ReadOnlyAdmin):
    list_display = ("removed_on", "reach", "tonnes", "recorded_by", "patrol")
    list_select_related = ("reach", "recorded_by")
    date_hierarchy = "removed_on"


class _RuleForm(forms.ModelForm):
    """Runs the service's checks so a bad rule is a form error, not a server error."""

    check: Any = None

    def _post_clean(self) -> None:
        # After Django has copied the form's values onto the instance, which the checks read.
        super()._post_clean()  # type: ignore[misc]  # BaseModelForm._post_clean, missing from the stubs
        checker = type(self).check
        if checker is not None and not self.errors:
            try:
                checker(rule=self.instance)
            except InvalidInput as exc:
                for name, messages in (exc.fields or {"": [exc.message]}).items():
                    self.add_error(name if name in self.fields else None, messages)


class _RuleAdmin(admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saver = services.validity_rule_save if isinstance(obj, PatrolValidityRule) else services.frequency_rule_save
        saver(rule=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.rule_delete(rule=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            services.rule_delete(rule=obj, actor=request.user)


class ValidityRuleForm(_RuleForm):
    check = staticmethod(services.validity_rule_check)

    class Meta:
        model = PatrolValidityRule
        fields = ["jurisdiction", "level", "min_duration_s", "min_length_m", "min_gap_hours", "source"]


class FrequencyRuleForm(_RuleForm):
    check = staticmethod(services.frequency_rule_check)

    class Meta:
        model = PatrolFrequencyRule
        fields = [
            "jurisdiction",
            "level",
            "period",
            "required_count",
            "season_start_month",
            "season_end_month",
            "source",
        ]


@admin.register(PatrolValidityRule)
class PatrolValidityRuleAdmin(_RuleAdmin):
    form = ValidityRuleForm
    list_display = ("jurisdiction", "level", "min_duration_s", "min_length_m", "min_gap_hours", "source")
    list_filter = ("level",)


@admin.register(PatrolFrequencyRule)
class PatrolFrequencyRuleAdmin(_RuleAdmin):
    form = FrequencyRuleForm
    list_display = (
        "jurisdiction",
        "level",
        "period",
        "required_count",
        "season_start_month",
        "season_end_month",
        "source",
    )
    list_filter = ("level", "period")
