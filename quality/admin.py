from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from quality.models import FunctionZone, Measurement, Sample, Section
from quality.services import function_zone_upsert, sample_delete, section_save_from_admin


@admin.register(FunctionZone)
class FunctionZoneAdmin(admin.ModelAdmin):
    """Zones are saved through the service (checked and audited); their sections are tied on the section."""

    list_display = ("code", "name", "division", "target_class", "key_zone", "declared_compliant")
    list_filter = ("target_class", "key_zone", "declared_compliant")
    list_select_related = ("division",)
    search_fields = ("code", "name")
    raw_id_fields = ("division",)
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        base = tuple(super().get_readonly_fields(request, obj))
        return (*base, "code") if obj is not None else base

    def save_model(self, request: HttpRequest, obj: FunctionZone, form: Any, change: bool) -> None:
        saved, _changed = function_zone_upsert(
            code=obj.code,
            name=obj.name,
            division=obj.division,
            target_class=obj.target_class,
            actor=request.user,
            key_zone=obj.key_zone,
            declared_compliant=obj.declared_compliant,
            declared_source=obj.declared_source,
            note=obj.note,
            reason="admin",
        )
        obj.pk = saved.pk


@admin.register(Section)
class SectionAdmin(GISModelAdmin):
    """Sections are saved through the service: the water body is derived from the reach or lake, the
    rules are checked and the change is audited."""

    list_display = ("code", "name", "category", "water_body", "division", "target_class", "counts_in_statistics")
    list_filter = ("category", "water_body", "target_class", "counts_in_statistics")
    list_select_related = ("division",)
    search_fields = ("code", "name")
    autocomplete_fields = ("reach", "lake")
    raw_id_fields = ("division", "function_zone")
    readonly_fields = ("water_body", "created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The code, category and water body are fixed once samples may refer to the section.
        base = tuple(super().get_readonly_fields(request, obj))
        return (*base, "code", "category", "reach", "lake") if obj is not None else base

    def save_model(self, request: HttpRequest, obj: Section, form: Any, change: bool) -> None:
        saved = section_save_from_admin(instance=obj, actor=request.user)
        obj.pk = saved.pk


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0
    can_delete = False
    fields = ("item", "value", "below_detection_limit", "detection_limit", "reported_unit")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
    """Read-only: samples arrive through the API or a CSV import, which check units, detection limits
    and times. A wrong sample is deleted here (through the service, audited) and recorded again."""

    list_display = ("section", "sampled_at", "source", "note")
    list_filter = ("source", "section__category")
    list_select_related = ("section",)
    search_fields = ("section__code", "section__name")
    date_hierarchy = "sampled_at"
    inlines = [MeasurementInline]
    readonly_fields = ("section", "sampled_at", "source", "note", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Sample) -> None:
        sample_delete(sample=obj, actor=request.user, reason="admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Sample]) -> None:
        for sample in queryset:
            sample_delete(sample=sample, actor=request.user, reason="admin")
