"""Serializers of the patrols API, one module per entity: patrols (input and output, and the hand parser
of the hot path in fast), cases, litter, rechecks, and the chiefs, compliance and rule tables."""

from patrols.api.serializers.cases import (
    CaseAssignSerializer,
    CaseDetailSerializer,
    CaseEventSerializer,
    CaseFeatureSerializer,
    CaseNoteSerializer,
    CasePhotoSerializer,
    CaseReportSerializer,
    CaseSourceField,
)
from patrols.api.serializers.fast import parse_patrol_submit, patrol_result
from patrols.api.serializers.litter import LitterCreateSerializer, LitterSerializer
from patrols.api.serializers.patrols import (
    CRS_VALUES,
    CRSField,
    PatrolDetailSerializer,
    PatrolEndSerializer,
    PatrolFeatureSerializer,
    PatrolPointsSerializer,
    PatrolRawSerializer,
    PatrolResultSerializer,
    PatrolReviewSerializer,
    PatrolStartSerializer,
    PatrolSubmitSerializer,
    RawField,
    TimesField,
    TrackField,
    _PatrolHeaderSerializer,
)
from patrols.api.serializers.rechecks import RecheckRecordSerializer, RecheckSampleSerializer, RecheckSerializer
from patrols.api.serializers.rules import (
    ChiefsQuerySerializer,
    ComplianceQuerySerializer,
    ComplianceRowSerializer,
    FrequencyRuleSerializer,
    ValidityRuleSerializer,
)

__all__ = [
    "CRS_VALUES",
    "CRSField",
    "CaseAssignSerializer",
    "CaseDetailSerializer",
    "CaseEventSerializer",
    "CaseFeatureSerializer",
    "CaseNoteSerializer",
    "CasePhotoSerializer",
    "CaseReportSerializer",
    "CaseSourceField",
    "ChiefsQuerySerializer",
    "ComplianceQuerySerializer",
    "ComplianceRowSerializer",
    "FrequencyRuleSerializer",
    "LitterCreateSerializer",
    "LitterSerializer",
    "PatrolDetailSerializer",
    "PatrolEndSerializer",
    "PatrolFeatureSerializer",
    "PatrolPointsSerializer",
    "PatrolRawSerializer",
    "PatrolResultSerializer",
    "PatrolReviewSerializer",
    "PatrolStartSerializer",
    "PatrolSubmitSerializer",
    "RawField",
    "RecheckRecordSerializer",
    "RecheckSampleSerializer",
    "RecheckSerializer",
    "TimesField",
    "TrackField",
    "ValidityRuleSerializer",
    "_PatrolHeaderSerializer",
    "parse_patrol_submit",
    "patrol_result",
]
