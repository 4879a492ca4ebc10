"""Admin for the intake ledger. Saves go through the services, so every change is validated, audited
and keeps the daily volumes current. Readings have a composite primary key, which the Django admin
cannot show (Django 5.2); they are read, corrected and reviewed through the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.http import HttpRequest

from water import services
from water.models import DailyVolume, Intake, Meter, TelemetryStation


@admin.register(Intake)
class IntakeAdmin(GISModelAdmin):
    list_display = ("code", "name", "source_type", "main_use", "division", "permit_number", "permitted_annual_m3")
    list_filter = ("source_type", "main_use")
    search_fields = ("code", "name", "permit_number", "permit_holder")
    list_select_related = ("division",)
    autocomplete_fields = ("division", "river", "lake")
    filter_horizontal = ("operators",)
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        base = tuple(super().get_readonly_fields(request, obj))
        return (*base, "code") if obj is not None else base

    def save_model(self, request: HttpRequest, obj: Intake, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data[f] for f in services.INTAKE_FIELDS if f in form.cleaned_data}
        operators = list(form.cleaned_data.get("operators") or [])
        if change:
            changes = {f: data[f] for f in form.changed_data if f in data}
            if "operators" in form.changed_data:
                changes["operators"] = operators
            services.intake_update(intake=obj, actor=request.user, changes=changes, reason="admin")
        else:
            saved = services.intake_create(actor=request.user, operators=operators, **data)
            obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The service has set the operators (and audited them); the form must not set them again.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = ("serial", "intake", "protocol", "installed_at", "removed_at", "device")
    list_filter = ("protocol",)
    search_fields = ("serial", "intake__code", "intake__name", "rtu_address")
    list_select_related = ("intake", "device")
    raw_id_fields = ("intake", "device", "replaces")
    readonly_fields = ("created_at", "updated_at", "removed_at", "removal_reading_m3", "replaces")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        base = tuple(super().get_readonly_fields(request, obj))
        # Installation is history: a swapped or moved meter is a replacement (API: POST …/replace/).
        return (*base, "intake", "installed_at", "install_reading_m3") if obj is not None else base

    def save_model(self, request: HttpRequest, obj: Meter, form: Any, change: bool) -> None:
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data if f in services.METER_EDITABLE}
            services.meter_update(meter=obj, actor=request.user, changes=changes, reason="admin")
            return
        data = {f: form.cleaned_data[f] for f in services.METER_EDITABLE if f in form.cleaned_data}
        serial = data.pop("serial")
        saved = services.meter_create(
            actor=request.user, intake=form.cleaned_data["intake"], serial=serial,
            installed_at=form.cleaned_data["installed_at"], install_reading_m3=form.cleaned_data["install_reading_m3"],
            **data,
        )  # fmt: skip
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # meters are history; one entered by mistake is deleted through the API's service


@admin.register(DailyVolume)
class DailyVolumeAdmin(admin.ModelAdmin):
    """Derived rows, shown for inspection only."""

    list_display = ("meter", "day", "measured_m3", "estimated_m3", "corrected_m3", "held_m3", "n_readings", "n_flagged")
    list_filter = ("day",)
    search_fields = ("meter__serial",)
    list_select_related = ("meter",)
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TelemetryStation)
class TelemetryStationAdmin(admin.ModelAdmin):
    """The telemetry gateway's per-station counters: written by the gateway only, shown for inspection (an
    unknown station here is an RTU to commission: give a meter this rtu_address)."""

    list_display = (
        "protocol", "address", "meter", "frames", "bad_crc", "unknown_elements", "decode_errors", "readings_stored",
        "readings_duplicate", "readings_refused", "last_seen", "last_remote",
    )  # fmt: skip
    list_filter = ("protocol",)
    search_fields = ("address", "meter__serial", "last_remote")
    list_select_related = ("meter",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
