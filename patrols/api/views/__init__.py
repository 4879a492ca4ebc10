"""The patrols API (SPEC §3, issue 5), one module per entity: patrols, cases, litter, rechecks, and
the chiefs, compliance and rule tables. Views are glue: scope through a selector, validate an input
serializer, call one service, serialize the output."""

from patrols.api.views._common import CHIEF_AND_STAFF, CHIEF_ONLY, READ_ROLES, UUID_REGEX, ExportMixin
from patrols.api.views.cases import CaseViewSet
from patrols.api.views.litter import LitterViewSet
from patrols.api.views.patrols import PatrolViewSet
from patrols.api.views.rechecks import RecheckViewSet
from patrols.api.views.rules import ChiefsView, ComplianceView, FrequencyRuleView, ValidityRuleView

__all__ = [
    "CHIEF_AND_STAFF",
    "CHIEF_ONLY",
    "READ_ROLES",
    "UUID_REGEX",
    "CaseViewSet",
    "ChiefsView",
    "ComplianceView",
    "ExportMixin",
    "FrequencyRuleView",
    "LitterViewSet",
    "PatrolViewSet",
    "RecheckViewSet",
    "ValidityRuleView",
]
