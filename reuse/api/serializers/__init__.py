"""Input and output shapes of the reuse API.

Inputs are StrictSerializers (unknown fields refused) carrying codes, not ids, for plants, users and
divisions: they are what a bureau's spreadsheets hold. Volumes are m³ with 3 decimals (rounded half
even beyond that), capacities m³/d, money yuan. Outputs keep SI units and add km for lengths only.

One module per entity (plants, projects, users, volumes, rate) over the shared fields; every public
name is re-exported here.
"""

from reuse.api.serializers.fields import (
    CODE_HELP,
    CODE_REGEX,
    GeoInputSerializer,
    GeometryInput,
    MonthField,
    RoundedDecimalField,
    capacity_field,
    volume_field,
)
from reuse.api.serializers.plants import (
    PlantInputSerializer,
    PlantSerializer,
)
from reuse.api.serializers.projects import (
    PipelineSerializer,
    ProjectAdvanceSerializer,
    ProjectInputSerializer,
    ProjectSerializer,
    StationSerializer,
)
from reuse.api.serializers.rate import (
    ClassUseSerializer,
    RatePointSerializer,
    RateQuerySerializer,
    RateSerializer,
)
from reuse.api.serializers.users import (
    WaterUserInputSerializer,
    WaterUserSerializer,
)
from reuse.api.serializers.volumes import (
    BatchResultSerializer,
    DeliveryBatchSerializer,
    DeliveryRowSerializer,
    DeliverySerializer,
    PlantVolumeSerializer,
    VolumeBatchSerializer,
    VolumeRowSerializer,
    WarningSerializer,
    validate_rows,
)

__all__ = [
    "CODE_HELP",
    "CODE_REGEX",
    "BatchResultSerializer",
    "ClassUseSerializer",
    "DeliveryBatchSerializer",
    "DeliveryRowSerializer",
    "DeliverySerializer",
    "GeoInputSerializer",
    "GeometryInput",
    "MonthField",
    "PipelineSerializer",
    "PlantInputSerializer",
    "PlantSerializer",
    "PlantVolumeSerializer",
    "ProjectAdvanceSerializer",
    "ProjectInputSerializer",
    "ProjectSerializer",
    "RatePointSerializer",
    "RateQuerySerializer",
    "RateSerializer",
    "RoundedDecimalField",
    "StationSerializer",
    "VolumeBatchSerializer",
    "VolumeRowSerializer",
    "WarningSerializer",
    "WaterUserInputSerializer",
    "WaterUserSerializer",
    "capacity_field",
    "validate_rows",
    "volume_field",
]
