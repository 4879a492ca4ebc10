"""Writes of the patrols app, one module per entity: patrols (one-shot and in parts, reviews), cases
and their workflow, photos, rechecks, litter, and the rule tables. Each write validates, saves and
audits in one transaction (ARCHITECTURE style 1, 4 and 6). Every public name is re-exported here, so
``from patrols.services import case_report`` and ``services.patrol_submit`` keep working."""

from patrols.services._common import LEVEL_ORDER
from patrols.services.cases import (
    CHIEF_AND_STAFF,
    STAFF,
    TRANSITIONS,
    AssignBatch,
    case_assign,
    case_assign_many,
    case_clear_on_spot,
    case_close,
    case_flag_overdue,
    case_rectify,
    case_reject,
    case_report,
    case_submit,
    case_verify,
)
from patrols.services.litter import litter_record
from patrols.services.parts import patrol_append, patrol_close_stale, patrol_end, patrol_start
from patrols.services.patrol_fill import PatrolHeader, ReachInfo
from patrols.services.patrols import (
    patrol_find_resend,
    patrol_recompute,
    patrol_recompute_changes,
    patrol_review,
    patrol_submit,
)
from patrols.services.photos import PhotoTooLarge, case_photo_add
from patrols.services.rechecks import recheck_record, recheck_sample
from patrols.services.rules import (
    frequency_rule_check,
    frequency_rule_save,
    rule_delete,
    validity_rule_check,
    validity_rule_save,
)

__all__ = [
    "CHIEF_AND_STAFF",
    "LEVEL_ORDER",
    "STAFF",
    "TRANSITIONS",
    "AssignBatch",
    "PatrolHeader",
    "PhotoTooLarge",
    "ReachInfo",
    "case_assign",
    "case_assign_many",
    "case_clear_on_spot",
    "case_close",
    "case_flag_overdue",
    "case_photo_add",
    "case_rectify",
    "case_reject",
    "case_report",
    "case_submit",
    "case_verify",
    "frequency_rule_check",
    "frequency_rule_save",
    "litter_record",
    "patrol_append",
    "patrol_close_stale",
    "patrol_end",
    "patrol_find_resend",
    "patrol_recompute",
    "patrol_recompute_changes",
    "patrol_review",
    "patrol_start",
    "patrol_submit",
    "recheck_record",
    "recheck_sample",
    "rule_delete",
    "validity_rule_check",
    "validity_rule_save",
]
