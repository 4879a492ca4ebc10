"""The ledgers (台账). Each reads through the same selector and FilterSet as its API list view, so a row
outside the caller's scope is never listed and the filters mean what they mean in the API. Choice
fields show their labels, never codes; quantities carry their units in the column header."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from console import formats as f
from console.ledgers.base import Column, Filter, Ledger
from patrols import selectors as patrol_selectors
from patrols.choices import PatrolFlag
from patrols.filters import CaseFilter, LitterFilter, PatrolFilter
from places import selectors as place_selectors
from quality import selectors as quality_selectors
from quality.filters import SectionFilter
from reuse import selectors as reuse_selectors
from reuse.filters import LayerProjectFilter, PlantFilter, ProjectFilter
from water import plan_selectors
from water import selectors as water_selectors
from water.api.telemetry_views import TelemetryStationFilter
from water.filters import AlertFilter, IntakeFilter, LockFilter, MeterFilter, PlanFilter, ReadingFilter, RedLineFilter
from water.telemetry.selectors import station_list

DIVISION = Filter("division", _("Division code"))
# The joined reach's line and its division's boundary are never shown in a table: not read. Without
# this every row of a sorted page carried them (5 kB a row: 10,000 patrols sorted on disk).
GEOMETRY = ("reach__geometry", "reach__division__boundary", "lake__geometry", "lake__division__boundary")
START = Filter("start", _("From"), "date")
END = Filter("end", _("To"), "date")


def reach_options(scope: Scope) -> list[tuple[str, str]]:
    """The reaches a `reach=` filter may name for this caller (the FilterSets' own check,
    ``places.selectors.site_filter_check``)."""
    rows = place_selectors.filterable_reaches(scope=scope).order_by("code").values_list("pk", "code", "name")
    return [(str(pk), f"{code} {name}") for pk, code, name in rows]


def lake_options(scope: Scope) -> list[tuple[str, str]]:
    """The lakes and reservoirs a `lake=` filter may name for this caller."""
    rows = place_selectors.filterable_lakes(scope=scope).order_by("code").values_list("pk", "code", "name")
    return [(str(pk), f"{code} {name}") for pk, code, name in rows]


REACH = Filter("reach", _("Reach"), "choice", options=reach_options)
LAKE = Filter("lake", _("Lake or reservoir"), "choice", options=lake_options)


def flag_words(codes: list[str] | None) -> str:
    """A patrol's flags in words (the choice labels)."""
    words = []
    for code in codes or []:
        try:
            words.append(str(PatrolFlag(code).label))
        except ValueError:
            words.append(code)
    return "、".join(words) if words else "—"


def _detail(name: str) -> Any:
    return lambda obj: reverse(name, args=[obj.pk])


def _reading_detail(obj: Any) -> str:
    from console.views.readings.common import reading_url  # the readings pages import the ledgers' module

    return reading_url(obj.meter_id, obj.observed_at)


def _year_page(name: str) -> Any:
    """A red-line target's or a lock's row → the page of its year and division."""

    def url(obj: Any) -> str:
        year = obj.month.year if hasattr(obj, "month") else obj.year
        return f"{reverse(name)}?{urlencode({'year': year, 'division': obj.division.code})}"

    return url


INTAKES = Ledger(
    slug="intakes",
    title=_("Intakes"),
    queryset=lambda scope: water_selectors.intake_list(scope=scope),
    filterset=IntakeFilter,
    columns=(
        Column(_("Code"), lambda o: o.code, "code"),
        Column(_("Name"), lambda o: o.name, "name"),
        Column(_("Division"), lambda o: o.division.name, "division__code"),
        Column(_("Source type"), lambda o: o.get_source_type_display(), "source_type"),
        Column(_("Main use"), lambda o: o.get_main_use_display(), "main_use"),
        Column(_("Permit number"), lambda o: o.permit_number),
        Column(_("Permitted per year (m³)"), lambda o: f.number(o.permitted_annual_m3), "permitted_annual_m3", True),
        Column(_("Meters"), lambda o: len(o.meters.all()), numeric=True),
    ),
    filters=(
        Filter("code", _("Code")),
        Filter("name", _("Name")),
        Filter("source_type", _("Source type"), "choice"),
        Filter("main_use", _("Main use"), "choice"),
        DIVISION,
        Filter("online_required", _("Online metering required"), "bool"),
    ),
    default_sort=("code",),
    export="water:intake-export",
    detail=_detail("console:intake_detail"),
)

METERS = Ledger(
    slug="meters",
    title=_("Meters"),
    queryset=lambda scope: water_selectors.meter_list(scope=scope),
    filterset=MeterFilter,
    columns=(
        Column(_("Serial"), lambda o: o.serial, "serial"),
        Column(_("Intake"), lambda o: f"{o.intake.code} {o.intake.name}", "intake__code"),
        Column(_("Protocol"), lambda o: o.get_protocol_display(), "protocol"),
        Column(_("Meter type"), lambda o: o.meter_type),
        Column(_("Installed"), lambda o: f.when(o.installed_at), "installed_at"),
        Column(_("Removed"), lambda o: f.when(o.removed_at), "removed_at"),
        Column(_("Reporting interval (s)"), lambda o: f.number(o.expected_interval_s), numeric=True),
    ),
    filters=(
        Filter("serial", _("Serial")),
        Filter("intake_code", _("Intake code")),
        Filter("protocol", _("Protocol"), "choice"),
        Filter("active", _("In service"), "bool"),
    ),
    default_sort=("intake__code", "serial"),
    export="water:meter-export",
    detail=lambda o: reverse("console:reading_list") + f"?meter={o.pk}",
)

READINGS = Ledger(
    slug="readings",
    title=_("Readings"),
    queryset=lambda scope: water_selectors.reading_list(scope=scope),
    filterset=ReadingFilter,
    columns=(
        Column(_("Meter"), lambda o: o.meter.serial),
        Column(_("Observed (Beijing)"), lambda o: f.when(o.observed_at), "observed_at"),
        Column(_("Register (m³)"), lambda o: f.number(o.cumulative_m3, 3), numeric=True),
        Column(_("Flow (m³/s)"), lambda o: f.number(o.flow_m3s, 3), numeric=True),
        Column(_("Source"), lambda o: o.get_source_display()),
        Column(_("Review"), lambda o: o.get_review_display() or "—"),
        Column(_("Corrected"), lambda o: f.yes_no(o.corrected)),
        Column(_("After month lock"), lambda o: f.yes_no(o.after_lock)),
        Column(_("Received (Beijing)"), lambda o: f.when(o.received_at)),
    ),
    filters=(
        Filter("serial", _("Meter serial")),
        START,
        END,
        Filter("source", _("Source"), "choice"),
        Filter("review", _("Review"), "choice"),
        Filter("corrected", _("Corrected"), "bool"),
    ),
    # Millions of rows, keyed (meter, observed_at): the newest first meter by meter walks that key backwards
    # (a LIMIT, no sort); ordering all meters by time would sort them all. Hence no column sort but time.
    default_sort=("-meter_id", "-observed_at"),
    count_rows=False,
    detail=_reading_detail,
)

STATIONS = Ledger(
    slug="stations",
    title=_("Telemetry stations"),
    queryset=lambda scope: station_list(scope=scope),
    filterset=TelemetryStationFilter,
    columns=(
        Column(_("Address"), lambda o: o.address, "address"),
        Column(_("Protocol"), lambda o: o.get_protocol_display(), "protocol"),
        Column(_("Meter"), lambda o: o.meter.serial if o.meter_id else _("unclaimed"), "meter__serial"),
        Column(_("Frames"), lambda o: f.number(o.frames), "frames", True),
        Column(_("Readings stored"), lambda o: f.number(o.readings_stored), "readings_stored", True),
        Column(_("Bad CRC"), lambda o: f.number(o.bad_crc), "bad_crc", True),
        Column(_("Last seen (Beijing)"), lambda o: f.when(o.last_seen), "last_seen"),
        Column(_("Last error"), lambda o: o.last_error),
    ),
    filters=(
        Filter("protocol", _("Protocol"), "choice"),
        Filter("address", _("Address")),
        Filter("unknown", _("Unclaimed"), "bool"),
    ),
    default_sort=("-last_seen",),
)

ALERTS = Ledger(
    slug="alerts",
    title=_("Alerts"),
    queryset=lambda scope: water_selectors.alert_list(scope=scope),
    filterset=AlertFilter,
    columns=(
        Column(_("Kind"), lambda o: o.get_kind_display(), "kind"),
        Column(_("Intake"), lambda o: f"{o.intake.code} {o.intake.name}" if o.intake_id else "—", "intake__code"),
        Column(_("Meter"), lambda o: o.meter.serial if o.meter_id else "—"),
        Column(_("Raised (Beijing)"), lambda o: f.when(o.raised_at), "raised_at"),
        Column(_("Last seen (Beijing)"), lambda o: f.when(o.last_seen_at), "last_seen_at"),
        Column(_("Resolved (Beijing)"), lambda o: f.when(o.resolved_at), "resolved_at"),
        Column(_("Acknowledged (Beijing)"), lambda o: f.when(o.acknowledged_at)),
    ),
    filters=(
        Filter("state", _("State"), "choice"),
        Filter("kind", _("Kind"), "choice"),
        Filter("acknowledged", _("Acknowledged"), "bool"),
    ),
    default_sort=("-raised_at",),
    detail=_detail("console:alert_detail"),
)

PLANS = Ledger(
    slug="plans",
    title=_("Water plans"),
    queryset=lambda scope: plan_selectors.plan_list(scope=scope).select_related("division"),
    filterset=PlanFilter,
    columns=(
        Column(_("Year"), lambda o: o.year, "year"),
        Column(_("Division"), lambda o: f"{o.division.code} {o.division.name}", "division__code"),
        Column(_("Title"), lambda o: o.title),
        Column(_("Version"), lambda o: o.version, numeric=True),
    ),
    filters=(Filter("year", _("Year")), DIVISION),
    default_sort=("-year", "division__code"),
    detail=_detail("console:plan_detail"),
)

REDLINES = Ledger(
    slug="redlines",
    title=_("Red lines"),
    queryset=lambda scope: plan_selectors.redline_list(scope=scope).select_related("division"),
    filterset=RedLineFilter,
    columns=(
        Column(_("Year"), lambda o: o.year, "year"),
        Column(_("Division"), lambda o: f"{o.division.code} {o.division.name}", "division__code"),
        Column(_("Total use cap (10k m³)"), lambda o: f.wan(o.total_use_cap_m3), "total_use_cap_m3", True),
        Column(_("Use per 10k yuan GDP target (m³)"), lambda o: f.number(o.per_gdp_target, 2), numeric=True),
        Column(_("Use per 10k yuan IVA target (m³)"), lambda o: f.number(o.per_iva_target, 2), numeric=True),
        Column(_("Irrigation coefficient target"), lambda o: f.number(o.irrigation_target, 3), numeric=True),
        Column(_("Zone compliance target"), lambda o: f.percent(o.zone_compliance_target), numeric=True),
    ),
    filters=(Filter("year", _("Year")), DIVISION),
    default_sort=("-year", "division__code"),
    detail=_year_page("console:redline_year"),
)

LOCKS = Ledger(
    slug="locks",
    title=_("Month locks"),
    queryset=lambda scope: plan_selectors.lock_list(scope=scope).select_related("division"),
    filterset=LockFilter,
    columns=(
        Column(_("Month"), lambda o: o.month.strftime("%Y-%m"), "month"),
        Column(_("Division"), lambda o: f"{o.division.code} {o.division.name}", "division__code"),
        Column(_("Locked by"), lambda o: o.locked_by_label),
        Column(_("Locked (Beijing)"), lambda o: f.when(o.locked_at), "locked_at"),
        Column(_("Unlocked (Beijing)"), lambda o: f.when(o.unlocked_at), "unlocked_at"),
        Column(_("Note"), lambda o: o.note or o.unlock_reason),
    ),
    filters=(Filter("month", _("Month (YYYY-MM)")), DIVISION, Filter("active", _("In force"), "bool")),
    default_sort=("-month", "division__code", "-id"),
    detail=_year_page("console:lock_grid"),
)

PATROLS = Ledger(
    slug="patrols",
    title=_("Patrols"),
    # The map preview is not shown in a table: not read (50 geometries a page).
    queryset=lambda scope: patrol_selectors.patrol_list(scope=scope).defer("track_preview", *GEOMETRY),
    filterset=PatrolFilter,
    columns=(
        Column(_("Started (Beijing)"), lambda o: f.when(o.started_at), "started_at"),
        Column(_("Chief"), lambda o: str(o.chief), "chief__username"),
        Column(_("Reach"), lambda o: o.site.name, "reach__code"),
        Column(_("Level"), lambda o: o.get_level_display(), "level"),
        Column(_("Mode"), lambda o: o.get_mode_display(), "mode"),
        Column(_("Person-times"), lambda o: o.person_times, "person_times", True),
        Column(_("Distance (km)"), lambda o: f.number((o.distance_m or 0) / 1000, 2), "distance_m", True),
        Column(_("Valid"), lambda o: f.yes_no(o.valid), "valid"),
        Column(_("Review"), lambda o: o.get_review_status_display(), "review_status"),
        Column(_("Flags"), lambda o: flag_words(o.flags)),
    ),
    filters=(
        DIVISION,
        REACH,
        LAKE,
        START,
        END,
        Filter("level", _("Level"), "choice"),
        Filter("valid", _("Valid"), "bool"),
        Filter("review_status", _("Review"), "choice"),
        Filter("flag", _("Flag"), "choice"),
    ),
    default_sort=("-started_at",),
    export="patrols:patrol-export",
    detail=_detail("console:patrol_detail"),
)

CASES = Ledger(
    slug="cases",
    title=_("Cases"),
    queryset=lambda scope: patrol_selectors.case_list(scope=scope).defer("description", *GEOMETRY),
    filterset=CaseFilter,
    columns=(
        Column(_("Found (Beijing)"), lambda o: f.when(o.found_at), "found_at"),
        Column(_("Category"), lambda o: o.get_category_display(), "category"),
        Column(_("Status"), lambda o: o.get_status_display(), "status"),
        Column(_("Reach"), lambda o: o.site.name, "reach__code"),
        Column(_("Reporter"), lambda o: str(o.reporter) if o.reporter_id else "—"),
        Column(_("Responsible unit"), lambda o: o.responsible_unit),
        Column(_("Deadline"), lambda o: f.day(o.deadline), "deadline"),
        Column(_("Closed (Beijing)"), lambda o: f.when(o.closed_at), "closed_at"),
        Column(_("Overdue"), lambda o: f.yes_no(o.overdue_at is not None), "overdue_at"),
    ),
    filters=(
        DIVISION,
        REACH,
        LAKE,
        START,
        END,
        Filter("category", _("Category"), "choice"),
        Filter("status", _("Status"), "choice"),
        Filter("overdue", _("Overdue"), "bool"),
    ),
    default_sort=("-found_at",),
    export="patrols:case-export",
    detail=_detail("console:case_detail"),
)

LITTER = Ledger(
    slug="litter",
    title=_("Litter removal"),
    queryset=lambda scope: patrol_selectors.litter_list(scope=scope).defer(*GEOMETRY),
    filterset=LitterFilter,
    columns=(
        Column(_("Removed on"), lambda o: f.day(o.removed_on), "removed_on"),
        Column(_("Reach"), lambda o: o.site.name, "reach__code"),
        Column(_("Tonnes (t)"), lambda o: f.number(o.tonnes, 3), "tonnes", True),
        Column(_("Recorded by"), lambda o: str(o.recorded_by) if o.recorded_by_id else "—"),
        Column(_("Note"), lambda o: o.note),
    ),
    filters=(DIVISION, REACH, LAKE, START, END),
    default_sort=("-removed_on", "-id"),
    export="patrols:litter-export",
)

PLANTS = Ledger(
    slug="plants",
    title=_("Reclaimed-water plants"),
    queryset=lambda scope: reuse_selectors.plant_list(scope=scope),
    filterset=PlantFilter,
    columns=(
        Column(_("Code"), lambda o: o.code, "code"),
        Column(_("Name"), lambda o: o.name, "name"),
        Column(_("Kind"), lambda o: o.get_kind_display(), "kind"),
        Column(_("Division"), lambda o: o.division.name, "division__code"),
        Column(_("Design capacity (m³/d)"), lambda o: f.number(o.design_capacity_m3d), "design_capacity_m3d", True),
        Column(_("Effluent standard"), lambda o: o.get_effluent_standard_display()),
        Column(_("Operator"), lambda o: o.operator_name),
    ),
    filters=(Filter("code", _("Code")), Filter("name", _("Name")), Filter("kind", _("Kind"), "choice"), DIVISION),
    default_sort=("code",),
    export="reuse:plant-export",
)

_PROJECT_COLUMNS = (
    Column(_("Code"), lambda o: o.code, "code"),
    Column(_("Name"), lambda o: o.name, "name"),
    Column(_("Kind"), lambda o: o.get_kind_display(), "kind"),
    Column(_("Status"), lambda o: o.get_status_display(), "status"),
    Column(_("Division"), lambda o: o.division.name, "division__code"),
    Column(_("Plant"), lambda o: o.plant.name if o.plant_id else "—"),
    Column(_("Capacity (m³/d)"), lambda o: f.number(o.capacity_m3d), "capacity_m3d", True),
    Column(_("Length (km)"), lambda o: f.number((o.length_m or 0) / 1000, 2) if o.length_m else "—", "length_m", True),
    Column(_("Completed"), lambda o: f.day(o.completed_on), "completed_on"),
)
_PROJECT_FILTERS = (
    Filter("code", _("Code")),
    Filter("name", _("Name")),
    Filter("status", _("Status"), "choice"),
    DIVISION,
)

PROJECTS = Ledger(
    slug="projects",
    title=_("Reclaimed-water projects"),
    queryset=lambda scope: reuse_selectors.project_list(scope=scope).defer("route", "description"),
    filterset=ProjectFilter,
    columns=_PROJECT_COLUMNS,
    filters=(*_PROJECT_FILTERS, Filter("kind", _("Kind"), "choice")),
    default_sort=("code",),
    export="reuse:project-export",
)

PIPELINES = Ledger(
    slug="pipelines",
    title=_("Reclaimed-water pipelines"),
    queryset=lambda scope: reuse_selectors.pipeline_list(scope=scope).defer("route", "description"),
    filterset=LayerProjectFilter,
    columns=_PROJECT_COLUMNS,
    filters=_PROJECT_FILTERS,
    default_sort=("code",),
)

SECTIONS = Ledger(
    slug="sections",
    title=_("Water-quality sections"),
    queryset=lambda scope: quality_selectors.section_list(scope=scope),
    filterset=SectionFilter,
    columns=(
        Column(_("Code"), lambda o: o.code, "code"),
        Column(_("Name"), lambda o: o.name, "name"),
        Column(_("Category"), lambda o: o.get_category_display(), "category"),
        Column(_("Water body"), lambda o: o.get_water_body_display(), "water_body"),
        Column(_("Division"), lambda o: o.division.name, "division__code"),
        Column(_("Target class"), lambda o: o.get_target_class_display(), "target_class"),
        Column(_("Counts in statistics"), lambda o: f.yes_no(o.counts_in_statistics)),
    ),
    filters=(
        Filter("code", _("Code")),
        Filter("name", _("Name")),
        Filter("category", _("Category"), "choice"),
        Filter("water_body", _("Water body"), "choice"),
        DIVISION,
    ),
    default_sort=("code",),
    detail=_detail("console:section_detail"),
)

LEDGERS: dict[str, Ledger] = {
    ledger.slug: ledger
    for ledger in (
        INTAKES,
        METERS,
        READINGS,
        STATIONS,
        ALERTS,
        PLANS,
        REDLINES,
        LOCKS,
        PATROLS,
        CASES,
        LITTER,
        PLANTS,
        PROJECTS,
        PIPELINES,
        SECTIONS,
    )
}
