"""Admin for the intake ledger. Saves go through the services, so every change is validated, audited
and keeps the daily volumes current. Readings have a composite primary key, which the Django admin
cannot show (Django 5.2); they are read, corrected and reviewed through the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.scope import scope_for
from water import plan_services, services
from water.choices import OPEN_COMMAND_STATES, CommandKind
from water.models import (
    Alert,
    DailyVolume,
    Intake,
    LedgerLock,
    Meter,
    PlanVersion,
    RedLineTarget,
    StationCommand,
    StationCommandEvent,
    TelemetryStation,
    WaterPlan,
)
from water.telemetry.command_services import station_command_cancel, station_command_create


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
            actor=request.user,
            intake=form.cleaned_data["intake"],
            serial=serial,
            installed_at=form.cleaned_data["installed_at"],
            install_reading_m3=form.cleaned_data["install_reading_m3"],
            **data,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # meters are history; one entered by mistake is deleted through the API's service


@admin.register(DailyVolume)
class DailyVolumeAdmin(admin.ModelAdmin):
    """Derived rows, shown for inspection only."""

    list_display = (
        "meter",
        "day",
        "measured_m3",
        "estimated_m3",
        "corrected_m3",
        "held_m3",
        "n_readings",
        "n_flagged",
        "n_slots",
        "n_timely",
    )
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


# ------------------------------------------------------------------------------ plans, red lines, locks
# Plans and locks are written through the API (their services check jurisdiction, lines and locks);
# the admin browses them, edits a plan's title and notes, and keeps the red-line targets, each save
# through the services (validated, audited).


class PlanVersionInline(admin.TabularInline):
    model = PlanVersion
    fields = ("number", "reason", "created_by_label", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WaterPlan)
class WaterPlanAdmin(admin.ModelAdmin):
    list_display = ("year", "division", "title", "version", "updated_at")
    list_filter = ("year",)
    search_fields = ("title", "division__code", "division__name")
    list_select_related = ("division",)
    readonly_fields = ("year", "division", "version", "created_at", "updated_at")
    inlines = (PlanVersionInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued through POST /api/v1/water/plans/ (lines checked against scope and other plans)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: WaterPlan, form: Any, change: bool) -> None:
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in ("title", "notes")}
        plan_services.plan_update(
            plan=obj, actor=request.user, scope=scope_for(request.user), changes=changes, reason="admin"
        )


@admin.register(RedLineTarget)
class RedLineTargetAdmin(admin.ModelAdmin):
    list_display = ("year", "division", "total_use_cap_m3", "per_gdp_target", "irrigation_target")
    list_filter = ("year",)
    list_select_related = ("division",)
    autocomplete_fields = ("division",)
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        base = tuple(super().get_readonly_fields(request, obj))
        return (*base, "year", "division") if obj is not None else base

    def save_model(self, request: HttpRequest, obj: RedLineTarget, form: Any, change: bool) -> None:
        scope = scope_for(request.user)
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data if f in plan_services.REDLINE_FIELDS}
            plan_services.redline_update(target=obj, actor=request.user, scope=scope, changes=changes, reason="admin")
            return
        values = {f: form.cleaned_data[f] for f in plan_services.REDLINE_FIELDS if f in form.cleaned_data}
        saved = plan_services.redline_create(
            actor=request.user,
            scope=scope,
            year=form.cleaned_data["year"],
            division=form.cleaned_data["division"],
            **values,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerLock)
class LedgerLockAdmin(admin.ModelAdmin):
    """Shown for inspection; lock and unlock (with its reason) go through the API."""

    list_display = ("month", "division", "locked_by_label", "locked_at", "unlocked_at", "unlock_reason")
    list_filter = ("month",)
    list_select_related = ("division",)

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
        "protocol",
        "address",
        "meter",
        "frames",
        "bad_crc",
        "bad_password",
        "unknown_elements",
        "decode_errors",
        "readings_stored",
        "readings_duplicate",
        "readings_refused",
        "last_seen",
        "last_remote",
    )
    list_filter = ("protocol",)
    search_fields = ("address", "meter__serial", "last_remote")
    list_select_related = ("meter",)
    # Issue 18: queue a command for the stations' meters (through the service: scoped, audited).
    actions = ["query_realtime", "read_clock", "read_status", "set_clock"]

    def _queue_again(self, request: HttpRequest, queryset: Any, kind: str) -> None:
        scope = scope_for(request.user)
        for meter_id in sorted({station.meter_id for station in queryset if station.meter_id is not None}):
            station_command_create(scope=scope, actor=request.user, meter_id=meter_id, kind=kind)

    @admin.action(description="Query real-time values of these stations 召测")
    def query_realtime(self, request: HttpRequest, queryset: Any) -> None:
        self._queue_again(request, queryset, CommandKind.REALTIME)

    @admin.action(description="Read the clock of these stations 查询时钟")
    def read_clock(self, request: HttpRequest, queryset: Any) -> None:
        self._queue_again(request, queryset, CommandKind.READ_CLOCK)

    @admin.action(description="Read status and alarms of these stations 查询状态")
    def read_status(self, request: HttpRequest, queryset: Any) -> None:
        self._queue_again(request, queryset, CommandKind.STATUS)

    @admin.action(description="Set the clock of these stations 校时")
    def set_clock(self, request: HttpRequest, queryset: Any) -> None:
        self._queue_again(request, queryset, CommandKind.SET_CLOCK)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Alerts are raised and resolved by the jobs; the admin reads them and acknowledges through the
    service (audited)."""

    list_display = ("kind", "key", "intake", "meter", "raised_at", "last_seen_at", "resolved_at", "acknowledged_at")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("key", "intake__code", "meter__serial")
    list_select_related = ("intake", "meter")
    actions = ["acknowledge"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Acknowledge"))
    def acknowledge(self, request: HttpRequest, queryset: Any) -> None:
        for alert in queryset:
            services.alert_acknowledge(alert=alert, actor=request.user)


class StationCommandEventInline(admin.TabularInline):
    model = StationCommandEvent
    extra = 0
    can_delete = False
    readonly_fields = ("state", "at", "detail")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StationCommand)
class StationCommandAdmin(admin.ModelAdmin):
    """Commands to telemetry stations (issue 18): queued through the API or the actions here (each through the
    service, audited), delivered and recorded by the gateway; read-only otherwise."""

    list_display = ("id", "kind", "meter", "address", "source", "state", "attempts", "created_at", "answered_at")
    list_filter = ("state", "kind", "source")
    search_fields = ("address", "meter__serial")
    list_select_related = ("meter",)
    inlines = [StationCommandEventInline]
    actions = ["cancel"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Cancel 取消")
    def cancel(self, request: HttpRequest, queryset: Any) -> None:
        for command in queryset:
            if command.state in OPEN_COMMAND_STATES:
                station_command_cancel(command=command, actor=request.user, reason="cancelled in the admin")
