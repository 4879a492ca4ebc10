"""The feature collections served at /ogc/collections/: each one a map layer of another app, read
through that app's selector (so role and jurisdiction scoping are exactly the GeoJSON API's), shown
with that app's GeoJSON serializer (the same properties), and readable by the same roles as its
GeoJSON view.

Attribute filters are equality on a feature property (OGC API – Features Part 1, 7.15.5): the query
parameter is named after the property and matches rows whose property equals the value. They are
declared in the OpenAPI document (/ogc/api), which is what lets GDAL push a `-where "code = 'X'"` to
the server; the GeoJSON API's own filters (prefix division match, name search) are not reused
because a client that pushed an equality would get a different answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Model, QuerySet, TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from accounts.permissions import HUMAN_ROLES
from accounts.scope import Scope
from core.divisions import DivisionLevel
from oversight import selectors as oversight_selectors
from oversight.api.serializers import PetitionSerializer
from oversight.api.views import PetitionViewSet
from oversight.choices import Channel, PetitionCategory, PetitionStatus, Substantiated
from patrols import selectors as patrols_selectors
from patrols.api.serializers import CaseFeatureSerializer, PatrolFeatureSerializer
from patrols.api.views import CaseViewSet, PatrolViewSet
from patrols.choices import CaseCategory, CaseSource, CaseStatus, PatrolMode, PatrolStatus
from places import selectors as places_selectors
from places.api.serializers import DivisionSerializer, LakeSerializer, ReachSerializer, RiverSerializer
from places.choices import ChiefLevel, LakeKind
from quality import selectors as quality_selectors
from quality.api.serializers import SectionSerializer
from quality.choices import SectionCategory, WaterBody
from reuse import selectors as reuse_selectors
from reuse.api.serializers import PipelineSerializer, PlantSerializer, StationSerializer
from reuse.choices import PipeMaterial, PlantKind, ProjectStatus
from water import selectors as water_selectors
from water.api.serializers import IntakeSerializer
from water.choices import SourceType, WaterUse

INT_ID = r"^[0-9]{1,18}$"
UUID_ID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@dataclass(frozen=True)
class AttributeFilter:
    """`?<name>=<value>`: rows whose `lookup` (or one of the `or_lookups`) equals the value (a member of
    `choices` when given)."""

    name: str
    lookup: str
    kind: Literal["string", "integer"] = "string"
    choices: type[TextChoices] | None = None
    description: str = ""
    # Further lookups matched as alternatives: a row on a reach or on a lake has its division on one of
    # the two (issue 19: `division=` returns lake rows too).
    or_lookups: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        if self.kind == "integer":
            out.update(minimum=1, maximum=2**63 - 1)
        if self.choices is not None:
            out["enum"] = list(self.choices.values)
        return out


@dataclass(frozen=True)
class Collection:
    """One feature collection."""

    id: str
    title: str | Promise  # gettext_lazy: in the request's language
    description: str
    selector: Callable[..., QuerySet[Any]]
    serializer: type[Any]
    geometry: str
    filters: tuple[AttributeFilter, ...] = ()
    # The property `?datetime=` is matched against (a DateTimeField or a DateField), if any.
    temporal: str | None = None
    read_roles: frozenset[str] = HUMAN_ROLES
    id_pattern: str = INT_ID

    def queryset(self, scope: Scope) -> QuerySet[Model]:
        return self.selector(scope=scope)

    def labels(self) -> dict[str, dict[str, str | Promise]]:
        """For each property that is a choice field of the serializer's model: value → label. The
        features carry the label beside the code as `<name>_label`, in the request's language (a GIS
        client shows its attribute table as it is; codes such as `dumping` mean nothing there)."""
        model = self.serializer.Meta.model
        return {f.name: dict(f.flatchoices) for f in model._meta.concrete_fields if f.choices}

    @property
    def id_type(self) -> str:
        return "string" if self.id_pattern == UUID_ID else "integer"


def _code(description: str = "code") -> AttributeFilter:
    return AttributeFilter("code", "code", description=description)


def _division(lookup: str = "division__code", *or_lookups: str) -> AttributeFilter:
    return AttributeFilter(
        "division", lookup, description="GB/T 2260 code of the row's own division (exact)", or_lookups=or_lookups
    )


# A patrol's or case's division: its reach's, or its lake's.
_SITE_DIVISION = ("reach__division__code", "lake__division__code")


COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        id="divisions",
        title=gettext_lazy("Administrative divisions"),
        description="GB/T 2260 divisions in your jurisdiction, with their boundaries.",
        selector=places_selectors.division_list,
        serializer=DivisionSerializer,
        geometry="boundary",
        filters=(
            _code("GB/T 2260 code"),
            AttributeFilter("level", "level", choices=DivisionLevel),
            AttributeFilter("parent", "parent__code", description="code of the parent division"),
        ),
    ),
    Collection(
        id="rivers",
        title=gettext_lazy("Rivers"),
        description="Rivers managed in or flowing through your jurisdiction.",
        selector=places_selectors.river_list,
        serializer=RiverSerializer,
        geometry="geometry",
        filters=(_code(), _division()),
    ),
    Collection(
        id="reaches",
        title=gettext_lazy("Reaches"),
        description="River reaches (a river's section inside one division) in your jurisdiction.",
        selector=places_selectors.reach_list,
        serializer=ReachSerializer,
        geometry="geometry",
        filters=(
            _code(),
            AttributeFilter("river", "river_id", "integer", description="river id"),
            AttributeFilter("river_code", "river__code"),
            _division(),
        ),
    ),
    Collection(
        id="lakes",
        title=gettext_lazy("Lakes and reservoirs"),
        description="Lakes and reservoirs in your jurisdiction.",
        selector=places_selectors.lake_list,
        serializer=LakeSerializer,
        geometry="geometry",
        filters=(_code(), AttributeFilter("kind", "kind", choices=LakeKind), _division()),
    ),
    Collection(
        id="intakes",
        title=gettext_lazy("Intake points"),
        description="The intake ledger in your scope (operators: their own intakes).",
        selector=water_selectors.intake_list,
        serializer=IntakeSerializer,
        geometry="location",
        filters=(
            _code(),
            AttributeFilter("source_type", "source_type", choices=SourceType),
            AttributeFilter("main_use", "main_use", choices=WaterUse),
            _division(),
            AttributeFilter("river_code", "river__code"),
            AttributeFilter("lake_code", "lake__code"),
        ),
    ),
    Collection(
        id="reuse-plants",
        title=gettext_lazy("Wastewater and reclaimed-water plants"),
        description="Plants in your jurisdiction.",
        selector=reuse_selectors.plant_list,
        serializer=PlantSerializer,
        geometry="location",
        filters=(_code(), AttributeFilter("kind", "kind", choices=PlantKind), _division()),
        temporal="commissioned_on",
    ),
    Collection(
        id="pump-stations",
        title=gettext_lazy("Reclaimed-water pump stations"),
        description="Lift pump stations (reuse projects of kind pump station) in your jurisdiction.",
        selector=reuse_selectors.station_list,
        serializer=StationSerializer,
        geometry="location",
        filters=(
            _code(),
            AttributeFilter("status", "status", choices=ProjectStatus),
            _division(),
            AttributeFilter("plant", "plant__code", description="plant code"),
        ),
        temporal="completed_on",
    ),
    Collection(
        id="pipelines",
        title=gettext_lazy("Reclaimed-water pipelines"),
        description="Pipeline networks (reuse projects of kind pipeline) in your jurisdiction, with geodesic lengths.",
        selector=reuse_selectors.pipeline_list,
        serializer=PipelineSerializer,
        geometry="route",
        filters=(
            _code(),
            AttributeFilter("status", "status", choices=ProjectStatus),
            _division(),
            AttributeFilter("plant", "plant__code", description="plant code"),
            AttributeFilter("material", "material", choices=PipeMaterial),
        ),
        temporal="completed_on",
    ),
    Collection(
        id="quality-sections",
        title=gettext_lazy("Water-quality sections"),
        description="Monitoring sections in your jurisdiction.",
        selector=quality_selectors.section_list,
        serializer=SectionSerializer,
        geometry="location",
        filters=(
            _code(),
            AttributeFilter("category", "category", choices=SectionCategory),
            AttributeFilter("water_body", "water_body", choices=WaterBody),
            _division(),
            AttributeFilter("reach_code", "reach__code"),
            AttributeFilter("river_code", "reach__river__code"),
            AttributeFilter("lake_code", "lake__code"),
        ),
    ),
    Collection(
        id="cases",
        title=gettext_lazy("Cases"),
        description="Cases found on patrols (four-chaos ledger) in your scope; chiefs see the cases they reported.",
        selector=patrols_selectors.case_list,
        serializer=CaseFeatureSerializer,
        geometry="location",
        filters=(
            AttributeFilter("category", "category", choices=CaseCategory),
            AttributeFilter("status", "status", choices=CaseStatus),
            AttributeFilter("source", "source", choices=CaseSource),
            AttributeFilter("reach", "reach_id", "integer", description="reach id"),
            AttributeFilter("reach_code", "reach__code"),
            _division(*_SITE_DIVISION),
            AttributeFilter("lake", "lake_id", "integer", description="lake or reservoir id"),
            AttributeFilter("lake_code", "lake__code"),
        ),
        temporal="found_at",
        # The same roles as the GeoJSON case ledger (operators get 403 there, so here too).
        read_roles=CaseViewSet.read_roles,
        id_pattern=UUID_ID,
    ),
    Collection(
        id="patrol-tracks",
        title=gettext_lazy("Patrol tracks"),
        description="River chiefs' patrols (巡河) in your scope with their tracks, simplified to 5 m; chiefs see "
        "their own patrols.",
        selector=patrols_selectors.patrol_list,
        serializer=PatrolFeatureSerializer,
        geometry="track_preview",
        filters=(
            AttributeFilter("level", "level", choices=ChiefLevel),
            AttributeFilter("mode", "mode", choices=PatrolMode),
            AttributeFilter("status", "status", choices=PatrolStatus),
            AttributeFilter("chief_username", "chief__username", description="the chief's user name"),
            AttributeFilter("reach", "reach_id", "integer", description="reach id"),
            AttributeFilter("reach_code", "reach__code"),
            _division(*_SITE_DIVISION),
            AttributeFilter("lake", "lake_id", "integer", description="lake or reservoir id"),
            AttributeFilter("lake_code", "lake__code"),
        ),
        temporal="started_at",
        # The same roles as the GeoJSON patrol ledger.
        read_roles=PatrolViewSet.read_roles,
        id_pattern=UUID_ID,
    ),
    Collection(
        id="petitions",
        title="Petitions 督察交办信访件",
        description="Petitions handed over by inspection teams that have a point, in your scope (member units: "
        "those handed to them).",
        selector=oversight_selectors.petition_map_list,
        serializer=PetitionSerializer,
        geometry="location",
        filters=(
            AttributeFilter("number", "number", description="receipt number (受理编号)"),
            AttributeFilter("category", "category", choices=PetitionCategory),
            AttributeFilter("status", "status", choices=PetitionStatus),
            AttributeFilter("channel", "channel", choices=Channel),
            AttributeFilter("substantiated", "substantiated", choices=Substantiated),
            AttributeFilter("reach_code", "reach__code"),
            _division(),
        ),
        temporal="received_on",
        # The same roles as the GeoJSON petition ledger (admin, reviewer, member unit).
        read_roles=PetitionViewSet.read_roles,
    ),
)

BY_ID: dict[str, Collection] = {c.id: c for c in COLLECTIONS}
