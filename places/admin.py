from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.http import HttpRequest

from places.models import ChiefAssignment, Division, Lake, Reach, River
from places.services import assignment_save, place_save_from_admin


class PlaceAdmin(GISModelAdmin):
    """Map widgets (OpenLayers served by Django; tiles need a reachable tile server) and saves that go
    through the services, so lengths and areas are recomputed and every change is audited."""

    search_fields = ("code", "name")
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> tuple[str, ...]:
        # The code is the key imports upsert by; changing it would orphan the old row's history.
        base = tuple(super().get_readonly_fields(request, obj))
        return (*base, "code") if obj is not None else base

    def save_model(self, request: HttpRequest, obj, form, change) -> None:
        place_save_from_admin(instance=obj, actor=request.user)
        obj.pk = type(obj).objects.only("pk").get(code=obj.code).pk


@admin.register(Division)
class DivisionAdmin(PlaceAdmin):
    list_display = ("code", "name", "level", "parent", "area_m2")
    list_filter = ("level",)


@admin.register(River)
class RiverAdmin(PlaceAdmin):
    list_display = ("code", "name", "division", "length_m")


@admin.register(Reach)
class ReachAdmin(PlaceAdmin):
    list_display = ("code", "name", "river", "division", "length_m")
    list_filter = ("river",)
    list_select_related = ("river", "division")


@admin.register(Lake)
class LakeAdmin(PlaceAdmin):
    list_display = ("code", "name", "kind", "division", "area_m2")
    list_filter = ("kind",)


@admin.register(ChiefAssignment)
class ChiefAssignmentAdmin(admin.ModelAdmin):
    list_display = ("chief", "level", "reach", "lake", "valid_from", "valid_until")
    list_filter = ("level",)
    list_select_related = ("chief", "reach", "lake")
    autocomplete_fields = ("reach", "lake")
    raw_id_fields = ("chief",)

    def save_model(self, request: HttpRequest, obj, form, change) -> None:
        assignment_save(instance=obj, actor=request.user)
