"""Admin of the reclaimed-water ledger: map widgets for plants, projects (points and pipeline routes)
and users; saves go through the services, so the ledger rules apply, pipeline lengths are recomputed
and every change is audited. Ledger rows are not deleted (a deletion would leave no audited history;
set a project's status or correct its fields instead). Monthly volumes are read-only here: they are
written by the API or a CSV import, whose batch checks and warnings they need."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.http import HttpRequest

from reuse.models import MonthlyDelivery, MonthlyPlantVolume, Plant, Project, WaterUser
from reuse.services import ledger_errors, ledger_save_from_admin


class LedgerForm(forms.ModelForm):
    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # ModelForm builds the instance here (not in the stubs)
        if any(name in self.fields for name in self.errors):
            return  # field-level problems first; a broken database constraint still gets its field named
        for name, messages in ledger_errors(self.instance).items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class LedgerAdmin(GISModelAdmin):
    form = LedgerForm
    search_fields = ("code", "name")
    readonly_fields: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The code is the key imports and spreadsheets use; changing it would orphan their references.
        base = tuple(super().get_readonly_fields(request, obj))
        return (*base, "code") if obj is not None else base

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        ledger_save_from_admin(instance=obj, actor=request.user)


@admin.register(Plant)
class PlantAdmin(LedgerAdmin):
    list_display = ("code", "name", "kind", "division", "design_capacity_m3d", "effluent_standard")
    list_filter = ("kind", "effluent_standard")
    list_select_related = ("division",)
    autocomplete_fields = ("division",)


@admin.register(Project)
class ProjectAdmin(LedgerAdmin):
    list_display = ("code", "name", "kind", "status", "division", "capacity_m3d", "length_m", "completed_on")
    list_filter = ("kind", "status")
    list_select_related = ("division", "plant")
    autocomplete_fields = ("division", "plant")
    readonly_fields: ClassVar[tuple[str, ...]] = ("length_m", "created_at", "updated_at")


@admin.register(WaterUser)
class WaterUserAdmin(LedgerAdmin):
    list_display = ("code", "name", "use_class", "sub_use", "division", "plant", "contract_volume_m3", "metered")
    list_filter = ("use_class", "metered")
    list_select_related = ("division", "plant")
    autocomplete_fields = ("division", "plant")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MonthlyPlantVolume)
class MonthlyPlantVolumeAdmin(ReadOnlyAdmin):
    list_display = ("plant", "month", "treated_m3", "produced_m3", "source", "updated_at")
    list_filter = ("source", "plant")
    list_select_related = ("plant",)
    date_hierarchy = "month"


@admin.register(MonthlyDelivery)
class MonthlyDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("plant", "month", "user", "use_class", "sub_use", "volume_m3", "source")
    list_filter = ("use_class", "source", "plant")
    list_select_related = ("plant", "user")
    date_hierarchy = "month"
